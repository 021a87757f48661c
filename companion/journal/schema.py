"""The journal's schema: one row per session, grown by appending to MIGRATIONS.

The schema is versioned by PRAGMA user_version, read again and migrated inside
one write transaction, so processes opening a journal at once migrate it once:
the others wait (connection.TIMEOUT_S) and find the work done.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from .connection import transaction
from .errors import JournalError

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
    # 6: a break carried to the partner's device (issue 21): the promise sent or received, when it was
    #    delivered (ISO time), and whether both bells rang together (within 50 ms, as this side could tell)
    """
    ALTER TABLE sessions ADD COLUMN promise TEXT;
    ALTER TABLE sessions ADD COLUMN promise_delivered_at TEXT;
    ALTER TABLE sessions ADD COLUMN bells_together INTEGER;
    """,
]
COLUMNS = ("id", "uid", "sequence", "title", "mode", "output", "started_at", "ended_at", "planned_s", "played_s",
           "position_s", "completed", "end_reason", "side", "pulse_bpm", "break_minutes", "returned", "stage",
           "wait_s", "distress_before", "distress_after", "partners", "flooded", "promise", "promise_delivered_at",
           "bells_together")  # every column, as `log --json` and export give them
EXTRA_COLUMNS = ("side", "pulse_bpm", "break_minutes", "returned", "stage", "wait_s", "distress_before",
                 "distress_after", "partners", "flooded", "promise", "promise_delivered_at", "bells_together")
END_REASONS = ("completed", "stopped", "interrupted", "error")


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the journal at `path`, open as `db`, to the newest schema (a newer one is a JournalError)."""
    if db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS):
        return
    with transaction(db):  # one process migrates; the others wait here, then find it done
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise newer(path, version)
        for migration in MIGRATIONS[version:]:
            for statement in migration.split(";"):
                if statement.strip():
                    db.execute(statement)
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")


def newer(path: Path, version: int) -> JournalError:
    return JournalError(f"the journal {path} is from a newer companion (schema {version}); upgrade companion")


def as_dict(row: sqlite3.Row) -> dict:
    """A session as `log --json` and export give it: every column, in the schema's order."""
    entry = dict.fromkeys(COLUMNS) | dict(row)
    entry["completed"] = bool(entry["completed"])
    entry["partners"] = parse_partners(entry.get("partners"))
    for flag in ("returned", "bells_together"):
        if entry.get(flag) is not None:
            entry[flag] = bool(entry[flag])
    return entry


def partners_text(partners: list[dict]) -> str:
    """The `partners` column as stored: JSON text."""
    return json.dumps([{"name": p["name"], "distress_before": p.get("distress_before"),
                        "distress_after": p.get("distress_after")} for p in partners], ensure_ascii=False)


def parse_partners(value):
    """The stored JSON text as a list; text that is not such a list (a hand-edited row) as None."""
    if value is None or isinstance(value, list):
        return value
    try:
        found = json.loads(value)
    except (TypeError, ValueError):
        return None
    return found if isinstance(found, list) else None
