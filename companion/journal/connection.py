"""SQLite as the journal uses it: read-only connections, WAL, one write transaction at a time, private files."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

TIMEOUT_S = 10.0  # how long a process waits for another's write (a session's writes take milliseconds)
DAMAGED_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED


def error_code(error: sqlite3.Error) -> int:
    """SQLite's primary result code of an error (0 when it has none)."""
    return (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF


def connect_read_only(path: Path) -> sqlite3.Connection:
    """Read-only (mode=ro). In a folder that cannot be written, where SQLite cannot make the WAL's shared
    memory file, a journal with no -wal file to replay is opened as immutable instead."""
    uri = Path(path).absolute().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=TIMEOUT_S, isolation_level=None)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.Error as e:
        db.close()
        wal = f"{path}-wal"
        if error_code(e) not in (8, 14) or (os.path.exists(wal) and os.path.getsize(wal) > 0):  # READONLY, CANTOPEN
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=TIMEOUT_S, isolation_level=None)


def use_wal(db: sqlite3.Connection) -> None:
    """WAL mode. Switching needs a moment alone with the file (SQLite answers "database is locked" at
    once, not after the busy timeout), so wait for another process's turn."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as e:
            if error_code(e) not in BUSY_CODES or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def create_private(path: Path) -> None:
    """An empty file, 0600 whatever the umask; one that another process made meanwhile is left alone."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    try:
        if hasattr(os, "fchmod"):  # Windows (before Python 3.13) has none, and no mode bits to set
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


class transaction:
    """BEGIN IMMEDIATE (waiting up to the busy timeout for another writer) ... COMMIT, or ROLLBACK on any error."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, tb):
        if kind is None:
            try:
                self.db.execute("COMMIT")
                return False
            except BaseException:
                self._roll_back()
                raise
        self._roll_back()
        return False

    def _roll_back(self) -> None:
        try:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the original error says more
