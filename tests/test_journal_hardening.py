"""The journal under stress, through real processes: several opening it at once, `kill -9` in the
middle of sessions, and damaged or unwritable journals met by every command that reads or writes it.

Nothing here waits a fixed time: each step waits for what a process reports (a line it prints).
"""

import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from companion.journal.schema import MIGRATIONS
from companion.journal.store import Journal
from tests.conftest import ESPEAK_GUIDE

SHORT = '+++\ntitle = "Short"\n+++\nYou are here.\n'

# A process that writes sessions: it says "ready" once imported, waits for the gate file (so that all
# of them open the journal at the same moment), opens the journal as a session does, then writes
# `count` sessions (forever for -1), printing each finished session's id.
WRITER = r"""
import os, sys, time
from pathlib import Path
from companion.journal.store import Journal, open_or_warn


gate, count, name = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
print("ready", flush=True)
while not gate.exists():
    time.sleep(0.001)
journal = open_or_warn(lambda line: print(line, file=sys.stderr, flush=True))
assert isinstance(journal, Journal), journal
i = 0
while i != count:
    row = journal.start(f"{name}-{i}", "A session", "play", "captions", planned_s=i)
    journal.finish(row, reason="completed", planned_s=i, played_s=i / 2, position_s=i, stage=f"{name}/{i}")
    print(row, flush=True)
    i += 1
journal.close()
"""


@pytest.fixture
def home(tmp_path):
    (tmp_path / "config" / "companion").mkdir(parents=True)
    (tmp_path / "config" / "companion" / "config.toml").write_text(ESPEAK_GUIDE)
    return tmp_path


def environment(home):
    return os.environ | {f"XDG_{n}_HOME": str(home / n.lower()) for n in ("CACHE", "DATA", "CONFIG")}


def journal_path(home):
    return home / "data" / "companion" / "journal.sqlite3"


def writers(home, count, sessions):
    """`count` writer processes, each at the gate (it said "ready"), then let through together."""
    gate = home / "gate"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(gate), str(sessions), f"p{n}"],
                              env=environment(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(count)]
    for proc in procs:
        assert proc.stdout.readline() == "ready\n", proc.stderr.read()
    gate.write_text("")
    return procs


def rows(path):
    """Every session in the journal at `path`, by id, once SQLite's integrity_check says ok."""
    if not path.exists():  # killed before it made the journal
        return {}
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    made = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sessions'").fetchone()[0]
    found = {row["id"]: dict(row) for row in db.execute("SELECT * FROM sessions")} if made else {}
    db.close()
    return found


def old_journal(path, version):
    """A journal as an older companion left it: schema `version`, WAL, one finished session."""
    path.parent.mkdir(parents=True, mode=0o700)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(";".join(MIGRATIONS[:version]))
    db.execute("INSERT INTO sessions (sequence, title, mode, output, started_at, ended_at, completed, end_reason) "
               "VALUES ('old', 'Old', 'play', 'device', '2026-11-01T08:00:00+01:00', '2026-11-01T08:05:00+01:00', 1,"
               " 'completed')")
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()


@pytest.mark.parametrize("version, sessions", [(0, 200), (1, 30), (2, 30)])
def test_processes_opening_a_journal_at_once_each_keep_every_session(home, version, sessions):
    path = journal_path(home)
    if version:
        old_journal(path, version)
    procs = writers(home, 5, sessions)
    for n, proc in enumerate(procs):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and err == "", err  # no "already exists", "duplicate column", "locked"
        assert len(out.split()) == sessions
    found = {row["sequence"]: row for row in rows(path).values()}
    assert len(found) == 5 * sessions + bool(version)
    for n in range(5):
        for i in range(sessions):
            row = found[f"p{n}-{i}"]
            assert (row["end_reason"], row["played_s"], row["stage"]) == ("completed", i / 2, f"p{n}/{i}")
    if version:
        assert found["old"]["completed"] == 1
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_kill_9_in_the_middle_of_sessions_never_damages_the_journal_or_an_earlier_session(home):
    path = journal_path(home)
    chance = random.Random(8)
    finished: set[int] = set()
    for round_ in range(10):
        (proc,) = writers(home, 1, -1)
        wanted = 0 if round_ == 0 else chance.randint(1, 40)  # 0: while it makes and migrates the journal
        for _ in range(wanted):  # the kill lands wherever the next session's start or finish has got to
            line = proc.stdout.readline()
            assert line.strip().isdigit(), line + proc.stderr.read()
            finished.add(int(line))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
        (home / "gate").unlink()
        found = rows(path)
        assert finished <= set(found)
        # The writer may have finished more sessions than were read before the kill (their ids still in the
        # pipe): every finished one is whole, and each kill cut at most the one session it landed in short.
        for row in found.values():
            i = int(row["sequence"].split("-")[1])
            if row["id"] in finished or row["end_reason"] != "running":
                assert (row["end_reason"], row["planned_s"], row["played_s"]) == ("completed", i, i / 2), row
        assert sum(row["end_reason"] == "running" for row in found.values()) <= round_ + 1
    result = companion(home, "log", "-n", "1000")
    assert result.returncode == 0 and result.stderr == "" and len(result.stdout.splitlines()) == len(found)


# -- damaged and unwritable journals, met by every command -----------------------------------------

def companion(home, *args, stdin="", read_only=None):
    """Run companion; `read_only`: a folder mounted read-only for that process alone (a read-only file system)."""
    command = [sys.executable, "-m", "companion", *args]
    if read_only is not None:  # a mount namespace of its own: as root, or as a user mapped to root in it
        command = ["unshare", "-m" if os.geteuid() == 0 else "-rm", "sh", "-c",
                   'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', str(read_only), *command]
    return subprocess.run(command, env=environment(home), input=stdin, capture_output=True, text=True, timeout=120)


def a_journal(home, sessions=300):
    """A multi-page journal of daily sessions (so `progress` has weeks to show), with today's backup."""
    journal = Journal(journal_path(home))
    for i in range(sessions):
        row = journal.start("daily-both-scan", "Scan", "daily", "captions")
        journal.finish(row, reason="completed", planned_s=160, played_s=160, position_s=160, distress_before=6,
                       distress_after=4)
    journal.back_up()
    journal.close()


def garbage_header(home):
    a_journal(home)
    path = journal_path(home)
    path.write_bytes(b"this is not a journal " * 5 + path.read_bytes()[110:])


def zeroed_page(home):
    from tests.test_journal import zero_a_middle_page

    a_journal(home)
    zero_a_middle_page(journal_path(home))


def folder_at_the_path(home):
    journal_path(home).parent.mkdir(parents=True, mode=0o700)
    journal_path(home).mkdir(mode=0o755)
    os.chmod(journal_path(home), 0o755)


def read_only_folder(home):
    a_journal(home)
    os.chmod(journal_path(home).parent, 0o500)


def read_only_file_system(home):
    a_journal(home)


def read_only_file(home):
    a_journal(home)
    os.chmod(journal_path(home), 0o400)


DAMAGED = "is damaged ("
# kind: (how to make it, the line that says what is wrong, can log and progress still read it?)
KINDS = {
    "garbage header": (garbage_header, DAMAGED, False),
    "zeroed page": (zeroed_page, DAMAGED, False),
    "a folder at the path": (folder_at_the_path, "is a folder, not a file; move it elsewhere", False),
    "read-only folder": (read_only_folder, "is read-only (mode 0500); to record sessions, make it writable", True),
    "read-only file system": (read_only_file_system, "cannot be written (a read-only file system", True),
    "read-only file": (read_only_file, "is read-only (mode 0400); to record sessions in it again", True),
}
COMMANDS = {
    "log": (["log", "-n", "1000"], ""),
    "progress": (["progress"], ""),
    "daily": (["daily", "--text", "--no-rating"], "q"),  # q: the practice has begun; end it there
    "play": (["play", "--text", "SHORT"], ""),
}


def snapshot(path):
    return (path.read_bytes() if path.is_file() else sorted(os.listdir(path))), stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_or_unwritable_journal_is_one_line_never_a_traceback_and_never_changed(home, kind):
    make, problem, readable = KINDS[kind]
    make(home)
    path = journal_path(home)
    before = snapshot(path), stat.S_IMODE(os.stat(path.parent).st_mode)
    (home / "short.txt").write_text(SHORT)
    read_only = path.parent if kind == "read-only file system" else None
    try:
        for name, (args, keys) in COMMANDS.items():
            args = [str(home / "short.txt") if a == "SHORT" else a for a in args]
            result = companion(home, *args, stdin=keys, read_only=read_only)
            lines = result.stderr.splitlines()
            where = f"{kind}, {name}: {result.stderr}"
            assert "Traceback" not in result.stderr, where
            if name in ("log", "progress") and readable:
                assert result.returncode == 0 and lines == [], where
                assert "Daily practice: 300 sessions completed" in result.stdout if name == "progress" else \
                    len(result.stdout.splitlines()) == 300, where
            elif name in ("log", "progress"):
                assert result.returncode == 1 and len(lines) == 1, where
                assert lines[0].startswith(f"companion: the journal") and str(path) in lines[0], where
                assert problem in lines[0], where
            else:  # the session still plays, says once that it is not recorded, and exits 1
                assert result.returncode == 1 and len(lines) == 1, where
                assert lines[0].startswith("companion: this session will not be recorded: "), where
                assert problem in lines[0] and str(path.parent) in lines[0], where
                assert ("You are here." if name == "play" else "Today's practice: ") in result.stdout, where
            if problem == DAMAGED:
                backup = path.parent / "backups" / f"journal-{__import__('datetime').date.today()}.sqlite3"
                assert lines[0].endswith(f"then cp {backup} {path}"), where
            assert (snapshot(path), stat.S_IMODE(os.stat(path.parent).st_mode)) == before, where
    finally:
        os.chmod(path.parent, 0o700)


def test_log_and_progress_on_an_intact_journal_read_it_without_touching_it(home):
    a_journal(home, 3)
    path = journal_path(home)
    before = path.read_bytes(), stat.S_IMODE(os.stat(path.parent).st_mode)
    entries = json.loads(companion(home, "log", "--json").stdout)
    assert [e["sequence"] for e in entries] == ["daily-both-scan"] * 3
    assert json.loads(companion(home, "progress", "--json").stdout)["completed"] == 3
    assert (path.read_bytes(), stat.S_IMODE(os.stat(path.parent).st_mode)) == before


def test_a_pause_the_journal_cannot_keep_still_plays_says_so_once_and_exits_1(tmp_path, monkeypatch):
    import time

    from companion.journal.store import open_or_warn
    from companion.playback.outputs import ClockOutput
    from companion.pause.flow import PauseFlow
    from companion.session.screen import Screen
    from companion.script import parse
    from tests.fakes import FakeClips, FakeClock
    from tests.test_pause import HEAD, SCRIPTS, Keys

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    garbage_header(tmp_path)
    before = journal_path(tmp_path).read_bytes()
    said = []
    clock = FakeClock()
    output = ClockOutput(clock=clock, sleep=lambda s: (clock.sleep(s), time.sleep(0.0005)), step_s=2.0)
    keys = Keys({"choice": ["s"]}, clock)  # after `stay`, the break's question: s, I'll stay
    flow = PauseFlow(output=output, screen=Screen(), keys=keys, clips_factory=FakeClips,
                     journal_factory=lambda: open_or_warn(said.append), warn=said.append,
                     scripts=lambda name: parse(HEAD + SCRIPTS[name]).steps)
    keys.flow = flow
    assert flow.run("leaving") == 1  # 0 had the journal kept it
    assert flow.record["stage"] == "stayed"  # the whole pause played
    (line,) = said
    assert line.startswith("companion: this session will not be recorded: the journal ") and DAMAGED in line
    assert journal_path(tmp_path).read_bytes() == before
