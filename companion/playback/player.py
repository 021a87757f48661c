"""Plans a sequence and keeps its audio ready just ahead of the cursor.

Two background threads: the planner walks the script, rendering each line
(the first line first, so the first word is never held up by the rest) and
appending events to the timeline; the loader holds the audio of the next few
seconds in memory and lets played audio go, so an hour-long sequence plays
in bounded memory.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from . import assets, pcm
from .cursor import AUDIBLE, Audio, Cursor
from .timeline import Event, iter_events

LOOKAHEAD_FRAMES = pcm.frames_of(12.0)
BREATH_FADE_S = 0.3
SOUND_FADE_S = 1.5


class Lengths:
    """Frame counts for the timeline, from the clip store and the bundled sounds."""

    def __init__(self, clips):
        self.clips = clips

    def speech(self, role: str, text: str) -> int:
        return self.clips.frames(role, text)

    def asset(self, name: str) -> int:
        return assets.frames(name)


def audio_for(event: Event, clips) -> Audio:
    """The samples `event` plays, mixed and faded as the timeline means them."""
    if event.kind == "speech":
        return Audio(clips.load(event.role, event.text))
    if event.kind == "bell":
        return Audio(assets.load(event.asset))
    if event.kind == "breath":
        size = event.frames * pcm.SAMPLE_BYTES
        tone = assets.load(event.asset)[:size] if event.asset else b""
        tone += pcm.silence(event.frames - len(tone) // pcm.SAMPLE_BYTES)
        tone = pcm.fade(tone, out_frames=min(pcm.frames_of(BREATH_FADE_S), event.frames))
        if event.text:
            tone = pcm.mix(tone, clips.load(event.role, event.text)[:size])
        return Audio(tone)
    if event.kind == "sound":
        data = assets.load(event.asset)
        size = len(data) // pcm.SAMPLE_BYTES
        edge = min(pcm.frames_of(SOUND_FADE_S), event.frames // 2)
        head = pcm.fade(_looped(data, 0, edge), in_frames=edge)
        tail = pcm.fade(_looped(data, (event.frames - edge) % size, edge), out_frames=edge)
        return Audio(data, loop_frames=event.frames, head=head, tail=tail)
    raise ValueError(f"{event.kind} events have no audio")


def _looped(data: bytes, start: int, frames: int) -> bytes:
    out = bytearray()
    size = len(data) // pcm.SAMPLE_BYTES
    while len(out) < frames * pcm.SAMPLE_BYTES:
        chunk = data[start * pcm.SAMPLE_BYTES:(start + frames) * pcm.SAMPLE_BYTES - len(out)]
        out += chunk
        start = (start + len(chunk) // pcm.SAMPLE_BYTES) % size
    return bytes(out)


class Player:
    """A sequence being played: its growing timeline, cursor and helper threads."""

    def __init__(self, steps: Iterable, clips, spoken=None):
        """`spoken`: the session's script.spoken.Spoken (placeholders' values, the safety line said
        once); a fresh one, from the config, if None."""
        if spoken is None:
            from ..spoken import Spoken

            spoken = Spoken()
        self.steps = spoken.steps(steps)
        self.clips = clips
        self.events: list[Event] = []
        self.cursor = Cursor(self.events)
        self.error: BaseException | None = None
        self.expected = None  # lengths.Length: the whole length, known before planning ends (lengths.expect_later)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._guard(self._plan), daemon=True, name="planner"),
                         threading.Thread(target=self._guard(self._load), daemon=True, name="loader")]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self.cursor.moved:
            self.cursor.moved.notify_all()

    @property
    def planned_frames(self) -> int | None:
        """The whole length, once every line is rendered; None before."""
        return self.events[-1].end if self.cursor.planned.is_set() and self.events else None

    def _guard(self, work):
        def run():
            try:
                work()
            except BaseException as e:  # surfaced by the session as one line
                from ..debug import report

                report(e, "a player thread")
                self.error = e
                self.stop()
        return run

    def _plan(self) -> None:
        for event in iter_events(self.steps, Lengths(self.clips)):
            if self._stop.is_set():
                return
            self.events.append(event)
            with self.cursor.moved:
                self.cursor.moved.notify_all()
        self.cursor.planned.set()

    def _load(self) -> None:
        cursor = self.cursor
        while not self._stop.is_set() and not cursor.finished:
            horizon = cursor.position + LOOKAHEAD_FRAMES
            pending = None
            for index in range(cursor.index, len(self.events)):
                event = self.events[index]
                if event.start > horizon:
                    break
                if event.kind in AUDIBLE and index not in cursor.audio and event.end > cursor.position:
                    pending = index, event
                    break
            if pending is not None:
                index, event = pending
                cursor.keep(index, audio_for(event, self.clips))  # under the cursor's lock: a skip may have passed it
                with cursor.moved:
                    cursor.moved.notify_all()  # the session may be waiting to start the sound
                continue
            with cursor.moved:
                cursor.moved.wait(0.05)
