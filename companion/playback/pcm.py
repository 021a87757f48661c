"""Raw audio as the player uses it: mono, signed 16-bit, 22,050 Hz, in bytes.

Pure stdlib on purpose (array, wave): the first spoken word must not wait for
numpy to import. Lengths are in frames (one frame = one sample here).
"""

from __future__ import annotations

import sys
import wave
from array import array

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (and re, enum): see paths.py
if TYPE_CHECKING:  # annotations only
    from pathlib import Path

RATE_HZ = 22_050
SAMPLE_BYTES = 2


class WavFormatError(ValueError):
    """A WAV file that cannot be played as it is: not a WAV, cut short, or not in the player's format.
    Its message is one line that names the file."""


def frames_of(seconds: float) -> int:
    return round(seconds * RATE_HZ)


def open_wav(source, where=None, samples: bool = True) -> tuple[int, int, int, int, bytes]:
    """(channels, sample width, rate, frames, samples) of a WAV file: the one place a WAV is read.

    `source` is a path or a binary file; `where` names it in the error (the path, by default).
    With samples=False only the header is read (the samples come back b""). WavFormatError if the
    file is no WAV, its header is broken, or it holds fewer samples than its header says;
    OSError if it cannot be opened."""
    where = source if where is None else where
    try:
        with wave.open(source if hasattr(source, "read") else str(source), "rb") as w:
            shape = (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes())
            data = w.readframes(shape[3]) if samples else b""
    except (EOFError, wave.Error) as e:  # wave says a file cut inside its header with a bare EOFError
        raise WavFormatError(f"{where}: not a WAV file ({e or 'cut short'})") from None
    if samples and len(data) != shape[0] * shape[1] * shape[3]:
        raise WavFormatError(f"{where}: a WAV file cut short ({len(data) // max(1, shape[0] * shape[1])} "
                             f"of its {shape[3]} frames)")
    return (*shape, data)


def wav_frames(path: Path) -> int:
    """Length of a WAV file in frames, from its header alone."""
    return open_wav(path, samples=False)[3]


def read_wav(source, where=None) -> bytes:
    """The samples of a WAV file in the player's format (mono 16-bit 22,050 Hz), as little-endian bytes.
    WavFormatError (one line) for any other file; OSError if it cannot be opened."""
    channels, width, rate, _frames, data = open_wav(source, where)
    if (channels, width, rate) != (1, SAMPLE_BYTES, RATE_HZ):
        raise WavFormatError(f"{source if where is None else where}: a WAV of {rate} Hz, {channels} channels, "
                             f"{8 * width}-bit; the player takes {RATE_HZ} Hz mono 16-bit")
    return data


def write_wav(target, data: bytes) -> None:
    """`data` as a WAV file in the player's format; `target` is a path or a binary file (left open)."""
    with wave.open(target if hasattr(target, "write") else str(target), "wb") as w:
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
