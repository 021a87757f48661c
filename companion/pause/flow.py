"""The guided pause, phase by phase, on one open output.

leaving:  stay -> break (announced, bounded) -> soft bell -> return
reaching: sit  -> hold-off wait               -> soft bell -> soften-leaving

Keys reach the moments on the way without a menu: b at the question plays
`boat`, then offers the break as after `stay`; f in the break plays `followed`
and goes back to the wait, whose bell keeps its promised time; w after the
hold-off bell plays `not-back`. One `Spoken` serves every phase, so the safety
line is said once in the whole pause and the placeholders name its real
minutes and return time.

One journal row (mode `pause`) records the side, the pulse if taken, the
break minutes, whether the return bell was reached and the stage reached.
Everything outside is injected (output, keys, screen, clock, journal), so
tests run a twenty-minute break in seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .. import interrupt, pcm
from ..screen import clock

QUESTION = ("Do you want to leave, or to reach?  [l/r]\n"
            "  l  leave: my body wants to get out\n"
            "  r  reach: I want to go after them\n"
            "  p  am I flooded? count my pulse first\n"
            "  b  I want to end the relationship\n"
            "{enter}  q  quit")
BREAK_CHOICE = "Take a break now?  Enter: {default:g} minutes · 1-6: 10 to 60 minutes · s: I'll stay · q: end"
SIDES = {"l": "leaving", "r": "reaching"}
FIRST = {"leaving": "stay", "reaching": "sit"}
AFTER = {"leaving": "return", "reaching": "soften-leaving"}
WAIT_STAGE = {"leaving": "break", "reaching": "hold-off"}
FOLLOWED_KEY, NOT_BACK_KEY = "f", "w"
STAYING = ("You're staying. Keep your feet on the floor.",
           "Let the out-breath be the long one. You can still ask for a break later.")


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
                 prelude_frames: int = 0):
        self.output, self.screen, self.keys = output, screen, keys
        self._clips_factory, self._journal_factory = clips_factory, journal_factory
        self.minutes, self.default_minutes, self.quiet = minutes, default_minutes, quiet
        self.flooded_bpm, self.last_side, self.now = flooded_bpm, last_side, now or _local_now
        self.read_line = read_line or (lambda prompt: self.keys.line(prompt))
        self.warn = warn
        self.scripts = scripts
        self.before_key = before_key  # once the question is on screen: open the sound device
        self.prelude_frames = prelude_frames  # the first line, already playing (fast.first_clip)
        self._clips = None
        self._sounding = threading.Event()  # the current phase's first sound has started
        self.journal = None
        self._journal_tried = False  # opened once: a journal that cannot open is said once
        self.unrecorded = ""  # why the journal could not keep this pause, if it could not
        self._side_saved = False
        self.session_id = None
        self.record: dict = {"side": None, "pulse_bpm": None, "break_minutes": None, "returned": None,
                             "stage": "question", "wait_s": None}
        self.played_s = self.position_s = self.planned_s = 0.0
        from ..spoken import Spoken

        # One for the whole pause: the safety line once across its phases; the values it fills.
        self.spoken = Spoken(minutes=minutes or default_minutes, now=self.now)
        self.moments: list[str] = []  # the sequences a key went to (boat, followed, not-back), for the journal

    @property
    def spoke(self) -> bool:
        """Did any phase need speech (so the cache may be worth warming)?"""
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
                self.record["side"], self.record["stage"] = side, FIRST[side]
            if interrupted():
                raise KeyboardInterrupt
            if pulse_first:
                self.pulse()
            first = None
            while side is None:
                side = self.ask_side()
                if side == "boat":
                    side, first = "leaving", "boat"
            self.record["side"] = side
            reason = self.sides(side, first)
        except Quit as q:
            reason = q.reason
        except KeyboardInterrupt:
            reason = "interrupted"
        except Exception as e:  # one line, never a traceback, and still journalled
            reason, message = "error", str(e) or e.__class__.__name__
        finally:
            with interrupt.held():  # a second Ctrl-C must not cut the silence or the journal
                self.output.stop()
                self.screen.close()
                self._finish(reason)
        if message:
            self.warn(f"companion: {message}")
        from ..session import EXIT_CODES

        if self.unrecorded:  # said when it happened; and never exit 0 (as session.Outcome)
            return EXIT_CODES[reason] or 1
        return EXIT_CODES[reason]

    def sides(self, side: str, first: str | None = None) -> str:
        first = first or FIRST[side]
        if first != FIRST[side]:
            self.moments.append(first)
        # -- break agreement hook (together/agreement.py): its length is the default, its words come before the break
        from ..together.agreement import for_pause

        agreed = for_pause(self.warn)  # None: none kept (a damaged one is said in one line)
        if agreed is not None and self.minutes is None:
            self.default_minutes = self.spoken.minutes = agreed.minutes
        # -- end of the hook
        if side == "reaching":  # sit names the time the hold-off ends: set from now, as the partner's break was
            from ..spoken import return_time

            self.spoken.at = return_time(self.now(), self.minutes or self.default_minutes)
        outcome = self.phase(self.sequence_steps(first), stage=first)
        if outcome != "completed":
            return outcome
        minutes = self.minutes
        if side == "leaving" and minutes is None:
            minutes = self.choose_minutes()
            if minutes is None:
                return self.stay_in_the_room()
        minutes = minutes or self.default_minutes
        self.record["break_minutes"] = minutes
        said = agreed.steps() if agreed is not None and side == "leaving" else []  # break agreement hook: its words
        if said:
            outcome = self.phase(said, stage="agreement")
            if outcome != "completed":
                return outcome
        outcome = self.wait(side, minutes)
        if outcome != "completed":
            return outcome
        self.record["returned"] = True
        keys = {NOT_BACK_KEY: "not-back"} if side == "reaching" else None
        if keys:
            self.screen.caption(f"(If they're not back, press {NOT_BACK_KEY}.)")
        outcome = self.phase(self.sequence_steps(AFTER[side]), stage=AFTER[side], moment_keys=keys,
                             note=_not_back_hint if keys else None, times=True)
        if outcome == "not-back":
            self.moments.append("not-back")
            outcome = self.phase(self.sequence_steps("not-back"), stage="not-back")
        if outcome == "completed":
            self.record["stage"] = "done"
        return outcome

    def stay_in_the_room(self) -> str:
        from ..script import Speak

        return self.phase([Speak(line=1, text=t) for t in STAYING], stage="stayed")

    # -- questions ------------------------------------------------------------------
    def ask_side(self) -> str | None:
        last_side = self.last_side() if callable(self.last_side) else self.last_side
        last = SIDES.get((last_side or "")[:1])
        enter = f"  Enter  {'leave' if last == 'leaving' else 'reach'}, as last time\n" if last else ""
        self.record["stage"] = "question"
        self.screen.caption(QUESTION.format(enter=enter))
        self.before_key()
        while True:
            key = self.key()
            if key in ("\n", "\r"):
                if last:
                    return last
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
        self.record["stage"] = "choice"
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
        from .first_line import steps

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

    def phase(self, steps, stage: str, note=None, keep_time: bool = False, ready_key: bool = False,
              moment_keys: dict[str, str] | None = None, times: bool | None = None) -> str:
        """Play `steps` to the shared output; returns the session's reason (see session.run for the rest)."""
        from ..player import Player
        from ..session import run

        self.record["stage"] = stage
        player = Player(steps, self.clips, self.spoken)
        prelude, self.prelude_frames = self.prelude_frames, 0
        outcome = run(player, self.output, screen=self.screen, keys=self.keys, journal=None, warn=self.warn,
                      note=note, keep_output=True, on_started=self._started, prelude_frames=prelude,
                      keep_time=keep_time, ready_key=ready_key, moment_keys=moment_keys, times=times)
        self.played_s += outcome.played_s
        self.position_s = outcome.position_s
        self.planned_s += outcome.planned_s
        if outcome.reason == "error":
            raise RuntimeError(outcome.message)
        return outcome.reason

    def wait(self, side: str, minutes: float) -> str:
        from ..player import Lengths
        from . import waits
        from ..spoken import return_time
        from .banner import banner

        # The bell rings on the minute it names (a partner may be watching a clock): at least
        # `minutes` from now, rounded up to the next whole minute. The hold-off ends when the
        # partner's break does, the time `sit` named (at least a minute from now).
        start = self.now()
        chosen = minutes
        end = return_time(start, minutes)
        if side == "reaching" and self.spoken.at is not None:
            end = max(self.spoken.at, return_time(start, 1))
        self.spoken.minutes, self.spoken.at = chosen, end
        at, minutes = end.strftime("%H:%M"), (end - start).total_seconds() / 60
        opening = waits.announcement(side, at, chosen)
        cues = waits.LEAVING_CUES if side == "leaving" else waits.REACHING_CUES
        steps = waits.wait_steps(opening, cues, minutes, Lengths(self.clips), self.quiet, waits.roles(side))
        if side == "leaving":
            self.screen.caption(banner(opening[0], at, "back at"))
        else:
            self.screen.caption(banner(f"Holding off until {at}. No texts, no calls, no following.", at,
                                       "a bell rings at"))
        bell_at = round(minutes * 60 * pcm.RATE_HZ)

        def countdown(cursor) -> str:
            left = max(0, bell_at - cursor.position) / pcm.RATE_HZ
            keys = "quiet · space for cues" if cursor.muted else "space quiet"
            followed = f" · {FOLLOWED_KEY} they followed me" if side == "leaving" else ""
            return f"{'back' if side == 'leaving' else 'bell'} at {at} · {clock(left)} left · {keys} · r ready{followed} · q end"

        played_before = self.played_s
        moment = {FOLLOWED_KEY: "followed"} if side == "leaving" else None
        try:
            while True:
                outcome = self.phase(steps, stage=WAIT_STAGE[side], note=countdown, keep_time=True, ready_key=True,
                                     moment_keys=moment)
                if outcome != "followed":
                    return outcome
                self.moments.append("followed")
                outcome = self.phase(self.sequence_steps("followed"), stage="followed")
                if outcome != "completed":
                    return outcome
                # Back to the break: the bell keeps the time promised, counted on the same clock.
                left_s = max(0.0, minutes * 60 - (self.played_s - played_before))
                bell_at = round(left_s * pcm.RATE_HZ)
                steps = waits.wait_steps(waits.back_to_the_break(at), cues, left_s / 60, Lengths(self.clips),
                                         True)
                self.screen.caption(banner(opening[0], at, "back at"))
        finally:  # how long the wait really lasted: r can end it early, q or Ctrl-C cut it
            self.record["wait_s"] = round(self.played_s - played_before, 1)

    def pulse(self) -> None:
        from .pulse import bpm, count_note, count_steps, parse_count, verdict

        self.record["stage"] = "pulse"
        steps = count_steps()
        outcome = self.phase(steps, stage="pulse", note=count_note, keep_time=True)  # n must not skip the count
        if outcome != "completed":
            raise Quit(outcome)
        beats = None
        while beats is None:
            try:
                answer = self.read_line("How many beats did you count? (q to end) ")
            except EOFError:
                self.screen.caption("")
                raise Quit("stopped") from None
            if answer.strip().lower() == "q":
                raise Quit("stopped")
            try:
                beats = parse_count(answer)
            except ValueError as e:
                self.screen.caption(str(e))
        rate = bpm(beats)
        self.record["pulse_bpm"] = rate
        from ..script import Speak

        said = verdict(rate, self.flooded_bpm, self.minutes or self.default_minutes)
        outcome = self.phase([Speak(line=1, text=t) for t in said], stage="pulse")
        if outcome != "completed":
            raise Quit(outcome)

    # -- the journal ------------------------------------------------------------------
    def _started(self) -> None:
        """After the first sound of a phase: let the parse go on; remember the side and
        write the journal row, once (none of it may delay the first word)."""
        self._sounding.set()
        with interrupt.held():  # Ctrl-C between the row's start and its id would orphan the row
            self._start_row()

    def _start_row(self) -> None:
        if self.record["side"] and not self._side_saved:  # once known (a pulse count may come first)
            from ..state import save

            save(side=self.record["side"])
            self._side_saved = True
        if not self._journal_tried:
            self._journal_tried = True
            self.journal = self._journal_factory()
            if self.journal is not None:
                try:
                    self.session_id = self.journal.start("pause", "A guided pause", "pause", self.output.name)
                except Exception as e:  # e.said: open_or_warn said why already
                    self.unrecorded = str(e)
                    if not getattr(e, "said", False):
                        from ..journal import UNRECORDED

                        self.warn(f"{UNRECORDED}{e}")
                    self.journal = None

    def _finish(self, reason: str) -> None:
        if self.session_id is None:
            self._started_late()
        if self.journal is None or self.session_id is None:
            return
        try:
            record = dict(self.record)
            if self.moments:  # where the keys went, in order, before the stage it ended at
                stages = [*self.moments, record["stage"]]
                record["stage"] = " > ".join(s for i, s in enumerate(stages) if i == 0 or s != stages[i - 1])
            if record["returned"] is None and record["side"] is not None:
                record["returned"] = False
            self.journal.finish(self.session_id, reason=reason, planned_s=self.planned_s, played_s=self.played_s,
                                position_s=self.position_s, **record)
            self.journal.close()
        except Exception as e:  # the row stays `unfinished` in the log
            self.unrecorded = str(e)
            self.warn(f"companion: the journal could not record how this session ended ({e}).")

    def _started_late(self) -> None:
        """A pause ended before any sound (q at the question): still one row."""
        if self.record["side"] is None and self.record["pulse_bpm"] is None:
            return  # nothing happened worth keeping
        self._started()


def _not_back_hint(cursor) -> str:
    """The progress line after the hold-off bell: its times, and the key for "they're not back"."""
    return f"{'paused · space resumes' if cursor.paused else 'space pause'} · {NOT_BACK_KEY} they're not back · q end"


def _local_now():
    from datetime import datetime

    return datetime.now().astimezone()
