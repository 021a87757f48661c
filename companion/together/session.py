"""Two partners in the one session loop: the policy it is given (see playback/policies.py).

`Partners` wraps the pure turn policy (turns.Together): a turn's timing is the
policy's (the cursor waits, paused, in the turn until the policy ends it),
keys go to it first, and "I'm flooded" (x or !) pauses everything: a short
grounding line, which of you, then the offer:

  Enter   go on, when you are both ready
  t, 1-6  a break now for the one who is flooded, the guided pause's own
          (its announcement with the return time, the quiet wait, the soft
          bell: pause.flow.PauseFlow.wait), on the same output; then one line
          to come back, and the sequence goes on where it paused
  p, q    stop here, for a guided pause of your own (`companion pause --leave`)

The journal row: `flooded` counts the presses (written at once); a break sets
`stage` to "break" as it begins (and `break_minutes`, `wait_s`); stopping for a
pause of your own sets it to "flooded" ("break > flooded" after a break).
"""

from __future__ import annotations

from ..debug import report
from ..lines import raw, said
from ..playback import pcm
from ..playback.policies import Plain
from ..playback.screen import clock

CUE_NOTE = "about {s} seconds left"
WRAP_NOTE = "finish your sentence · space: done · m: more"
TURN_NOTE = "{left} left · space or Enter: done · m: more · x: I'm flooded"
FLOODED_WHO = "Which of you is flooded? a: {A} · b: {B}"
FLOODED_OFFER = ("{name}: Enter to go on when you are both ready · t: a break of {minutes:g} minutes now, "
                 "then back here (1-6: 10 to 60 minutes) · p: stop here, for a guided pause of your own")
OFFER_HINT = "Enter: go on · t: a break, then back · p: stop"
BREAK_KEYS = {"t": None, "T": None, **{str(n): 10 * n for n in range(1, 7)}}  # None: the default length
POLL_S = 0.05


class Partners(Plain):
    """The policy of a session for two: `together` a turns.Together, `names` {"A": ..., "B": ...}."""

    def __init__(self, together, names: dict[str, str], break_minutes: float = 20, now=None):
        super().__init__()
        self.together, self.names = together, names
        self.break_minutes, self.now = break_minutes, now  # `now`: the wall clock for the return time
        self.turn_index = None  # the turn event the policy holds
        self.note = ""

    def ended(self, reason):
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
            self.together.begin_turn(event.who, (event.end - event.start) / pcm.RATE_HZ, elapsed)
            self.note = ""
        actions = self.together.key(key) if key is not None else []
        actions += self.together.tick()
        for action in actions:
            if action.kind == "cue":
                # as of when it was due (the loop may look a poll later): the lead the policy gave
                self.note = CUE_NOTE.format(s=round(max(0.0, self.together.turn.limit - action.at)))
            elif action.kind in ("wrap", "extend", "end"):
                self.note = WRAP_NOTE if action.kind == "wrap" else ""
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

    # -- "I'm flooded" ----------------------------------------------------------------
    def _flooded(self, live) -> str | None:
        """Pause, ground, ask who, offer the break: None to go on, else the session's end."""
        from .. import interrupt

        cursor, screen, keys = live.cursor, live.screen, live.keys
        was_paused = cursor.paused
        _set_paused(cursor, True)
        grounding = raw("together.grounding")
        screen.caption(grounding)
        _say(live, grounding)
        screen.caption(FLOODED_WHO.format(A=self.names.get("A", "A"), B=self.names.get("B", "B")))
        who = None
        while who is None:
            interrupt.check()
            screen.status(cursor.position / pcm.RATE_HZ, None, False, "a or b", times=False)
            key = keys.read(POLL_S)
            if key is None and not keys.active:
                who = "A"
            elif key in ("a", "A", "b", "B"):
                who = key.upper()
            elif key in ("q", "Q"):
                return self._stop(live)
        name = self.names.get(who, who)
        screen.caption(FLOODED_OFFER.format(name=name, minutes=self.break_minutes))
        while True:
            interrupt.check()
            screen.status(cursor.position / pcm.RATE_HZ, None, False, OFFER_HINT, times=False)
            key = keys.read(POLL_S)
            if key in ("\n", "\r") or (key is None and not keys.active):
                _set_paused(cursor, was_paused)
                return None
            if key in ("p", "P", "q", "Q"):
                return self._stop(live)
            if key in BREAK_KEYS:
                end = self._break(live, who, BREAK_KEYS[key] or self.break_minutes)
                if end != "completed":
                    return end
                _set_paused(cursor, was_paused)
                return None

    def _stop(self, live) -> str:
        if live.record is not None:
            if live.record["stage"] == "break":
                live.record.moment("break")
            live.record.set(stage="flooded")
        return "flooded"

    def _break(self, live, who: str, minutes: float) -> str:
        """The guided pause's break, on this output, for the one who is flooded; then back to the
        sequence where it paused. Its reason: completed (back), or how the session ends."""
        from ..pause.flow import PauseFlow
        from ..playback.record import Record

        record = live.record if live.record is not None else Record(None, "", "", "together")
        output, cursor = live.output, live.cursor
        record.set(break_minutes=minutes)
        flow = PauseFlow(output=output, screen=live.screen, keys=live.keys, clips_factory=lambda: live.player.clips,
                         journal_factory=lambda: None, minutes=minutes, default_minutes=minutes, now=self.now,
                         warn=live.warn, record=record, names=self.names, speaker=who)
        outcome = flow.wait("leaving", minutes)  # its stage, "break", is journalled as it begins
        if outcome != "completed":
            return outcome
        record.moment("break")
        output.attach(cursor)  # the sequence's cursor again, still paused where it was
        output.start()
        (line,) = said("together.coming_back", name=self.names.get(who, who))
        live.screen.caption(line)
        _say(live, line)
        return "completed"


def _set_paused(cursor, paused: bool) -> None:
    if cursor.paused != paused:
        cursor.toggle_pause()


def _say(live, text: str) -> None:
    """`text` in the guide's voice, now, while the sequence waits paused (with sound only): a cursor of
    its own on the output, then the sequence's cursor back, still paused."""
    import time

    from .. import interrupt

    output = live.output
    if output.name != "device" or output.cursor is None:
        return
    from ..playback.cursor import Cursor
    from ..playback.player import Lengths, audio_for
    from ..playback.timeline import plan
    from ..script.model import Speak

    session_cursor = output.cursor
    try:
        events = plan([Speak(line=1, text=text)], Lengths(live.player.clips)).events
        line = Cursor(events)
        line.audio[0] = audio_for(events[0], live.player.clips)
    except Exception as e:  # no voice: the caption says it
        report(e)
        return
    line.planned.set()
    output.attach(line)
    try:
        while not output.done.is_set():  # the line, and its last frames out of the device buffer
            interrupt.check()
            time.sleep(POLL_S)
    finally:
        output.attach(session_cursor)


def __getattr__(name: str):
    """GROUNDING and COMING_BACK (a template: {name}): data (scripts/_spoken.toml), read when asked for."""
    key = {"GROUNDING": "together.grounding", "COMING_BACK": "together.coming_back"}.get(name)
    if key is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return raw(key)
