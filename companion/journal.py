"""The private journal: one SQLite row per session, in the user data dir.

Private by default: a folder it makes is 0700 and the file 0600 (SQLite gives
its -wal and -shm files the database file's mode); an existing folder or file
only loses others' access, never gains any, so a journal the user made
read-only stays read-only. WAL mode, so a reader never blocks a session being
written. Every write is one transaction. The schema grows by appending to
MIGRATIONS and is versioned by PRAGMA user_version, read again and migrated
inside one write transaction, so processes opening a journal at once migrate it
once: the others wait (TIMEOUT_S) and find the work done.

Nothing is ever written to a journal that fails SQLite's quick_check, and every
error, at open or at query time, is a JournalError: one line that names the
file and what to do. Reading (`log`, `progress`) opens it read-only and changes
nothing. Opening it for a session keeps a backup a day, in backups/ beside it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from datetime import date, datetime
from pathlib import Path

from .practice.schedule import HEARD  # a practice counts when this much of its planned time was heard
from .paths import private_dir, tighten

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
    # 4: a stable id (a UUID4, made here for the rows before it) that export and import merge on; an index
    #    holding all that `progress` sums, so it reads the index alone (half the pages of the table)
    """
    ALTER TABLE sessions ADD COLUMN uid TEXT;
    UPDATE sessions SET uid = lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
        substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + abs(random() % 4), 1) ||
        substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
    CREATE UNIQUE INDEX sessions_uid ON sessions (uid);
    CREATE INDEX sessions_daily ON sessions (mode, started_at, sequence, planned_s, played_s, completed, end_reason,
                                             distress_before, distress_after);
    """,
    # 5: a session together: the two partners (JSON: [{name, distress_before, distress_after}, ...]) and
    #    how many times one of them said "I'm flooded"
    """
    ALTER TABLE sessions ADD COLUMN partners TEXT;
    ALTER TABLE sessions ADD COLUMN flooded INTEGER;
    """,
]
COLUMNS = ("id", "uid", "sequence", "title", "mode", "output", "started_at", "ended_at", "planned_s", "played_s",
           "position_s", "completed", "end_reason", "side", "pulse_bpm", "break_minutes", "returned", "stage",
           "wait_s", "distress_before", "distress_after", "partners", "flooded")  # every column, as `log --json` and export give them
EXTRA_COLUMNS = ("side", "pulse_bpm", "break_minutes", "returned", "stage", "wait_s", "distress_before",
                 "distress_after", "partners", "flooded")
END_REASONS = ("completed", "stopped", "interrupted", "error")

TIMEOUT_S = 10.0  # how long a process waits for another's write (a session's writes take milliseconds)
CHECK_LIMIT_BYTES = 64 << 20  # quick_check reads the whole file: 5 ms for 20,000 sessions; skipped above this
BACKUPS_KEPT = 7  # days
_DAMAGED = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
_BUSY = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
UNRECORDED = "companion: this session will not be recorded: "  # then why, and what to do


class JournalError(RuntimeError):
    """One line: what is wrong with the journal, where, and what to do. `said`: the person was told already."""

    def __init__(self, message: str, said: bool = False):
        super().__init__(message)
        self.said = said


class Damaged(JournalError):
    """The journal file is damaged; it is left as it is."""


def now() -> str:
    """The local time with its UTC offset, ISO 8601, to the second."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


def default_path() -> Path:
    from .paths import data_dir

    return data_dir() / "journal.sqlite3"


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
        try:
            self.db = self._open()
        except sqlite3.Error as e:
            raise self._problem(e) from None
        except OSError as e:
            raise JournalError(f"cannot open the journal {self.path}: {e}") from None

    # -- opening ------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection | None:
        if not self._check_place():
            return None  # reading, and there is no journal yet
        db, version = self._inspect()
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
                self._migrate(copy)
                return copy
            return db
        db.close()
        db = sqlite3.connect(self.path, timeout=TIMEOUT_S, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            _wal(db)
            self._migrate(db)
        except BaseException:
            db.close()
            raise
        return db

    def _check_place(self) -> bool:
        """Is there a journal file (made now, to write)? A JournalError for a place that cannot hold one."""
        path, folder = self.path, self.path.parent
        if self.write:
            private_dir(folder)
            mode = stat.S_IMODE(os.stat(folder).st_mode)
            if not mode & stat.S_IWUSR:  # the owner's choice, which holds even for root
                raise JournalError(f"the journal's folder {folder} is read-only (mode {mode:04o}); "
                                   f"to record sessions, make it writable: chmod 700 {folder}")
            if not os.access(folder, os.W_OK):
                raise JournalError(f"the journal's folder {folder} cannot be written (a read-only file system, "
                                   "or another user's folder); set XDG_DATA_HOME to a folder of yours")
        try:
            info = os.stat(path)
        except FileNotFoundError:
            if not self.write:
                return False
            _create_private(path)
            info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise JournalError(f"the journal {path} is a folder, not a file; move it elsewhere, and companion "
                               "starts a new journal")
        if not stat.S_ISREG(info.st_mode):
            raise JournalError(f"the journal {path} is not a file; move it elsewhere, and companion starts a new "
                               "journal")
        if self.write:
            mode = stat.S_IMODE(info.st_mode)
            if not mode & stat.S_IWUSR:
                raise JournalError(f"the journal {path} is read-only (mode {mode:04o}); to record sessions in it "
                                   f"again, make it writable: chmod 600 {path}")
            if not os.access(path, os.W_OK):
                raise JournalError(f"the journal {path} cannot be written (another user's file?); "
                                   f"check its owner: ls -l {path}")
            tighten(path, mode)
        return True

    def _inspect(self) -> tuple[sqlite3.Connection, int]:
        """A read-only connection to a file that passed quick_check, and its schema version (one this
        companion knows). Read-only, so nothing (not even a checkpoint) is written to a damaged file."""
        db = _connect_read_only(self.path)
        try:
            if os.path.getsize(self.path) <= CHECK_LIMIT_BYTES:
                found = [row[0] for row in db.execute("PRAGMA quick_check(1)")]
                if found != ["ok"]:
                    raise Damaged(self._damaged(" ".join(found)))
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise JournalError(f"the journal {self.path} is from a newer companion (schema {version}); "
                                   "upgrade companion")
        except BaseException:
            db.close()
            raise
        db.row_factory = sqlite3.Row
        return db, version

    def _migrate(self, db: sqlite3.Connection) -> None:
        if db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS):
            return
        with _transaction(db):  # one process migrates; the others wait here, then find it done
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise JournalError(f"the journal {self.path} is from a newer companion (schema {version}); "
                                   "upgrade companion")
            for migration in MIGRATIONS[version:]:
                for statement in migration.split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    # -- what went wrong, in one line --------------------------------------------
    def _problem(self, error: sqlite3.Error) -> JournalError:
        code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
        text = str(error)
        if code in _DAMAGED or "malformed" in text or "not a database" in text:
            return Damaged(self._damaged(text))
        if code in _BUSY:
            text += f" (another process kept it busy for {TIMEOUT_S:g} s; try again)"
        return JournalError(f"cannot {'write' if self.write else 'read'} the journal {self.path}: {text}")

    def _damaged(self, detail: str) -> str:
        detail = " ".join(detail.replace("*** in database main ***", "").split())[:120]
        said = f"the journal {self.path} is damaged ({detail}) and is left as it is; "
        aside = "move it, with any -wal and -shm file beside it, to another folder"
        backup = latest_backup(self.path)
        if backup is None:
            return said + f"there is no backup of it: {aside}, and companion starts a new journal"
        return said + f"to restore the backup of {backup.stem.removeprefix('journal-')}: {aside}, then " \
                      f"cp {backup} {self.path}"

    def _rows(self, sql: str, parameters: tuple = ()) -> list[sqlite3.Row]:
        if self.db is None:
            return []
        try:
            return self.db.execute(sql, parameters).fetchall()
        except sqlite3.Error as e:
            raise self._problem(e) from None

    def _written(self, sql: str, parameters: tuple) -> sqlite3.Cursor:
        if self.db is None or not self.write:
            raise JournalError(f"the journal {self.path} is open only to read")
        try:
            with _transaction(self.db):
                return self.db.execute(sql, parameters)
        except sqlite3.Error as e:
            raise self._problem(e) from None

    # -- sessions ----------------------------------------------------------------
    @property
    def version(self) -> int:
        rows = self._rows("PRAGMA user_version")
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
        return [_as_dict(row) for row in self._rows("SELECT * FROM sessions WHERE mode = ? ORDER BY id", (mode,))]

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
        return [_as_dict(row) for row in self._rows(sql, tuple(parameters))]

    def all_sessions(self) -> list[dict]:
        """Every session, oldest first, every column (what export writes)."""
        return [_as_dict(row) for row in self._rows("SELECT * FROM sessions ORDER BY id")]

    def import_sessions(self, sessions: list[dict]) -> tuple[int, int]:
        """Add sessions (checked by check_session) whose uid is not here yet, all in one transaction;
        each keeps its id when that id is free. Returns (added, already here)."""
        if self.db is None or not self.write:
            raise JournalError(f"the journal {self.path} is open only to read")
        added = present = 0
        try:
            with _transaction(self.db):
                uids = {row[0] for row in self.db.execute("SELECT uid FROM sessions")}
                ids = {row[0] for row in self.db.execute("SELECT id FROM sessions")}
                for session in sessions:
                    if session["uid"] in uids:
                        present += 1
                        continue
                    values = dict(session)
                    if values.get("id") in ids:
                        values["id"] = None  # taken here: SQLite gives it the next one
                    columns = [c for c in COLUMNS if c in values]
                    cursor = self.db.execute(f"INSERT INTO sessions ({', '.join(columns)}) VALUES "
                                             f"({', '.join('?' * len(columns))})", [values[c] for c in columns])
                    uids.add(session["uid"])
                    ids.add(cursor.lastrowid)
                    added += 1
        except sqlite3.Error as e:
            raise self._problem(e) from None
        return added, present

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
            with _transaction(self.db):
                gone = [tuple(row) for row in self.db.execute(
                    f"SELECT id, uid, started_at FROM sessions WHERE {where}", parameters)]
                self.db.execute(f"DELETE FROM sessions WHERE {where}", parameters)
            if gone:
                self.db.execute("VACUUM")
                self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error as e:
            raise self._problem(e) from None
        return gone

    # -- figures, summed by SQLite (10,000 sessions in milliseconds) --------------------
    def practice_figures(self, day_ends_min: int = 0, since: str = "9999") -> dict:
        """Daily practice summed by SQLite in one pass over its sessions: by day (the day ending
        `day_ends_min` minutes after midnight), then from those days by week (from Monday) and in all;
        by sequence; the pause and together sessions counted. `since`: the first day of the calendar."""
        if self.db is None:
            return {"done_days": [], "minutes": [], "weeks": [], "totals": None, "by_sequence": [], "pause": None,
                    "together": None, "partners": []}
        ends = f"{int(day_ends_min) // 60:02}:{int(day_ends_min) % 60:02}"
        # the local date as written; before the day's end, the day before (date() only for those few)
        day = f"CASE WHEN substr(started_at, 12, 5) >= '{ends}' THEN substr(started_at, 1, 10)" \
              " ELSE date(substr(started_at, 1, 10), '-1 day') END"
        counts = f"(end_reason != 'running' AND CASE WHEN planned_s > 0 THEN played_s >= {HEARD} * planned_s" \
                 " ELSE completed END)"
        drop = "distress_before - distress_after"  # NULL unless rated both times
        week = "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')"
        sums = "sum(n), sum(counted), sum(errored), sum(before), sum(n_before), sum(after), sum(n_after), " \
               "sum(drops), sum(n_drops)"
        try:  # a temporary table (in memory, even on a read-only journal) holds the days for the sums over them
            self.db.execute("DROP TABLE IF EXISTS temp.days")
            self.db.execute(
                f"CREATE TEMP TABLE days AS SELECT {day} AS day, sum(played_s) / 60.0 AS minutes, count(*) AS n,"
                f" sum({counts}) AS counted, sum(end_reason = 'error') AS errored, sum(distress_before) AS before,"
                " count(distress_before) AS n_before, sum(distress_after) AS after, count(distress_after) AS n_after,"
                f" sum({drop}) AS drops, count({drop}) AS n_drops FROM sessions WHERE mode = 'daily' GROUP BY day")
        except sqlite3.Error as e:
            raise self._problem(e) from None
        figures = {
            "done_days": [row[0] for row in self._rows("SELECT day FROM temp.days WHERE counted > 0 ORDER BY day")],
            "minutes": self._rows("SELECT day, minutes FROM temp.days WHERE day >= ?", (since,)),
            "weeks": self._rows(f"SELECT {week} AS week, {sums} FROM temp.days GROUP BY week ORDER BY week"),
            "totals": self._rows(f"SELECT sum(minutes), {sums} FROM temp.days")[0],
            "by_sequence": self._rows(
                f"SELECT sequence, count(*), sum({counts}), count({drop}), avg({drop}) FROM sessions"
                " WHERE mode = 'daily' GROUP BY sequence ORDER BY sequence"),
            "pause": self._rows("SELECT count(*), coalesce(sum(returned), 0), count(pulse_bpm), avg(pulse_bpm)"
                                " FROM sessions WHERE mode = 'pause'")[0],
            "together": self._rows("SELECT count(*) FROM sessions WHERE mode IN ('pair', 'together')")[0],
            "partners": [row[0] for row in self._rows(
                "SELECT partners FROM sessions WHERE mode = 'together' AND partners IS NOT NULL ORDER BY id")],
        }
        self._rows("DROP TABLE temp.days")
        return figures

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    # -- the daily backup ----------------------------------------------------------
    def back_up(self, today: date | None = None) -> Path | None:
        """Today's copy of the journal (SQLite's backup API, a consistent snapshot) in backups/ beside it,
        once a day, keeping the last BACKUPS_KEPT. A backup that cannot be made never stops a session: None."""
        folder = self.path.parent / "backups"
        target = folder / f"journal-{(today or date.today()).isoformat()}.sqlite3"
        if self.db is None or not self.write or os.path.exists(target):
            return None
        temporary = folder / f".{target.name}.{os.getpid()}.tmp"
        try:
            private_dir(folder)
            _create_private(temporary)
            copy = sqlite3.connect(temporary)
            try:
                self.db.backup(copy)
            finally:
                copy.close()
            os.replace(temporary, target)  # whole or not at all, even if two sessions begin at once
        except (OSError, sqlite3.Error):
            try:
                os.unlink(temporary)
            except OSError:
                pass
            return None
        _prune(folder)
        return target


def forget_in_backups(path: Path, gone: list[tuple], everything: bool = False) -> tuple[int, int]:
    """Take forgotten sessions out of every daily backup of the journal at `path` (by uid, or by id and
    start for a backup older than uids), compacting each; a backup that cannot be rewritten, and every
    backup when `everything` is forgotten, is deleted. Returns (rewritten, deleted)."""
    rewritten = deleted = 0
    try:
        backups = sorted((Path(path).parent / "backups").glob("journal-????-??-??.sqlite3"))
    except OSError:
        return 0, 0
    for backup in backups:
        if not everything:
            try:
                if _forget_in(backup, gone):
                    rewritten += 1
                continue
            except sqlite3.Error:
                pass  # damaged or unreadable: deleted below rather than left holding them
        for leftover in (backup, Path(f"{backup}-wal"), Path(f"{backup}-shm"), Path(f"{backup}-journal")):
            try:
                os.unlink(leftover)
                deleted += leftover == backup
            except FileNotFoundError:
                pass
    return rewritten, deleted


def _forget_in(backup: Path, gone: list[tuple]) -> bool:
    db = sqlite3.connect(backup, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=DELETE").fetchone()  # no -wal left beside it
        has_uid = any(row[1] == "uid" for row in db.execute("PRAGMA table_info(sessions)"))
        with _transaction(db):
            before = db.total_changes
            for session_id, uid, started_at in gone:
                if has_uid:
                    db.execute("DELETE FROM sessions WHERE uid = ?", (uid,))
                db.execute("DELETE FROM sessions WHERE id = ? AND started_at = ?", (session_id, started_at))
            changed = db.total_changes > before
        if changed:
            db.execute("VACUUM")
        return changed
    finally:
        db.close()


def check_session(raw: dict, *, text: bool = False) -> dict:
    """One session read from an export, as a row to insert; a ValueError saying what is wrong.
    `text`: every value is a string (CSV), with "" for none."""
    if not isinstance(raw, dict):
        raise ValueError("is not an object of named values")
    unknown = sorted(set(raw) - set(COLUMNS))
    if unknown:
        raise ValueError(f"has an unknown field {unknown[0]!r}; expected the fields of `companion log --json`")
    row = {}
    for column in COLUMNS:
        kind, required = _KINDS[column]
        value = raw.get(column)
        if text and isinstance(value, str):
            value = _from_text(value, kind)
        if value is None:
            if required:
                raise ValueError(f"lacks {column}")
            row[column] = None
            continue
        row[column] = _checked(column, value, kind)
    return row


_KINDS = {"id": ("id", False), "uid": ("uid", True), "sequence": ("name", True), "title": ("str", True),
          "mode": ("name", True), "output": ("name", True), "started_at": ("time", True), "ended_at": ("time", False),
          "planned_s": ("seconds", True), "played_s": ("seconds", True), "position_s": ("seconds", True),
          "completed": ("bool", True), "end_reason": ("reason", True), "side": ("name", False),
          "pulse_bpm": ("bpm", False), "break_minutes": ("seconds", False), "returned": ("bool", False),
          "stage": ("name", False), "wait_s": ("seconds", False), "distress_before": ("rating", False),
          "distress_after": ("rating", False), "partners": ("partners", False), "flooded": ("count", False)}


def partners_text(partners: list[dict]) -> str:
    """The `partners` column as stored: JSON text."""
    return json.dumps([{"name": p["name"], "distress_before": p.get("distress_before"),
                        "distress_after": p.get("distress_after")} for p in partners], ensure_ascii=False)


def _partners(value):
    """The stored JSON text as a list; text that is not such a list (a hand-edited row) as None."""
    if value is None or isinstance(value, list):
        return value
    try:
        found = json.loads(value)
    except (TypeError, ValueError):
        return None
    return found if isinstance(found, list) else None


def _from_text(value: str, kind: str):
    if value == "":
        return None
    if kind in ("id", "bpm", "rating", "seconds", "count"):
        try:
            return float(value) if kind == "seconds" else int(value)
        except ValueError:
            return value  # said by _checked
    if kind == "bool":
        return {"true": True, "false": False, "1": True, "0": False}.get(value.lower(), value)
    return value


def _checked(column: str, value, kind: str):
    def wrong(expected: str) -> ValueError:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
        return ValueError(f"{column} = {shown}; expected {expected}")

    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "partners":
        found = _partners(value) if isinstance(value, str) else value
        ok = isinstance(found, list) and len(found) == 2 and all(
            isinstance(p, dict) and isinstance(p.get("name"), str) and 0 < len(p["name"]) <= 30
            and all(p.get(k) is None or (isinstance(p[k], int) and not isinstance(p[k], bool) and 0 <= p[k] <= 10)
                    for k in ("distress_before", "distress_after")) for p in found)
        if not ok:
            raise wrong("a list of two partners, each {name, distress_before, distress_after} with ratings 0-10")
        return partners_text(found)
    if kind == "count":
        if not number or not 0 <= value <= 10 ** 6 or value != int(value):
            raise wrong("a whole number from 0")
        return int(value)
    if kind in ("id", "bpm", "rating"):
        limits = {"id": (1, 2 ** 63 - 1), "bpm": (1, 400), "rating": (0, 10)}[kind]
        if not number or not limits[0] <= value <= limits[1] or value != int(value):  # NaN and inf fail first
            raise wrong("a positive whole number" if kind == "id" else f"a whole number from {limits[0]} to {limits[1]}")
        return int(value)
    if kind == "seconds":
        if not number or not 0 <= value < 1e9:
            raise wrong("a number of seconds, 0 or more")
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if not isinstance(value, str) or not value.isprintable() or not value.strip():
        raise wrong("some text")
    if kind == "uid":
        import uuid

        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise wrong("a UUID such as 1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b") from None
    if kind == "time":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise wrong("a time such as 2026-11-25T21:20:04+01:00") from None
    if kind == "reason" and value not in (*END_REASONS, "running"):
        raise wrong(", ".join((*END_REASONS, "running")))
    return value


def latest_backup(path: Path) -> Path | None:
    """The newest daily backup of the journal at `path`, if any."""
    try:
        found = sorted((Path(path).parent / "backups").glob("journal-????-??-??.sqlite3"))
    except OSError:
        return None
    return found[-1] if found else None


def _prune(folder: Path) -> None:
    """Keep the newest BACKUPS_KEPT backups; sweep what a killed backup left an hour ago or more."""
    old = sorted(folder.glob("journal-????-??-??.sqlite3"))[:-BACKUPS_KEPT]
    stale = [p for p in folder.glob(".journal-*") if _age_s(p) > 3600]
    for path in old + stale:
        try:
            os.unlink(path)
        except OSError:
            pass


def _age_s(path: Path) -> float:
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return 0.0


def _create_private(path: Path) -> None:
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


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Read-only (mode=ro). In a folder that cannot be written, where SQLite cannot make the WAL's shared
    memory file, a journal with no -wal file to replay is opened as immutable instead."""
    uri = Path(path).absolute().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=TIMEOUT_S, isolation_level=None)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.Error as e:
        db.close()
        code = (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF
        wal = f"{path}-wal"
        if code not in (8, 14) or (os.path.exists(wal) and os.path.getsize(wal) > 0):  # READONLY, CANTOPEN
            raise
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=TIMEOUT_S, isolation_level=None)


def _wal(db: sqlite3.Connection) -> None:
    """WAL mode. Switching needs a moment alone with the file (SQLite answers "database is locked" at
    once, not after the busy timeout), so wait for another process's turn."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL").fetchone()
            return
        except sqlite3.OperationalError as e:
            if (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF not in _BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _as_dict(row: sqlite3.Row) -> dict:
    entry = dict.fromkeys(COLUMNS) | dict(row)  # every column, in the schema's order
    entry["completed"] = bool(entry["completed"])
    entry["partners"] = _partners(entry.get("partners"))
    if entry.get("returned") is not None:
        entry["returned"] = bool(entry["returned"])
    return entry


class _transaction:
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
