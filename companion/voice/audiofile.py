"""A speech engine's output file, WAV or AIFF, told apart by its first bytes.

pyttsx3's macOS driver (nsss) writes AIFF whatever the file's name says, so an
engine's file is read by what it is, not by what it is called. Python 3.13
removed `aifc`; this is a small reader of uncompressed AIFF and AIFF-C
("NONE"/"twos" big-endian, "sowt" little-endian): a FORM of chunks, the format
in COMM (its rate an 80-bit extended float), the samples in SSND.
Stdlib only; the samples come back as a WAV file would hold them.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections import namedtuple

from ..playback import pcm

# data: interleaved little-endian PCM as in a WAV file (8-bit unsigned, wider signed)
Audio = namedtuple("Audio", "channels width rate data")

AIFC_UNCOMPRESSED = {b"NONE": "big", b"twos": "big", b"sowt": "little"}


class AudioFormatError(ValueError):
    """Not a WAV or AIFF file this reader understands."""


def kind(head: bytes) -> str | None:
    """'wav', 'aiff' or None, from a file's first 12 bytes."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    return None


def read(path) -> Audio:
    """The file's format and samples; AudioFormatError if it is neither WAV nor uncompressed AIFF."""
    with open(path, "rb") as f:
        found = kind(f.read(12))
        f.seek(0)
        if found == "wav":
            channels, width, rate, _frames, data = _wav(f, path)
            return Audio(channels, width, rate, data)
        if found == "aiff":
            return _aiff(f, path, with_samples=True)
    raise AudioFormatError(f"{path}: neither a WAV nor an AIFF file")


def frame_count(path) -> int:
    """How many frames the file holds, from its header; AudioFormatError if it cannot be read."""
    with open(path, "rb") as f:
        found = kind(f.read(12))
        f.seek(0)
        if found == "wav":
            return _wav(f, path, samples=False)[3]
        if found == "aiff":
            return _aiff(f, path, with_samples=False)
    raise AudioFormatError(f"{path}: neither a WAV nor an AIFF file")


def _wav(f, path, samples: bool = True) -> tuple[int, int, int, int, bytes]:
    """The program's one WAV reader (playback/pcm.py), whatever the file's format; AudioFormatError."""
    try:
        return pcm.open_wav(f, path, samples)
    except pcm.WavFormatError as e:
        raise AudioFormatError(str(e)) from None


def extended(ten: bytes) -> float:
    """An IEEE 754 80-bit extended float (big-endian), as AIFF stores its sample rate."""
    if len(ten) != 10:
        raise AudioFormatError("a sample rate of fewer than 10 bytes")
    top, mantissa = struct.unpack(">HQ", ten)
    sign, exponent = top >> 15, top & 0x7FFF
    if exponent == 0x7FFF:
        raise AudioFormatError("a sample rate that is not a number")
    value = math.ldexp(mantissa, exponent - 16383 - 63)  # the integer bit is explicit in the mantissa
    return -value if sign else value


def _aiff(f, path, with_samples: bool):
    """Audio (with_samples) or the frame count, from an open AIFF/AIFF-C file."""
    form, _size, form_type = struct.unpack(">4sI4s", f.read(12))
    comm = None
    while True:
        header = f.read(8)
        if len(header) < 8:
            break
        chunk, size = struct.unpack(">4sI", header)
        if chunk == b"COMM":
            comm = _comm(f.read(size), form_type == b"AIFC", path)
            if not with_samples:
                return comm[1]
        elif chunk == b"SSND" and with_samples:
            if comm is None:
                raise AudioFormatError(f"{path}: its samples come before their format (no COMM chunk first)")
            return _samples(f.read(size), comm)
        else:
            f.seek(size, 1)
        if size % 2:
            f.seek(1, 1)  # chunks are padded to an even length
    if comm is None:
        raise AudioFormatError(f"{path}: an AIFF file without its format (COMM chunk)")
    if with_samples:
        return _samples(b"\0" * 8, comm)  # no SSND: no samples
    return comm[1]


def _comm(body: bytes, aifc: bool, path):
    """(channels, frames, width, rate, byte order) from a COMM chunk."""
    if len(body) < 18:
        raise AudioFormatError(f"{path}: a truncated AIFF format chunk")
    channels, frames, bits = struct.unpack(">hIh", body[:8])
    rate = extended(body[8:18])
    order = "big"
    if aifc:
        compression = body[18:22]
        if compression not in AIFC_UNCOMPRESSED:
            raise AudioFormatError(f"{path}: AIFF-C compressed as {compression.decode('latin-1')!r}; "
                                   "only uncompressed samples are read")
        order = AIFC_UNCOMPRESSED[compression]
    if channels < 1 or not 1 <= bits <= 32 or not 1 <= rate <= 1_000_000:
        raise AudioFormatError(f"{path}: an AIFF file of {channels} channels, {bits}-bit, {rate:g} Hz")
    if order == "little" and bits > 16:
        raise AudioFormatError(f"{path}: 'sowt' samples wider than 16 bits")
    return channels, frames, (bits + 7) // 8, round(rate), order


def _samples(body: bytes, comm) -> Audio:
    channels, frames, width, rate, order = comm
    offset = struct.unpack(">I", body[:4])[0] if len(body) >= 8 else 0
    frame = channels * width
    data = body[8 + offset:]
    data = data[:min(frames, len(data) // frame) * frame]  # whole frames, as many as the file really holds
    return Audio(channels, width, rate, _as_wav_bytes(data, width, order))


def _as_wav_bytes(data: bytes, width: int, order: str) -> bytes:
    """AIFF samples (signed, in `order`) as a WAV file holds them (little-endian; 8-bit unsigned)."""
    if width == 1:
        return bytes((b + 128) & 0xFF for b in data)
    if order == "little":
        return data
    if width == 2:
        samples = array("h")
        samples.frombytes(data)
        samples.byteswap()  # whatever the machine's order: big-endian in, little-endian out
        return samples.tobytes()
    # 24 or 32 bits: reverse each sample's bytes
    return b"".join(data[i:i + width][::-1] for i in range(0, len(data), width))
