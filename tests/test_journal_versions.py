"""A journal written by every earlier schema version opens and migrates without loss.

The files in tests/data are committed (made once by tests/data/make_journals.py), so they cannot drift
with MIGRATIONS: they are what an older companion really left behind.
"""

import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from companion.journal.schema import COLUMNS, MIGRATIONS
from companion.journal.store import Journal

DATA = Path(__file__).parent / "data"


def test_there_is_a_file_of_every_earlier_version():
    assert [p.name for p in sorted(DATA.glob("journal-v*.sqlite3"))] == \
        [f"journal-v{v}.sqlite3" for v in range(1, len(MIGRATIONS))]


def old_rows(path):
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM sessions ORDER BY id")]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    return version, rows


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
def test_each_earlier_version_migrates_keeping_every_value(tmp_path, version):
    path = tmp_path / "journal.sqlite3"
    shutil.copy(DATA / f"journal-v{version}.sqlite3", path)
    found_version, before = old_rows(path)
    assert found_version == version and before

    reader = Journal(path, write=False)  # read as it is: a migrated copy in memory, the file untouched
    read = list(reversed(reader.recent(None)))
    reader.close()
    assert old_rows(path) == (version, before)

    journal = Journal(path)
    after = list(reversed(journal.recent(None)))
    assert journal.version == len(MIGRATIONS)
    journal.close()
    assert len(after) == len(before) == len(read)
    for old, new, seen in zip(before, after, read):
        assert list(new) == list(COLUMNS)
        for column, value in old.items():
            expected = bool(value) if column in ("completed", "returned") and value is not None else value
            assert new[column] == expected == seen[column], column
        for column in set(COLUMNS) - set(old) - {"uid"}:
            assert new[column] is None
        assert uuid.UUID(new["uid"]).version == 4
    assert len({row["uid"] for row in after}) == len(after)
    assert old_rows(path)[0] == len(MIGRATIONS)
