"""The private journal: one SQLite row per session, in the user data dir.

store.py opens it (privately, checked, migrated) and records sessions;
schema.py is its schema and migrations; figures.py sums what `progress`
shows; transfer.py checks and imports exported rows; backups.py keeps a copy
a day and takes forgotten sessions out of them; connection.py is SQLite as
the journal uses it; errors.py says what went wrong in one line.

Callers import what they use from its module, so reading the journal (`log`,
`progress`) loads neither import's checks nor the backups.
"""


def default_path():
    """Where the user's journal is (a pathlib.Path), known without importing SQLite."""
    from ..paths import data_dir

    return data_dir() / "journal.sqlite3"
