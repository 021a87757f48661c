"""`companion doctor`'s journal check only reads: it never makes, migrates, chmods or writes a journal."""

import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from companion.cli.app import cli
from companion.doctor import _journal
from companion.journal.schema import MIGRATIONS
from companion.journal.store import Journal

DATA = Path(__file__).parent / "data"


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def journal_path(home):
    return home / "data" / "companion" / "journal.sqlite3"


def files(folder):
    """Every file under `folder`, its bytes and mode; not SQLite's -wal and -shm, which any reader of a WAL
    journal (log and progress too) may leave beside it, empty of sessions."""
    return {p: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in sorted(Path(folder).rglob("*"))
            if p.is_file() and not p.name.endswith(("-wal", "-shm"))}


def a_journal(home, sessions=3):
    journal = Journal(journal_path(home))
    for _ in range(sessions):
        row = journal.start("stay", "Staying", "play", "captions")
        journal.finish(row, reason="completed", planned_s=10, played_s=10, position_s=10)
    journal.close()


def test_doctor_makes_no_journal_and_no_folder(home):
    result = CliRunner().invoke(cli, ["doctor"])
    line = next(line for line in result.output.splitlines() if line[9:].startswith("journal:"))
    assert line.startswith("ok ") and "no journal yet" in line and str(journal_path(home)) in line, line
    assert not (home / "data").exists()


def test_an_intact_journal_is_counted_and_left_byte_for_byte(home):
    a_journal(home)
    before = files(journal_path(home).parent)
    ok, name, detail = _journal()
    assert (ok, name) == (True, "journal") and f"(schema {len(MIGRATIONS)}, 3 sessions, private)" in detail, detail
    assert files(journal_path(home).parent) == before


def test_one_session_is_one_session(home):
    a_journal(home, sessions=1)
    assert f"(schema {len(MIGRATIONS)}, 1 session, private)" in _journal()[2]


def test_an_older_journal_is_not_migrated_and_doctor_says_the_next_session_will(home):
    path = journal_path(home)
    path.parent.mkdir(parents=True, mode=0o700)
    shutil.copy(DATA / "journal-v2.sqlite3", path)
    os.chmod(path, 0o600)
    before = path.read_bytes()
    ok, _, detail = _journal()
    assert ok and f"schema 2; the next session upgrades it to {len(MIGRATIONS)}" in detail, detail
    assert path.read_bytes() == before


def test_a_journal_others_can_read_is_a_problem_named_with_its_fix_and_left_as_it_is(home):
    a_journal(home)
    path = journal_path(home)
    os.chmod(path, 0o644)
    ok, _, detail = _journal()
    assert not ok and "readable by others (file 644, folder 700)" in detail and f"chmod 600 {path}" in detail
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # said, not changed behind the person's back


def test_a_read_only_journal_is_a_problem_and_stays_read_only(home):
    a_journal(home)
    path = journal_path(home)
    os.chmod(path, 0o400)
    ok, _, detail = _journal()
    assert not ok and "is read-only (mode 0400)" in detail and f"chmod 600 {path}" in detail, detail
    assert stat.S_IMODE(path.stat().st_mode) == 0o400


def test_a_damaged_journal_is_a_problem_and_left_as_it_is(home):
    from tests.test_journal import zero_a_middle_page

    a_journal(home, 300)
    zero_a_middle_page(journal_path(home))
    before = files(journal_path(home).parent)
    ok, _, detail = _journal()
    assert not ok and "is damaged (" in detail and "\n" not in detail, detail
    assert files(journal_path(home).parent) == before
