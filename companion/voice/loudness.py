"""One loudness for every spoken clip, from any engine or voice file.

Pure functions on the player's samples (mono, signed 16-bit little-endian
bytes). Pure stdlib, so rendering a cold pause's first line never waits for
numpy: `audioop` (C, Python 3.11-3.12) does the per-sample work when it is
there (under 1 ms for 3 s of speech), plain Python (about 13 ms) otherwise.

The measure is a gated RMS, like ITU-R BS.1770 without its K-weighting:
the mean power of the 50 ms windows (10 ms apart) that are voiced, i.e.
above -60 dBFS and within 20 dB of the mean of those. Silence, breaths and
the tails of a clip then do not pull a line's level down, so a short line
and a long line with pauses between its sentences come out equally loud.

The target, -20 dBFS, is about where espeak-ng's lines sit today (-22 to
-17.5 by this measure, the guide quietest), so the level the program is heard
at stays where it was, and it leaves room for speech's peaks: they stand 14.5
to 19.4 dB above this measure in espeak-ng's lines and 14 to 21 dB in the
natural voice's sentences. With the ceiling at -1 dBFS the soft limiter
touches about 1 natural sentence in 4 (0.6% of their samples, all within
6 dB of the ceiling) and a few of espeak's guide lines. The bells and tones
are to be set against it (today: bell -20.8, bell-soft and breaths -24.5,
waves -26.8 by this measure).
"""

from __future__ import annotations

import math
import sys
from array import array
from operator import mul

from ..playback.pcm import RATE_HZ
SUB_FRAMES = RATE_HZ // 100  # 10 ms
WINDOW_SUBS = 5  # windows of 50 ms, moving 10 ms at a time
ABSOLUTE_GATE_DBFS = -60.0
RELATIVE_GATE_DB = 20.0
TARGET_DBFS = -20.0
CEILING_DBFS = -1.0  # no sample above this after normalizing (a margin for the resampler and the mixer)
FULL_SCALE = 32768.0
SILENT = float("-inf")
LIMIT_PASSES = 3

try:  # C speed on 3.11-3.12; deprecated (removed in 3.13), hence the quiet import
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop as _audioop
except ImportError:
    _audioop = None


def _samples(data: bytes) -> array:
    samples = array("h")
    samples.frombytes(data[: len(data) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _bytes(samples: array) -> bytes:
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def _db(power: float) -> float:
    return 10 * math.log10(power) if power > 0 else SILENT


def _sub_powers(data: bytes) -> list[float]:
    """Mean power of each 10 ms of `data`, relative to full scale (1.0 = a full-scale square wave)."""
    full = FULL_SCALE * FULL_SCALE
    data = data[: len(data) // 2 * 2]
    step = 2 * SUB_FRAMES
    if _audioop is not None and sys.byteorder == "little":
        powers = [_audioop.rms(data[start:start + step], 2) ** 2 / full for start in range(0, len(data), step)]
    else:
        samples = _samples(data)
        powers = [sum(map(mul, block, block)) / len(block) / full
                  for block in (samples[start:start + SUB_FRAMES] for start in range(0, len(samples), SUB_FRAMES))]
    if len(powers) > 1 and len(data) % step and len(data) % step < step // 4:  # a sliver at the end says little
        powers.pop()
    return powers


def block_powers(data: bytes) -> list[float]:
    """Mean power of each 50 ms window, the windows 10 ms apart (so where a clip starts
    within a window barely matters: with windows end to end, trimming a line's
    start differently moved its measure by up to 0.5 dB)."""
    subs = _sub_powers(data)
    if len(subs) <= WINDOW_SUBS:
        return [sum(subs) / len(subs)] if subs else []
    window = sum(subs[:WINDOW_SUBS])
    powers = [window / WINDOW_SUBS]
    for i in range(WINDOW_SUBS, len(subs)):
        window += subs[i] - subs[i - WINDOW_SUBS]
        powers.append(max(0.0, window) / WINDOW_SUBS)
    return powers


def loudness_dbfs(data: bytes) -> float:
    """The gated RMS of the voiced part, in dBFS; -inf for silence."""
    floor = 10 ** (ABSOLUTE_GATE_DBFS / 10)
    voiced = [p for p in block_powers(data) if p > floor]
    if not voiced:
        return SILENT
    gate = sum(voiced) / len(voiced) * 10 ** (-RELATIVE_GATE_DB / 10)
    kept = [p for p in voiced if p > gate]
    return _db(sum(kept) / len(kept))


def peak_dbfs(data: bytes) -> float:
    if _audioop is not None and sys.byteorder == "little":
        peak = _audioop.max(data[: len(data) // 2 * 2], 2)
    else:
        samples = _samples(data)
        peak = max(max(samples), -min(samples)) if samples else 0
    return 20 * math.log10(peak / FULL_SCALE) if peak else SILENT


def normalize(samples: bytes, target_dbfs: float = TARGET_DBFS, ceiling_dbfs: float = CEILING_DBFS) -> bytes:
    """`samples` brought to `target_dbfs` (gated RMS); no sample goes above `ceiling_dbfs`.

    One gain for the whole clip, so a line keeps its own rise and fall. If
    that gain would push a peak over the ceiling, the few samples above a
    knee 6 dB under the ceiling are bent smoothly toward it (a soft limiter),
    so the line still reaches the target instead of the whole line being
    turned down for one plosive. Silence is returned as it is.
    """
    level = loudness_dbfs(samples)
    if level == SILENT:
        return samples
    gain = 10 ** ((target_dbfs - level) / 20)
    ceiling = FULL_SCALE * 10 ** (ceiling_dbfs / 20)
    peak = 10 ** (peak_dbfs(samples) / 20) * FULL_SCALE
    if peak * gain <= ceiling:
        return _scale(samples, gain)
    samples = samples[: len(samples) // 2 * 2]
    for _attempt in range(LIMIT_PASSES):  # the limiter takes a little off the level: give it back
        out = _limit(samples, gain, ceiling)
        short = target_dbfs - loudness_dbfs(out)
        if short < 0.1:
            break
        gain *= 10 ** (short / 20)
    return out


def _scale(data: bytes, gain: float) -> bytes:
    data = data[: len(data) // 2 * 2]
    if _audioop is not None and sys.byteorder == "little":
        return _audioop.mul(data, 2, gain)
    scaled = array("h", [round(x * gain) for x in _samples(data)])
    return _bytes(scaled)


def _limit(data: bytes, gain: float, ceiling: float) -> bytes:
    """Gain, then above the knee a tanh curve that approaches the ceiling and never reaches it.

    Only the 10 ms blocks that reach above the knee are bent sample by sample
    (in Python); the rest, nearly all of a line, take the plain gain."""
    knee = ceiling / 2  # 6 dB under the ceiling
    room = ceiling - knee

    def bend(x: int) -> int:
        y = x * gain
        if -knee <= y <= knee:
            return round(y)
        bent = knee + room * math.tanh((abs(y) - knee) / room)
        return int(math.copysign(min(bent, ceiling), y))  # int(): toward zero, never over

    out = []
    step = 2 * SUB_FRAMES
    for start in range(0, len(data), step):
        block = data[start:start + step]
        if peak_dbfs(block) + 20 * math.log10(gain) < 20 * math.log10(knee / FULL_SCALE):
            out.append(_scale(block, gain))
        else:
            out.append(_bytes(array("h", map(bend, _samples(block)))))
    return b"".join(out)
