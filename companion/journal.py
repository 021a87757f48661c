"""The private journal: one SQLite row per session, in the user data dir.

Private by default: the folder is 0700 and the file 0600 (SQLite gives its
-wal and -shm files the database file's mode). WAL mode, so a reader never
blocks a session being written. Every write is one transaction. The schema
grows by appending to MIGRATIONS and is versioned by PRAGMA user_version, so
every old journal stays readable.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

MIGRATIONS: list[str] = [
    # 1: sessions
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        sequence TEXT NOT NULL,
        title TEXT NOT NULL,
        mode TEXT NOT NULL,
        output TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        planned_s REAL NOT NULL DEFAULT 0,
        played_s REAL NOT NULL DEFAULT 0,
        position_s REAL NOT NULL DEFAULT 0,
        completed INTEGER NOT NULL DEFAULT 0,
        end_reason TEXT NOT NULL DEFAULT 'running'
    );
    CREATE INDEX sessions_started ON sessions (started_at);
    """,
    # 2: a guided pause: which side, the pulse if taken, the break, how far it got
    """
    ALTER TABLE sessions ADD COLUMN side TEXT;
    ALTER TABLE sessions ADD COLUMN pulse_bpm INTEGER;
    ALTER TABLE sessions ADD COLUMN break_minutes REAL;
    ALTER TABLE sessions ADD COLUMN returned INTEGER;
    ALTER TABLE sessions ADD COLUMN stage TEXT;
    """,
    # 3: daily practice: distress from 0 to 10, before and after; how long a pause's wait really lasted
    """
    ALTER TABLE sessions ADD COLUMN distress_before INTEGER;
    ALTER TABLE sessions ADD COLUMN distress_after INTEGER;
    ALTER TABLE sessions ADD COLUMN wait_s REAL;
    """,
]
EXTRA_COLUMNS = ("side", "pulse_bpm", "break_minutes", "returned", "stage", "wait_s", "distress_before",
                 "distress_after")
END_REASONS = ("completed", "stopped", "interrupted", "error")


class JournalError(RuntimeError):
    pass


def now() -> str:
    """The local time with its UTC offset, ISO 8601, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def default_path() -> Path:
    from .paths import data_dir

    return data_dir() / "journal.sqlite3"


def open_or_warn(warn) -> "Journal | None":
    """The user's journal, or None after one line saying why the session will not be recorded."""
    try:
        return Journal()
    except JournalError as e:
        warn(f"{e}; this session will not be recorded.")
        return None


class Journal:
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else default_path()
        try:
            self.db = self._open()
        except (sqlite3.Error, OSError) as e:
            raise JournalError(f"cannot open the journal {self.path}: {e}") from None

    def _open(self) -> sqlite3.Connection:
        from .paths import private_dir

        private_dir(self.path.parent)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(self.path, 0o600)
        db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise JournalError(f"the journal {self.path} is from a newer companion (schema {version}); upgrade companion")
        for number in range(version, len(MIGRATIONS)):
            with _transaction(db):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")
        return db

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def start(self, sequence: str, title: str, mode: str, output: str, planned_s: float = 0.0) -> int:
        """Record a session as it begins; returns its id."""
        with _transaction(self.db):
            cursor = self.db.execute(
                "INSERT INTO sessions (sequence, title, mode, output, started_at, planned_s) VALUES (?, ?, ?, ?, ?, ?)",
                (sequence, title, mode, output, now(), planned_s))
        return cursor.lastrowid

    def finish(self, session_id: int, *, reason: str, planned_s: float, played_s: float, position_s: float,
               output: str | None = None, **extra) -> None:
        """Record how a session ended, in one transaction. `extra`: see EXTRA_COLUMNS."""
        assert reason in END_REASONS, reason
        assert set(extra) <= set(EXTRA_COLUMNS), extra
        columns = "".join(f", {name} = ?" for name in extra)
        with _transaction(self.db):
            self.db.execute(
                "UPDATE sessions SET ended_at = ?, end_reason = ?, completed = ?, planned_s = ?, played_s = ?,"
                f" position_s = ?, output = COALESCE(?, output){columns} WHERE id = ?",
                (now(), reason, reason == "completed", round(planned_s, 3), round(played_s, 3), round(position_s, 3),
                 output, *extra.values(), session_id))

    def add(self, session_id: int, **extra) -> None:
        """Record more about a session (see EXTRA_COLUMNS), in one transaction."""
        assert extra and set(extra) <= set(EXTRA_COLUMNS), extra
        columns = ", ".join(f"{name} = ?" for name in extra)
        with _transaction(self.db):
            self.db.execute(f"UPDATE sessions SET {columns} WHERE id = ?", (*extra.values(), session_id))

    def of_mode(self, mode: str) -> list[dict]:
        """Every session of one mode (e.g. daily), oldest first."""
        rows = self.db.execute("SELECT * FROM sessions WHERE mode = ? ORDER BY id", (mode,)).fetchall()
        return [_as_dict(row) for row in rows]

    def recent(self, limit: int = 20) -> list[dict]:
        rows = self.db.execute("SELECT * FROM sessions ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [_as_dict(row) for row in rows]

    def close(self) -> None:
        self.db.close()


def _as_dict(row: sqlite3.Row) -> dict:
    entry = dict(row)
    entry["completed"] = bool(entry["completed"])
    if entry.get("returned") is not None:
        entry["returned"] = bool(entry["returned"])
    return entry


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, tb):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        return False
