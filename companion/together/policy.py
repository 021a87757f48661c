"""Two partners in the one session loop: the policy it is given (see session/policies.py).

`Partners` wraps the pure turn policy (turns.Together): a turn's timing is the
policy's (the cursor waits, paused, in the turn until the policy ends it),
keys go to it first, and "I'm flooded" (x or !) pauses everything: a short
grounding line, which of you (or both), then the offer:

  Enter   go on, when you are both ready
  t, 1-6  a break now for the one who is flooded, the guided pause's own
          (its announcement with the return time, the quiet wait, the soft
          bell), on the same output; then one line to come back, and the
          sequence goes on where it paused. The break is lent by the caller
          (`take_break`: cli/together.py gives pause.flow.lend_break), so the
          moments do not import each other
  p, q    stop here, for a guided pause of your own (`companion pause --leave`)

"Both of us" plays the `both-flooded` sequence there and then, on the same output.
After a break or `both-flooded` the guide asks whether both are ready (Enter) before
the turn goes on. A key always changes the screen at once: what the guide says
(the grounding line, a turn's soft time warning, the ready question) is said by a
together.guide_voice.Voice, rendered off the loop and heard when ready.

The journal row: `flooded` counts the presses (written at once); a break sets
`stage` to "break" as it begins (and `break_minutes`, `wait_s`); stopping for a
pause of your own sets it to "flooded" ("break > flooded" after a break);
`both-flooded` is a stage of its own.
"""

from __future__ import annotations

from ..debug import report
from ..lines import raw, said
from ..playback import pcm
from ..session.policies import Plain
from ..session.screen import clock
from .turns import cue_lead

CUE_NOTE = "about {s} seconds left"
WRAP_NOTE = "finish your sentence · space: done · m: more"
TURN_NOTE = "{left} left · space or Enter: done · m: more · x: I'm flooded"
WHO_ONE = "Which of you is flooded? a: {A} · b: {B}"  # inside both-flooded: one of you, again
FLOODED_WHO = WHO_ONE + " · c: both of us"
WHO_KEYS = {"a": "A", "b": "B", "c": "both"}
FLOODED_OFFER = ("{name}: Enter to go on when you are both ready · t: a break of {minutes:g} minutes now, "
                 "then back here (1-6: 10 to 60 minutes) · p: stop here, for a guided pause of your own")
OFFER_HINT = "Enter: go on · t: a break, then back · p: stop"
READY = "Are you both ready to go on? Enter: we're ready · p: stop here"
READY_HINT = "Enter: both ready · p: stop"
BREAK_KEYS = {"t": None, "T": None, **{str(n): 10 * n for n in range(1, 7)}}  # None: the default length
BOTH_FLOODED = "both-flooded"
APART = "Apart until {at}: a soft bell rings then. Come back here when it does."
APART_HINT = "back at {at} · {left} left · r twice: we're both back now · q: end"
POLL_S = 0.05


class Partners(Plain):
    """The policy of a session for two: `together` a turns.Together, `names` {"A": ..., "B": ...}.
    `scripts(name)`: a sequence's steps (both-flooded); by default from the library. `both`: "both
    of us" is an answer (not inside both-flooded itself). `take_break(live, record, who, minutes,
    names, now)`: the guided pause's break on this session's output and row, its reason (completed:
    back), e.g. pause.flow.lend_break."""

    def __init__(self, together, names: dict[str, str], break_minutes: float = 20, now=None, scripts=None,
                 both: bool = True, *, take_break):
        super().__init__()
        self.together, self.names, self.both = together, names, both
        self.take_break = take_break
        self.break_minutes, self.now = break_minutes, now  # `now`: the wall clock for the return time
        self.scripts = scripts or _library_steps
        self.turn_index = None  # the turn event the policy holds
        self.note = ""
        self.voice = None  # together.guide_voice.Voice, made when the guide first speaks over the held sequence

    def ended(self, reason):
        if self.voice is not None:
            self.voice.close()
        if reason == "flooded":  # stopped for a guided pause of their own
            return "stopped", "flooded"
        return reason, ""

    def act(self, key, live):
        cursor = live.cursor
        event = cursor.current()
        if event is not None and event.kind == "turn" and cursor.index != self.turn_index:
            self.turn_index = cursor.index
            _set_paused(cursor, True)  # silence, held here: the policy says when the turn ends
            elapsed = max(0, cursor.position - event.start) / pcm.RATE_HZ  # the sound may be in it already
            if not elapsed and event.caption:  # held before the sound entered it (it never will): caption it
                live.caption_entered()  # the lines before it first
                live.screen.caption(event.caption)
            turn = self.together.begin_turn(event.who, (event.end - event.start) / pcm.RATE_HZ, elapsed)
            self._prepare_cue(live, turn.limit - turn.cue_at)
            self.note = ""
        actions = self.together.key(key) if key is not None else []
        actions += self.together.tick()
        for action in actions:
            if action.kind == "cue":
                # as of when it was due (the loop may look a poll later): the lead the policy gave
                seconds = round(max(0.0, self.together.turn.limit - action.at))
                self.note = CUE_NOTE.format(s=seconds)
                voice = self._voice(live)
                if voice is not None:  # partners look at each other, not at a screen: said softly too
                    voice.say(_time_left(seconds), soft=True)
            elif action.kind in ("wrap", "extend", "end"):
                self.note = WRAP_NOTE if action.kind == "wrap" else ""
                if action.kind == "extend":
                    self._prepare_cue(live, cue_lead(self.together.turn.limit - action.at))
                if action.kind == "end":
                    _set_paused(cursor, False)
                    cursor.end_turn()
            elif action.kind == "flooded":
                if live.record is not None:  # at once: a session killed next still keeps it
                    live.record.set(flooded=action.count)
                end = self._flooded(live)
                if end is not None:
                    return end
                self.together.resume()
        if key is not None and not actions and not self._in_turn(cursor) and not self.together.paused:
            if key == " ":
                cursor.toggle_pause()
            elif key in ("n", "N"):
                cursor.skip_line()
        return None

    def _in_turn(self, cursor) -> bool:
        turn = self.together.turn
        return turn is not None and not turn.ended and cursor.index == self.turn_index

    def status(self, live):
        shown = ""
        if self._in_turn(live.cursor):
            shown = self.note or TURN_NOTE.format(left=clock(max(0.0, self.together.turn.remaining())))
        return shown, not shown

    # -- the guide's voice over the held sequence -------------------------------------
    def _voice(self, live):
        """The Voice on the output (sound only: with captions only the screen says it all)."""
        output = live.output
        if output.name != "device":
            return None
        if self.voice is None:
            from .guide_voice import Voice

            self.voice = Voice(live.cursor, live.player.clips)
        if output.cursor is not self.voice:  # first use, or back from a break's own cursors
            output.attach(self.voice)
            output.start()
        return self.voice

    def _prepare_cue(self, live, lead_s: float) -> None:
        voice = self._voice(live)
        if voice is not None:  # rendered now, so the warning is on time
            voice.prepare(_time_left(round(lead_s)))

    # -- "I'm flooded" ----------------------------------------------------------------
    def _flooded(self, live) -> str | None:
        """Pause, ground, ask who, offer the break: None to go on, else the session's end.
        Every key is drawn at once; the words follow when they are rendered."""
        cursor, screen = live.cursor, live.screen
        was_paused = cursor.paused
        _set_paused(cursor, True)
        grounding = raw("together.grounding")
        screen.caption(grounding)
        question = FLOODED_WHO if self.both else WHO_ONE
        screen.caption(question.format(A=self.names.get("A", "A"), B=self.names.get("B", "B")))
        voice = self._voice(live)
        if voice is not None:
            voice.say(grounding)
        answers = [k for k in WHO_KEYS if self.both or WHO_KEYS[k] != "both"]
        key = self._ask(live, " or ".join(answers), (*answers, *(k.upper() for k in answers), "q", "Q"), default="a")
        if key in ("q", "Q"):
            return self._stop(live)
        who = WHO_KEYS[key.lower()]
        if who == "both":
            return self._both_flooded(live, was_paused)
        screen.caption(FLOODED_OFFER.format(name=self.names.get(who, who), minutes=self.break_minutes))
        key = self._ask(live, OFFER_HINT, ("\n", "\r", "p", "P", "q", "Q", *BREAK_KEYS), default="\n")
        if key in ("p", "P", "q", "Q"):
            return self._stop(live)
        if key in BREAK_KEYS:
            end = self._break(live, who, BREAK_KEYS[key] or self.break_minutes)
            if end != "completed":
                return end
            return self._ready(live, was_paused)
        self._go_on(live, was_paused)
        return None

    def _ask(self, live, hint: str, answers: tuple[str, ...], default: str) -> str:
        """The first key pressed that is one of `answers` (`default` when no key can come)."""
        from .. import interrupt

        cursor, screen, keys = live.cursor, live.screen, live.keys
        while True:
            interrupt.check()
            screen.status(cursor.position / pcm.RATE_HZ, None, False, hint, times=False)
            key = keys.read(POLL_S)
            if key is None and not keys.active:
                return default
            if key in answers:
                return key

    def _go_on(self, live, was_paused: bool) -> None:
        """The sequence goes on: after the line being said, not after the ones still to come."""
        if self.voice is not None:
            self.voice.hush()
        _set_paused(live.cursor, was_paused)

    def _ready(self, live, was_paused: bool) -> str | None:
        """After a break: are you both ready? Enter goes on, p stops here."""
        live.screen.caption(READY)
        voice = self._voice(live)
        if voice is not None:
            voice.say(raw("together.ready"))
        key = self._ask(live, READY_HINT, ("\n", "\r", "p", "P", "q", "Q"), default="\n")
        if key in ("p", "P", "q", "Q"):
            return self._stop(live)
        self._go_on(live, was_paused)
        return None

    def _stop(self, live) -> str:
        if self.voice is not None:
            self.voice.hush()
        if live.record is not None:
            if live.record["stage"] in ("break", BOTH_FLOODED):
                live.record.moment(live.record["stage"])
            live.record.set(stage="flooded")
        return "flooded"

    def _break(self, live, who: str, minutes: float) -> str:
        """The guided pause's break, on this output, for the one who is flooded; then back to the
        sequence where it paused. Its reason: completed (back), or how the session ends."""
        from ..session.journal_row import Record

        if self.voice is not None:
            self.voice.hush()
        record = live.record if live.record is not None else Record(None, "", "", "together")
        record.set(break_minutes=minutes)
        # the break's stage, "break", is journalled as it begins
        outcome = self.take_break(live, record, who, minutes, self.names, self.now)
        if outcome != "completed":
            return outcome
        record.moment("break")
        self._back(live)
        (line,) = said("together.coming_back", name=self.names.get(who, who))
        live.screen.caption(line)
        if self.voice is not None:
            self.voice.say(line)
        return "completed"

    def _both_flooded(self, live, was_paused: bool) -> str | None:
        """Both of you: the `both-flooded` sequence, here, on this output; then are you both ready."""
        from ..playback.player import Player
        from ..session.loop import run
        from ..spoken import Spoken

        if self.voice is not None:
            self.voice.hush()
        try:
            title, steps = self.scripts(BOTH_FLOODED)
        except Exception as e:  # never a crash at this moment: said, and the ready question instead
            report(e)
            live.screen.caption(f"({BOTH_FLOODED} cannot be played: {e})")
            return self._ready(live, was_paused)
        if live.record is not None:
            live.record.set(stage=BOTH_FLOODED)
        live.screen.caption(title)
        spoken = Spoken(minutes=self.break_minutes, now=self.now, names=self.names)
        player = Player(steps, live.player.clips, spoken)
        # its turns are turns as here (a soft warning, m, x), but "both of us" is not asked again
        inner = Partners(type(self.together)(self.together.clock), self.names, self.break_minutes, self.now,
                         self.scripts, both=False, take_break=self.take_break)
        inner.together.flooded = self.together.flooded
        outcome = run(player, live.output, screen=live.screen, keys=live.keys, record=live.record, warn=live.warn,
                      keep_output=True, finish=False, policy=inner)
        self.together.flooded = inner.together.flooded
        if outcome.reason != "completed":
            return "flooded" if outcome.message == "flooded" else outcome.reason
        if spoken.at is not None:  # it sent you apart until a time it named: a bell rings then
            end = self._apart(live, spoken)
            if end != "completed":
                return end
        self._back(live)
        return self._ready(live, was_paused)

    def _apart(self, live, spoken) -> str:
        """The quiet wait to the time `both-flooded` named, then the soft bell (r twice: back sooner)."""
        from ..playback.player import Player
        from ..session.policies import KeepTime
        from ..session.loop import run
        from ..script.model import Bell, Pause

        at = spoken.at.strftime("%H:%M")
        left_s = (spoken.at - spoken.now()).total_seconds()
        if left_s <= 0:
            return "completed"
        live.screen.caption(APART.format(at=at))
        bell_at = round(left_s * pcm.RATE_HZ)

        def countdown(cursor) -> str:
            return APART_HINT.format(at=at, left=clock(max(0, bell_at - cursor.position) / pcm.RATE_HZ))

        player = Player([Pause(line=1, seconds=left_s), Bell(line=1, soft=True)], live.player.clips, spoken)
        return run(player, live.output, screen=live.screen, keys=live.keys, record=live.record, warn=live.warn,
                   keep_output=True, finish=False, policy=KeepTime(countdown, ready=True)).reason

    def _back(self, live) -> None:
        """The sequence's output again (through the voice, with sound), still paused where it was."""
        if self._voice(live) is None:
            live.output.attach(live.cursor)
            live.output.start()


def _time_left(seconds: int) -> str:
    (line,) = said("together.time_left", seconds=seconds)
    return line


def _library_steps(name: str):
    """(title, steps) of the sequence `name`: the person's own, else the built-in one (a typo in
    their own must not cost them this moment)."""
    from ..library import builtin_scripts, resolve
    from ..script import ScriptError, parse_file

    path = resolve(name)
    try:
        sequence = parse_file(path)
    except ScriptError:
        builtin = builtin_scripts().get(name)
        if builtin is None or builtin == path:
            raise
        sequence = parse_file(builtin)
    return sequence.title, sequence.steps


def _set_paused(cursor, paused: bool) -> None:
    if cursor.paused != paused:
        cursor.toggle_pause()
