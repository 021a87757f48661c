"""`progress` keeps its last figures and reads them again only while the journal is unchanged."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from companion.cli.app import cli
from companion.journal.store import Journal


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def progress():
    result = CliRunner().invoke(cli, ["progress", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def a_practice(played_s=160.0):
    journal = Journal()
    row = journal.start("daily-both-scan", "Scan", "daily", "captions", planned_s=160)
    journal.finish(row, reason="completed", planned_s=160, played_s=played_s, position_s=160, distress_before=6,
                   distress_after=3)
    journal.close()


def test_the_kept_figures_are_the_same_and_a_new_session_replaces_them(home):
    a_practice()
    first = progress()
    kept = home / "cache" / "companion" / "progress.json"
    assert kept.exists() and oct(kept.stat().st_mode & 0o777) == "0o600"
    assert progress() == first and first["sessions"] == 1
    a_practice(8.0)  # skipped through: one more session, not one more done
    again = progress()
    assert (again["sessions"], again["completed"]) == (2, 1)


def test_with_the_journal_unchanged_progress_imports_no_sqlite(home):
    a_practice()
    progress()
    code = "import sys; from companion.__main__ import main; sys.argv = ['companion', 'progress', '--json']\n" \
           "try:\n    main()\nexcept SystemExit:\n    pass\nprint('sqlite3' in sys.modules, file=sys.stderr)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr.strip().splitlines()[-1] == "False", done.stderr
    assert json.loads(done.stdout)["sessions"] == 1


def test_a_changed_day_end_is_not_answered_from_the_kept_figures(home):
    journal = Journal()
    row = journal.start("daily-both-scan", "Scan", "daily", "captions", planned_s=160)
    journal.finish(row, reason="completed", planned_s=160, played_s=160, position_s=160)
    journal.db.execute("UPDATE sessions SET started_at = '2026-11-24T00:30:00+01:00'")
    journal.close()
    assert progress()["calendar"] is not None
    config = home / "config" / "companion" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('day_ends = "00:00"\nshow_streaks = false\n')
    report = progress()
    assert report["day_ends"] == "00:00" and "streak_days" not in report


def test_forget_removes_the_kept_figures(home):
    a_practice()
    progress()
    CliRunner().invoke(cli, ["forget", "--all", "--yes"], catch_exceptions=False)
    assert not (home / "cache" / "companion" / "progress.json").exists()
    assert progress()["sessions"] == 0


@pytest.mark.parametrize("args", [["progress", "--json"], ["progress"]])
def test_progress_answers_without_click_and_says_what_clicks_command_says(home, args):
    import os

    a_practice()
    program = ("import atexit, sys\n"
               "atexit.register(lambda: print('CLICK' if 'click' in sys.modules else 'NO CLICK', file=sys.stderr))\n"
               f"sys.argv = ['companion', *{args!r}]\n"
               "from companion.__main__ import main\nmain()\n")
    done = subprocess.run([sys.executable, "-c", program], env=dict(os.environ), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stderr.strip() == "NO CLICK", done.stderr
    through_click = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert done.stdout == through_click.output


def test_progress_with_an_option_the_table_does_not_know_is_clicks_usage_error(home):
    import os

    done = subprocess.run([sys.executable, "-m", "companion", "progress", "--jsn"], env=dict(os.environ),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Did you mean '--json'?" in done.stderr and "Traceback" not in done.stderr
