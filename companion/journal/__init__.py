"""The private journal: one SQLite row per session, in the user data dir.

store.py opens it (privately, checked, migrated) and records sessions;
schema.py is its schema and migrations; figures.py sums what `progress`
shows; transfer.py checks and imports exported rows; backups.py keeps a copy
a day and takes forgotten sessions out of them; connection.py is SQLite as
the journal uses it; errors.py says what went wrong in one line.

The names below are imported from their module when first used, so reading
the journal (`log`, `progress`) loads neither import's checks nor the backups.
"""

_HOMES = {
    "backups": ("BACKUPS_KEPT", "forget_in_backups", "latest_backup"),
    "connection": ("TIMEOUT_S",),
    "errors": ("UNRECORDED", "Damaged", "JournalError"),
    "schema": ("COLUMNS", "END_REASONS", "EXTRA_COLUMNS", "MIGRATIONS", "partners_text"),
    "store": ("CHECK_LIMIT_BYTES", "Journal", "Unrecorded", "file_unwritable", "folder_unwritable", "now",
              "open_or_warn"),
    "transfer": ("check_session",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted([*_HOME, "default_path"])


def default_path():
    """Where the user's journal is (a pathlib.Path), known without importing SQLite."""
    from ..paths import data_dir

    return data_dir() / "journal.sqlite3"


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value  # found directly from now on
    return value
