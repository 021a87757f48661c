"""The private journal: one SQLite row per session, in the user data dir.

store.py opens it (privately, checked, migrated) and records sessions;
schema.py is its schema and migrations; figures.py sums what `progress`
shows; transfer.py checks and imports exported rows; backups.py keeps a copy
a day and takes forgotten sessions out of them; connection.py is SQLite as
the journal uses it; errors.py says what went wrong in one line.
"""

from .backups import BACKUPS_KEPT, forget_in_backups, latest_backup
from .connection import TIMEOUT_S
from .errors import UNRECORDED, Damaged, JournalError
from .schema import COLUMNS, END_REASONS, EXTRA_COLUMNS, MIGRATIONS, partners_text
from .store import (CHECK_LIMIT_BYTES, Journal, Unrecorded, default_path, file_unwritable, folder_unwritable, now,
                    open_or_warn)
from .transfer import check_session

__all__ = ["BACKUPS_KEPT", "CHECK_LIMIT_BYTES", "COLUMNS", "END_REASONS", "EXTRA_COLUMNS", "MIGRATIONS", "TIMEOUT_S",
           "UNRECORDED", "Damaged", "Journal", "JournalError", "Unrecorded", "check_session", "default_path",
           "file_unwritable", "folder_unwritable", "forget_in_backups", "latest_backup", "now", "open_or_warn", "partners_text"]
