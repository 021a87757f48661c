"""Makes tests/data/journal-vN.sqlite3: a journal as each earlier schema version left it.

Run once per new schema version (python tests/data/make_journals.py) and commit the files: they are
built from a prefix of MIGRATIONS as it stood, with rows filling every column that version had, so a
test can open each and check that migrating it loses nothing. Existing files are never rewritten.
"""

import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from companion.journal.schema import MIGRATIONS  # noqa: E402

# The rows, by the version that added their columns.
BASE = [("stay", "Staying when your body says leave", "play", "device", "2026-09-01T21:20:04+02:00",
         "2026-09-01T21:26:01+02:00", 355.2, 355.2, 355.2, 1, "completed"),
        ("sit", "Sitting with despair", "play", "captions", "2026-09-02T00:30:00+02:00", None, 390.0, 12.5, 12.5, 0,
         "interrupted")]
PAUSE = [("pause", "A guided pause", "pause", "device", "2026-09-03T22:00:00+02:00", "2026-09-03T22:25:31+02:00",
          1531.0, 1531.0, 1531.0, 1, "completed", "leaving", 112, 20.0, 1, "done")]
DAILY = [("daily-both-scan", "Scan", "daily", "device", "2026-09-04T08:02:00+02:00", "2026-09-04T08:04:41+02:00",
          161.0, 161.0, 161.0, 1, "completed", None, None, None, None, None, 6, 4, None)]
COMMON = "sequence, title, mode, output, started_at, ended_at, planned_s, played_s, position_s, completed, end_reason"


def make(version: int) -> Path:
    path = HERE / f"journal-v{version}.sqlite3"
    if path.exists():
        return path
    db = sqlite3.connect(path)
    for statement in ";".join(MIGRATIONS[:version]).split(";"):
        if statement.strip():
            db.execute(statement)
    rows = [(COMMON, row) for row in BASE]
    if version >= 2:
        rows += [(COMMON + ", side, pulse_bpm, break_minutes, returned, stage", row) for row in PAUSE]
    if version >= 3:
        rows += [(COMMON + ", side, pulse_bpm, break_minutes, returned, stage, distress_before, distress_after,"
                  " wait_s", row) for row in DAILY]
    if version >= 4:  # from 4 on every row has its uid
        rows = [(columns + ", uid", row + (f"00000000-0000-4000-8000-{n:012}",)) for n, (columns, row) in enumerate(rows)]
    for columns, row in rows:
        db.execute(f"INSERT INTO sessions ({columns}) VALUES ({', '.join('?' * len(row))})", row)
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()
    return path


if __name__ == "__main__":
    for v in range(1, len(MIGRATIONS)):
        print(make(v))
