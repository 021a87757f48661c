"""Where the cursor's frames go: the sound device, a WAV file, or nowhere.

The sound device is the default. Captions-only (`--text`, or no device) uses
the same cursor driven by a clock, so timing and journalling are identical.
"""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path
from typing import Callable

from . import pcm
from .cursor import Cursor

DEVICE_LATENCY_S = 0.05  # low enough that pause and stop answer at once


class NoDevice(RuntimeError):
    """No sound device could be opened; the message says why."""


class DeviceOutput:
    """Streams the cursor to the default output device through PortAudio."""

    name = "device"

    def __init__(self, cursor: Cursor, latency_s: float = DEVICE_LATENCY_S):
        self.cursor = cursor
        self.done = threading.Event()
        try:
            import sounddevice as sd
        except OSError as e:  # libportaudio2 missing
            raise NoDevice(f"PortAudio is not installed ({e})") from None
        self._sd = sd
        try:
            self.stream = sd.RawOutputStream(samplerate=pcm.RATE_HZ, channels=1, dtype="int16",
                                             latency=latency_s, callback=self._callback,
                                             finished_callback=self.done.set)
        except Exception as e:  # PortAudioError, ValueError for no default device
            raise NoDevice(str(e).splitlines()[0] if str(e) else e.__class__.__name__) from None

    def _callback(self, outdata, frames, time_info, status) -> None:
        outdata[:] = self.cursor.read(frames)
        if self.cursor.finished:
            raise self._sd.CallbackStop

    def start(self) -> None:
        self.stream.start()

    def stop(self) -> None:
        """Silence now: drop whatever is buffered."""
        try:
            self.stream.abort()
            self.stream.close()
        except Exception:
            pass
        self.done.set()


class ClockOutput:
    """Advances the cursor in real time without sound (captions only).

    `clock` and `sleep` are injectable so tests run a long wait in no time.
    """

    name = "captions"

    def __init__(self, cursor: Cursor, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, step_s: float = 0.02):
        self.cursor, self.clock, self.sleep, self.step_s = cursor, clock, sleep, step_s
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="clock")

    def _run(self) -> None:
        start, consumed = self.clock(), 0
        while not self.done.is_set():
            due = round((self.clock() - start) * pcm.RATE_HZ)
            if due > consumed:
                self.cursor.read(due - consumed)
                consumed = due
            if self.cursor.finished:
                break
            self.sleep(self.step_s)
        self.done.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.done.set()


def render_wav(cursor: Cursor, total_frames: int, out: Path, block: int = 8192) -> None:
    """Write the whole timeline to `out`, block by block (bounded memory)."""
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(pcm.SAMPLE_BYTES)
        w.setframerate(pcm.RATE_HZ)
        while cursor.position < total_frames:
            w.writeframes(cursor.read(min(block, total_frames - cursor.position)))
