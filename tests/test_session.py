"""A session's outcome and its journal row, on a fake clock (no sound)."""

import pytest

from companion.journal.errors import JournalError
from companion.journal.store import Journal, Unrecorded
from companion.playback.outputs import ClockOutput
from companion.playback.player import Player
from companion.session.screen import Screen
from companion.script import parse
from companion.session.journal_row import Record
from companion.session.loop import run
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


def session(tmp_path, body, keys, capsys=None, journal=None, warn=print):
    steps = parse('+++\ntitle = "T"\n+++\n' + body).steps
    player = Player(steps, FakeClips())
    clock = FakeClock()
    output = ClockOutput(clock=clock, sleep=lambda s: (clock.sleep(s), __import__("time").sleep(0.001)),
                         step_s=0.5)
    journal = journal or Journal(tmp_path / "j.sqlite3")
    outcome = run(player, output, screen=Screen(), keys=keys, record=Record(lambda: journal, "t", "T", "play", warn=warn),
                  warn=warn)
    return outcome, (journal.recent() or [None])[0]


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


def test_a_line_begun_while_a_key_was_read_is_shown_before_the_key_ends_the_session(tmp_path, capsys):
    # A line heard is a line shown: q read just as "Goodbye now." began still shows it.
    import time

    player = Player(parse('+++\ntitle = "T"\n+++\nHello.\n[pause 1s]\nGoodbye now.\n[pause 20m]\n').steps,
                    FakeClips())
    clock = FakeClock()
    output = ClockOutput(clock=clock, sleep=lambda s: (clock.sleep(s), time.sleep(0.001)), step_s=0.5)

    class QAsTheSecondLineBegins(ScriptedKeys):
        def read(self, timeout_s):
            deadline = time.monotonic() + 5
            while len(player.events) < 3 or player.cursor.position <= player.events[2].start:
                assert time.monotonic() < deadline, "the second line never began"
                time.sleep(0.001)
            return "q"

    outcome = run(player, output, screen=Screen(), keys=QAsTheSecondLineBegins(), warn=print)
    assert outcome.reason == "stopped" and [e.text for e in player.events[::2]][:2] == ["Hello.", "Goodbye now."]
    assert "Goodbye now." in capsys.readouterr().out


def test_a_session_the_journal_could_not_open_for_still_plays_and_exits_1_without_saying_it_twice(tmp_path, capsys):
    said = []
    outcome, row = session(tmp_path, "Hello.\n", ScriptedKeys(), journal=Unrecorded("the journal is damaged"),
                           warn=said.append)
    assert outcome.reason == "completed" and outcome.exit_code == 1 and row is None
    assert outcome.unrecorded == "the journal is damaged" and said == []  # open_or_warn said it
    assert "Hello." in capsys.readouterr().out


class Failing(Journal):
    """A real journal whose writes fail from one step on."""

    def __init__(self, path, fail_at):
        super().__init__(path)
        self.fail_at = fail_at

    def start(self, *args, **kwargs):
        if self.fail_at == "start":
            raise JournalError("cannot write the journal j.sqlite3: disk I/O error")
        return super().start(*args, **kwargs)

    def finish(self, *args, **kwargs):
        raise JournalError("cannot write the journal j.sqlite3: disk I/O error")


@pytest.mark.parametrize("fail_at, said", [
    ("start", "companion: this session will not be recorded: cannot write the journal j.sqlite3: disk I/O error"),
    ("finish", "companion: the journal could not record how this session ended (cannot write the journal "
               "j.sqlite3: disk I/O error)."),
])
def test_a_journal_write_that_fails_is_one_line_and_exit_1(tmp_path, fail_at, said):
    lines = []
    outcome, row = session(tmp_path, "Hello.\n", ScriptedKeys(), journal=Failing(tmp_path / "j.sqlite3", fail_at),
                           warn=lines.append)
    assert outcome.reason == "completed" and outcome.exit_code == 1 and lines == [said]
    assert row is None if fail_at == "start" else row["end_reason"] == "running"  # `log` shows it unfinished


def test_ctrl_c_keeps_130_when_the_journal_could_not_keep_the_session(tmp_path):
    outcome, _ = session(tmp_path, "Hello.\n[pause 20m]\n", ScriptedKeys({5: KeyboardInterrupt}),
                         journal=Unrecorded("damaged"))
    assert outcome.reason == "interrupted" and outcome.exit_code == 130


# -- the policies and the record, alone ------------------------------------------------------
class FakeCursor:
    def __init__(self):
        self.done = []
        self.paused = self.muted = False

    def end_turn(self):
        return False

    def toggle_pause(self):
        self.done.append("pause")

    def toggle_mute(self):
        self.done.append("mute")

    def skip_line(self):
        self.done.append("skip")

    def skip_to_last(self):
        self.done.append("bell")

    def current(self):
        return None


class FakeLive:
    def __init__(self):
        self.cursor = FakeCursor()


def test_plain_pauses_and_skips_keep_time_mutes_skips_nothing_and_rings_on_a_second_r():
    from companion.session.policies import READY_HINT, KeepTime, Plain

    live = FakeLive()
    plain = Plain(moments={"f": "followed"})
    assert [plain.act(k, live) for k in (" ", "n", None, "F")] == [None, None, None, "followed"]
    assert live.cursor.done == ["pause", "skip"] and plain.status(live) == ("", True)
    live = FakeLive()
    wait = KeepTime(lambda cursor: "back at 21:40", ready=True)
    assert [wait.act(k, live) for k in (" ", "n", "r")] == [None, None, None]
    assert live.cursor.done == ["mute"] and wait.status(live) == (READY_HINT, False)
    wait.act("r", live)
    assert live.cursor.done == ["mute", "bell"] and wait.status(live) == ("back at 21:40", False)
    wait.act("r", live), wait.act("x", live), wait.act("r", live)  # another key in between: asks again
    assert live.cursor.done == ["mute", "bell"]


def test_a_record_keeps_columns_until_it_begins_then_writes_each_at_once(tmp_path):
    from companion.session.journal_row import Record

    journal = Journal(tmp_path / "j.sqlite3")
    record = Record(lambda: journal, "pause", "A guided pause", "pause", side="leaving", stage="stay")
    record.set(stage="stay")
    assert journal.recent() == []  # nothing before the first sound
    record.begin("captions")
    record.begin("captions")  # once
    (row,) = journal.recent()
    assert (row["side"], row["stage"], row["end_reason"]) == ("leaving", "stay", "running")
    record.moment("followed")
    record.set(stage="break")
    assert journal.recent()[0]["stage"] == "followed > break"  # at once, the detour too, not only at the end
    record.finish("stopped", planned_s=10, played_s=5, position_s=5)
    (row,) = journal.recent()
    assert (row["stage"], row["end_reason"], row["played_s"]) == ("followed > break", "stopped", 5)


def test_a_record_that_cannot_write_a_column_says_so_once(tmp_path):
    from companion.session.journal_row import Record

    class NoAdd(Journal):
        def add(self, *args, **kwargs):
            raise JournalError("cannot write the journal j.sqlite3: disk I/O error")

    said = []
    record = Record(lambda: NoAdd(tmp_path / "j.sqlite3"), "t", "T", "together", warn=said.append)
    record.begin("captions")
    record.set(flooded=1)
    record.set(flooded=2)
    assert said == ["companion: the journal could not be written (cannot write the journal j.sqlite3: disk I/O "
                    "error)."]
    assert record.unrecorded and record["flooded"] == 2
