"""Sessions carried in and out: each row of an export checked before any is imported, then all
imported in one transaction, merged on `uid`."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from .connection import transaction
from .errors import JournalError
from .schema import COLUMNS, END_REASONS, parse_partners, partners_text


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
        found = parse_partners(value) if isinstance(value, str) else value
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


def import_sessions(journal, sessions: list[dict]) -> tuple[int, int]:
    """Add sessions (checked by check_session) whose uid is not here yet, all in one transaction;
    each keeps its id when that id is free. Returns (added, already here)."""
    if journal.db is None or not journal.write:
        raise JournalError(f"the journal {journal.path} is open only to read")
    added = present = 0
    try:
        with transaction(journal.db):
            uids = {row[0] for row in journal.db.execute("SELECT uid FROM sessions")}
            ids = {row[0] for row in journal.db.execute("SELECT id FROM sessions")}
            for session in sessions:
                if session["uid"] in uids:
                    present += 1
                    continue
                values = dict(session)
                if values.get("id") in ids:
                    values["id"] = None  # taken here: SQLite gives it the next one
                columns = [c for c in COLUMNS if c in values]
                cursor = journal.db.execute(f"INSERT INTO sessions ({', '.join(columns)}) VALUES "
                                            f"({', '.join('?' * len(columns))})", [values[c] for c in columns])
                uids.add(session["uid"])
                ids.add(cursor.lastrowid)
                added += 1
    except sqlite3.Error as e:
        raise journal.problem(e) from None
    return added, present
