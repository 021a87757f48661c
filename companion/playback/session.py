"""One session: play a sequence to an output, answer keys, keep the journal.

The terminal, clock and journal are passed in, so the same loop serves the
sound device, captions only, and tests.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable

from .. import interrupt
from . import pcm
from .player import Player
from .screen import Keys, Screen, clock

POLL_S = 0.05
EXIT_CODES = {"completed": 0, "stopped": 0, "error": 1, "interrupted": 130}


class Outcome(namedtuple("Outcome", "reason played_s position_s planned_s output message session_id unrecorded",
                         defaults=("", None, ""))):
    """How a session ended: reason is completed, stopped, interrupted or error; times in seconds;
    its journal row's id, if it has one; `unrecorded`: why the journal could not keep it all."""

    __slots__ = ()

    @property
    def exit_code(self) -> int:
        """A session the journal could not keep never exits 0: 1, as for an error."""
        code = EXIT_CODES[self.reason]
        return 1 if code == 0 and self.unrecorded else code


def run(player: Player, output, *, screen: Screen, keys: Keys, journal=None, sequence_id: str = "",
        title: str = "", mode: str = "play", warn: Callable[[str], None] = print,
        note: Callable[[object], str] | None = None, keep_output: bool = False,
        on_started: Callable[[], None] | None = None, prelude_frames: int = 0, extra: dict | None = None,
        keep_time: bool = False, ready_key: bool = False, moment_keys: dict[str, str] | None = None,
        times: bool | None = None, together=None, names: dict[str, str] | None = None) -> Outcome:
    """Play until the end, `q`, Ctrl-C or an error; journal the session either way.

    `note(cursor)` replaces the times and key hint on the progress line (a
    countdown). `keep_time`: the timeline is a measure of real time (a wait
    that ends at a promised time, a pulse count), so nothing may move it by
    accident: space quiets the speech instead of stopping the clock, and n
    skips nothing. `ready_key`: r, pressed twice, goes to the last event (a
    wait's bell) now.
    With `keep_output`, a completed session leaves the output open for the next.
    `on_started` runs once the sound has started (work that must not delay it).
    `prelude_frames`: the output is already playing the first event (see
    DeviceOutput.play_prelude); the cursor begins after it. `extra`: more
    columns for the journal row (see journal.EXTRA_COLUMNS). `moment_keys`: a key
    that ends the session with its reason (a pause going to another sequence,
    e.g. f: "they followed me"), the output left open as for a completed one.
    `times`: show the times beside `note` (by default only when there is no note).
    `together`: a together.turns.Together for a session of two partners (`names`: theirs): it owns
    the turns' timing and the "I'm flooded" key; a break taken ends the session as stopped, its
    message and the journal's stage "flooded".
    """
    cursor = player.cursor
    session_id = None
    reason, message, unrecorded = "completed", "", ""
    try:
        player.start()
        if prelude_frames:
            _begin_after_prelude(player)
        output.attach(cursor)
        if not prelude_frames:  # with a prelude the sound is already playing
            _wait_until_ready(player)
        output.start()
        if on_started is not None:
            on_started()
        if journal is not None:
            try:
                with interrupt.held():  # Ctrl-C between the row's start and its id would orphan the row
                    session_id = journal.start(sequence_id, title, mode, output.name)
                    if extra:  # now, not only at the end: a session killed outright keeps them too
                        journal.add(session_id, **extra)
            except Exception as e:  # the journal cannot keep it (e.said: open_or_warn said why); it still plays
                unrecorded = str(e)
                if not getattr(e, "said", False):
                    from ..journal import UNRECORDED

                    warn(f"{UNRECORDED}{e}")
                journal = None
        flood = None
        if together is not None:
            def flood(count: int) -> None:  # journalled at once: a session killed next still keeps it
                if journal is not None and session_id is not None:
                    try:
                        journal.add(session_id, flooded=count)
                    except Exception as e:
                        warn(f"companion: the journal could not be written ({e}).")
        with keys:
            if together is not None:
                reason = _together_loop(player, output, screen, keys, together, names or {}, flood)
                if reason == "flooded":
                    reason, message = "stopped", "flooded"
            else:
                reason = _loop(player, output, screen, keys, note, keep_time, ready_key, moment_keys or {},
                               note is None if times is None else times)
    except KeyboardInterrupt:
        reason = "interrupted"
    except Exception as e:  # one line, never a traceback, and still journalled
        reason, message = "error", str(e)
    finally:
        with interrupt.held():  # a second Ctrl-C must not cut the silence or the journal
            if keep_output and (reason == "completed" or reason in (moment_keys or {}).values()):
                output.detach()
            else:
                output.stop()  # silence first: within one poll of the key or Ctrl-C
            player.stop()
            screen.close()
            if player.error is not None and reason != "interrupted":
                reason, message = "error", _describe(player.error)
            outcome = Outcome(reason, cursor.played / pcm.RATE_HZ, cursor.position / pcm.RATE_HZ,
                              (player.planned_frames or cursor.position) / pcm.RATE_HZ, output.name, message,
                              session_id)
            if journal is not None and session_id is not None:
                try:
                    journal.finish(session_id, reason=reason, planned_s=outcome.planned_s,
                                   played_s=outcome.played_s, position_s=outcome.position_s,
                                   **({"stage": "flooded"} if message == "flooded" else {}))
                except Exception as e:  # the row stays `unfinished` in the log
                    unrecorded = str(e)
                    warn(f"companion: the journal could not record how this session ended ({e}).")
            if unrecorded:  # said when it happened
                outcome = outcome._replace(unrecorded=unrecorded)
    return outcome


READY_CONFIRM_S = 4.0
READY_HINT = "ready now? r again rings the bell · any other key: keep waiting"


def _loop(player: Player, output, screen: Screen, keys: Keys, note_for=None, keep_time=False, ready_key=False,
          moment_keys=None, times=True) -> str:
    import time

    cursor = player.cursor
    warned = False
    armed_until = 0.0  # a first r: a second one within READY_CONFIRM_S rings the bell now
    while not output.done.is_set():
        if player.error is not None:
            return "error"
        if not warned and getattr(player.clips, "unavailable", None):
            warned = True
            screen.caption(f"(no voice: {player.clips.unavailable}; showing captions only)")
        interrupt.check()  # a Ctrl-C whose exception went astray (see interrupt.py)
        _caption_entered(player, screen)  # before a key can end it: a line heard is a line shown
        if screen.gone and output.name == "captions":  # captions were all it gave, and nobody reads them
            return "stopped"  # (with sound, the session goes on: the captions were only a copy of it)
        key = keys.read(POLL_S)
        if key in ("q", "Q"):
            return "stopped"
        if moment_keys and key is not None and key.lower() in moment_keys:
            return moment_keys[key.lower()]
        if key is not None and key not in "rR":
            armed_until = 0.0
        if key in (" ", "\n", "\r"):
            if not cursor.end_turn() and key == " ":
                cursor.toggle_mute() if keep_time else cursor.toggle_pause()
        elif key in ("n", "N") and not keep_time:
            cursor.skip_line()
        elif key in ("r", "R") and ready_key:
            if time.monotonic() < armed_until:
                armed_until = 0.0
                cursor.skip_to_last()
            else:
                armed_until = time.monotonic() + READY_CONFIRM_S
        _caption_entered(player, screen)
        event = cursor.current()
        note = note_for(cursor) if note_for else ""
        if time.monotonic() < armed_until:
            note = READY_HINT
        if event is not None and event.kind == "turn":
            note = f"{clock((event.end - cursor.position) / pcm.RATE_HZ)} left · space or Enter when done"
        total = player.planned_frames
        screen.status(cursor.position / pcm.RATE_HZ, total / pcm.RATE_HZ if total else None, cursor.paused, note,
                      times=times)
    _caption_entered(player, screen)  # a short session can end before the loop's first look
    return "completed"


CUE_NOTE = "about {s} seconds left"
WRAP_NOTE = "finish your sentence · space: done · m: more"
TURN_NOTE = "{left} left · space or Enter: done · m: more · x: I'm flooded"
GROUNDING = ("Let's stop here for a moment. Feet on the floor. Breathe out slowly. "
             "Nobody has to say anything now.")
FLOODED_WHO = "Which of you is flooded? a: {A} · b: {B}"
FLOODED_OFFER = "{name}: Enter to go on when you are both ready · p: take a break (a guided pause)"


def _together_loop(player: Player, output, screen: Screen, keys: Keys, together, names: dict[str, str],
                   flood=None) -> str:
    """The loop for two partners: a turn's timing is the policy's (the cursor waits, paused, in the
    turn until the policy ends it), keys go to the policy first, "I'm flooded" pauses everything."""
    cursor = player.cursor
    turn_index = None  # the turn event the policy holds
    note = ""
    while not output.done.is_set():
        if player.error is not None:
            return "error"
        interrupt.check()
        _caption_entered(player, screen)
        if screen.gone and output.name == "captions":
            return "stopped"
        event = cursor.current()
        if event is not None and event.kind == "turn" and cursor.index != turn_index:
            turn_index = cursor.index
            together.begin_turn(event.who, (event.end - event.start) / pcm.RATE_HZ)
            _set_paused(cursor, True)  # silence, held here: the policy says when the turn ends
            note = ""
        key = keys.read(POLL_S)
        if key in ("q", "Q"):
            return "stopped"
        actions = together.key(key) if key is not None else []
        actions += together.tick()
        for action in actions:
            if action.kind == "cue":
                note = CUE_NOTE.format(s=round(max(0.0, together.turn.remaining())))
            elif action.kind == "wrap":
                note = WRAP_NOTE
            elif action.kind == "extend":
                note = ""
            elif action.kind == "end":
                note = ""
                _end_turn(cursor)
            elif action.kind == "flooded":
                if flood is not None:
                    flood(action.count)
                if _flooded(cursor, screen, keys, names, lambda: _say(output, player.clips, GROUNDING)) == "break":
                    return "flooded"
                together.resume()
        in_turn = together.turn is not None and not together.turn.ended and cursor.index == turn_index
        if key is not None and not actions and not in_turn and not together.paused:
            if key == " ":
                cursor.toggle_pause()
            elif key in ("n", "N"):
                cursor.skip_line()
        _caption_entered(player, screen)
        shown = ""
        turn = together.turn
        if turn is not None and not turn.ended and cursor.index == turn_index:
            shown = note or TURN_NOTE.format(left=clock(max(0.0, turn.remaining())))
        total = player.planned_frames
        screen.status(cursor.position / pcm.RATE_HZ, total / pcm.RATE_HZ if total else None,
                      cursor.paused and not shown, shown, times=not shown)
    _caption_entered(player, screen)
    return "completed"


def _set_paused(cursor, paused: bool) -> None:
    if cursor.paused != paused:
        cursor.toggle_pause()


def _end_turn(cursor) -> None:
    _set_paused(cursor, False)
    cursor.end_turn()


def _say(output, clips, text: str) -> None:
    """`text` in the guide's voice, now, while the sequence waits paused (with sound only): a cursor of
    its own on the output, then the sequence's cursor back, still paused."""
    import time

    if output.name != "device" or output.cursor is None:
        return
    from .cursor import Cursor
    from .player import Lengths, audio_for
    from ..script.model import Speak
    from .timeline import plan

    session_cursor = output.cursor
    try:
        events = plan([Speak(line=1, text=text)], Lengths(clips)).events
        line = Cursor(events)
        line.audio[0] = audio_for(events[0], clips)
    except Exception:  # no voice: the caption says it
        return
    line.planned.set()
    output.attach(line)
    try:
        while not output.done.is_set():  # the line, and its last frames out of the device buffer
            interrupt.check()
            time.sleep(POLL_S)
    finally:
        output.attach(session_cursor)


def _flooded(cursor, screen: Screen, keys: Keys, names: dict[str, str], say=lambda: None) -> str:
    """Pause, ground, ask who, offer the break: "break" or "go on"."""
    was_paused = cursor.paused
    _set_paused(cursor, True)
    screen.caption(GROUNDING)
    say()
    screen.caption(FLOODED_WHO.format(A=names.get("A", "A"), B=names.get("B", "B")))
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
            return "break"
    screen.caption(FLOODED_OFFER.format(name=names.get(who, who)))
    while True:
        interrupt.check()
        screen.status(cursor.position / pcm.RATE_HZ, None, False, "Enter: go on · p: a break", times=False)
        key = keys.read(POLL_S)
        if key in ("\n", "\r") or (key is None and not keys.active):
            _set_paused(cursor, was_paused)
            return "go on"
        if key in ("p", "P", "q", "Q"):
            return "break"


def _caption_entered(player: Player, screen: Screen) -> None:
    """Caption every line begun since the last look, none that was skipped."""
    cursor = player.cursor
    while cursor.entered:
        caption = player.events[cursor.entered.popleft()].caption
        if caption:
            screen.caption(caption)


def _wait_for(player: Player, condition: Callable[[], bool], limit_s: float = 5.0) -> None:
    """Wait until `condition` holds, the player fails, or `limit_s` seconds pass."""
    import time

    deadline = time.monotonic() + limit_s
    while not condition() and player.error is None and time.monotonic() < deadline:
        with player.cursor.moved:
            player.cursor.moved.wait(0.002)


def _begin_after_prelude(player: Player) -> None:
    _wait_for(player, lambda: bool(player.events))
    if player.events and player.events[0].kind == "speech":
        # The prelude was this line; if its length differs (an index older than the
        # clip format), the player still goes on after it rather than repeat it.
        player.cursor.played_already(player.events[0].frames)


def _wait_until_ready(player: Player) -> None:
    """Start the sound with the first word in its first buffer, not behind a buffer of silence."""
    _wait_for(player, player.cursor.ready)


def _describe(error: BaseException) -> str:
    return str(error) or error.__class__.__name__
