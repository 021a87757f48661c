"""A take, judged and made ready to keep: pure functions on s16le mono 22,050 Hz bytes (stdlib only).

Speech is told from the room by level alone: a 50 ms window (10 ms apart, loudness.block_powers)
is speech when it stands 12 dB above the take's quiet parts (its 10th percentile) and above
-50 dBFS. A take made only of digital silence (a muted input) has no quiet parts to measure:
the -50 dBFS floor decides. Loudness itself is companion/voice/loudness.py's, not a second one.
"""

from __future__ import annotations

import math
import sys
from array import array

from ..playback.pcm import RATE_HZ
from ..voice import loudness

HOP_FRAMES = loudness.SUB_FRAMES  # block_powers' windows start 10 ms apart
WINDOW_FRAMES = HOP_FRAMES * loudness.WINDOW_SUBS  # and last 50 ms
SPEECH_FLOOR_DBFS = -50.0  # nothing quieter is speech, however quiet the room
ABOVE_ROOM_DB = 12.0  # speech stands this far above the room's own noise
BELOW_LOUD_DB = 25.0  # ...but the gate never rises within this of the take's loud parts
MARGIN_BEFORE_S = 0.08  # kept before the first speech: a soft consonant's onset
MARGIN_AFTER_S = 0.15  # kept after the last: a word's tail dies away slowly
FADE_S = 0.01  # no click where the trimmed take starts and ends

CLIP_LEVEL = 32_600  # a sample this near full scale was cut off by the input, not spoken
CLIPPED_SAMPLES = 3
TOO_QUIET_DBFS = -42.0  # levelling a quieter take would lift the room's hiss with it by 22 dB or more
MIN_SPEECH_S = 0.3
MIN_SPEECH_SHARE = 0.2  # of the trimmed take

STOP_SILENCE_S = 1.5
ARMED_AFTER_S = 0.15  # speech heard before a silence can stop the take (a click must not)
NO_SPEECH_S = 15.0  # nothing said for this long: stopped, and named as mostly silence
LONGEST_S = 60.0


def db(power: float) -> float:
    return 10 * math.log10(power) if power > 0 else loudness.SILENT


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def speech_gate(levels: list[float]) -> float:
    """The level (dBFS) above which a window of this take is speech."""
    heard = [v for v in levels if v != loudness.SILENT]
    if not heard:
        return SPEECH_FLOOR_DBFS
    room, loud = _percentile(heard, 0.1), _percentile(heard, 0.95)
    return max(SPEECH_FLOOR_DBFS, min(room + ABOVE_ROOM_DB, loud - BELOW_LOUD_DB))


def speech_windows(pcm: bytes) -> list[bool]:
    """For each 50 ms window (10 ms apart): is it speech?"""
    levels = [db(p) for p in loudness.block_powers(pcm)]
    gate = speech_gate(levels)
    return [v > gate for v in levels]


def speech_span(pcm: bytes) -> tuple[int, int] | None:
    """(first, end) frame of the speech with its margins, or None when no window is speech."""
    windows = speech_windows(pcm)
    if not any(windows):
        return None
    first = windows.index(True)
    last = len(windows) - 1 - windows[::-1].index(True)
    frames = len(pcm) // 2
    start = max(0, first * HOP_FRAMES - round(MARGIN_BEFORE_S * RATE_HZ))
    end = min(frames, last * HOP_FRAMES + WINDOW_FRAMES + round(MARGIN_AFTER_S * RATE_HZ))
    return start, end


def trim(pcm: bytes) -> bytes:
    """The take without the silence at either end (a short margin kept, faded); b"" if it holds no speech."""
    span = speech_span(pcm)
    if span is None:
        return b""
    samples = _samples(pcm[span[0] * 2:span[1] * 2])
    fade = min(round(FADE_S * RATE_HZ), len(samples) // 2)
    for i in range(fade):
        samples[i] = samples[i] * i // fade
        samples[-1 - i] = samples[-1 - i] * i // fade
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def level(pcm: bytes) -> bytes:
    """The take at the one speech level every clip has (loudness.normalize)."""
    return loudness.normalize(pcm)


def ready(pcm: bytes) -> bytes:
    """What is kept of a good take: trimmed, then levelled."""
    return level(trim(pcm))


def clipped_samples(pcm: bytes) -> int:
    return sum(1 for s in _samples(pcm) if s >= CLIP_LEVEL or s <= -CLIP_LEVEL)


def verdict(pcm: bytes) -> tuple[str, str] | None:
    """What is wrong with a raw take, as (name, what to do), or None for a take worth hearing back.
    Mostly silence first (then nothing else can be judged), then clipped, then too quiet."""
    windows = speech_windows(pcm)
    span = speech_span(pcm)
    speech_s = sum(windows) * HOP_FRAMES / RATE_HZ
    if span is None or speech_s < MIN_SPEECH_S or sum(windows) * HOP_FRAMES < MIN_SPEECH_SHARE * (span[1] - span[0]):
        return "mostly silence", "hardly any speech was heard. Press space, then say the line."
    if clipped_samples(pcm) >= CLIPPED_SAMPLES:
        return "clipped", ("it was too loud and its peaks were cut off. Move back a little from the "
                           "microphone, or turn its input level down, and say it again.")
    heard = loudness.loudness_dbfs(pcm[span[0] * 2:span[1] * 2])
    if heard < TOO_QUIET_DBFS:
        return "too quiet", (f"it came in at {heard:.0f} dB. Come closer to the microphone, or turn its "
                             "input level up, and say it again.")
    return None


class SilenceStop:
    """Fed the take as it comes in, says when to stop: after STOP_SILENCE_S of quiet that follows
    speech, after NO_SPEECH_S with no speech at all, or at LONGEST_S.

    The room is the quietest 50 ms heard so far that is not digital silence (an input's first
    blocks are often zeros); speech stands ABOVE_ROOM_DB above it and above SPEECH_FLOOR_DBFS."""

    def __init__(self):
        self._pending = b""
        self.room = loudness.SILENT
        self.heard_s = 0.0  # speech so far
        self.quiet_s = 0.0  # quiet since the last speech
        self.taken_s = 0.0
        self.level = loudness.SILENT  # the last 50 ms, for the meter

    def feed(self, pcm: bytes) -> bool:
        """Add `pcm`; True once the take should stop."""
        self._pending += pcm
        hop = WINDOW_FRAMES * 2
        stop = False
        while len(self._pending) >= hop:
            chunk, self._pending = self._pending[:hop], self._pending[hop:]
            stop = self._window(db(loudness.block_powers(chunk)[0])) or stop
        return stop

    def _window(self, heard: float) -> bool:
        step = WINDOW_FRAMES / RATE_HZ
        self.taken_s += step
        self.level = heard
        if heard != loudness.SILENT:
            self.room = heard if self.room == loudness.SILENT else min(self.room, heard)
        gate = SPEECH_FLOOR_DBFS if self.room == loudness.SILENT else max(SPEECH_FLOOR_DBFS, self.room + ABOVE_ROOM_DB)
        if heard > gate:
            self.heard_s += step
            self.quiet_s = 0.0
        else:
            self.quiet_s += step
        if self.taken_s >= LONGEST_S - 1e-9:
            return True
        if self.heard_s < ARMED_AFTER_S - 1e-9:
            return self.taken_s >= NO_SPEECH_S - 1e-9
        return self.quiet_s >= STOP_SILENCE_S - 1e-9


def meter(level_dbfs: float, floor_dbfs: float = -60.0) -> float:
    """0..1 for a level meter: `floor_dbfs` and below empty, full scale full."""
    if level_dbfs == loudness.SILENT:
        return 0.0
    return max(0.0, min(1.0, 1 - level_dbfs / floor_dbfs))


def _samples(pcm: bytes) -> array:
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples
