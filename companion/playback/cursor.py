"""The playing position on a timeline, and the audio at that position.

An output pulls frames with `read(n)` (the sound device from its callback, a
WAV writer in a loop, a clock for captions only). Every event is placed by its
absolute offset on the timeline, so timing comes from frames counted, never
from sleeps added up. `read` never blocks on I/O: audio it needs is prepared
ahead by the Loader; if it is late, `read` plays silence and waits in place
(a stall) rather than play the wrong thing.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from .pcm import SAMPLE_BYTES
from .timeline import Event

AUDIBLE = ("speech", "bell", "breath", "sound")


class Audio:
    """Prepared samples for one event: a clip padded with silence, or a loop."""

    __slots__ = ("data", "loop_frames", "head", "tail")

    def __init__(self, data: bytes, loop_frames: int = 0, head: bytes = b"", tail: bytes = b""):
        self.data, self.loop_frames, self.head, self.tail = data, loop_frames, head, tail

    def read(self, offset: int, n: int) -> bytes:
        """`n` frames from frame `offset` of this event's audio."""
        if not self.loop_frames:
            chunk = self.data[offset * SAMPLE_BYTES:(offset + n) * SAMPLE_BYTES]
            return chunk + bytes(n * SAMPLE_BYTES - len(chunk))
        # A loop of `data` lasting loop_frames, with faded copies of its first and last frames.
        out, end = bytearray(), offset + n
        head_n, tail_start = len(self.head) // SAMPLE_BYTES, self.loop_frames - len(self.tail) // SAMPLE_BYTES
        size = len(self.data) // SAMPLE_BYTES
        while offset < end:
            if offset < head_n:
                stop = min(end, head_n)
                out += self.head[offset * SAMPLE_BYTES:stop * SAMPLE_BYTES]
            elif offset >= tail_start:
                stop = end
                out += self.tail[(offset - tail_start) * SAMPLE_BYTES:(stop - tail_start) * SAMPLE_BYTES]
            else:
                at = offset % size
                stop = min(end, tail_start, offset + size - at)
                out += self.data[at * SAMPLE_BYTES:(at + stop - offset) * SAMPLE_BYTES]
            offset = stop
        return bytes(out) + bytes(n * SAMPLE_BYTES - len(out))


class Cursor:
    """Where playback is on `events` (a list that may still be growing).

    All positions are frames on the timeline. `planned` is set once the whole
    timeline is known; until then reaching the last known event is a stall.
    `fetch`, if given, prepares missing audio on the spot (for rendering to a
    file, where waiting is harmless); without it, missing audio is a stall.
    """

    def __init__(self, events: list[Event], fetch: Callable[[int, Event], Audio] | None = None):
        self.events = events
        self.audio: dict[int, Audio] = {}
        self.fetch = fetch
        self.planned = threading.Event()
        self.position = 0
        self.index = 0
        self.played = 0
        self.stalled = 0
        self.paused = False
        self.muted = False  # speech plays as silence, and time goes on (a wait's quiet)
        self._entered_muted = False  # the current event began while muted
        self.finished = False
        self.entered: deque[int] = deque()  # indices of events begun, for captions
        self._last_entered = -1
        self.moved = threading.Condition()  # notified when the position jumps
        self._lock = threading.Lock()

    # -- called by the output --------------------------------------------------
    def read(self, n: int) -> bytes:
        """The next `n` frames; silence while paused, stalled or finished."""
        out = bytearray()
        with self._lock:
            while n > 0 and not self.paused and not self.finished:
                event = self._current()
                if event is None:
                    if self.planned.is_set():
                        self.finished = True
                    else:
                        self.stalled += n
                    break
                take = min(n, event.end - self.position)
                if self.index != self._last_entered:
                    self._last_entered = self.index
                    self._entered_muted = self.muted
                    if not (self.muted and event.kind == "speech"):
                        self.entered.append(self.index)
                # a line begun in the quiet stays quiet (its caption was never shown); muting hushes at once
                hushed = event.kind == "speech" and (self.muted or self._entered_muted)
                if hushed:
                    out += bytes(take * SAMPLE_BYTES)
                elif event.kind in AUDIBLE:
                    audio = self.audio.get(self.index)
                    if audio is None and self.fetch is not None:
                        audio = self.audio[self.index] = self.fetch(self.index, event)
                    if audio is None:
                        self.stalled += n
                        break
                    out += audio.read(self.position - event.start, take)
                else:
                    out += bytes(take * SAMPLE_BYTES)
                self.position += take
                self.played += take
                n -= take
        return bytes(out) + bytes(n * SAMPLE_BYTES)

    def _current(self) -> Event | None:
        while self.index < len(self.events) and self.events[self.index].end <= self.position:
            self.audio.pop(self.index, None)  # played: let it go
            self.index += 1
        return self.events[self.index] if self.index < len(self.events) else None

    def played_already(self, frames: int) -> None:
        """The first `frames` were played by someone else (the first line, already playing): begin after them."""
        with self._lock:
            self.position = frames
            self.played = frames
            self.entered.append(0)  # its caption is still shown
            self._last_entered = 0
            self._current()

    # -- called by the loader ----------------------------------------------------
    def keep(self, index: int, audio: Audio) -> bool:
        """Hold `audio`, fetched for event `index`, unless playback moved past that event while it
        was fetched (a skip): then it is dropped, since nothing would let it go. True if kept."""
        with self._lock:
            if index < self.index or self.events[index].end <= self.position:
                return False
            self.audio[index] = audio
            return True

    def ready(self) -> bool:
        """Is there something to play right away (or nothing at all, ever)?"""
        if self.index < len(self.events):
            event = self.events[self.index]
            return event.kind not in AUDIBLE or self.index in self.audio
        return self.planned.is_set()

    # -- called by the keyboard ------------------------------------------------
    def current(self) -> Event | None:
        with self._lock:
            return self._current()

    def toggle_pause(self) -> bool:
        with self._lock:
            self.paused = not self.paused
            return self.paused

    def toggle_mute(self) -> bool:
        """Speech on or off; unlike a pause, the position goes on (a promised bell keeps its time)."""
        with self._lock:
            self.muted = not self.muted
            return self.muted

    def end_turn(self) -> bool:
        """If a partner's turn is playing, end it now (the soft bell follows)."""
        with self._lock:
            event = self._current()
            if event is None or event.kind != "turn":
                return False
            self._jump(event.end)
            return True

    def skip_line(self) -> None:
        """Jump to the start of the next spoken line (or the end)."""
        with self._lock:
            self._current()
            for event in self.events[self.index:]:
                if event.kind == "speech" and event.start > self.position:
                    self._jump(event.start)
                    return
            if self.planned.is_set():
                self._jump(self.events[-1].end if self.events else 0)

    def skip_to_last(self) -> None:
        """Jump to the start of the last event (a wait's bell), once the timeline is known."""
        with self._lock:
            if self.planned.is_set() and self.events:
                self._jump(self.events[-1].start)

    def _jump(self, position: int) -> None:
        self.position = max(self.position, position)
        self.paused = False
        with self.moved:
            self.moved.notify_all()
