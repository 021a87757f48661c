"""Your data in a form you own: export, import (merging on uid, all or nothing) and forget."""

import csv
import json
import os
import sqlite3
import stat

import pytest
from click.testing import CliRunner

from companion.cli.app import cli
from companion.journal.store import Journal


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def invoke(*args, stdin=None):
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def some_sessions(count=3):
    journal = Journal()
    for i in range(count):
        row = journal.start(f"daily-{i}", f"Title {i} é", "daily" if i % 2 else "pause", "captions", planned_s=160)
        journal.finish(row, reason="completed", planned_s=160, played_s=150.5, position_s=160,
                       distress_before=7, distress_after=4, returned=bool(i % 2) if i else None)
    journal.back_up()
    journal.close()


def use_data(home, monkeypatch, name):
    monkeypatch.setenv("XDG_DATA_HOME", str(home / name))


@pytest.mark.parametrize("name", ["all.json", "all.csv"])
def test_export_then_import_into_an_empty_journal_gives_the_same_log(home, monkeypatch, name):
    some_sessions()
    original = invoke("log", "--json").output
    assert all(len(e["uid"]) == 36 for e in json.loads(original))
    file = home / name
    result = invoke("export", str(file))
    assert result.exit_code == 0 and "Wrote 3 sessions" in result.output
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    use_data(home, monkeypatch, "elsewhere")
    result = invoke("import", str(file))
    assert result.exit_code == 0 and "Imported 3 sessions" in result.output
    assert invoke("log", "--json").output == original


def test_importing_the_same_file_twice_adds_nothing_the_second_time(home, monkeypatch):
    some_sessions()
    invoke("export", str(home / "all.json"))
    use_data(home, monkeypatch, "elsewhere")
    assert "Imported 3" in invoke("import", str(home / "all.json")).output
    again = invoke("import", str(home / "all.json"))
    assert again.exit_code == 0 and "Imported 0 sessions" in again.output and "3 were here already" in again.output
    assert len(json.loads(invoke("log", "--json").output)) == 3


def test_importing_into_a_journal_with_sessions_merges_and_keeps_both(home, monkeypatch):
    some_sessions(2)
    invoke("export", str(home / "mine.json"))
    use_data(home, monkeypatch, "partner")
    some_sessions(2)
    result = invoke("import", str(home / "mine.json"))
    assert "Imported 2" in result.output
    entries = json.loads(invoke("log", "--json").output)
    assert len(entries) == 4 and len({e["uid"] for e in entries}) == 4 and len({e["id"] for e in entries}) == 4


@pytest.mark.parametrize("name", ["all.json", "all.csv"])
def test_a_bad_row_is_named_and_nothing_of_the_file_is_imported(home, monkeypatch, name):
    some_sessions()
    file = home / name
    invoke("export", str(file))
    if name.endswith(".json"):
        rows = json.loads(file.read_text())
        rows[1]["distress_before"] = 11
        file.write_text(json.dumps(rows))
        where = "session 2"
    else:
        rows = list(csv.DictReader(file.read_text().splitlines()))
        rows[1]["distress_before"] = "11"
        with open(file, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        where = "line 3"
    use_data(home, monkeypatch, "elsewhere")
    result = invoke("import", str(file))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and where in result.output and "distress_before = 11" in result.output
    assert "nothing was imported" in result.output
    assert invoke("log", "--json").output.strip() == "[]"


def test_export_over_a_file_with_nobody_to_ask_names_force_and_leaves_it(home):
    some_sessions(1)
    file = home / "all.json"
    file.write_text("keep me")
    result = invoke("export", str(file), stdin="y\n")  # piped: not a terminal, so nobody is asked
    assert result.exit_code == 1 and file.read_text() == "keep me"
    assert result.output == f"companion: {file} exists; add --force to overwrite it, or choose another name\n"
    assert invoke("export", str(file), "--force").exit_code == 0 and json.loads(file.read_text())


def test_export_over_a_file_without_a_terminal_is_one_line_not_aborted(home):
    import subprocess
    import sys

    some_sessions(1)
    file = home / "all.json"
    file.write_text("keep me")
    done = subprocess.run([sys.executable, "-m", "companion", "export", str(file)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, file.read_text()) == (1, "", "keep me")
    assert done.stderr.splitlines() == [f"companion: {file} exists; add --force to overwrite it, or choose another name"]


def backups_hold(home, uid):
    found = []
    for backup in (home / "data" / "companion" / "backups").glob("journal-*.sqlite3"):
        db = sqlite3.connect(backup)
        found += [row[0] for row in db.execute("SELECT uid FROM sessions WHERE uid = ?", (uid,))]
        db.close()
    return found


def test_forget_a_session_leaves_no_copy_in_the_journal_or_its_backups(home):
    some_sessions()
    (first, *_) = json.loads(invoke("log", "--json").output)
    assert backups_hold(home, first["uid"])
    assert invoke("forget", "--session", str(first["id"]), stdin="n\n").exit_code == 1  # asks first
    assert len(json.loads(invoke("log", "--json").output)) == 3
    result = invoke("forget", "--session", str(first["id"]), "--yes")
    assert result.exit_code == 0 and "Forgot 1 session" in result.output and "rewrote 1 backup" in result.output
    assert first["uid"] not in [e["uid"] for e in json.loads(invoke("log", "--json").output)]
    assert not backups_hold(home, first["uid"])
    folder = home / "data" / "companion"
    assert first["title"].encode() not in b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_forget_all_deletes_the_backups_too(home):
    some_sessions()
    result = invoke("forget", "--all", "--yes")
    assert result.exit_code == 0 and "Forgot 3 sessions" in result.output and "deleted 1 backup" in result.output
    assert invoke("log", "--json").output.strip() == "[]"
    assert not list((home / "data" / "companion" / "backups").glob("journal-*"))


def test_forget_needs_one_choice(home):
    result = invoke("forget", "--yes")
    assert result.exit_code == 2 and "--session ID, --before DATE or --all" in result.output


@pytest.mark.parametrize("field, value, said", [("distress_after", float("nan"), "distress_after = nan"),
                                                ("pulse_bpm", float("inf"), "pulse_bpm = inf"),
                                                ("uid", "not-a-uid", "expected a UUID"),
                                                ("started_at", "yesterday", "expected a time"),
                                                ("end_reason", "exploded", "end_reason = 'exploded'"),
                                                ("colour", "red", "unknown field 'colour'")])
def test_each_kind_of_bad_value_is_one_line(home, monkeypatch, field, value, said):
    some_sessions(1)
    file = home / "all.json"
    invoke("export", str(file))
    rows = json.loads(file.read_text())
    rows[0][field] = value
    file.write_text(json.dumps(rows))
    use_data(home, monkeypatch, "elsewhere")
    result = invoke("import", str(file))
    assert result.exit_code == 1 and result.output.count("\n") == 1 and said in result.output, result.output
    assert "session 1 (id 1)" in result.output


def test_importing_a_file_that_cannot_be_read_is_one_line(home):
    result = invoke("import", str(home / "missing.json"))
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert result.output.startswith(f"companion: cannot read {home / 'missing.json'}: ") and \
        result.output.endswith("; nothing was imported\n")


@pytest.mark.parametrize("name, content, said", [
    ("exist.json", b"hi\n", "not an export of companion's: its first line lacks the columns uid, sequence"),
    ("colours.json", b"\x1b[31mred\x1b[0m\n", "not an export of companion's"),
    ("garbage.csv", b"garbage\x00\x01\n", "not an export of companion's"),
    ("binary.json", bytes(range(0x80, 0x100)), "is not text: an export is UTF-8"),
])
def test_a_file_that_is_not_an_export_is_one_line_and_imports_nothing(home, name, content, said):
    file = home / name
    file.write_bytes(content)
    result = invoke("import", str(file))
    assert result.exit_code == 1 and result.output.count("\n") == 1 and said in result.output, result.output
    assert "\x1b" not in result.output and "codec" not in result.output
    assert not (home / "data").exists()  # nothing written: no journal made


def test_an_export_of_no_sessions_still_imports_as_none(home):
    from companion.journal.transfer import COLUMNS

    file = home / "none.csv"
    file.write_text(",".join(COLUMNS) + "\n")  # what `export --csv` writes for an empty journal
    result = invoke("import", str(file))
    assert result.exit_code == 0 and "Imported 0 sessions" in result.output, result.output
