"""The session loop of two partners: the turn policy's timing, notes and "I'm flooded", on a fake clock."""

import threading
import time

import numpy as np

from companion.journal.store import Journal
from companion.playback.outputs import ClockOutput
from companion.playback.player import Player
from companion.session.screen import Screen
from companion.script import parse
from companion.session.journal_row import Record
from companion.session.loop import run
from companion.pause.flow import lend_break
from companion.together.policy import CUE_NOTE, FLOODED_WHO, READY, WRAP_NOTE, Partners
from companion.spoken import Spoken
from companion.lines import raw
from companion.together.turns import Together
from tests.fakes import FakeClips, FakeClock

GROUNDING = raw("together.grounding")  # what the session shows and says for a flood (scripts/_spoken.toml)


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

    def __init__(self, screen, plan, strict=False):
        self.screen, self.plan, self.active, self.strict = screen, list(plan), True, strict
        self.polled = threading.Event()  # the loop has looked at the keys since the clock last moved
        self.ended = threading.Event()  # the loop has ended: the clock runs on alone

    def tick(self, clock, seconds):
        """The output's step of the fake clock, in lockstep with the loop: a loaded machine that
        delays the loop must not let the turn's clock run on without it. At most 0.2 s of real time is
        waited for the loop's next look at the keys (some steps of a flood wait on the sound, not the
        keys), unless `strict`: then however long it takes, until the loop has ended."""
        while not self.polled.wait(0.2) and self.strict and not self.ended.is_set():
            pass
        self.polled.clear()
        clock.sleep(seconds)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.ended.set()

    def read(self, timeout_s):
        time.sleep(0.001)
        self.polled.set()
        if self.plan and self._met(self.plan[0][0]):
            return self.plan.pop(0)[1]
        return None

    def _met(self, condition):
        """A caption shown (a text in one), or a condition of the test's (a callable, given the output)."""
        return condition(self.output) if callable(condition) else any(condition in c for c in self.screen.captions)


class Heard(ClockOutput):
    """The clock, named as the sound device is (so the guide speaks), keeping every frame it read."""

    name = "device"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.heard = bytearray()

    def run(self, cursor):
        heard = self.heard

        class Tap:
            def read(self, n):
                data = cursor.read(n)
                heard.extend(data)
                return data

            @property
            def finished(self):
                return cursor.finished

        super().run(Tap())

    def samples(self):
        return np.frombuffer(bytes(self.heard), dtype="<i2")


def said_in(output, text, gain=1.0):
    """Where in what was heard FakeClips' clip of `text` begins (None if it was never heard whole)."""
    value, frames = int((len(text) % 100 + 1) * gain), 1000 * len(text)
    samples = output.samples()
    at = np.flatnonzero(samples == value)
    runs = np.split(at, np.flatnonzero(np.diff(at) != 1) + 1) if at.size else []
    return next((int(r[0]) for r in runs if len(r) >= frames), None)


def together(tmp_path, body, plan=(), clips=None, device=False, scripts=None, screen=None, strict=False):
    steps = parse('+++\ntitle = "T"\nfor = "pair"\n+++\n' + body).steps
    player = Player(steps, clips or FakeClips(), Spoken(names={"A": "Sam", "B": "Alex"}))
    clock = FakeClock()
    screen = screen or Seen()
    keys = When(screen, plan, strict)
    output = keys.output = (Heard if device else ClockOutput)(clock=clock, sleep=lambda s: keys.tick(clock, s),
                                                               step_s=0.5)
    journal = Journal(tmp_path / "j.sqlite3")
    policy = Partners(Together(clock), {"A": "Sam", "B": "Alex"}, scripts=scripts, take_break=lend_break)
    record = Record(lambda: journal, "t", "T", "together", flooded=0)
    outcome = run(player, output, screen=screen, keys=keys, record=record, policy=policy)
    if device:
        return outcome, journal.recent(1)[0], screen, output
    return outcome, journal.recent(1)[0], screen, clock


def test_a_turn_left_alone_gets_its_cue_then_finish_your_sentence_then_ends_after_the_grace(tmp_path):
    outcome, row, screen, clock = together(tmp_path, "Hello.\n[turn A up to 20s]\nBye.\n")
    assert outcome.reason == "completed" and row["end_reason"] == "completed"
    assert CUE_NOTE.format(s=4) in screen.notes  # a fifth of 20 s before the limit
    assert WRAP_NOTE in screen.notes and screen.notes.index(CUE_NOTE.format(s=4)) < screen.notes.index(WRAP_NOTE)
    assert "Sam: your turn to speak. Space or Enter when done." in screen.captions and "Bye." in screen.captions


def test_more_gives_another_stretch(tmp_path):
    start = FakeClock().now
    # strict, both: under load the turn's clock must not run on past the loop (the turn left alone then
    # ended late, and CI measured 27.5 s more), nor run out before the loop has seen the caption and pressed m
    short, _, _, short_clock = together(tmp_path, "Hello.\n[turn B up to 20s]\nBye.\n", strict=True)
    more, _, screen, more_clock = together(tmp_path / "more", "Hello.\n[turn B up to 20s]\nBye.\n",
                                           [("Alex: your turn", "m")], strict=True)
    assert more.reason == "completed"
    # 30 s more, on the turn's own clock: each run's loop may see its turn begin and end a step (0.5 s) late
    assert 28 <= (more_clock.now - start) - (short_clock.now - start) <= 32


def test_a_key_ends_the_turn_at_once(tmp_path):
    start = FakeClock().now
    outcome, row, screen, clock = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", [("Sam: your turn", " ")])
    assert outcome.reason == "completed" and clock.now - start < 30


def test_flooded_pauses_grounds_asks_who_journals_it_at_once_and_goes_on(tmp_path):
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n",
                                       [("Sam: your turn", "x"), ("Which of you", "b"), ("Alex: Enter", "\n"),
                                        ("Alex: Enter", " ")])
    assert outcome.reason == "completed" and row["flooded"] == 1
    assert GROUNDING in screen.captions and FLOODED_WHO.format(A="Sam", B="Alex") in screen.captions
    assert "c: both of us" in FLOODED_WHO


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
                  policy=Partners(Together(clock), {"A": "Sam", "B": "Alex"}, take_break=lend_break))
    assert outcome.reason == "completed"
    assert screen.captions[0] == "Sam: your turn to speak. Space or Enter when done." and "Bye." in screen.captions


def test_flooded_and_a_break_takes_the_pauses_break_inline_then_comes_back_where_it_paused(tmp_path):
    COMING_BACK = raw("together.coming_back")

    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n",
                                       [("Sam: your turn", "x"), ("Which of you", "b"), ("Alex: Enter", "1"),
                                        (COMING_BACK.format(name="Alex"), "\n"), (READY, " ")])
    assert outcome.reason == "completed" and row["end_reason"] == "completed"
    assert (row["flooded"], row["stage"], row["break_minutes"]) == (1, "break", 10)
    assert 10 * 60 <= row["wait_s"] <= 11 * 60 + 5  # the break's own wait, to its bell on the whole minute
    said = screen.captions
    words = 'For example, in Alex\'s voice: "I\'m flooded. I\'m not leaving you. I\'ll be back at'
    announced = next(i for i, c in enumerate(said) if c.startswith(words))  # Alex's own words, in B's voice
    back = said.index(COMING_BACK.format(name="Alex"))
    assert said.index(GROUNDING) < announced < back < said.index(READY) < said.index("Bye.")
    assert sum("Sam: your turn" in c for c in said) == 1  # back in the same turn, not a new one


def test_q_in_the_inline_break_ends_the_session_at_the_break(tmp_path):
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n",
                                       [("Sam: your turn", "x"), ("Which of you", "a"), ("Sam: Enter", "t"),
                                        ("I'll be back at", "q")])
    assert outcome.reason == "stopped" and outcome.message == ""
    assert (row["end_reason"], row["stage"], row["flooded"], row["break_minutes"]) == ("stopped", "break", 1, 20)
    assert "Bye." not in screen.captions


# -- the screen answers at once; the guide's words follow when they are ready -----------
class HeldClips(FakeClips):
    """A guide whose grounding line takes as long to render as the test says: until `release`."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()
        self.rendered = threading.Event()

    def load(self, role, text):
        if text == GROUNDING:
            self.release.wait(10)  # a bound, so a regression fails instead of hanging
            self.rendered.set()
        return super().load(role, text)


class Released(Seen):
    """Releases the grounding's render once `text` is on screen, noting what was drawn before it was rendered."""

    def __init__(self, clips, text):
        super().__init__()
        self.clips, self.text = clips, text
        self.before_render = []

    def caption(self, text):
        super().caption(text)
        if not self.clips.rendered.is_set():
            self.before_render.append(text)
        if self.text in text:
            self.clips.release.set()


def test_flooded_draws_the_question_and_takes_its_keys_before_the_grounding_is_rendered_then_says_it(tmp_path):
    clips = HeldClips()
    screen = Released(clips, "Alex: Enter")  # the render ends only once the answer to "which of you" is drawn
    plan = [("Sam: your turn", "x"), ("Which of you", "b"), (lambda heard: said_in(heard, GROUNDING) is not None, "\n"),
            ("Alex: Enter", " ")]
    outcome, row, screen, output = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", plan, clips=clips,
                                            device=True, screen=screen)
    assert outcome.reason == "completed" and row["flooded"] == 1
    who, offer = FLOODED_WHO.format(A="Sam", B="Alex"), next(c for c in screen.captions if c.startswith("Alex: Enter"))
    assert [GROUNDING, who, offer] == screen.before_render[-3:]  # all drawn while its words were still rendering
    assert said_in(output, GROUNDING) is not None and said_in(output, GROUNDING) < said_in(output, "Bye.")


def test_keys_pressed_while_the_grounding_renders_are_applied_at_once_and_in_order(tmp_path):
    clips = HeldClips()
    screen = Released(clips, "Bye.")  # its words are not ready until the sequence has gone on to its end
    plan = [("Sam: your turn", "x"), ("Which of you", "b"), ("Alex: Enter", "\n"), ("Alex: Enter", " ")]
    outcome, row, screen, output = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", plan, clips=clips,
                                            device=True, screen=screen)
    assert outcome.reason == "completed" and row["flooded"] == 1
    assert screen.before_render[-4:] == [GROUNDING, FLOODED_WHO.format(A="Sam", B="Alex"),
                                         next(c for c in screen.captions if c.startswith("Alex: Enter")), "Bye."]
    assert said_in(output, GROUNDING) is None  # gone on before it was ready: not said late over the sequence


def test_a_turns_time_warning_is_said_softly_in_the_held_turn_and_shown(tmp_path):
    from companion.lines import said
    from companion.together.guide_voice import SOFT_DB, gain_of

    outcome, row, screen, output = together(tmp_path, "Hello.\n[turn A up to 20s]\nBye.\n", device=True)
    assert outcome.reason == "completed" and CUE_NOTE.format(s=4) in screen.notes
    (warning,) = said("together.time_left", seconds=4)
    at = said_in(output, warning, gain_of(SOFT_DB))
    assert at is not None and said_in(output, warning) is None  # heard, and only at the soft level
    assert said_in(output, "Hello.") < at < said_in(output, "Bye.")


def test_after_a_break_the_guide_asks_if_both_are_ready_and_waits_for_the_key(tmp_path):
    COMING_BACK = raw("together.coming_back")

    plan = [("Sam: your turn", "x"), ("Which of you", "a"), ("Sam: Enter", "1"), (READY, None),  # (None: no key)
            (lambda heard: said_in(heard, raw("together.ready")) is not None, "\n"), (READY, " ")]
    outcome, row, screen, output = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", plan, device=True)
    assert outcome.reason == "completed" and row["stage"] == "break"
    back, ready = said_in(output, COMING_BACK.format(name="Sam")), said_in(output, raw("together.ready"))
    assert back is not None and back < ready < said_in(output, "Bye.")
    assert screen.captions.index(READY) < screen.captions.index("Bye.")


def test_p_at_the_ready_question_stops_for_a_pause_of_your_own(tmp_path):
    plan = [("Sam: your turn", "x"), ("Which of you", "a"), ("Sam: Enter", "1"), (READY, "p")]
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", plan)
    assert (outcome.reason, outcome.message) == ("stopped", "flooded") and "Bye." not in screen.captions
    assert row["stage"] == "break > flooded"


BOTH = '+++\ntitle = "Both of you"\nfor = "pair"\n+++\nBoth of you are flooded.\n[pause 30s]\nCome back slowly.\n'


def both_flooded(name):
    assert name == "both-flooded"
    return "Both of you", parse(BOTH).steps


def test_both_of_us_plays_both_flooded_there_then_asks_if_both_are_ready_and_goes_on(tmp_path):
    plan = [("Sam: your turn", "x"), ("Which of you", "c"), (READY, "\n"), (READY, " ")]
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", plan, scripts=both_flooded)
    assert outcome.reason == "completed" and (row["flooded"], row["stage"]) == (1, "both-flooded")
    said = screen.captions
    assert said.index(FLOODED_WHO.format(A="Sam", B="Alex")) < said.index("Both of you are flooded.") \
        < said.index("Come back slowly.") < said.index(READY) < said.index("Bye.")
    assert sum("Sam: your turn" in c for c in said) == 1  # back in the same turn


def test_q_in_both_flooded_ends_the_session_there(tmp_path):
    plan = [("Sam: your turn", "x"), ("Which of you", "c"), ("Both of you are flooded.", "q")]
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", plan, scripts=both_flooded)
    assert outcome.reason == "stopped" and (row["end_reason"], row["stage"]) == ("stopped", "both-flooded")
    assert READY not in screen.captions and "Bye." not in screen.captions


def test_both_flooded_that_cannot_be_read_is_said_and_the_ready_question_follows(tmp_path):
    def missing(name):
        raise LookupError(f"no sequence named '{name}'")

    plan = [("Sam: your turn", "x"), ("Which of you", "c"), (READY, "\n"), (READY, " ")]
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", plan, scripts=missing)
    assert outcome.reason == "completed"
    assert any("both-flooded cannot be played" in c for c in screen.captions) and "Bye." in screen.captions


def test_the_real_both_flooded_sends_you_apart_to_its_time_then_asks_if_both_are_ready(tmp_path):
    from companion.together.policy import APART

    start = FakeClock().now
    plan = [("Sam: your turn", "x"), ("Which of you", "c"), (READY, "\n"), (READY, " ")]
    outcome, row, screen, clock = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", plan)  # the library's
    assert outcome.reason == "completed" and (row["flooded"], row["stage"]) == (1, "both-flooded")
    said = screen.captions
    apart = next(i for i, c in enumerate(said) if c.startswith(APART.split("{")[0]))
    assert said.index("Both of you flooded at once") < apart < said.index(READY) < said.index("Bye.")
    assert clock.now - start >= 15 * 60  # the wait to the time it named (20 minutes from its first {return_time})


BOTH_WITH_A_TURN = ('+++\ntitle = "Both of you"\nfor = "pair"\n+++\nBoth of you are flooded.\n'
                    '[turn B up to 20s] Say your words for the break.\nCome back slowly.\n')


def test_inside_both_flooded_a_turn_is_a_turn_and_x_asks_which_one_of_you_without_both_again(tmp_path):
    from companion.together.policy import WHO_ONE

    def scripts(name):
        return "Both of you", parse(BOTH_WITH_A_TURN).steps

    plan = [("Sam: your turn", "x"), ("Which of you", "c"), ("Alex: your turn", "x"),
            (WHO_ONE.format(A="Sam", B="Alex"), "b"), ("Alex: Enter to go on", "p")]
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", plan, scripts=scripts)
    assert (outcome.reason, outcome.message) == ("stopped", "flooded")
    assert (row["flooded"], row["stage"]) == (2, "both-flooded > flooded")  # both presses counted, in one row
    assert WHO_ONE.format(A="Sam", B="Alex") in screen.captions  # the second time: no "both of us"
    assert "Come back slowly." not in screen.captions and "Bye." not in screen.captions


def test_a_turn_inside_both_flooded_gets_its_warning_and_ends_on_its_own(tmp_path):
    def scripts(name):
        return "Both of you", parse(BOTH_WITH_A_TURN).steps

    plan = [("Sam: your turn", "x"), ("Which of you", "c"), (READY, "\n"), (READY, " ")]
    outcome, row, screen, _ = together(tmp_path, "Hello.\n[turn A up to 60s]\nBye.\n", plan, scripts=scripts)
    assert outcome.reason == "completed" and CUE_NOTE.format(s=4) in screen.notes and WRAP_NOTE in screen.notes
    assert screen.captions.index("Come back slowly.") < screen.captions.index(READY) < screen.captions.index("Bye.")
