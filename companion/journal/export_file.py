"""`companion export`'s file: every session, written privately and whole, or not at all."""

from __future__ import annotations

import os
from pathlib import Path


def every_session() -> list:
    """Every session, as `log --json` shows it. The journal is migrated first where it can be, so each
    uid is kept, not made up; one that cannot be opened to write (read-only, say) is read as it is.
    JournalError if it cannot be read."""
    from . import default_path
    from .errors import JournalError
    from .store import Journal, read_only

    if not default_path().exists():
        return []
    try:
        journal = Journal()
    except JournalError:
        return read_only(lambda journal: journal.all_sessions())
    try:
        return journal.all_sessions()
    finally:
        journal.close()


def write(file: Path, sessions: list, as_csv: bool) -> None:
    """`sessions` into `file` (0600), through a temporary file beside it, so `file` is whole or as it was.
    OSError if it cannot be written."""
    from .transfer import is_csv, write_export

    temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write_export(f, sessions, as_csv or is_csv(file))
        os.chmod(temporary, 0o600)
        os.replace(temporary, file)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
