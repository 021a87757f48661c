"""Raw audio as the player uses it: mono, signed 16-bit, 22,050 Hz, in bytes.

Pure stdlib on purpose (array, wave): the first spoken word must not wait for
numpy to import. Lengths are in frames (one frame = one sample here).
"""

from __future__ import annotations

import sys
import wave
from array import array

if False:  # annotations only: pathlib (with urllib, ipaddress) costs 5 ms before the first word
    from pathlib import Path

RATE_HZ = 22_050
SAMPLE_BYTES = 2


class WavFormatError(ValueError):
    pass


def frames_of(seconds: float) -> int:
    return round(seconds * RATE_HZ)


def wav_frames(path: Path) -> int:
    """Length of a WAV file in frames, from its header alone."""
    with wave.open(str(path), "rb") as w:
        return w.getnframes()


def read_wav(path: Path) -> bytes:
    """The samples of a mono 16-bit 22,050 Hz WAV file, as little-endian bytes."""
    with wave.open(str(path), "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, SAMPLE_BYTES, RATE_HZ):
            raise WavFormatError(f"{path}: expected mono 16-bit {RATE_HZ} Hz, found {w.getnchannels()} ch, "
                                 f"{8 * w.getsampwidth()}-bit, {w.getframerate()} Hz")
        return w.readframes(w.getnframes())


def write_wav(path: Path, data: bytes) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(SAMPLE_BYTES)
        w.setframerate(RATE_HZ)
        w.writeframes(data)


def _samples(data: bytes) -> array:
    samples = array("h")
    samples.frombytes(data)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _bytes(samples: array) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def fade(data: bytes, in_frames: int = 0, out_frames: int = 0) -> bytes:
    """Linear fade-in over the first and fade-out over the last frames."""
    samples = _samples(data)
    n = len(samples)
    for i in range(min(in_frames, n)):
        samples[i] = samples[i] * i // in_frames
    for i in range(min(out_frames, n)):
        samples[n - 1 - i] = samples[n - 1 - i] * i // out_frames
    return _bytes(samples)


def mix(base: bytes, over: bytes, gain: float = 1.0) -> bytes:
    """`over` (scaled by gain) added onto the start of `base`, clipped; base's length."""
    a, b = _samples(base), _samples(over)
    for i in range(min(len(a), len(b))):
        a[i] = max(-32768, min(32767, a[i] + int(b[i] * gain)))
    return _bytes(a)


def trim(data: bytes, threshold: int = 200, keep_frames: int = 0) -> bytes:
    """Drop near-silence at both ends, keeping `keep_frames` of it at each end.

    espeak-ng pads every utterance with silence; the timeline adds its own
    pauses, so the clip should start with the first sound.
    """
    samples = _samples(data)
    loud = [i for i in (_first_loud(samples, threshold), _first_loud(samples[::-1], threshold))]
    if loud[0] is None:
        return b""
    start = max(0, loud[0] - keep_frames)
    end = min(len(samples), len(samples) - loud[1] + keep_frames)
    return _bytes(samples[start:end])


def _first_loud(samples: array, threshold: int) -> int | None:
    step = 256
    for block in range(0, len(samples), step):
        chunk = samples[block:block + step]
        if max(chunk) > threshold or min(chunk) < -threshold:
            for i, s in enumerate(chunk):
                if abs(s) > threshold:
                    return block + i
    return None


def silence(frames: int) -> bytes:
    return bytes(frames * SAMPLE_BYTES)
