"""The voice layer where couples are: macOS's AIFF, engines that fail, system voices, pyttsx3's internals.

The platforms' parts are faked at their edges here (AIFF files made by sox and by a writer below,
pyttsx3.init replaced, voice lists shaped like macOS's and Windows's); nothing here has run on a Mac or
a Windows machine.
"""

import math
import struct
import subprocess
import wave

import numpy as np
import pytest

from companion import pcm
from companion.voice import audiofile
from companion.voice.clips import _as_player_format


def tone(frames: int, channels: int = 1, seed: int = 1) -> np.ndarray:
    """A loud tone with noise on it (every sample differs), frames x channels, int16."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)
    columns = [8000 * np.sin(2 * np.pi * (220 + 110 * c) * t / 22050) + rng.integers(-3000, 3000, frames)
               for c in range(channels)]
    return np.stack(columns, axis=1).astype(np.int16)


def write_wav(path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def extended_bytes(value: float) -> bytes:
    """An 80-bit extended float, as AIFF stores its rate (the test's own writer, not the reader's inverse)."""
    if value == 0:
        return bytes(10)
    mantissa, exponent = math.frexp(value)  # value = mantissa * 2**exponent, 0.5 <= mantissa < 1
    return struct.pack(">HQ", exponent - 1 + 16383, int(mantissa * 2 ** 64))


def chunk(name: bytes, body: bytes) -> bytes:
    return name + struct.pack(">I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def write_aiff(path, samples: np.ndarray, rate: int, compression: bytes | None = None, extra: bytes = b"") -> None:
    """AIFF (compression None) or AIFF-C with `compression`; `extra` chunks before COMM."""
    channels = samples.shape[1]
    order = "<i2" if compression == b"sowt" else ">i2"
    comm = struct.pack(">hIh", channels, len(samples), 16) + extended_bytes(rate)
    if compression is not None:
        comm += compression + b"\x0enot compressed\x00"
    body = extra + chunk(b"COMM", comm) + chunk(b"SSND", struct.pack(">II", 0, 0) + samples.astype(order).tobytes())
    if compression is not None:
        body = chunk(b"FVER", struct.pack(">I", 0xA2805140)) + body
    form = b"AIFC" if compression is not None else b"AIFF"
    path.write_bytes(b"FORM" + struct.pack(">I", 4 + len(body)) + form + body)


def sox(source, target, *args) -> None:
    subprocess.run(["sox", str(source), *args, str(target)], check=True, capture_output=True, timeout=60)


# --- reading AIFF as WAV is read ---

@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 44100, 48000, 96000])
def test_the_80_bit_rate_reads_back(rate):
    assert audiofile.extended(extended_bytes(rate)) == rate
    assert audiofile.extended(bytes.fromhex("400dac44000000000000")) == 22050  # as sox writes it


@pytest.mark.parametrize("suffix, channels, rate", [
    (".aiff", 1, 22050), (".aiff", 2, 22050), (".aiff", 1, 44100), (".aiff", 2, 48000), (".aifc", 1, 22050),
    (".aifc", 2, 16000)])
def test_an_aiff_made_by_sox_plays_as_the_wav_of_the_same_audio(tmp_path, suffix, channels, rate):
    wav = tmp_path / "same.wav"
    write_wav(wav, tone(rate // 2, channels), rate)
    made = tmp_path / f"made{suffix}"
    sox(wav, made)
    assert audiofile.kind(made.read_bytes()[:12]) == "aiff"
    as_aiff, as_wav = _as_player_format(made), _as_player_format(wav)
    assert len(as_wav) == 2 * round(rate // 2 * 22050 / rate) and as_aiff == as_wav
    assert audiofile.frame_count(made) == rate // 2


@pytest.mark.parametrize("compression", [None, b"NONE", b"twos", b"sowt"])
@pytest.mark.parametrize("channels, rate", [(1, 22050), (2, 22050), (2, 44100), (1, 11025)])
def test_an_aiff_of_our_own_writer_plays_as_the_wav(tmp_path, compression, channels, rate):
    samples = tone(5000, channels, seed=channels)
    wav, aiff = tmp_path / "same.wav", tmp_path / "made.aiff"
    write_wav(wav, samples, rate)
    write_aiff(aiff, samples, rate, compression, extra=chunk(b"NAME", b"odd"))  # an odd chunk: padded
    found = audiofile.read(aiff)
    assert (found.channels, found.width, found.rate) == (channels, 2, rate)
    assert found.data == samples.astype("<i2").tobytes()
    assert _as_player_format(aiff) == _as_player_format(wav)


def test_the_file_is_known_by_its_bytes_not_its_name(tmp_path):
    samples = tone(3000)
    named_wav = tmp_path / "clip.wav"  # what nsss does: AIFF under the name it was given
    write_aiff(named_wav, samples, 22050)
    assert _as_player_format(named_wav) == samples.astype("<i2").tobytes()
    named_aiff = tmp_path / "clip.aiff"
    write_wav(named_aiff, samples, 22050)
    assert audiofile.frame_count(named_aiff) == 3000 and audiofile.read(named_aiff).data == pcm.silence(0) + \
        samples.astype("<i2").tobytes()


@pytest.mark.parametrize("content", [
    b"", b"garbage, not audio at all", b"FORM\0\0\0\x04AIFF", b"RIFF\0\0\0\x04WAVEfmt ",
    "compressed", "truncated format"])
def test_what_is_not_readable_audio_is_a_format_error(tmp_path, content):
    path = tmp_path / "clip.wav"
    if content == "compressed":
        write_aiff(path, tone(100), 22050, b"ulaw")
    elif content == "truncated format":
        write_aiff(path, tone(100), 22050)
        data = path.read_bytes()
        path.write_bytes(data[:data.index(b"COMM") + 12])
    else:
        path.write_bytes(content)
    with pytest.raises(audiofile.AudioFormatError):
        audiofile.read(path)
    with pytest.raises(audiofile.AudioFormatError):
        audiofile.frame_count(path)


def test_an_aiff_cut_short_gives_the_whole_frames_it_holds(tmp_path):
    path = tmp_path / "clip.aiff"
    write_aiff(path, tone(1000, 2), 22050)
    path.write_bytes(path.read_bytes()[:-7])  # the last frame and a half gone
    found = audiofile.read(path)
    assert len(found.data) == 998 * 4


def test_a_24_bit_aiff_by_sox_plays_as_its_16_bit_wav_to_within_one_step(tmp_path):
    wav, aiff = tmp_path / "same.wav", tmp_path / "made.aiff"
    write_wav(wav, tone(4000, 2), 44100)
    sox(wav, aiff, "-b", "24")
    assert audiofile.read(aiff).width == 3
    heard = np.frombuffer(_as_player_format(aiff), "<i2").astype(int)
    assert np.abs(heard - np.frombuffer(_as_player_format(wav), "<i2")).max() <= 1
