"""The guided pause: its flow on an injected clock (a 20-minute break in
seconds), the wait's timing, the fast option parser, the first-line scan."""

import re
import threading
import time
from datetime import datetime

import pytest

from companion.playback import pcm
from companion.cli.pause import pause as pause_command
from companion.journal.store import Journal
from companion.library import resolve
from companion.playback.outputs import ClockOutput
from companion.pause import waits
from companion.first_line.scan import first_spoken_line, steps
from companion.pause.flow import PauseFlow
from companion.options import COMMANDS, UsageError
from companion.pause.moment import PauseOptions, parse_args
from companion.pause.pulse import bpm, parse_count, verdict
from companion.playback.player import Lengths
from companion.session.screen import Screen
from companion.script import parse, parse_file
from companion.playback.timeline import plan
from tests.fakes import FakeClips, FakeClock

HEAD = '+++\ntitle = "T"\n+++\n'
SCRIPTS = {"stay": "Feet on the floor.\n[pause 2s]\nChoose.\n", "sit": "Sit with it.\n[pause 2s]\n",
           "return": "Welcome back.\n", "soften-leaving": "Their silence is full.\n",
           "boat": "Not tonight.\n[pause 30s]\n", "followed": "They followed you.\n[pause 30s]\n", "not-back": "The time has passed.\n",
           "threatened": "They said they want to leave.\n[pause 30s]\n", "coming-back": "Late is still back.\n[pause 30s]\n"}


# -- the wait ------------------------------------------------------------------
def test_the_bell_rings_exactly_at_the_promised_minute_with_cues_between():
    lengths = Lengths(FakeClips())
    steps_ = waits.wait_steps(waits.announcement("leaving", "21:40"), waits.cues("leaving"), 20, lengths)
    events = plan(steps_, lengths).events
    bell = events[-1]
    assert bell.kind == "bell" and bell.asset == "bell-soft"
    assert bell.start == 20 * 60 * pcm.RATE_HZ  # to the frame
    cues = [e for e in events if e.kind == "speech" and e.text in waits.cues("leaving")]
    assert [c.start // pcm.RATE_HZ for c in cues] == [300, 600, 900]  # every five minutes, none in the last one


def test_quiet_means_no_cues_and_the_same_bell():
    lengths = Lengths(FakeClips())
    events = plan(waits.wait_steps(["Holding off."], waits.cues("reaching"), 20, lengths, quiet=True), lengths).events
    assert [e.kind for e in events] == ["speech", "silence", "bell"]
    assert events[-1].start == 20 * 60 * pcm.RATE_HZ


def test_the_announcement_names_the_return_time():
    assert waits.announcement("leaving", "21:40")[0] == "I'm flooded. I'm not leaving you. I'll be back at 21:40."
    assert waits.announcement("leaving", "21:50", 30)[:2] == \
        ["I'm flooded. I'm not leaving you. I'll be back at 21:50.", "A break of 30 minutes."]
    assert waits.roles("leaving") == ("you",) and waits.roles("reaching") == ()  # the listener's words, their voice
    assert "21:40" in waits.announcement("reaching", "21:40")[0]


# -- options ---------------------------------------------------------------------
def test_fast_options():
    assert parse_args([]) == PauseOptions()
    assert parse_args(["--leave", "--minutes", "30", "--quiet"]) == PauseOptions("leaving", 30, True)
    assert parse_args(["--reach", "--minutes=5", "--text", "--pulse"]) == PauseOptions("reaching", 5, False, True, True)


@pytest.mark.parametrize("argv, message", [(["--leave", "--reach"], "cannot be used together"),
                                           (["--minutes", "soon"], "needs a number"), (["--minutes", "0"], "from 1"),
                                           (["--minutes"], "needs a number"), (["-x"], "no such option")])
def test_fast_options_refuse_bad_input(argv, message):
    with pytest.raises(UsageError, match=message):
        parse_args(argv)


def test_the_fast_parser_and_the_click_command_know_the_same_options():
    click_names = {opt for param in pause_command.params for opt in param.opts}
    assert click_names == {option.flag for option in COMMANDS["pause"]}


# -- the first line, without pydantic --------------------------------------------
def test_the_first_spoken_line_is_found_by_a_light_scan():
    first = first_spoken_line(HEAD + "# note\nYou stopped.\n[pause 1s]\n")
    assert (first.text, first.line) == ("You stopped.", 5)
    assert first_spoken_line(HEAD + "[pause 1s]\nHi.\n") is None  # not first: left to the parser
    assert first_spoken_line(HEAD + "\nHi.\n") is None  # a blank line is a pause
    assert first_spoken_line(HEAD + "A: Hi.\n") is None


def test_lazy_steps_equal_the_parsed_ones_for_every_builtin():
    from companion.library import builtin_scripts

    for path in builtin_scripts().values():
        lazy = list(steps(path))
        parsed = parse_file(path).steps
        assert [(s.kind, getattr(s, "text", None)) for s in lazy] == [(s.kind, getattr(s, "text", None)) for s in parsed]


# -- the pulse -----------------------------------------------------------------------
def test_pulse_arithmetic_and_verdict():
    assert bpm(28) == 112 and parse_count(" 28 ") == 28
    with pytest.raises(ValueError, match="for example 22"):
        parse_count("lots")
    with pytest.raises(ValueError, match="300 beats in 15 seconds would be 1200 a minute"):
        parse_count("300")
    assert "over the flooding line" in verdict(112)[0] and "over the flooding line" not in verdict(92)[0]
    assert "over the flooding line" in verdict(92, flooded_bpm=80)[0]  # a trained athlete's threshold
    assert verdict(112, break_minutes=30)[-1].endswith("30 minutes is a good start.")  # the break it will offer


# -- the whole flow, on a fake clock ---------------------------------------------------
@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """The flow remembers the side: never in the real user's folders."""
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / "xdg" / name.lower()))


class Keys:
    """Keys chosen by what the flow is doing: `plan` maps a stage to keys pressed in it.

    A key given as (words, key) is pressed once a caption holding `words` is on
    screen (a `Timeline` screen). A key given as (seconds into the stage, key) is
    pressed at that time on the fake clock, however slowly the machine runs: the clock (see `sleep`) does
    not pass a key that is due until the flow has read it, nor move on until
    the flow has acted on it (read again, or stopped the output).
    """

    active = True
    HOLD_LIMIT_S = 10.0  # real seconds: a key nobody reads must not hang the test (its assert then fails)

    def __init__(self, plan, clock):
        self.plan = {stage: list(keys) for stage, keys in plan.items()}
        self.clock = clock
        self._lock = threading.Lock()
        self._stage = self._stage_cursor = None  # the stage the last cursor was attached in, and its first cursor
        self._acting = False  # a key was read and the flow has not come back for the next
        self._held_since = None
        self.flow = None

    @property
    def flow(self):
        return self._flow

    @flow.setter
    def flow(self, flow):
        """Watches the flow's output: the first cursor attached while a new stage is named is that
        stage's own. The flow names a stage before it attaches the stage's cursor, in one thread, so
        this holds however the threads are scheduled, with no guess from cursors seen in passing."""
        self._flow = flow
        if flow is None:
            return
        attach = flow.output.attach

        def attached(cursor):
            with self._lock:
                stage = flow.record["stage"]
                if stage != self._stage:
                    self._stage, self._stage_cursor = stage, cursor
            attach(cursor)

        flow.output.attach = attached

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def cooked(self):
        return self

    def read(self, timeout_s):
        time.sleep(0.001)
        with self._lock:
            self._acting = False
            stage = self._due()
            if stage is None:
                return None
            key = self.plan[stage].pop(0)
            self._acting = True
        if isinstance(key, tuple):
            key = key[1]
        if key is KeyboardInterrupt:
            raise KeyboardInterrupt
        return key

    def sleep(self, seconds):
        """The output's sleep. Held, it returns without moving the clock, so the output still sees a stop."""
        with self._lock:
            held = self._acting or self._due() is not None
            if held and self._held_since is None:
                self._held_since = time.monotonic()
            if not held or time.monotonic() - self._held_since > self.HOLD_LIMIT_S:
                self._held_since = None
                self.clock.sleep(seconds)
        time.sleep(0.0005)  # let the flow's thread run

    def _due(self) -> str | None:
        """The current stage, if its next key is due; else None. (Called with the lock held.)

        Time in a stage is the position of the stage's own cursor, not the fake clock: under load the
        planner can lag, the cursor then stalls while the clock runs on, and a key timed by the clock
        would land earlier in the stage than planned."""
        stage = self.flow.record["stage"]
        pending = self.plan.get(stage)
        if not pending:
            return None
        at = pending[0][0] if isinstance(pending[0], tuple) else 0
        if isinstance(at, str):  # pressed once a caption holding these words is on screen
            due = any(at in shown for shown in getattr(self.flow.screen, "shown", ()))
        else:
            cursor = self._stage_cursor if self._stage == stage else None  # None: its sequence has not begun
            due = (cursor.position / pcm.RATE_HZ if cursor is not None else 0.0) >= at
        return stage if due else None


class Timeline(Screen):
    """Keeps every caption with where the program's own timeline was when it was drawn: the seconds
    the pause had played before this phase, plus the phase's cursor; and how many clips had been
    asked for by then (FakeClips.calls)."""

    def __init__(self):
        super().__init__()
        self.flow = None
        self.shown: list[str] = []
        self.at: list[tuple[str, float, int]] = []

    def caption(self, text):
        flow = self.flow
        cursor = getattr(flow.output, "cursor", None) if flow is not None else None
        played = flow.played_s + (cursor.position / pcm.RATE_HZ if cursor is not None else 0.0) if flow else 0.0
        calls = len(flow._clips.calls) if flow is not None and flow._clips is not None else 0
        self.at.append((text, played, calls))
        self.shown.append(text)
        super().caption(text)

    def first(self, words):
        """(seconds on the timeline, clips asked for) when a caption holding `words` was first drawn."""
        return next((played, calls) for text, played, calls in self.at if words in text)


def pause_flow(tmp_path, keys_plan, side=None, minutes=None, lines=(), last_side=None, pulse=False,
               now=datetime(2026, 11, 25, 21, 20), builtin=False, screen=None, clips=None):
    clock = FakeClock()
    keys = Keys(keys_plan, clock)
    output = ClockOutput(clock=clock, sleep=keys.sleep, step_s=2.0)
    journal_path = tmp_path / "journal.sqlite3"
    typed = list(lines)
    flow = PauseFlow(output=output, screen=screen or Screen(), keys=keys, clips_factory=clips or FakeClips,
                     journal_factory=lambda: Journal(journal_path), minutes=minutes, last_side=last_side,
                     now=lambda: now.astimezone(), read_line=lambda prompt: typed.pop(0),
                     warn=print, scripts=(lambda name: parse_file(resolve(name)).steps) if builtin else
                     (lambda name: parse(HEAD + SCRIPTS[name]).steps))
    keys.flow = flow
    if isinstance(screen, Timeline):
        screen.flow = flow
    code = flow.run(side, pulse_first=pulse)
    journal = Journal(journal_path)
    rows = journal.recent()
    journal.close()
    return code, rows, clock


def test_leaving_stay_then_a_twenty_minute_break_then_return(tmp_path, capsys):
    code, (row,), clock = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"]})
    out = capsys.readouterr().out
    assert code == 0
    assert 'You: "I\'m flooded. I\'m not leaving you. I\'ll be back at 21:40."' in out  # twenty minutes ahead
    assert "A break of 20 minutes." in out
    assert "Welcome back." in out
    assert (row["mode"], row["side"], row["break_minutes"], row["returned"], row["stage"]) == \
        ("pause", "leaving", 20, True, "done")
    assert row["completed"] is True and row["played_s"] > 20 * 60
    assert clock.now - 1000 >= 20 * 60  # the clock really ran the break, in seconds of test time


def test_space_in_the_break_quiets_the_cues_but_keeps_the_promised_return_time(tmp_path, capsys):
    # "I'll be back at 21:40" is a promise to the partner: pausing must not move the bell.
    code, (row,), clock = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"],
                                                "break": [(4 * 60, " "), (8 * 60, " ")]})
    out = capsys.readouterr().out
    assert code == 0 and row["returned"] is True  # (that the bell keeps its time: see test_cursor.py)
    assert waits.cues("leaving")[0] not in out  # the five-minute cue fell in the quiet
    assert waits.cues("leaving")[1] in out  # cues again after the second space


def test_in_the_break_n_skips_nothing_and_r_comes_back_early(tmp_path, capsys):
    # n would jump the countdown past the promised time; r is the deliberate way back.
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"],
                                            "break": [(60, "n"), (60, "n"), (60, "n"), (60, "n"), (7 * 60, "q")]})
    out = capsys.readouterr().out
    assert (row["stage"], row["end_reason"], row["returned"]) == ("break", "stopped", False)
    assert waits.cues("leaving")[0] in out and waits.cues("leaving")[1] not in out
    code, (row, _), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(2 * 60, "r"), "r"]})
    assert (row["stage"], row["returned"], row["completed"]) == ("done", True, True)
    assert row["wait_s"] < 15 * 60 and row["break_minutes"] == 20  # the journal tells an early return apart
    assert "Welcome back." in capsys.readouterr().out


def test_one_r_alone_only_asks_to_be_sure(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(60, "r"), (6 * 60, "q")]})
    assert (row["stage"], row["end_reason"], row["returned"]) == ("break", "stopped", False)
    assert 60 < row["wait_s"] < 8 * 60  # the wait went on past the one r (under load the cursor may lag the fake clock)


def test_the_bell_rings_on_the_minute_it_names(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"]},
                                 now=datetime(2026, 11, 25, 21, 20, 35))
    assert "I'll be back at 21:41." in capsys.readouterr().out  # not 21:40, 35 s before the bell
    assert 20 * 60 + 25 <= row["wait_s"] <= 20 * 60 + 25 + 4  # the wait ends at 21:41:00 (then the bell sounds)
    assert row["break_minutes"] == 20


def test_a_key_chooses_the_break_length(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["3"]})
    assert row["break_minutes"] == 30 and "I'll be back at 21:50." in capsys.readouterr().out


def test_staying_in_the_room_ends_without_a_break(tmp_path, capsys):
    from companion.pause.flow import staying

    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["s"]})
    assert code == 0 and row["stage"] == "stayed" and row["break_minutes"] is None and row["completed"] is True
    assert staying()[0] in capsys.readouterr().out  # not a silent exit


def test_ctrl_c_in_the_middle_of_the_break_is_journalled_with_how_far_it_got(tmp_path):
    code, (row,), clock = pause_flow(tmp_path, {"break": [(10 * 60, KeyboardInterrupt)]}, side="leaving", minutes=20)
    assert code == 130
    assert (row["end_reason"], row["completed"], row["stage"], row["returned"]) == ("interrupted", False, "break", False)
    assert 9 * 60 < row["played_s"] < 12 * 60 and row["break_minutes"] == 20


def test_q_in_the_middle_of_the_hold_off_wait(tmp_path):
    code, (row,), _ = pause_flow(tmp_path, {"hold-off": [(60, "q")]}, side="reaching", minutes=20)
    assert code == 0 and row["end_reason"] == "stopped" and row["stage"] == "hold-off" and row["side"] == "reaching"


def test_reaching_sit_then_hold_off_then_soften_leaving(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["r"]}, minutes=15)
    out = capsys.readouterr().out
    assert code == 0 and "Holding off until 21:35" in out and "Their silence is full." in out
    assert (row["side"], row["break_minutes"], row["returned"], row["stage"]) == ("reaching", 15, True, "done")


SAFETY_WORDS = "Flooding is not danger."


@pytest.mark.parametrize("side", ["l", "r"])
def test_a_whole_guided_pause_says_the_safety_line_once(tmp_path, capsys, side):
    # The built-in sequences: stay and return (or sit and soften-leaving) both carry [safety].
    assert SAFETY_WORDS in parse_file(resolve("return")).steps[1].text
    code, (row,), _ = pause_flow(tmp_path, {"question": [side], "choice": ["\n"]}, builtin=True)
    out = capsys.readouterr().out
    assert code == 0 and row["stage"] == "done"
    assert out.count(SAFETY_WORDS) == 1
    assert out.count("Help: call") == 1 and 'help = "..." in config.toml' in out  # where help is, right after it
    assert out.index("Help: call") > out.index(SAFETY_WORDS)


def test_the_help_setting_is_said_after_the_safety_line(tmp_path, capsys):
    config = tmp_path / "xdg" / "config" / "companion" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('help = "Call 988, the crisis line"\n')
    pause_flow(tmp_path, {"question": ["l"], "choice": ["s"]}, builtin=True)
    out = capsys.readouterr().out
    assert "Help: Call 988, the crisis line." in out and "config.toml" not in out


def test_pause_minutes_30_says_thirty_before_the_break_never_twenty(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {}, side="leaving", minutes=30, builtin=True)
    out = capsys.readouterr().out
    before_the_break = out[:out.index("Go somewhere you can be alone.")]
    assert "I'll be back at 21:50." in before_the_break and "A break of 30 minutes." in before_the_break
    assert not re.search(r"\btwenty\b|\b20 minutes", out, re.IGNORECASE)
    assert row["break_minutes"] == 30 and row["stage"] == "done"


def test_sit_names_the_time_the_hold_off_ends(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {}, side="reaching", minutes=30, builtin=True)
    out = capsys.readouterr().out
    assert "wait until 21:50." in out and "holding off until 21:50" in out
    assert not re.search(r"\btwenty\b|\b20 minutes", out, re.IGNORECASE)


def test_b_at_the_question_plays_boat_then_offers_the_break(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["b"], "choice": ["3"]})
    out = capsys.readouterr().out
    assert "b  I want to end the relationship" in out
    assert "Not tonight." in out and "Feet on the floor." not in out  # boat instead of stay
    assert out.index("Not tonight.") < out.index("Take a break now?") < out.index("A break of 30 minutes.")
    assert (row["side"], row["break_minutes"], row["stage"]) == ("leaving", 30, "boat > done")


def test_f_in_the_break_plays_followed_and_the_bell_keeps_its_time(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(5 * 60, "f")]})
    out = capsys.readouterr().out
    assert "They followed you." in out and "The bell still rings at 21:40." in out and "Welcome back." in out
    assert out.index("They followed you.") < out.index("The bell still rings at 21:40.") < out.index("Welcome back.")
    assert (row["stage"], row["returned"], row["completed"]) == ("followed > done", True, True)
    assert 20 * 60 - 5 <= row["wait_s"] <= 20 * 60 + 5  # the wait, followed included, still ends at 21:40


class StatusScreen(Screen):
    """Keeps every progress line's key hints (a test's stdout is no terminal, so none is drawn)."""

    def __init__(self):
        super().__init__()
        self.notes = set()

    def status(self, elapsed_s, total_s, paused=False, note="", times=True):
        self.notes.add(note)


def test_the_status_line_shows_the_keys_to_the_moments(tmp_path):
    screen = StatusScreen()
    pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(30, " "), (60, "q")]}, screen=screen)
    assert any("r ready · f followed · c late · q end" in n for n in screen.notes)
    assert "space pause · n next · x break now · q end" in screen.notes  # in stay: the break now
    assert any("space cues on" in n for n in screen.notes)  # muted
    assert all(len(n) <= 80 - 14 for n in screen.notes)  # with the bar, whole on an 80-column terminal
    screen = StatusScreen()
    pause_flow(tmp_path, {"question": ["r"], "soften-leaving": [(20, "q")]}, minutes=15, screen=screen, builtin=True)
    assert not any("followed" in n or "break now" in n for n in screen.notes)  # for the one who asked for the break
    assert any("r ready · t they said leave · q end" in n for n in screen.notes)  # in the hold-off
    assert "space pause · w they're not back · q end" in screen.notes


def test_q_in_followed_is_journalled_at_followed(tmp_path):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(60, "f")],
                                            "followed": [(10, "q")]})
    assert (row["stage"], row["end_reason"], row["returned"]) == ("followed", "stopped", False)


def test_w_after_the_hold_off_bell_plays_not_back(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["r"], "soften-leaving": ["w"]}, minutes=15)
    out = capsys.readouterr().out
    assert "(If they're not back, press w.)" in out and "The time has passed." in out
    assert (row["side"], row["returned"], row["stage"], row["completed"]) == ("reaching", True, "not-back > done", True)


def test_enter_with_no_side_before_says_which_keys_choose(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["\n", "r"], "choice": ["s"]}, minutes=15)
    assert "Press l to leave, or r to reach." in capsys.readouterr().out and row["side"] == "reaching"


def test_enter_takes_the_side_chosen_last_time(tmp_path):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["\n"], "choice": ["s"]}, last_side="leaving")
    assert row["side"] == "leaving"


def test_the_pulse_is_counted_judged_and_journalled(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["s"]}, pulse=True, lines=["many", "28"])
    out = capsys.readouterr().out
    assert "Type the number of beats" in out and "About 112 beats a minute. That's over the flooding line. If your chest hurts, or you feel faint, call the emergency number." in out
    assert row["pulse_bpm"] == 112 and row["side"] == "leaving"


def test_n_cannot_skip_the_pulse_count_and_its_bells_say_start_and_stop(tmp_path, capsys):
    from companion.pause.pulse import START, STOP

    code, (row,), _ = pause_flow(tmp_path, {"pulse": ["n"] * 6, "question": ["q"]}, pulse=True, lines=["22"])
    out = capsys.readouterr().out
    assert row["pulse_bpm"] == 88 and row["played_s"] > 30  # the instructions and the 15 s count all played
    assert START in out and STOP in out and out.index(START) < out.index(STOP)


def test_q_at_the_beat_prompt_ends_the_pause(tmp_path):
    code, (row,), _ = pause_flow(tmp_path, {}, pulse=True, lines=["q"])
    assert code == 0 and (row["end_reason"], row["pulse_bpm"], row["stage"]) == ("stopped", None, "pulse")


def test_the_side_is_remembered_even_after_a_pulse_count(tmp_path):
    from companion import state

    pause_flow(tmp_path, {"question": ["l"], "choice": ["s"]}, pulse=True, lines=["22"])
    assert state.load()["side"] == "leaving"


def test_quitting_at_the_question_leaves_no_journal_row(tmp_path):
    clock = FakeClock()
    keys = Keys({"question": ["q"]}, clock)
    flow = PauseFlow(output=ClockOutput(clock=clock, sleep=clock.sleep), screen=Screen(), keys=keys,
                     clips_factory=FakeClips, journal_factory=lambda: Journal(tmp_path / "j.sqlite3"))
    keys.flow = flow
    assert flow.run() == 0
    assert not (tmp_path / "j.sqlite3").exists()


def test_the_hot_path_imports_neither_numpy_pydantic_nor_click_before_the_first_word():
    import subprocess
    import sys

    probe = """
import sys
from companion.pause import flow, moment
from companion.playback import outputs, player
from companion.session import loop, screen
from companion import state, config, paths
from companion.library import resolve
from companion.first_line.scan import steps
from companion.playback.timeline import iter_events
from tests.fakes import FakeClips
first = next(iter_events(steps(resolve("stay")), player.Lengths(FakeClips())))
player.audio_for(first, FakeClips())
print(first.text)
print(sorted(m for m in ("numpy", "pydantic", "click", "sqlite3", "tomllib") if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    first_line, loaded = result.stdout.strip().splitlines()
    assert first_line == "You stopped. You're still here."
    assert loaded == "[]"


def test_the_first_line_path_imports_nothing_heavy():
    # What `pause --leave` imports before the first line plays from the index (warm cache).
    import subprocess
    import sys

    probe = """
import sys
from companion import interrupt
from companion.playback import outputs
from companion.first_line import sides
from companion.pause import moment
sides.read("leaving")
print(sorted(m for m in ("numpy", "pydantic", "click", "sqlite3", "pathlib", "platformdirs", "pyttsx3")
             if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- the first word by the shortest path (prepare's index) ------------------------------
@pytest.fixture
def xdg(tmp_path, monkeypatch):
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return tmp_path


def prepared_index(xdg):
    from companion.playback import pcm
    from companion.first_line import sides
    from companion.paths import cache_dir
    from companion.voice.clips import ClipStore, VoiceSettings

    clips = ClipStore(cache_dir() / "clips", VoiceSettings())
    for side, name in sides.FIRST.items():
        from companion.library import resolve

        first = first_spoken_line(resolve(name).read_text())
        path = clips.path("guide", first.text)
        path.parent.mkdir(parents=True, exist_ok=True)
        pcm.write_wav(path, (side == "leaving" and b"\x01\x00" or b"\x02\x00") * 500)
    sides.write(clips)
    return sides


def test_the_index_gives_each_sides_first_clip(xdg):
    sides = prepared_index(xdg)
    assert sides.read("leaving") == b"\x01\x00" * 500
    assert sides.read("reaching") == b"\x02\x00" * 500


def test_the_index_is_ignored_once_the_config_changes(xdg):
    sides = prepared_index(xdg)
    (xdg / "config" / "companion").mkdir(parents=True)
    (xdg / "config" / "companion" / "config.toml").write_text('[voices]\nguide = "gmw/en-gb-x-rp"\n')
    assert sides.read("leaving") == b""  # another voice: the ordinary path renders it


def test_the_index_is_ignored_when_a_user_script_would_win(xdg):
    sides = prepared_index(xdg)
    (xdg / "config" / "companion" / "scripts").mkdir(parents=True)
    (xdg / "config" / "companion" / "scripts" / "stay.txt").write_text(HEAD + "Mine.\n")
    assert sides.read("leaving") == b""


def test_the_index_is_ignored_once_companion_is_upgraded(xdg, monkeypatch):
    from companion.first_line import sides

    engine = xdg / "engine.py"
    engine.write_text("FORMAT = 4\n")
    monkeypatch.setattr(sides, "ENGINE_FILES", [str(engine)])
    prepared_index(xdg)
    assert sides.read("leaving")
    engine.write_text("FORMAT = 5\n")  # a new release: clips are made another way
    assert sides.read("leaving") == b""


def test_the_code_the_index_depends_on_is_where_it_looks():
    import os

    from companion.first_line import sides

    assert all(os.path.isfile(path) for path in sides.ENGINE_FILES)  # a rename would disable the check


def test_no_index_no_early_first_line(xdg):
    from companion.first_line import sides

    assert sides.read("leaving") == b""


def test_a_cursor_begins_after_the_first_line_and_still_captions_it():
    from companion.playback.cursor import Audio, Cursor
    from companion.playback.timeline import Event

    events = [Event("speech", 0, 100, "first", role="guide", text="first"), Event("silence", 100, 50),
              Event("speech", 150, 20, "second", role="guide", text="second")]
    cursor = Cursor(events, fetch=lambda i, e: Audio(b"\x07\x00" * e.frames))
    cursor.planned.set()
    cursor.played_already(100)
    assert cursor.position == 100 and cursor.index == 1 and list(cursor.entered) == [0]
    assert cursor.read(50) == bytes(100) and cursor.read(20) == b"\x07\x00" * 20


def test_the_banner_fits_a_narrow_terminal_and_names_the_time_after_its_label():
    from companion.pause.banner import banner

    rows = banner("I'm flooded. I'm not leaving you. I'll be back at 21:40.", "21:40", "back at", 44).splitlines()
    assert max(len(r) for r in rows) <= 44
    assert "I'm flooded. I'm not leaving you." in rows[1] and "I'll be back at 21:40." in rows[2]
    label = next(i for i, r in enumerate(rows) if "back at  " in r)
    assert "█" in rows[label + 1] and "█" not in rows[label - 1]  # the label reads into the big time


def test_a_terminal_too_narrow_for_block_letters_still_shows_the_time_whole():
    from companion.pause.banner import banner

    rows = banner("I'm flooded. I'm not leaving you. I'll be back at 21:40.", "21:40", "back at", 30).splitlines()
    assert max(len(r) for r in rows) <= 30 and any("back at 21:40" in r for r in rows) and "█" not in "".join(rows)


def test_the_banner_is_never_wrapped_by_the_screen_at_any_width(monkeypatch):
    import io

    from companion.pause.banner import banner
    from companion.session.screen import Screen

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for columns in range(28, 130):
        monkeypatch.setenv("COLUMNS", str(columns))
        text = banner("Holding off until 21:40. No texts, no calls, no following.", "21:40", "a bell rings at")
        out = Terminal()
        Screen(out).caption(text)
        assert out.getvalue() == text + "\n", columns  # the frame stays whole


def test_prepare_renders_every_fixed_line_the_pause_speaks():
    from companion.pause.flow import staying
    from companion.pause.pulse import instructions
    from companion.prepare import _utterances

    texts = {text for _, text in _utterances()}
    fixed = (*staying(), *instructions(), *waits.cues("leaving"), *waits.cues("reaching"), *verdict(200)[1:], *verdict(60)[1:],
             *waits.announcement("leaving", "")[1:], *waits.announcement("reaching", "")[1:],
             *waits.back_to_the_break("")[1:], *waits.back_to_the_break("", "reaching")[1:], BREAK_NOW_SAID)
    assert set(fixed) <= texts  # only the lines naming a time are rendered when they are said


def test_a_broken_stay_of_your_own_plays_the_built_in_one(tmp_path):
    # In a fight, a typo in the person's own version of `stay` must not cost them the pause.
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import ESPEAK_GUIDE
    from tests.soundlab import Running

    scripts = tmp_path / "xdg" / "config" / "companion" / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "stay.txt").write_text('+++\ntitle = "Mine"\n+++\n[pause 4 s]\n')
    # no background prepare: it would go on rendering the whole library after the test
    (scripts.parent / "config.toml").write_text(ESPEAK_GUIDE)
    run = Running([sys.executable, "-m", "companion", "pause", "--text", "--leave"], env=dict(os.environ),
                  stdin=subprocess.PIPE)
    run.wait_for("You stopped. You're still here.")  # the built-in's first line
    run.proc.send_signal(signal.SIGINT)
    out, err = run.finish()
    assert run.proc.returncode == 130 and "Traceback" not in err
    assert "stay.txt:4:" in err and "playing the built-in 'stay' instead" in err


class Adds(Journal):
    """A real journal that keeps every column written after the row's start, in order."""

    written: list = []

    def add(self, session_id, **extra):
        Adds.written.append(extra)
        super().add(session_id, **extra)


def test_the_side_and_each_stage_are_journalled_as_soon_as_known(tmp_path):
    Adds.written = []
    clock = FakeClock()
    keys = Keys({"question": ["l"], "choice": ["\n"], "break": [(60, "q")]}, clock)
    flow = PauseFlow(output=ClockOutput(clock=clock, sleep=keys.sleep, step_s=2.0), screen=Screen(), keys=keys,
                     clips_factory=FakeClips, journal_factory=lambda: Adds(tmp_path / "j.sqlite3"),
                     now=lambda: datetime(2026, 11, 25, 21, 20).astimezone(),
                     scripts=lambda name: parse(HEAD + SCRIPTS[name]).steps)
    keys.flow = flow
    assert flow.run() == 0
    assert Adds.written[0]["side"] == "leaving" and Adds.written[0]["stage"] == "stay"  # as the row began
    stages = [w["stage"] for w in Adds.written if "stage" in w]
    assert stages == ["stay", "choice", "break"]  # each written as it began, before the end
    assert {"break_minutes": 20} in Adds.written


def test_a_pause_killed_outright_in_stay_keeps_its_side_and_stage(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from tests.soundlab import Running

    run = Running([sys.executable, "-m", "companion", "pause", "--text", "--leave"], env=dict(os.environ),
                  stdin=subprocess.PIPE)
    run.wait_for("You stopped. You're still here.")  # stay's first line: its row has begun
    run.proc.send_signal(signal.SIGKILL)
    run.finish()
    assert run.proc.returncode == -signal.SIGKILL
    journal = Journal(tmp_path / "xdg" / "data" / "companion" / "journal.sqlite3")
    (row,) = journal.recent()
    journal.close()
    assert (row["mode"], row["side"], row["stage"], row["end_reason"]) == ("pause", "leaving", "stay", "running")


# -- keys that reach a moment at once (#17, #18) -----------------------------------------------
BREAK_NOW_SAID = "To take your break right now, press x."


def test_x_in_stay_reaches_the_breaks_question_and_the_return_time_is_said_within_5_s(tmp_path, capsys):
    # On the program's own timeline: x pressed once stay has said which key (a caption), the
    # question at once, and the listener's words with the real return time within 5 s of choosing.
    screen = Timeline()
    code, (row,), _ = pause_flow(tmp_path, {"stay": [(BREAK_NOW_SAID, "x")], "choice": ["\n"], "break": [(30, "q")]},
                                 side="leaving", builtin=True, screen=screen)
    out = capsys.readouterr().out
    assert out.count(BREAK_NOW_SAID) == 1  # said aloud once, in stay
    assert out.index("You: \"I'm flooded. I'm not leaving you. I'll be back.\"") < out.index(BREAK_NOW_SAID)
    pressed, _ = screen.first(BREAK_NOW_SAID)
    asked, _ = screen.first("Take a break now?")
    said, _ = screen.first("I'll be back at 21:40.\"")  # the spoken line's caption, in the listener's voice
    assert pressed < 90 and "Choose the one your body can keep." not in out  # long before stay's end
    assert asked - pressed <= 2.0  # stay stopped within the output's step: the question came at once
    assert said - asked < 5.0
    assert (row["stage"], row["break_minutes"], row["end_reason"]) == ("break-now > break", 20, "stopped")


def test_x_in_boat_reaches_the_breaks_question_too(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["b"], "boat": [("Not tonight.", "x")], "choice": ["3"],
                                            "break": [(10, "q")]}, screen=Timeline())
    out = capsys.readouterr().out
    assert out.index("Not tonight.") < out.index("Take a break now?")
    assert (row["stage"], row["break_minutes"]) == ("boat > break-now > break", 30)


def test_the_boat_path_promises_only_the_return(tmp_path, capsys):
    # boat has just said "Not to promise anything either": no "I'm not leaving you" after it.
    code, (row,), _ = pause_flow(tmp_path, {"question": ["b"], "choice": ["\n"], "break": [(10, "q")]})
    out = capsys.readouterr().out
    assert 'You: "I\'m flooded. I need a break. I\'ll be back at 21:40."' in out
    assert "I'm not leaving you" not in out  # neither said nor in the box
    code, _, _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(10, "q")]})
    assert "I'm flooded. I'm not leaving you. I'll be back at 21:40." in capsys.readouterr().out  # stay's path


def test_the_break_key_is_said_right_after_the_words_to_say_before_stepping_away():
    from companion.lines import said
    from companion.pause.flow import BREAK_NOW_KEY, _saying_the_break_key

    assert said("pause.now.key") == [BREAK_NOW_SAID] and f"press {BREAK_NOW_KEY}." in BREAK_NOW_SAID
    for name in ("stay", "boat"):
        steps_ = list(_saying_the_break_key(parse_file(resolve(name)).steps))
        texts = [getattr(s, "text", "") for s in steps_]
        (at,) = [i for i, t in enumerate(texts) if t == BREAK_NOW_SAID]  # once
        assert steps_[at - 1].role == "you" and all(getattr(s, "role", "") != "you" for s in steps_[:at - 1])


def test_the_breaks_box_is_drawn_before_any_of_its_speech_is_rendered(tmp_path, capsys):
    # #17: Enter at the question changed nothing on screen for 6 s. The box and the return time
    # come before any clip of what follows is asked for, the agreement's words included.
    from companion.together import agreement

    agreement.save(agreement.Agreement({"A": "Sam", "B": "Alex"}, word="Anchor", minutes=25, place_A="the park",
                                       place_B="the kitchen", sentence_A="I need air", sentence_B="I need air",
                                       way_back="We sit quietly first"))
    screen = Timeline()
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(10, "q")]}, screen=screen)
    out = capsys.readouterr().out
    _, asked = screen.first("Take a break now?  Enter: 25 minutes")  # the agreed length is the default
    _, boxed = screen.first("║  back at")
    assert boxed == asked  # nothing rendered between the key and the box
    assert out.index("║  back at") < out.index("You agreed on this") < out.index('You: "I\'m flooded.')
    assert row["break_minutes"] == 25 and "I'll be back at 21:45." in out


def test_with_a_kept_agreement_the_return_time_is_still_said_within_5_s_of_choosing(tmp_path, capsys):
    # The agreement's words take about 15 s: the return time is said before them, not after.
    from companion.together import agreement

    agreement.save(agreement.Agreement({"A": "Sam", "B": "Alex"}, word="Anchor", minutes=25, place_A="the park",
                                       place_B="the kitchen", sentence_A="I need air", sentence_B="I need air",
                                       way_back="We sit quietly first"))
    screen = Timeline()
    pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(10, "q")]}, screen=screen)
    out = capsys.readouterr().out
    asked, _ = screen.first("Take a break now?  Enter: 25 minutes")
    said, _ = screen.first("Your break ends at 21:45.")
    assert said - asked < 5.0
    assert out.index("Your break ends at 21:45.") < out.index("You agreed on this") < out.index('You: "I\'m flooded.')


def test_a_moments_name_is_on_screen_before_its_speech_is_rendered(tmp_path, capsys):
    screen = Timeline()
    pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(60, "f")], "followed": [(5, "q")]},
               screen=screen)
    _, named = screen.first("(f: they followed you)")
    assert not any("They followed you." in text for _, text in screen.flow._clips.calls[:named])


def test_t_in_the_hold_off_plays_threatened_and_the_bell_keeps_its_time(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["r"], "hold-off": [(3 * 60, "t")]}, minutes=15)
    out = capsys.readouterr().out
    assert "(t: they said they'd leave you)" in out
    assert out.index("They said they want to leave.") < out.index("Back to holding off. The bell still rings at 21:35.") \
        < out.index("Their silence is full.")
    assert (row["stage"], row["returned"], row["completed"]) == ("threatened > done", True, True)
    assert 15 * 60 - 5 <= row["wait_s"] <= 15 * 60 + 5  # the wait, threatened included, still ends at 21:35


def test_c_in_the_break_plays_coming_back_then_the_break_goes_on(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(10 * 60, "c")]})
    out = capsys.readouterr().out
    assert "(f: they followed you · c: you're late, or going back feels too hard)" in out  # the keys, on screen
    assert out.index("Late is still back.") < out.index("The bell still rings at 21:40.") < out.index("Welcome back.")
    assert (row["stage"], row["returned"]) == ("coming-back > done", True)
    assert 20 * 60 - 5 <= row["wait_s"] <= 20 * 60 + 5


# -- the pulse: the break it offers is the one kept (#18) ----------------------------------------
def test_the_verdict_quotes_the_agreed_break_length(tmp_path, capsys):
    from companion.together import agreement

    agreement.save(agreement.Agreement({"A": "Sam", "B": "Alex"}, word="Anchor", minutes=35, place_A="the park",
                                       place_B="the kitchen", sentence_A="I need air", sentence_B="I need air",
                                       way_back="We sit quietly first"))
    pause_flow(tmp_path, {"question": ["q"]}, pulse=True, lines=["28"])
    out = capsys.readouterr().out
    assert "35 minutes is a good start." in out and "20 minutes" not in out
    pause_flow(tmp_path, {"question": ["q"]}, pulse=True, lines=["30"], minutes=15)  # --minutes still wins
    assert "15 minutes is a good start." in capsys.readouterr().out


@pytest.mark.parametrize("side, stage, key, first_words", [
    ("r", "hold-off", "t", "Your partner said they want to leave the relationship."),
    ("l", "break", "c", "Your break ran over, or going back feels too hard."),
])
def test_the_new_moments_play_the_built_in_sequences_from_the_wait(tmp_path, capsys, side, stage, key, first_words):
    name = {"t": "threatened", "c": "coming-back"}[key]
    code, (row,), _ = pause_flow(tmp_path, {"question": [side], "choice": ["\n"], stage: [(60, key)], name: [(20, "q")]},
                                 minutes=15, builtin=True)
    out = capsys.readouterr().out
    assert first_words in out and (row["stage"], row["end_reason"]) == (f"{name}", "stopped")


def test_keys_at_the_question_and_the_count_are_answered_on_screen_before_speech_renders(tmp_path, capsys):
    screen = Timeline()
    pause_flow(tmp_path, {"question": ["b"], "choice": ["s"]}, pulse=True, lines=["28"], screen=screen)
    out = capsys.readouterr().out
    _, counted = screen.first("(112 beats a minute)")
    calls = screen.flow._clips.calls
    assert not any("112" in text for _, text in calls[:counted])  # the verdict's words came after
    assert any("112" in text for _, text in calls[counted:])
    _, chose = screen.first("(b: I want to end the relationship)")
    assert not any("Not tonight." in text for _, text in calls[:chose]) and "Not tonight." in out


def test_c_after_the_breaks_bell_plays_coming_back(tmp_path, capsys):
    # Coming back late: the bell has rung, and the way back is hard.
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "return": ["c"]})
    out = capsys.readouterr().out
    assert "(If you're late, or coming back feels too hard, press c.)" in out and "Late is still back." in out
    assert (row["side"], row["returned"], row["stage"], row["completed"]) == ("leaving", True, "coming-back > done", True)


def test_a_break_ended_before_its_bell_says_the_time_the_partner_was_told(tmp_path, capsys):
    code, (row,), _ = pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"], "break": [(60, "q")]})
    out = capsys.readouterr().out
    assert (row["stage"], row["returned"]) == ("break", False)
    assert out.rstrip().endswith("You said you'd be back at 21:40. Keep that time, or tell your partner if it changes.")
    pause_flow(tmp_path, {"question": ["l"], "choice": ["\n"]})  # the bell rang: the promise was kept
    pause_flow(tmp_path, {"question": ["q"]})  # no break, no promise
    pause_flow(tmp_path, {"question": ["r"], "hold-off": [(60, "q")]})  # the reaching side promised nothing
    assert "You said you'd be back" not in capsys.readouterr().out
