"""The journal: private, WAL, versioned, one transaction a write; damage found and never written to."""

import os
import sqlite3
import stat
from datetime import date, datetime

import pytest

from companion import journal as journal_module
from companion.journal.backups import latest_backup
from companion.journal.errors import Damaged, JournalError
from companion.journal.schema import MIGRATIONS
from companion.journal.store import Journal, Unrecorded, open_or_warn


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
    assert journal.version == len(MIGRATIONS) == 6
    assert (old["side"], old["distress_before"], old["distress_after"]) == ("leaving", None, None)
    assert len(old["uid"]) == 36 and old["uid"][14] == "4"  # given a UUID4 by the migration


def test_ratings_added_after_a_session_and_sessions_of_one_mode(journal):
    daily = journal.start("daily-both-scan", "Scan", "daily", "device")
    journal.start("stay", "Staying", "play", "device")
    journal.finish(daily, reason="completed", planned_s=160, played_s=160, position_s=160, distress_before=7)
    journal.add(daily, distress_after=4)
    (entry,) = journal.of_mode("daily")
    assert (entry["sequence"], entry["distress_before"], entry["distress_after"]) == ("daily-both-scan", 7, 4)


def sessions(path, count, mode="daily"):
    """A journal at `path` with `count` finished sessions (several pages of them for 300)."""
    journal = Journal(path)
    for i in range(count):
        row = journal.start(f"s{i}", "A title long enough to fill pages sooner", mode, "captions")
        journal.finish(row, reason="completed", planned_s=i, played_s=i, position_s=i, distress_before=i % 11)
    return journal


def zero_a_middle_page(path):
    """Zero the sessions' page nearest the middle of the file (a table leaf: its first byte is 13)."""
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    leaves = [n for n in range(1, pages) if data[n * 4096] == 13]
    assert pages >= 8 and leaves, pages
    middle = min(leaves, key=lambda n: abs(n - pages // 2))
    data[middle * 4096:(middle + 1) * 4096] = bytes(4096)
    path.write_bytes(bytes(data))


def test_reading_a_journal_not_made_yet_makes_nothing(tmp_path):
    journal = Journal(tmp_path / "data" / "journal.sqlite3", write=False)
    assert journal.recent() == [] and journal.of_mode("daily") == []
    assert not (tmp_path / "data").exists()


def test_reading_changes_no_mode_and_no_byte(tmp_path):
    folder = tmp_path / "data"
    sessions(folder / "journal.sqlite3", 3).close()
    os.chmod(folder, 0o755)  # the user's own choice
    before = (folder / "journal.sqlite3").read_bytes()
    assert [e["sequence"] for e in Journal(folder / "journal.sqlite3", write=False).recent()] == ["s2", "s1", "s0"]
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o755
    assert (folder / "journal.sqlite3").read_bytes() == before


def test_an_older_journal_reads_as_it_is_without_a_migration(tmp_path):
    path = tmp_path / "j.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO sessions (sequence, title, mode, output, started_at) "
               "VALUES ('stay', 'Staying', 'play', 'device', '2026-11-20T21:00:00+01:00')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    before = path.read_bytes()
    (entry,) = Journal(path, write=False).recent()
    assert entry["sequence"] == "stay" and entry["side"] is None and entry["distress_after"] is None
    assert path.read_bytes() == before


def test_a_damaged_page_is_found_before_any_write_and_the_file_left_as_it_is(tmp_path):
    path = tmp_path / "j.sqlite3"
    sessions(path, 300).close()
    zero_a_middle_page(path)
    before = path.read_bytes()
    for write in (True, False):
        with pytest.raises(Damaged, match=f"the journal {path} is damaged .* there is no backup of it"):
            Journal(path, write=write)
    assert path.read_bytes() == before


def test_damage_found_only_at_query_time_is_a_journal_error_too(tmp_path, monkeypatch):
    path = tmp_path / "j.sqlite3"
    sessions(path, 300).close()
    zero_a_middle_page(path)
    monkeypatch.setattr(journal_module.store, "CHECK_LIMIT_BYTES", 0)  # as for a journal too big to check
    journal = Journal(path, write=False)
    with pytest.raises(Damaged, match="is damaged"):
        journal.recent(1000)
    with pytest.raises(Damaged, match="is damaged"):
        journal.of_mode("daily")


def test_a_garbage_header_is_damaged_and_names_the_latest_backup_and_how_to_restore_it(tmp_path):
    path = tmp_path / "j.sqlite3"
    journal = sessions(path, 5)
    assert journal.back_up(date(2026, 11, 28)) and journal.back_up(date(2026, 11, 29))
    journal.close()
    path.write_bytes(b"not a journal at all, " * 200)
    with pytest.raises(Damaged) as caught:
        Journal(path, write=False)
    message = str(caught.value)
    backup = tmp_path / "backups" / "journal-2026-11-29.sqlite3"
    assert "\n" not in message and message.endswith(f"cp {backup} {path}") and "-wal and -shm" in message
    os.replace(backup, path)  # the restore the line asks for
    assert len(Journal(path).recent()) == 5


def test_a_backup_a_day_private_and_the_last_seven_kept(tmp_path):
    journal = sessions(tmp_path / "data" / "j.sqlite3", 4)
    folder = tmp_path / "data" / "backups"
    first = journal.back_up(date(2026, 11, 1))
    assert journal.back_up(date(2026, 11, 1)) is None  # once a day
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700 and stat.S_IMODE(os.stat(first).st_mode) == 0o600
    copy = sqlite3.connect(first)
    assert copy.execute("SELECT count(*) FROM sessions").fetchone()[0] == 4
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    for day in range(2, 11):
        journal.back_up(date(2026, 11, day))
    assert sorted(p.name for p in folder.iterdir()) == [f"journal-2026-11-{d:02}.sqlite3" for d in range(4, 11)]
    assert latest_backup(journal.path) == folder / "journal-2026-11-10.sqlite3"


def test_a_session_opening_takes_the_days_backup(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    journal = open_or_warn(pytest.fail)
    assert isinstance(journal, Journal)
    assert latest_backup(journal.path) == tmp_path / "companion" / "backups" / f"journal-{date.today()}.sqlite3"


def test_a_folder_at_the_journals_path_is_left_as_it_is(tmp_path):
    path = tmp_path / "journal.sqlite3"
    path.mkdir(mode=0o755)
    os.chmod(path, 0o755)
    for write in (True, False):
        with pytest.raises(JournalError, match=f"the journal {path} is a folder, not a file; move it elsewhere"):
            Journal(path, write=write)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o755


def test_a_journal_made_read_only_is_read_but_never_made_writable(tmp_path):
    path = tmp_path / "j.sqlite3"
    sessions(path, 2).close()
    os.chmod(path, 0o400)
    with pytest.raises(JournalError, match=r"is read-only \(mode 0400\); .* chmod 600"):
        Journal(path)
    assert len(Journal(path, write=False).recent()) == 2
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o400


def test_a_folder_made_read_only_is_read_but_never_made_writable(tmp_path):
    folder = tmp_path / "data"
    sessions(folder / "j.sqlite3", 2).close()
    os.chmod(folder, 0o500)
    try:
        with pytest.raises(JournalError, match=r"folder .* is read-only \(mode 0500\); .* chmod 700"):
            Journal(folder / "j.sqlite3")
        assert len(Journal(folder / "j.sqlite3", write=False).recent()) == 2
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o500
    finally:
        os.chmod(folder, 0o700)


def test_others_lose_their_access_and_new_folders_are_private_whatever_the_umask(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    Journal(shared / "j.sqlite3").close()
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o700
    old = os.umask(0o000)
    try:
        journal = Journal(tmp_path / "new" / "deeper" / "j.sqlite3")
        journal.back_up()
    finally:
        os.umask(old)
    for made in ("new", "new/deeper", "new/deeper/backups"):
        assert stat.S_IMODE(os.stat(tmp_path / made).st_mode) == 0o700, made
    assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "new/deeper/backups").iterdir()} == {0o600}


def test_a_journal_that_cannot_be_opened_gives_a_session_an_unrecorded_journal_said_once(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    (tmp_path / "companion").write_text("")  # a file where the journal's folder goes
    said = []
    journal = open_or_warn(said.append)
    assert isinstance(journal, Unrecorded) and journal.recent() == []
    (line,) = said
    assert line.startswith("companion: this session will not be recorded: cannot open the journal ")
    with pytest.raises(JournalError) as caught:
        journal.start("stay", "Staying", "play", "captions")
    assert caught.value.said


def test_a_row_sqlite_refuses_on_import_is_one_journal_error_and_nothing_is_added(journal):
    journal.start("stay", "Staying", "play", "device")
    (kept,) = journal.all_sessions()
    good = dict(kept, id=None, uid="1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b")
    refused = dict(kept, id=None, uid="2b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b", sequence=None)  # NOT NULL
    with pytest.raises(JournalError, match=f"cannot write the journal {journal.path}: NOT NULL"):
        journal.import_sessions([good, refused])
    assert journal.all_sessions() == [kept]
