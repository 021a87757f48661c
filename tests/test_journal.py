"""The journal: private, WAL, versioned, one transaction a write."""

import os
import sqlite3
import stat
from datetime import datetime

import pytest

from companion.journal import MIGRATIONS, Journal, JournalError


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "data" / "journal.sqlite3")
    yield j
    j.close()


def test_private_wal_and_versioned(journal):
    assert stat.S_IMODE(os.stat(journal.path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600
    assert journal.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert journal.version == len(MIGRATIONS)


def test_a_session_from_start_to_finish(journal):
    sid = journal.start("stay", "Staying", "play", "device")
    (running,) = journal.recent()
    assert running["end_reason"] == "running" and running["ended_at"] is None and running["completed"] is False
    journal.finish(sid, reason="completed", planned_s=300.0, played_s=299.5, position_s=300.0)
    (done,) = journal.recent()
    assert done["completed"] is True and done["played_s"] == 299.5 and done["planned_s"] == 300.0
    for key in ("started_at", "ended_at"):
        assert datetime.fromisoformat(done[key]).utcoffset() is not None  # ISO 8601 with an offset


def test_stopped_early_is_not_completed(journal):
    sid = journal.start("stay", "Staying", "play", "device")
    journal.finish(sid, reason="interrupted", planned_s=300.0, played_s=12.0, position_s=12.0)
    (entry,) = journal.recent()
    assert entry["completed"] is False and entry["end_reason"] == "interrupted"


def test_reopening_keeps_every_session(tmp_path):
    path = tmp_path / "j.sqlite3"
    first = Journal(path)
    first.start("a", "A", "play", "device")
    first.close()
    second = Journal(path)
    second.start("b", "B", "play", "device")
    assert [e["sequence"] for e in second.recent()] == ["b", "a"]


def test_a_journal_from_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "j.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(JournalError, match="newer companion"):
        Journal(path)


def test_a_failed_write_changes_nothing(journal):
    journal.start("a", "A", "play", "device")
    with pytest.raises(AssertionError):
        journal.finish(1, reason="exploded", planned_s=1, played_s=1, position_s=1)
    assert journal.recent()[0]["end_reason"] == "running"


def test_an_unwritable_place_is_a_journal_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(JournalError, match="cannot open the journal"):
        Journal(blocker / "journal.sqlite3")


def test_a_journal_of_the_last_release_upgrades_keeping_every_row(tmp_path):
    path = tmp_path / "j.sqlite3"
    db = sqlite3.connect(path)
    for statement in ";".join(MIGRATIONS[:2]).split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute("INSERT INTO sessions (sequence, title, mode, output, started_at, side) "
               "VALUES ('pause', 'A guided pause', 'pause', 'device', '2026-11-20T21:00:00+01:00', 'leaving')")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    journal = Journal(path)
    (old,) = journal.recent()
    assert journal.version == len(MIGRATIONS) == 3
    assert (old["side"], old["distress_before"], old["distress_after"]) == ("leaving", None, None)


def test_ratings_added_after_a_session_and_sessions_of_one_mode(journal):
    daily = journal.start("daily-both-scan", "Scan", "daily", "device")
    journal.start("stay", "Staying", "play", "device")
    journal.finish(daily, reason="completed", planned_s=160, played_s=160, position_s=160, distress_before=7)
    journal.add(daily, distress_after=4)
    (entry,) = journal.of_mode("daily")
    assert (entry["sequence"], entry["distress_before"], entry["distress_after"]) == ("daily-both-scan", 7, 4)
