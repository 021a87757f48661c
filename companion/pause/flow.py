"""The guided pause, phase by phase, on one open output.

leaving:  stay -> break (announced, bounded) -> soft bell -> return
reaching: sit  -> hold-off wait               -> soft bell -> soften-leaving

Keys reach the moments on the way without a menu: b at the question plays
`boat`, then offers the break as after `stay`; x in `stay` or `boat` offers the
break now, not after the whole sequence (the pause says so aloud, once); f or c
in the break (they followed me; coming back is hard) and t in the hold-off
(they said they'd leave) play that moment and go back to the wait, whose bell
keeps its promised time; after the bell, w (they're not back) plays `not-back`
on the reaching side and c (coming back late, or ashamed) `coming-back` on
the leaving side. One `Spoken` serves every phase, so the safety line is said
once in the whole pause and the placeholders name its real minutes and return
time.

The screen answers a key at once: the break's box and return time, a question,
a moment's name are drawn before any speech is rendered or any voice loads;
the words follow when ready.

One journal row (mode `pause`, a session.journal_row.Record passed through every
phase) records the side, the pulse if taken, the break minutes, whether the
return bell was reached and the stage reached; the side and each stage are
written as soon as they are known, so a pause killed outright keeps them.
Everything outside is injected (output, keys, screen, clock, journal), so
tests run a twenty-minute break in seconds. `wait` alone is also a together
session's break (lend_break, given to together/policy.py by cli/together.py), on
that session's output and record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .. import interrupt
from ..debug import report
from ..first_line.sides import FIRST
from ..playback import pcm
from ..session.policies import KeepTime, Plain
from ..session.screen import clock

OPTIONS = {"l": "leave: my body wants to get out", "r": "reach: I want to go after them",
           "p": "am I flooded? count my pulse first", "b": "I want to end the relationship"}
QUESTION = ("Do you want to leave, or to reach?  [l/r]\n" + "".join(f"  {key}  {said}\n" for key, said in OPTIONS.items())
            + "{enter}  q  quit")
# Shown when a break ends before its bell (q or Ctrl-C): the time the partner was told still holds.
OWED = "You said you'd be back at {at}. Keep that time, or tell your partner if it changes."
BREAK_CHOICE = "Take a break now?  Enter: {default:g} minutes · 1-6: 10 to 60 minutes · s: I'll stay · q: end"
SIDES = {"l": "leaving", "r": "reaching"}
AFTER = {"leaving": "return", "reaching": "soften-leaving"}
WAIT_STAGE = {"leaving": "break", "reaching": "hold-off"}
FOLLOWED_KEY, NOT_BACK_KEY = "f", "w"
BREAK_NOW_KEY, BREAK_NOW = "x", "break-now"  # x: "I'm flooded", as in `together` (together/turns.py)
THREATENED_KEY, COMING_BACK_KEY = "t", "c"
# After the wait's bell, the key to the moment it may be: key, sequence, the status line's words,
# the caption that says it.
AFTER_MOMENT = {
    "reaching": (NOT_BACK_KEY, "not-back", "they're not back", f"(If they're not back, press {NOT_BACK_KEY}.)"),
    "leaving": (COMING_BACK_KEY, "coming-back", "coming back is hard",
                f"(If you're late, or coming back feels too hard, press {COMING_BACK_KEY}.)"),
}
# The keys in a wait that play a moment and go back to the wait: key, sequence, the status line's
# short word for it (an 80-column line must keep `q end`), what the screen says it means.
WAIT_MOMENTS = {
    "leaving": ((FOLLOWED_KEY, "followed", "followed", "they followed you"),
                (COMING_BACK_KEY, "coming-back", "late", "you're late, or going back feels too hard")),
    "reaching": ((THREATENED_KEY, "threatened", "they said leave", "they said they'd leave you"),),
}


def staying() -> tuple[str, ...]:
    """The answer to staying (pause.staying in scripts/_spoken.toml)."""
    from ..lines import said

    return tuple(said("pause.staying"))


class Quit(Exception):
    """The person chose to end (q), or Ctrl-C, outside a playing phase."""

    def __init__(self, reason: str):
        self.reason = reason


class PauseFlow:
    def __init__(self, *, output, screen, keys, clips_factory: Callable, journal_factory: Callable,
                 minutes: float | None = None, default_minutes: float = 20, quiet: bool = False,
                 flooded_bpm: int = 100, last_side: str | None = None,
                 now: Callable | None = None,
                 read_line: Callable[[str], str] | None = None, warn: Callable[[str], None] = print,
                 scripts: Callable[[str], object] | None = None, before_key: Callable[[], None] = lambda: None,
                 first_line_frames: int = 0, record=None, names: dict[str, str] | None = None,
                 speaker: str | None = None):
        """`record`: the journal row to keep (a together session's, for its break); by default the
        pause's own, its journal opened by `journal_factory()` after the first sound. `names` and
        `speaker` ("A" or "B"), in a together session's break: the announcement is that partner's, in
        their voice and with their name."""
        self.output, self.screen, self.keys = output, screen, keys
        self._clips_factory = clips_factory
        self.minutes, self.default_minutes, self.quiet = minutes, default_minutes, quiet
        self.flooded_bpm, self.last_side, self.now = flooded_bpm, last_side, now or _local_now
        self.read_line = read_line or (lambda prompt: self.keys.line(prompt))
        self.warn = warn
        self.scripts = scripts
        self.before_key = before_key  # once the question is on screen: open the sound device
        self.first_line_frames = first_line_frames  # the first line, already playing (first_line/sides.py)
        self._clips = None
        self._sounding = threading.Event()  # the current phase's first sound has started
        self._side_saved = False
        if record is None:
            from ..session.journal_row import Record

            record = Record(journal_factory, "pause", "A guided pause", "pause", warn=warn, side=None,
                            pulse_bpm=None, break_minutes=None, returned=None, stage="question", wait_s=None)
        self.record = record
        self.played_s = self.position_s = self.planned_s = 0.0
        self.first: str | None = None  # the side's first sequence (stay, sit, or boat)
        self._agreed = _UNREAD
        self._promised = None  # the wait's end and words, shown before the wait (see promise)
        self._owed = None  # the return time the leaving side announced, until the bell rings
        from ..spoken import Spoken

        # One for the whole pause: the safety line once across its phases; the values it fills.
        self.spoken = Spoken(minutes=minutes or default_minutes, now=self.now, names=names)
        self.speaker = speaker
        self.partner = None  # the partner's device, if paired (pause/both_devices.py): opened after the first sound
        self.skip_first = False  # `companion wait`: the promise came while it waited; no `sit` before the hold-off

    @property
    def unrecorded(self) -> str:
        """Why the journal could not keep this pause, if it could not."""
        return self.record.unrecorded

    @property
    def session_id(self):
        return self.record.session_id

    @property
    def spoke(self) -> bool:
        """Did any phase need speech (so preparing the rest of the cache may be worth it)?"""
        return self._clips is not None

    @property
    def clips(self):
        if self._clips is None:
            self._clips = self._clips_factory()
        return self._clips

    # -- the whole flow ---------------------------------------------------------
    def run(self, side: str | None = None, pulse_first: bool = False,
            interrupted: Callable[[], bool] = lambda: False) -> int:
        """The whole pause; its exit code. `interrupted()`: was Ctrl-C pressed while it started?"""
        reason, message = "completed", ""
        try:
            if side is not None:  # as the journal will say, if it ends before any sound
                self.record.set(side=side, stage=FIRST[side])
            if interrupted():
                raise KeyboardInterrupt
            if pulse_first:
                self.pulse()
            first = None
            while side is None:
                side = self.ask_side()
                if side == "boat":
                    side, first = "leaving", "boat"
            self.record.set(side=side)  # written at once if a pulse count began the row
            reason = self.sides(side, first)
        except Quit as q:
            reason = q.reason
        except KeyboardInterrupt:
            reason = "interrupted"
        except Exception as e:  # one line, never a traceback, and still journalled
            report(e)
            reason, message = "error", str(e) or e.__class__.__name__
        finally:
            with interrupt.held():  # a second Ctrl-C must not cut the silence or the journal
                self.output.stop()
                self.screen.close()
                if self.partner is not None:  # nothing listens once the pause ends
                    self.partner.close()
                    self.record.columns.update(self.partner.journal)  # promise, promise_delivered_at, bells_together
                self._finish(reason)
        if message:
            self.warn(f"companion: {message}")
        if self._owed is not None and reason in ("stopped", "interrupted"):
            print(OWED.format(at=self._owed), flush=True)  # the partner was told a time: ending here moves nothing
        from ..session.loop import EXIT_CODES

        if self.unrecorded:  # said when it happened; and never exit 0 (as session.loop.Outcome)
            return EXIT_CODES[reason] or 1
        return EXIT_CODES[reason]

    def sides(self, side: str, first: str | None = None) -> str:
        first = self.first = first or FIRST[side]
        if first != FIRST[side]:
            self.record.moment(first)
        agreed = self.keep_agreement()
        if side == "reaching" and self.partner is None:  # listens for the partner's promise from the first sound
            from . import both_devices

            self.partner = both_devices.listen(self._sounding)
        if side == "reaching":  # sit names the time the hold-off ends: set from now, as the partner's break was
            from ..spoken import return_time

            self.spoken.at = return_time(self.now(), self.minutes or self.default_minutes)
        steps, policy = self.sequence_steps(first), None
        if side == "leaving":  # x: the break's question now, not after the whole sequence
            steps = _saying_the_break_key(steps)
            policy = Plain(_break_now_hint, {BREAK_NOW_KEY: BREAK_NOW}, times=True)
        elif self.partner is not None:  # a promise coming while `sit` plays is shown at once
            policy = self.partner.sit_policy()
        outcome = "completed" if self.skip_first else self.phase(steps, stage=first, policy=policy)
        if outcome == BREAK_NOW:
            self.record.moment(BREAK_NOW)
        elif outcome != "completed":
            return outcome
        minutes = self.minutes
        if side == "leaving" and minutes is None:
            minutes = self.choose_minutes()
            if minutes is None:
                return self.stay_in_the_room()
        minutes = minutes or self.default_minutes
        self.record.set(break_minutes=minutes)
        at = self.promise(side, minutes)[3]  # the box and the return time on screen now; the words follow
        if side == "leaving":  # then, never before, the promise to the partner's device (pause/both_devices.py)
            from . import both_devices

            both_devices.share(self, minutes)
        said = agreed.steps() if agreed is not None and side == "leaving" else []  # break agreement hook: its words
        if said:  # the return time first, heard within seconds of choosing; then the agreement's words
            from ..lines import said as lines_said
            from ..script import Speak

            said = [*(Speak(line=1, text=text) for text in lines_said("pause.agreed.ends", return_time=at)), *said]
        if said:
            outcome = self.phase(said, stage="agreement")
            if outcome != "completed":
                return outcome
        outcome = self.wait(side, minutes)
        if outcome != "completed":
            return outcome
        self._owed = None  # the bell rang: the promise is kept
        self.record.set(returned=True)
        # After the bell, one key to the moment it may be: they're not back (reaching), or coming
        # back late or ashamed (leaving: the bell has rung and the way back is hard).
        key, moment, shown, told = AFTER_MOMENT[side]
        self.screen.caption(told)
        outcome = self.phase(self.sequence_steps(AFTER[side]), stage=AFTER[side],
                             policy=Plain(_after_hint(key, shown), {key: moment}, times=True))
        if outcome == moment:
            self.record.moment(moment)
            outcome = self.phase(self.sequence_steps(moment), stage=moment)
        if outcome == "completed":
            self.record.set(stage="done")
        return outcome

    def agreed(self):
        """The kept break agreement (together/agreement.py), read once; None when none is kept (a
        damaged one is said in one line)."""
        if self._agreed is _UNREAD:
            from ..together.agreement import for_pause

            self._agreed = for_pause(self.warn)
        return self._agreed

    def keep_agreement(self):
        """A kept agreement's length is the break's default, before any line names the minutes; the
        agreement, or None."""
        agreed = self.agreed()
        if agreed is not None and self.minutes is None:
            self.default_minutes = self.spoken.minutes = agreed.minutes
        return agreed

    def stay_in_the_room(self) -> str:
        from ..script import Speak

        return self.phase([Speak(line=1, text=t) for t in staying()], stage="stayed")

    # -- questions ------------------------------------------------------------------
    def ask_side(self) -> str | None:
        last_side = self.last_side() if callable(self.last_side) else self.last_side
        last = SIDES.get((last_side or "")[:1])
        enter = f"  Enter  {'leave' if last == 'leaving' else 'reach'}, as last time\n" if last else ""
        self.record.set(stage="question")
        self.screen.caption(QUESTION.format(enter=enter))
        self.before_key()
        while True:
            key = self.key()
            if key in ("\n", "\r") and last:
                key = last[0]
            if key.lower() in OPTIONS:  # answered on screen at once: the next words may still be loading
                self.screen.caption(f"({key.lower()}: {OPTIONS[key.lower()]})")
            if key in ("\n", "\r"):
                self.screen.caption("Press l to leave, or r to reach.")  # no side chosen before: say so
            if key.lower() in SIDES:
                return SIDES[key.lower()]
            if key.lower() == "p":
                self.pulse()
                return None
            if key.lower() == "b":
                return "boat"
            if key.lower() == "q":
                raise Quit("stopped")

    def choose_minutes(self) -> float | None:
        if not self.keys.active:
            return self.default_minutes
        self.screen.caption(BREAK_CHOICE.format(default=self.default_minutes))
        self.record.set(stage="choice")
        while True:
            key = self.key()
            if key in ("\n", "\r"):
                return self.default_minutes
            if key in "123456":
                return 10 * int(key)
            if key.lower() == "s":
                return None
            if key.lower() == "q":
                raise Quit("stopped")

    def key(self) -> str:
        if not self.keys.active:
            raise Quit("stopped")  # nothing left to read an answer from
        while True:
            interrupt.check()
            key = self.keys.read(0.2)
            if key is not None:
                return key
            if not self.keys.active:
                raise Quit("stopped")

    # -- phases -----------------------------------------------------------------------
    def sequence_steps(self, name: str):
        if self.scripts is not None:
            return self.scripts(name)
        from ..library import builtin_scripts, resolve
        from ..first_line.scan import steps

        self._sounding.clear()
        path = resolve(name)
        builtin = builtin_scripts().get(name)
        if builtin is not None and path != builtin:  # the person's own version: in a fight, a typo in it
            from ..script import ScriptError, parse_file  # must not cost them the pause

            try:
                parse_file(path)
            except ScriptError as e:
                self.warn(f"companion: {e}; playing the built-in '{name}' instead")
                path = builtin
        return steps(path, self._sounding)

    def phase(self, steps, stage: str, policy=None) -> str:
        """Play `steps` to the shared output, with `policy` (what keys do: session.policies), as the
        journal's `stage`; returns the session's reason (see session.loop.run for the rest)."""
        from ..playback.player import Player
        from ..session.loop import run

        self.record.set(stage=stage)  # written now if the row has begun: a kill keeps where it got to
        player = Player(steps, self.clips, self.spoken)
        frames, self.first_line_frames = self.first_line_frames, 0
        outcome = run(player, self.output, screen=self.screen, keys=self.keys, record=self.record, policy=policy,
                      warn=self.warn, keep_output=True, on_started=self._started, first_line_frames=frames,
                      finish=False)
        self.played_s += outcome.played_s
        self.position_s = outcome.position_s
        self.planned_s += outcome.planned_s
        if outcome.reason == "error":
            raise RuntimeError(outcome.message)
        return outcome.reason

    def promise(self, side: str, minutes: float):
        """The wait's end, its return time and its opening words, and its box on screen now: none of
        it renders speech, so the key that chose the break is answered before any voice loads.

        The bell rings on the minute it names (a partner may be watching a clock): at least `minutes`
        from now, rounded up to the next whole minute. The hold-off ends when the partner's break
        does, the time `sit` named (at least a minute from now)."""
        from . import waits
        from ..spoken import return_time

        start = self.now()
        end = return_time(start, minutes)
        if side == "reaching" and self.partner is not None and self.partner.promised():
            from .both_devices import wall

            end = wall(self.partner.deadline)  # the partner's return time, on our clock
        elif side == "reaching" and self.spoken.at is not None:
            end = max(self.spoken.at, return_time(start, 1))
        self.spoken.minutes, self.spoken.at = minutes, end
        at = end.strftime("%H:%M")
        opening, voices = waits.announcement(side, at, minutes, boat=self.first == "boat"), waits.roles(side)
        if self.partner is not None:
            from .both_devices import opening_lines

            at, opening, voices = opening_lines(self.partner, side, opening, at, end, voices)
        self._promised = (side, minutes, end, at, opening, voices)
        self._show_box(side, opening, at)
        return self._promised

    def _show_box(self, side: str, opening: list[str], at: str) -> None:
        """The break's box (or the hold-off's) with the return time, and what the wait's keys mean."""
        from .banner import banner

        if side == "leaving":
            self.screen.caption(banner(opening[0], at, "back at"))
            self._owed = at
        else:
            self.screen.caption(banner(f"Holding off until {at}. No texts, no calls, no following.", at,
                                       "a bell rings at"))
        self.screen.caption("(" + " · ".join(f"{key}: {meaning}" for key, _, _, meaning in WAIT_MOMENTS[side]) + ")")

    def wait(self, side: str, minutes: float) -> str:
        from ..playback.player import Lengths
        from . import waits

        promised, self._promised = self._promised, None
        if promised is None or promised[:2] != (side, minutes):
            promised = self.promise(side, minutes)
        _, chosen, end, at, opening, voices = promised
        # The wait runs to the time promised, counted from now (words before it, an agreement's, took
        # some of it).
        minutes = max(0.0, (end - self.now()).total_seconds() / 60)
        cues = waits.cues(side)
        steps = waits.wait_steps(opening, cues, minutes, Lengths(self.clips), self.quiet,
                                 (self.speaker,) if self.speaker else voices, self._partner_name())
        bell_at = round(minutes * 60 * pcm.RATE_HZ)
        moments = {key: name for key, name, _, _ in WAIT_MOMENTS[side]}
        said_on_screen = {name: f"({key}: {meaning})" for key, name, _, meaning in WAIT_MOMENTS[side]}
        shown = "".join(f" · {key} {short}" for key, _, short, _ in WAIT_MOMENTS[side])

        def countdown(cursor) -> str:  # the time itself is in the box, in block letters
            left = max(0, bell_at - cursor.position) / pcm.RATE_HZ
            keys = "space cues on" if cursor.muted else "space quiet"
            return f"{clock(left)} left · {keys} · r ready{shown} · q end"

        played_before = counted_from = self.played_s
        try:
            while True:
                policy = (KeepTime(countdown, moments=moments, ready=True) if self.partner is None
                          else self.partner.policy(countdown, moments))
                outcome = self.phase(steps, stage=WAIT_STAGE[side], policy=policy)
                if self.partner is not None and outcome in self.partner.MOVED:  # the bell moved (pause/both_devices.py)
                    opening, end, at, voices = self.partner.moved(outcome, self, side)
                    if opening:  # a ready rings in a moment: no box, no words before the bell
                        self._show_box(side, opening, at)
                    minutes = max(0.0, (end - self.now()).total_seconds() / 60)
                    steps = waits.wait_steps(opening, cues, minutes, Lengths(self.clips), self.quiet, voices,
                                             self._partner_name())
                    bell_at = round(minutes * 60 * pcm.RATE_HZ)
                    counted_from = self.played_s
                    continue
                if outcome not in moments.values():
                    return outcome
                self.record.moment(outcome)
                self.screen.caption(said_on_screen[outcome])  # at once: the moment's words follow when ready
                outcome = self.phase(self.sequence_steps(outcome), stage=outcome)
                if outcome != "completed":
                    return outcome
                # Back to the wait: the bell keeps the time promised, counted on the same clock.
                left_s = max(0.0, minutes * 60 - (self.played_s - counted_from))
                bell_at = round(left_s * pcm.RATE_HZ)
                self._show_box(side, opening, at)
                steps = waits.wait_steps(waits.back_to_the_break(at, side), cues, left_s / 60, Lengths(self.clips),
                                         True)
        finally:  # how long the wait really lasted: r can end it early, q or Ctrl-C cut it
            self.record.set(wait_s=round(self.played_s - played_before, 1))

    def _partner_name(self) -> str:
        """The name the partner's own words are shown with (as paired), once their device has spoken."""
        return self.partner.name if self.partner is not None else ""

    def pulse(self) -> None:
        from .pulse import ask_beats, bpm, count_note, count_steps, verdict

        self.record.set(stage="pulse")
        outcome = self.phase(count_steps(), stage="pulse", policy=KeepTime(count_note))  # n must not skip the count
        if outcome != "completed":
            raise Quit(outcome)
        beats = ask_beats(self.read_line, self.screen.caption)
        if beats is None:
            raise Quit("stopped")
        rate = bpm(beats)
        self.screen.caption(f"({rate} beats a minute)")  # at once: the verdict names a number no cache holds
        self.record.set(pulse_bpm=rate)
        from ..script import Speak

        self.keep_agreement()  # the verdict quotes the break the pause will offer: the agreed one, if kept
        said = verdict(rate, self.flooded_bpm, self.minutes or self.default_minutes)
        outcome = self.phase([Speak(line=1, text=t) for t in said], stage="pulse")
        if outcome != "completed":
            raise Quit(outcome)

    # -- the journal ------------------------------------------------------------------
    def _started(self) -> None:
        """After the first sound of a phase: let the parse go on; remember the side, once (none of it
        may delay the first word). The session then begins the journal row (once)."""
        self._sounding.set()
        if self.record["side"] and not self._side_saved:  # once known (a pulse count may come first)
            from ..state import save

            with interrupt.held():
                save(side=self.record["side"])
            self._side_saved = True

    def _finish(self, reason: str) -> None:
        record = self.record
        if not record.begun:
            if record["side"] is None and record["pulse_bpm"] is None:
                return  # ended before any sound, with nothing worth keeping (q at the question)
            self._started()  # still one row
            record.begin(self.output.name)
        if record["returned"] is None and record["side"] is not None:
            record.columns["returned"] = False  # written by finish
        record.finish(reason, planned_s=self.planned_s, played_s=self.played_s, position_s=self.position_s)
        record.close()


_UNREAD = object()


def lend_break(live, record, who: str, minutes: float, names: dict[str, str], now=None) -> str:
    """The pause's break (announced, the quiet wait, the soft bell) inside a together session: on its
    output, screen, keys and journal row (`live`, `record`), in the voice and with the name of `who`
    ("A" or "B"). Its reason: completed (back), or how the session ends."""
    flow = PauseFlow(output=live.output, screen=live.screen, keys=live.keys, clips_factory=lambda: live.player.clips,
                     journal_factory=lambda: None, minutes=minutes, default_minutes=minutes, now=now,
                     warn=live.warn, record=record, names=names, speaker=who)
    return flow.wait("leaving", minutes)


def _break_now_hint(cursor) -> str:
    """The progress line in `stay` and `boat`: the key that offers the break now."""
    return f"{'paused · space resumes' if cursor.paused else 'space pause · n next'} · {BREAK_NOW_KEY} break now · q end"


def _saying_the_break_key(steps):
    """`steps`, with the break-now key said once, right after the first words modelled for the
    listener to say before stepping away (stay's and boat's `You:` line): where the sequence
    speaks of a break, the key that starts it. A sequence with no such line has it on screen only."""
    said_it = False
    for step in steps:
        yield step
        if not said_it and getattr(step, "kind", "") == "speak" and getattr(step, "role", "") == "you":
            said_it = True
            from ..lines import said
            from ..script import Speak

            yield from (Speak(line=step.line, text=text) for text in said("pause.now.key"))


def _after_hint(key: str, shown: str) -> Callable:
    """The progress line after the wait's bell: its times, and the key to the moment it may be."""
    return lambda cursor: f"{'paused · space resumes' if cursor.paused else 'space pause'} · {key} {shown} · q end"


def _local_now():
    from datetime import datetime

    return datetime.now().astimezone()
