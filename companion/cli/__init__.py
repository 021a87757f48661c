"""The `companion` command: the group (app.py) and one module per family of commands."""
