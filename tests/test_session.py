"""A session's outcome and its journal row, on a fake clock (no sound)."""

import pytest

from companion.journal import Journal
from companion.outputs import ClockOutput
from companion.player import Player
from companion.screen import Screen
from companion.script import parse
from companion.session import run
from tests.fakes import FakeClips, FakeClock


class ScriptedKeys:
    """Keys pressed at given reads; KeyboardInterrupt stands for Ctrl-C."""

    def __init__(self, presses=()):
        self.presses = dict(presses)
        self.reads = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def read(self, timeout_s):
        self.reads += 1
        key = self.presses.get(self.reads)
        if key is KeyboardInterrupt:
            raise KeyboardInterrupt
        import time

        time.sleep(0.002)
        return key


def session(tmp_path, body, keys, capsys=None):
    steps = parse('+++\ntitle = "T"\n+++\n' + body).steps
    player = Player(steps, FakeClips())
    clock = FakeClock()
    output = ClockOutput(clock=clock, sleep=lambda s: (clock.sleep(s), __import__("time").sleep(0.001)),
                         step_s=0.5)
    journal = Journal(tmp_path / "j.sqlite3")
    outcome = run(player, output, screen=Screen(), keys=keys, journal=journal, sequence_id="t", title="T")
    return outcome, journal.recent()[0]


def test_a_completed_session_is_journalled(tmp_path, capsys):
    outcome, row = session(tmp_path, "Hello.\n[pause 30s]\nGoodbye now.\n", ScriptedKeys())
    assert outcome.reason == "completed" and outcome.exit_code == 0
    assert row["completed"] is True and row["output"] == "captions"
    assert row["played_s"] == pytest.approx(outcome.planned_s, abs=0.01) and row["planned_s"] > 30
    assert "Hello." in capsys.readouterr().out


def test_ctrl_c_in_the_middle_of_a_long_wait_journals_it_stopped_early(tmp_path):
    outcome, row = session(tmp_path, "Hello.\n[pause 20m]\nGoodbye.\n", ScriptedKeys({5: KeyboardInterrupt}))
    assert outcome.reason == "interrupted" and outcome.exit_code == 130
    assert row["completed"] is False and row["end_reason"] == "interrupted"
    assert 0 < row["played_s"] < row["planned_s"] == pytest.approx(20 * 60 + 14000 / 22050, abs=0.01)


def test_q_stops_and_is_journalled_as_stopped(tmp_path):
    outcome, row = session(tmp_path, "Hello.\n[pause 20m]\n", ScriptedKeys({3: "q"}))
    assert outcome.reason == "stopped" and outcome.exit_code == 0
    assert row["end_reason"] == "stopped" and row["completed"] is False
