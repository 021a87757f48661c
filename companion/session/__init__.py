"""A session: a sequence played with keys, a screen and a journal row, above playback/.

loop.py is the one session path (play, run); policies.py what keys do; keys.py (keys_base.py,
keys_windows.py) single keys without Enter; screen.py captions and the progress line; journal_row.py
the journal row every kind of session keeps.
"""
