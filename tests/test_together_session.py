"""The session loop of two partners: the turn policy's timing, notes and "I'm flooded", on a fake clock."""

import threading
import time

from companion.journal import Journal
from companion.playback.outputs import ClockOutput
from companion.playback.player import Player
from companion.playback.screen import Screen
from companion.script import parse
from companion.playback.record import Record
from companion.playback.session import run
from companion.together.session import CUE_NOTE, GROUNDING, WRAP_NOTE, Partners
from companion.spoken import Spoken
from companion.together.turns import Together
from tests.fakes import FakeClips, FakeClock


class Seen(Screen):
    """A screen that keeps what it was asked to show."""

    def __init__(self):
        super().__init__()
        self.captions, self.notes = [], []

    def caption(self, text):
        self.captions.append(text)

    def status(self, elapsed_s, total_s, paused=False, note="", times=True):
        if note and (not self.notes or self.notes[-1] != note):
            self.notes.append(note)


class When:
    """Keys pressed once the screen shows a caption: [(caption, key), ...] in order."""

    def __init__(self, screen, plan):
        self.screen, self.plan, self.active = screen, list(plan), True
        self.polled = threading.Event()  # the loop has looked at the keys since the clock last moved

    def tick(self, clock, seconds):
        """The output's step of the fake clock, in lockstep with the loop: a loaded machine that
        delays the loop must not let the turn's clock run on without it (at most 0.2 s of real
        time is waited, so an ending loop never holds the output)."""
        self.polled.wait(0.2)
        self.polled.clear()
        clock.sleep(seconds)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def read(self, timeout_s):
        time.sleep(0.001)
        self.polled.set()
        if self.plan and any(self.plan[0][0] in c for c in self.screen.captions):
            return self.plan.pop(0)[1]
        return None


def together(tmp_path, body, plan=()):
    steps = parse('+++\ntitle = "T"\nfor = "pair"\n+++\n' + body).steps
    player = Player(steps, FakeClips(), Spoken(names={"A": "Sam", "B": "Alex"}))
    clock = FakeClock()
    screen = Seen()
    keys = When(screen, plan)
    output = ClockOutput(clock=clock, sleep=lambda s: keys.tick(clock, s), step_s=0.5)
    journal = Journal(tmp_path / "j.sqlite3")
    policy = Partners(Together(clock), {"A": "Sam", "B": "Alex"})
    record = Record(lambda: journal, "t", "T", "together", flooded=0)
    outcome = run(player, output, screen=screen, keys=keys, record=record, policy=policy)
    return outcome, journal.recent(1)[0], screen, clock


def test_a_turn_left_alone_gets_its_cue_then_finish_your_sentence_then_ends_after_the_grace(tmp_path):
    outcome, row, screen, clock = together(tmp_path, "Hello.\n[turn A up to 20s]\nBye.\n")
    assert outcome.reason == "completed" and row["end_reason"] == "completed"
    assert CUE_NOTE.format(s=4) in screen.notes  # a fifth of 20 s before the limit
    assert WRAP_NOTE in screen.notes and screen.notes.index(CUE_NOTE.format(s=4)) < screen.notes.index(WRAP_NOTE)
    assert "Sam: your turn to speak. Space or Enter when done." in screen.captions and "Bye." in screen.captions


def test_more_gives_another_stretch(tmp_path):
    start = FakeClock().now
    short, _, _, short_clock = together(tmp_path, "Hello.\n[turn B up to 20s]\nBye.\n")
    more, _, screen, more_clock = together(tmp_path / "more", "Hello.\n[turn B up to 20s]\nBye.\n",
                                           [("Alex: your turn", "m")])
    assert more.reason == "completed"
    assert (more_clock.now - start) - (short_clock.now - start) >= 29  # 30 s more, on the turn's own clock


def test_a_key_ends_the_turn_at_once(tmp_path):
    start = FakeClock().now
    outcome, row, screen, clock = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", [("Sam: your turn", " ")])
    assert outcome.reason == "completed" and clock.now - start < 30


def test_flooded_pauses_grounds_asks_who_journals_it_at_once_and_goes_on(tmp_path):
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n",
                                       [("Sam: your turn", "x"), ("Which of you", "b"), ("Alex: Enter", "\n"),
                                        ("Alex: Enter", " ")])
    assert outcome.reason == "completed" and row["flooded"] == 1
    assert GROUNDING in screen.captions and "Which of you is flooded? a: Sam · b: Alex" in screen.captions


def test_flooded_and_a_break_ends_the_session_as_stopped_at_stage_flooded(tmp_path):
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n",
                                       [("Sam: your turn", "!"), ("Which of you", "a"), ("Sam: Enter", "p")])
    assert outcome.reason == "stopped" and outcome.message == "flooded" and outcome.exit_code == 0
    assert (row["end_reason"], row["stage"], row["flooded"]) == ("stopped", "flooded", 1)
    assert "Bye." not in screen.captions



class LateOutput(ClockOutput):
    """A clock whose first frames are read only once the loop has read a key (a device a moment late)."""

    def start(self):
        self.due = True

    def late_start(self):
        if getattr(self, "due", False):
            self.due = False
            super().start()


class LateKeys(When):
    def __init__(self, screen, output):
        super().__init__(screen, [])
        self.output = output

    def read(self, timeout_s):
        key = super().read(timeout_s)
        self.output.late_start()
        return key


def test_a_turn_that_is_the_first_event_still_gets_its_caption(tmp_path):
    steps = parse('+++\ntitle = "T"\nfor = "pair"\n+++\n[turn A up to 20s]\nBye.\n').steps
    player = Player(steps, FakeClips(), Spoken(names={"A": "Sam", "B": "Alex"}))
    clock = FakeClock()
    output = LateOutput(clock=clock, sleep=lambda s: (clock.sleep(s), time.sleep(0.001)), step_s=0.5)
    screen = Seen()
    outcome = run(player, output, screen=screen, keys=LateKeys(screen, output),
                  policy=Partners(Together(clock), {"A": "Sam", "B": "Alex"}))
    assert outcome.reason == "completed"
    assert screen.captions[0] == "Sam: your turn to speak. Space or Enter when done." and "Bye." in screen.captions


def test_flooded_and_a_break_takes_the_pauses_break_inline_then_comes_back_where_it_paused(tmp_path):
    from companion.together.session import COMING_BACK

    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n",
                                       [("Sam: your turn", "x"), ("Which of you", "b"), ("Alex: Enter", "1"),
                                        (COMING_BACK.format(name="Alex"), " ")])
    assert outcome.reason == "completed" and row["end_reason"] == "completed"
    assert (row["flooded"], row["stage"], row["break_minutes"]) == (1, "break", 10)
    assert 10 * 60 <= row["wait_s"] <= 11 * 60 + 5  # the break's own wait, to its bell on the whole minute
    said = screen.captions
    announced = next(i for i, c in enumerate(said) if c.startswith("Alex: I'm flooded. I'm not leaving you. I'll be "
                                                                    "back at"))  # Alex's own words, in B's voice
    back = said.index(COMING_BACK.format(name="Alex"))
    assert said.index(GROUNDING) < announced < back < said.index("Bye.")
    assert sum("Sam: your turn" in c for c in said) == 1  # back in the same turn, not a new one


def test_q_in_the_inline_break_ends_the_session_at_the_break(tmp_path):
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n",
                                       [("Sam: your turn", "x"), ("Which of you", "a"), ("Sam: Enter", "t"),
                                        ("I'll be back at", "q")])
    assert outcome.reason == "stopped" and outcome.message == ""
    assert (row["end_reason"], row["stage"], row["flooded"], row["break_minutes"]) == ("stopped", "break", 1, 20)
    assert "Bye." not in screen.captions
