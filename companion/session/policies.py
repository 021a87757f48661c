"""What keys do in a session, and what the progress line says: the loop is given one of these.

The loop (loop.run) reads a key and asks its policy; the policy moves the
cursor and answers with a reason to end (or None to go on). Each policy also
writes the progress line's note.

  Plain     play, daily, a pause's spoken phases: space pauses, Enter ends a
            turn, n skips to the next line; `moments` keys end the session
            with their reason (a pause going to another sequence).
  KeepTime  the timeline measures real time (a wait to a promised bell, a
            pulse count): space quiets the speech and the clock goes on, n
            skips nothing; with `ready`, r pressed twice rings the bell now.
  together.policy.Partners: two partners' turns, and "I'm flooded".

A policy's `act(key, live)` is called every poll, with the key or None; `live`
is the session as the policy may touch it (see loop.Live).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..playback import pcm
from .screen import clock

READY_CONFIRM_S = 4.0
READY_HINT = "ready now? r again rings the bell · any other key: keep waiting"


class Plain:
    def __init__(self, note: Callable[[object], str] | None = None, moments: dict[str, str] | None = None,
                 times: bool | None = None):
        """`note(cursor)` replaces the times and key hint on the progress line (a countdown);
        `times`: show the times beside it (by default only when there is no note)."""
        self._note = note
        self.moments = moments or {}
        self.times = note is None if times is None else times

    def act(self, key: str | None, live) -> str | None:
        if key is None:
            return None
        if key.lower() in self.moments:
            return self.moments[key.lower()]
        cursor = live.cursor
        if key in (" ", "\n", "\r"):
            if not cursor.end_turn() and key == " ":
                self.space(cursor)
        elif key in ("n", "N"):
            self.next(cursor)
        return None

    def ended(self, reason: str) -> tuple[str, str]:
        """The session's reason and message, from the reason the loop ended with."""
        return reason, ""

    def space(self, cursor) -> None:
        cursor.toggle_pause()

    def next(self, cursor) -> None:
        cursor.skip_line()

    def status(self, live) -> tuple[str, bool]:
        """The progress line's note, and whether the times show beside it."""
        cursor = live.cursor
        event = cursor.current()
        note = self._note(cursor) if self._note else ""
        if event is not None and event.kind == "turn":
            note = f"{clock((event.end - cursor.position) / pcm.RATE_HZ)} left · space or Enter when done"
        return note, self.times


class KeepTime(Plain):
    """Nothing moves the timeline by accident: it ends at a time promised (or counts a pulse)."""

    def __init__(self, note=None, moments=None, times=None, ready: bool = False):
        super().__init__(note, moments, times)
        self.ready = ready
        self._armed_until = 0.0  # a first r: a second one within READY_CONFIRM_S rings the bell now

    def act(self, key, live):
        if key is None:
            return None
        if key in ("r", "R") and self.ready:
            if time.monotonic() < self._armed_until:
                self._armed_until = 0.0
                live.cursor.skip_to_last()
            else:
                self._armed_until = time.monotonic() + READY_CONFIRM_S
            return None
        self._armed_until = 0.0
        return super().act(key, live)

    def space(self, cursor) -> None:
        cursor.toggle_mute()

    def next(self, cursor) -> None:
        pass  # n would jump the countdown past the promised time

    def status(self, live):
        note, times = super().status(live)
        if time.monotonic() < self._armed_until:
            note = READY_HINT
        return note, times
