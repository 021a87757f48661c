"""Sessions carried in and out: each row of an export checked by one model (ExportRow, whose JSON
Schema `companion export --schema` prints) before any is imported, then all imported in one
transaction, merged on `uid`."""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .connection import transaction
from .errors import JournalError
from .schema import COLUMNS, END_REASONS, parse_partners, partners_text

SHOWN_CHARS = 40  # of a value echoed in an error line


def _text(value: str) -> str:
    if not value.isprintable() or not value.strip():
        raise ValueError("not printable text")
    return value


def _uid(value: str) -> str:
    return str(uuid.UUID(value))  # ValueError: not a UUID; the one spelling SQLite's UNIQUE compares


def _time(value: str) -> str:
    datetime.fromisoformat(value)  # ValueError: not a time
    return value


def _partners_from_text(value):
    """A CSV cell (or a stored row) holds the partners as JSON text; anything else is left to be refused."""
    if isinstance(value, str):
        found = parse_partners(value)
        return value if found is None else found
    return value


Text = Annotated[str, AfterValidator(_text)]
Seconds = Annotated[float, Field(ge=0, lt=1e9, allow_inf_nan=False)]
Rating = Annotated[int, Field(ge=0, le=10)]
SECONDS, RATING, TEXT, TIME = "a number of seconds, 0 or more", "a whole number from 0 to 10", "some text", \
    "a time such as 2026-11-25T21:20:04+01:00"
ISO_TIME = {"format": "date-time"}  # in the schema; Python's fromisoformat is what checks it


class Partner(BaseModel):
    """One partner in a together session: the name typed, and their distress before and after (0-10)."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=30)
    distress_before: Rating | None = Field(None, description=RATING)
    distress_after: Rating | None = Field(None, description=RATING)


class ExportRow(BaseModel):
    """One session as `companion log --json` and `companion export` give it, and `companion import` takes it.

    JSON keeps each value's type; in CSV every value is text ("" for none, true/false for yes and no,
    the partners as JSON). The description of each field is what an error line says was expected."""

    model_config = ConfigDict(extra="forbid", title="companion session")

    id: int | None = Field(None, ge=1, le=2 ** 63 - 1, description="a positive whole number")
    uid: Annotated[str, AfterValidator(_uid)] = Field(
        description="a UUID such as 1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b", json_schema_extra={"format": "uuid"})
    sequence: Text = Field(description=TEXT)
    title: Text = Field(description=TEXT)
    mode: Text = Field(description=TEXT)
    output: Text = Field(description=TEXT)
    started_at: Annotated[str, AfterValidator(_time)] = Field(description=TIME, json_schema_extra=ISO_TIME)
    ended_at: Annotated[str, AfterValidator(_time)] | None = Field(None, description=TIME, json_schema_extra=ISO_TIME)
    planned_s: Seconds = Field(description=SECONDS)
    played_s: Seconds = Field(description=SECONDS)
    position_s: Seconds = Field(description=SECONDS)
    completed: bool = Field(description="true or false")
    end_reason: Literal[END_REASONS + ("running",)] = Field(description=", ".join((*END_REASONS, "running")))
    side: Text | None = Field(None, description=TEXT)
    pulse_bpm: int | None = Field(None, ge=1, le=400, description="a whole number from 1 to 400")
    break_minutes: Seconds | None = Field(None, description=SECONDS)
    returned: bool | None = Field(None, description="true or false")
    stage: Text | None = Field(None, description=TEXT)
    wait_s: Seconds | None = Field(None, description=SECONDS)
    distress_before: Rating | None = Field(None, description=RATING)
    distress_after: Rating | None = Field(None, description=RATING)
    partners: Annotated[list[Partner], BeforeValidator(_partners_from_text)] | None = Field(
        None, min_length=2, max_length=2,
        description="a list of two partners, each {name, distress_before, distress_after} with ratings 0-10")
    flooded: int | None = Field(None, ge=0, le=10 ** 6, description="a whole number from 0")
    promise: Literal["sent", "received"] | None = Field(None, description="sent or received")
    promise_delivered_at: Annotated[str, AfterValidator(_time)] | None = Field(None, description=TIME,
                                                                               json_schema_extra=ISO_TIME)
    bells_together: bool | None = Field(None, description="true or false")


assert tuple(ExportRow.model_fields) == COLUMNS  # the model is the journal's columns, in their order


def schema() -> dict:
    """The JSON Schema of an export file: a list of rows."""
    from pydantic import TypeAdapter

    return TypeAdapter(list[ExportRow]).json_schema() | {"title": "companion export",
                                                          "description": ExportRow.__doc__.split("\n")[0]}


def check_session(raw: dict, *, text: bool = False) -> dict:
    """One session read from an export, as a row to insert; a ValueError saying in one line what is wrong.
    `text`: every value is a string (CSV), with "" for none."""
    if not isinstance(raw, dict):
        raise ValueError("is not an object of named values")
    given = {k: v for k, v in raw.items() if v is not None and not (text and v == "")}  # none: left out
    try:
        row = ExportRow.model_validate(given, strict=not text)  # CSV: "7" is 7, "true" is true
    except ValidationError as e:
        raise ValueError(_said(e, given, text)) from None
    found = row.model_dump()
    if row.partners is not None:
        found["partners"] = partners_text(found["partners"])  # stored as JSON text
    return found


def _said(error: ValidationError, given: dict, text: bool) -> str:
    """The first problem, in file order (an unknown field first), as the end of one line."""
    order = {name: i for i, name in enumerate(COLUMNS)}
    problems = sorted(error.errors(), key=lambda p: (p["type"] != "extra_forbidden", order.get(p["loc"][0], -1)))
    problem = problems[0]
    field = str(problem["loc"][0])
    if problem["type"] == "extra_forbidden":
        return f"has an unknown field {_shown(field, False)}; expected the fields of `companion log --json`"
    if problem["type"] == "missing":
        return f"lacks {field}"
    return f"{field} = {_shown(given[field], text)}; expected {ExportRow.model_fields[field].description}"


def _shown(value, text: bool) -> str:
    """A value as an error line echoes it: repr (quoted, escaped), bounded; a CSV's number as typed."""
    number = r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(nan|inf)"
    shown = value if text and isinstance(value, str) and re.fullmatch(number, value, re.IGNORECASE) else repr(value)
    return shown if len(shown) <= SHOWN_CHARS else shown[:SHOWN_CHARS - 1] + "…"


def read_export(file: Path) -> list[dict]:
    """Every session in an export file (CSV if its name ends in .csv or its text does not begin as
    JSON), each checked by ExportRow, as rows to insert; ValueError, one line naming the file and the
    row (its line in CSV, its place in JSON, and its id), if the file or any row is wrong."""
    import csv
    import json

    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ValueError(f"cannot read {file}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{file} is not text: an export is UTF-8 JSON or CSV, as `companion export` "
                         "writes") from None
    try:
        if is_csv(file) or not text.lstrip().startswith(("[", "{")):
            reader = csv.DictReader(text.splitlines())
            lacking = [name for name, field in ExportRow.model_fields.items()
                       if field.is_required() and name not in (reader.fieldnames or ())]
            if lacking:  # any line of text is a CSV header: one that names none of ours is not an export
                raise ValueError(f"not an export of companion's: its first line lacks the columns "
                                 f"{', '.join(lacking[:3])}{', …' if len(lacking) > 3 else ''}")
            rows, first_line = list(reader), 2
            if rows and None in rows[0]:
                raise ValueError("a row has more values than the header has names")
        else:
            rows, first_line = json.loads(text), None
            if not isinstance(rows, list):
                raise ValueError("expected a JSON array of sessions, as `companion export` writes")
    except (ValueError, csv.Error) as e:
        raise ValueError(f"{file}: {str(e).splitlines()[0][:200]}") from None
    except RecursionError:  # arrays nested thousands deep: no export holds more than two levels
        raise ValueError(f"{file}: values nested too deeply for an export") from None
    sessions = []
    for n, raw in enumerate(rows, 1):
        try:
            if isinstance(raw, dict) and None in raw:
                raise ValueError("has more values than the header has names")
            sessions.append(check_session(raw, text=first_line is not None))
        except ValueError as e:
            where = f"line {first_line + n - 1}" if first_line else f"session {n}"
            ident = f" (id {raw.get('id')})" if isinstance(raw, dict) and raw.get("id") not in (None, "") else ""
            raise ValueError(f"{file}: {where}{ident} {e}") from None
    return sessions


def write_export(f, sessions: list[dict], as_csv: bool) -> None:
    """Sessions (as the journal gives them) into the open text file `f`: JSON, or CSV (what read_export reads)."""
    import json

    if as_csv:
        import csv

        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for s in sessions:
            writer.writerow({k: ("" if v is None else str(v).lower() if isinstance(v, bool)
                                 else json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v)
                             for k, v in s.items()})  # a together's partners: JSON, as stored
    else:
        json.dump(sessions, f, indent=1, ensure_ascii=False)
        f.write("\n")


def is_csv(file: Path) -> bool:
    return file.suffix.lower() == ".csv"


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
