"""The private journal: one SQLite row per session, in the user data dir.

Private by default: a folder it makes is 0700 and the file 0600 (SQLite gives
its -wal and -shm files the database file's mode); an existing folder or file
only loses others' access, never gains any, so a journal the user made
read-only stays read-only. WAL mode, so a reader never blocks a session being
written. Every write is one transaction; the schema migrates itself (schema.py).

Nothing is ever written to a journal that fails SQLite's quick_check, and every
error, at open or at query time, is a JournalError: one line that names the
file and what to do. Reading (`log`, `progress`) opens it read-only and changes
nothing. Opening it for a session keeps a backup a day, in backups/ beside it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import date, datetime
from pathlib import Path

from ..paths import private_dir, tighten
from . import default_path
from .connection import (BUSY_CODES, DAMAGED_CODES, TIMEOUT_S, connect_read_only, create_private, error_code,
                         transaction, use_wal)
from .errors import UNRECORDED, Damaged, JournalError
from .schema import END_REASONS, EXTRA_COLUMNS, MIGRATIONS, as_dict, migrate, newer

CHECK_LIMIT_BYTES = 64 << 20  # quick_check reads the whole file: 5 ms for 20,000 sessions; skipped above this


def now() -> str:
    """The local time with its UTC offset, ISO 8601, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def open_or_warn(warn) -> "Journal | Unrecorded":
    """The user's journal for a session, with today's backup taken; or, after one line saying why the
    session will not be recorded, an Unrecorded journal whose writes fail (already said)."""
    try:
        journal = Journal()
    except JournalError as e:
        warn(f"{UNRECORDED}{e}")
        return Unrecorded(str(e))
    journal.back_up()
    return journal


def read_only(query):
    """`query(journal)` on the journal opened read-only: no folder made, nothing chmodded or written."""
    journal = Journal(write=False)
    try:
        return query(journal)
    finally:
        journal.close()


def folder_unwritable(folder: Path) -> str | None:
    """Why sessions cannot be recorded in the journal's `folder` as it is, or None; changes nothing."""
    mode = stat.S_IMODE(os.stat(folder).st_mode)
    if not mode & stat.S_IWUSR:  # the owner's choice, which holds even for root
        return f"the journal's folder {folder} is read-only (mode {mode:04o}); to record sessions, make it " \
               f"writable: chmod 700 {folder}"
    if not os.access(folder, os.W_OK):
        return f"the journal's folder {folder} cannot be written (a read-only file system, or another user's " \
               "folder); set XDG_DATA_HOME to a folder of yours"
    return None


def file_unwritable(path: Path, info: os.stat_result) -> str | None:
    """Why sessions cannot be recorded in the journal file at `path` (`info`: its stat), or None."""
    mode = stat.S_IMODE(info.st_mode)
    if not mode & stat.S_IWUSR:
        return f"the journal {path} is read-only (mode {mode:04o}); to record sessions in it again, make it " \
               f"writable: chmod 600 {path}"
    if not os.access(path, os.W_OK):
        return f"the journal {path} cannot be written (another user's file?); check its owner: ls -l {path}"
    return None


def _raise_if(problem: str | None) -> None:
    if problem:
        raise JournalError(problem)


class Unrecorded:
    """The journal of a session that cannot be recorded, for `reason` (already said): every write raises
    a JournalError marked said, every read is empty."""

    def __init__(self, reason: str):
        self.reason = reason

    def start(self, *args, **kwargs) -> int:
        raise JournalError(self.reason, said=True)

    finish = add = start

    def of_mode(self, mode: str) -> list[dict]:
        return []

    def recent(self, limit: int = 20) -> list[dict]:
        return []

    def close(self) -> None:
        pass


class Journal:
    """The journal at `path` (the user's by default), opened to record sessions.

    `write=False` (log, progress): read-only; nothing is made, chmodded or
    written, and a journal not made yet reads as empty.
    """

    def __init__(self, path: Path | None = None, *, write: bool = True):
        self.path = Path(path) if path else default_path()
        self.write = write
        self.db: sqlite3.Connection | None = None
        self.file_version = 0  # the schema of the file itself (read: it may be older than the copy read)
        try:
            self.db = self._open()
        except sqlite3.Error as e:
            raise self.problem(e) from None
        except OSError as e:
            raise JournalError(f"cannot open the journal {self.path}: {e}") from None

    # -- opening ------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection | None:
        if not self._check_place():
            return None  # reading, and there is no journal yet
        db, version = self._inspect()
        self.file_version = version
        if not self.write:
            if version == 0:  # made, but its first session never began: nothing to read
                db.close()
                return None
            if version < len(MIGRATIONS):  # an older schema: read a copy, migrated in memory, never the file
                copy = sqlite3.connect(":memory:", isolation_level=None)
                try:
                    db.backup(copy)
                finally:
                    db.close()
                copy.row_factory = sqlite3.Row
                migrate(copy, self.path)
                return copy
            return db
        db.close()
        db = sqlite3.connect(self.path, timeout=TIMEOUT_S, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            use_wal(db)
            migrate(db, self.path)
        except BaseException:
            db.close()
            raise
        self.file_version = len(MIGRATIONS)
        return db

    def _check_place(self) -> bool:
        """Is there a journal file (made now, to write)? A JournalError for a place that cannot hold one."""
        path, folder = self.path, self.path.parent
        if self.write:
            private_dir(folder)
            _raise_if(folder_unwritable(folder))
        try:
            info = os.stat(path)
        except FileNotFoundError:
            if not self.write:
                return False
            create_private(path)
            info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise JournalError(f"the journal {path} is a folder, not a file; move it elsewhere, and companion "
                               "starts a new journal")
        if not stat.S_ISREG(info.st_mode):
            raise JournalError(f"the journal {path} is not a file; move it elsewhere, and companion starts a new "
                               "journal")
        if self.write:
            _raise_if(file_unwritable(path, info))
            tighten(path, stat.S_IMODE(info.st_mode))
        return True

    def _inspect(self) -> tuple[sqlite3.Connection, int]:
        """A read-only connection to a file that passed quick_check, and its schema version (one this
        companion knows). Read-only, so nothing (not even a checkpoint) is written to a damaged file."""
        db = connect_read_only(self.path)
        try:
            if os.path.getsize(self.path) <= CHECK_LIMIT_BYTES:
                found = [row[0] for row in db.execute("PRAGMA quick_check(1)")]
                if found != ["ok"]:
                    raise Damaged(self._damaged(" ".join(found)))
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise newer(self.path, version)
        except BaseException:
            db.close()
            raise
        db.row_factory = sqlite3.Row
        return db, version

    # -- what went wrong, in one line --------------------------------------------
    def problem(self, error: sqlite3.Error) -> JournalError:
        """What an error of SQLite's means here, in one line."""
        code = error_code(error)
        text = str(error)
        if code in DAMAGED_CODES or "malformed" in text or "not a database" in text:
            return Damaged(self._damaged(text))
        if code in BUSY_CODES:
            text += f" (another process kept it busy for {TIMEOUT_S:g} s; try again)"
        return JournalError(f"cannot {'write' if self.write else 'read'} the journal {self.path}: {text}")

    def _damaged(self, detail: str) -> str:
        from .backups import latest_backup

        detail = " ".join(detail.replace("*** in database main ***", "").split())[:120]
        said = f"the journal {self.path} is damaged ({detail}) and is left as it is; "
        aside = "move it, with any -wal and -shm file beside it, to another folder"
        backup = latest_backup(self.path)
        if backup is None:
            return said + f"there is no backup of it: {aside}, and companion starts a new journal"
        return said + f"to restore the backup of {backup.stem.removeprefix('journal-')}: {aside}, then " \
                      f"cp {backup} {self.path}"

    def rows(self, sql: str, parameters: tuple = ()) -> list[sqlite3.Row]:
        if self.db is None:
            return []
        try:
            return self.db.execute(sql, parameters).fetchall()
        except sqlite3.Error as e:
            raise self.problem(e) from None

    def _written(self, sql: str, parameters: tuple) -> sqlite3.Cursor:
        if self.db is None or not self.write:
            raise JournalError(f"the journal {self.path} is open only to read")
        try:
            with transaction(self.db):
                return self.db.execute(sql, parameters)
        except sqlite3.Error as e:
            raise self.problem(e) from None

    # -- sessions ----------------------------------------------------------------
    @property
    def version(self) -> int:
        rows = self.rows("PRAGMA user_version")
        return rows[0][0] if rows else 0

    def start(self, sequence: str, title: str, mode: str, output: str, planned_s: float = 0.0) -> int:
        """Record a session as it begins; returns its id."""
        import uuid

        return self._written(
            "INSERT INTO sessions (uid, sequence, title, mode, output, started_at, planned_s)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), sequence, title, mode, output, now(), planned_s)).lastrowid

    def finish(self, session_id: int, *, reason: str, planned_s: float, played_s: float, position_s: float,
               output: str | None = None, **extra) -> None:
        """Record how a session ended, in one transaction. `extra`: see EXTRA_COLUMNS."""
        assert reason in END_REASONS, reason
        assert set(extra) <= set(EXTRA_COLUMNS), extra
        columns = "".join(f", {name} = ?" for name in extra)
        self._written(
            "UPDATE sessions SET ended_at = ?, end_reason = ?, completed = ?, planned_s = ?, played_s = ?,"
            f" position_s = ?, output = COALESCE(?, output){columns} WHERE id = ?",
            (now(), reason, reason == "completed", round(planned_s, 3), round(played_s, 3), round(position_s, 3),
             output, *extra.values(), session_id))

    def add(self, session_id: int, **extra) -> None:
        """Record more about a session (see EXTRA_COLUMNS), in one transaction."""
        assert extra and set(extra) <= set(EXTRA_COLUMNS), extra
        columns = ", ".join(f"{name} = ?" for name in extra)
        self._written(f"UPDATE sessions SET {columns} WHERE id = ?", (*extra.values(), session_id))

    def of_mode(self, mode: str) -> list[dict]:
        """Every session of one mode (e.g. daily), oldest first."""
        return [as_dict(row) for row in self.rows("SELECT * FROM sessions WHERE mode = ? ORDER BY id", (mode,))]

    def recent(self, limit: int | None = 20, *, since: str | None = None, mode: str | None = None,
               sequence: str | None = None) -> list[dict]:
        """Sessions newest first: `limit` of them (None: all), started on or after the date `since`
        (YYYY-MM-DD, the local date it was started), of one mode, of one sequence."""
        where, parameters = [], []
        for clause, value in (("substr(started_at, 1, 10) >= ?", since), ("mode = ?", mode),
                              ("sequence = ?", sequence)):
            if value is not None:
                where.append(clause)
                parameters.append(value)
        sql = "SELECT * FROM sessions" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [as_dict(row) for row in self.rows(sql, tuple(parameters))]

    def all_sessions(self) -> list[dict]:
        """Every session, oldest first, every column (what export writes)."""
        return [as_dict(row) for row in self.rows("SELECT * FROM sessions ORDER BY id")]

    def import_sessions(self, sessions: list[dict]) -> tuple[int, int]:
        """Add sessions checked by transfer.check_session, merged on uid, in one transaction: see transfer.py."""
        from .transfer import import_sessions

        return import_sessions(self, sessions)

    def forget(self, *, session_id: int | None = None, before: str | None = None,
               everything: bool = False) -> list[tuple]:
        """Delete sessions (one by id, those started before the date `before`, or all), then VACUUM and
        truncate the WAL so no page of them is left in the journal's files. Returns (id, uid, started_at)
        of each one forgotten (for forget_in_backups)."""
        if self.db is None or not self.write:
            raise JournalError(f"the journal {self.path} is open only to read")
        where, parameters = ("1", ()) if everything else ("id = ?", (session_id,)) if session_id is not None \
            else ("substr(started_at, 1, 10) < ?", (before,))
        try:
            with transaction(self.db):
                gone = [tuple(row) for row in self.db.execute(
                    f"SELECT id, uid, started_at FROM sessions WHERE {where}", parameters)]
                self.db.execute(f"DELETE FROM sessions WHERE {where}", parameters)
            if gone:
                self.db.execute("VACUUM")
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as e:
            raise self.problem(e) from None
        return gone

    def practice_figures(self, day_ends_min: int = 0, since: str = "9999") -> dict:
        """What `progress` shows, summed by SQLite: see figures.py."""
        from .figures import practice_figures  # only progress needs it (and its import of the daily core)

        return practice_figures(self, day_ends_min, since)

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def back_up(self, today: date | None = None) -> Path | None:
        """Today's copy beside the journal, once a day: see backups.py."""
        from .backups import back_up

        return back_up(self, today)
