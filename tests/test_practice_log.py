"""`log`: filters, every column with uid, and a session still playing told from one killed."""

import json
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner

from companion.cli.app import cli
from companion.journal.schema import COLUMNS
from companion.journal.store import Journal


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def log(*args):
    result = CliRunner().invoke(cli, ["log", *args], catch_exceptions=False)
    return result


def session(journal, sequence, mode, started, planned=300.0, finished=True):
    row = journal.start(sequence, sequence.title(), mode, "captions", planned_s=planned)
    if finished:
        journal.finish(row, reason="completed", planned_s=planned, played_s=planned, position_s=planned)
    journal.db.execute("UPDATE sessions SET started_at = ? WHERE id = ?", (started, row))
    return row


def test_filters_since_mode_and_sequence(home):
    journal = Journal()
    session(journal, "stay", "play", "2026-10-01T21:00:00+02:00")
    session(journal, "daily-both-scan", "daily", "2026-11-02T08:00:00+01:00")
    session(journal, "pause", "pause", "2026-11-03T22:00:00+01:00")
    journal.close()
    ids = lambda *args: [e["id"] for e in json.loads(log("--json", *args).output)]  # noqa: E731
    assert ids() == [3, 2, 1]
    assert ids("--since", "2026-11-01") == [3, 2]
    assert ids("--mode", "daily") == [2] and ids("--sequence", "stay") == [1]
    assert ids("--since", "2026-11-03", "--mode", "daily") == []
    assert "No sessions match." in log("--mode", "nothing").output
    bad = log("--since", "yesterday")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output


def test_log_json_has_every_column_with_uid(home):
    journal = Journal()
    session(journal, "stay", "play", "2026-10-01T21:00:00+02:00")
    journal.close()
    (entry,) = json.loads(log("--json").output)
    assert list(entry) == list(COLUMNS) and len(entry["uid"]) == 36


def test_a_session_playing_now_shows_as_playing_one_killed_long_ago_as_unfinished(home):
    journal = Journal()
    now = datetime.now().astimezone()
    session(journal, "stay", "play", (now - timedelta(hours=3)).isoformat(timespec="seconds"), finished=False)
    session(journal, "sit", "play", (now - timedelta(seconds=30)).isoformat(timespec="seconds"), planned=390,
            finished=False)
    journal.close()
    playing, killed = log().output.splitlines()
    assert "playing" in playing and "6:30" in playing and "0:00 of" not in playing
    assert "unfinished" in killed and "0:00 of 5:00" in killed
