"""The one WAV reader (playback/pcm.py): every bad file is one WavFormatError line naming it, never wave's own
exceptions, and a file cut short is refused rather than played short."""

import io
import wave

import pytest

from companion.playback import pcm
from companion.voice import audiofile

SAMPLES = bytes(range(256)) * 40  # 5,120 frames of 16-bit mono


def wav_bytes(channels=1, width=2, rate=pcm.RATE_HZ, data=SAMPLES) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels), w.setsampwidth(width), w.setframerate(rate), w.writeframes(data)
    return out.getvalue()


def test_a_good_file_reads_whole_by_path_or_as_a_file(tmp_path):
    path = tmp_path / "good.wav"
    pcm.write_wav(path, SAMPLES)
    assert pcm.read_wav(path) == SAMPLES == pcm.read_wav(io.BytesIO(path.read_bytes()))
    assert pcm.wav_frames(path) == len(SAMPLES) // 2
    assert pcm.open_wav(path, samples=False) == (1, 2, pcm.RATE_HZ, len(SAMPLES) // 2, b"")


BAD = {
    "empty": (b"", "not a WAV file"),
    "text": (b"#!/bin/sh\nrm -rf ~\n", "not a WAV file"),
    "riff without a format": (b"RIFF\x04\x00\x00\x00WAVE", "not a WAV file"),
    "header cut": (wav_bytes()[:30], "not a WAV file"),
    "samples cut": (wav_bytes()[:-1000], "cut short (4620 of its 5120 frames)"),
    "stereo": (wav_bytes(channels=2), "a WAV of 22050 Hz, 2 channels, 16-bit; the player takes 22050 Hz mono 16-bit"),
    "44.1 kHz": (wav_bytes(rate=44100), "a WAV of 44100 Hz, 1 channels, 16-bit"),
    "8-bit": (wav_bytes(width=1), "a WAV of 22050 Hz, 1 channels, 8-bit"),
}


@pytest.mark.parametrize("name", BAD)
def test_a_bad_file_is_one_line_that_names_it(tmp_path, name):
    content, words = BAD[name]
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(pcm.WavFormatError) as e:
        pcm.read_wav(path)
    message = str(e.value)
    assert message.startswith(f"{path}: ") and words in message and "\n" not in message
    assert e.value.__context__ is None or e.value.__suppress_context__  # no chained traceback of wave's


def test_where_names_a_file_that_has_no_path():
    with pytest.raises(pcm.WavFormatError, match=r"^archive\.zip: member 'a\.wav': a WAV file cut short"):
        pcm.read_wav(io.BytesIO(wav_bytes()[:-2]), "archive.zip: member 'a.wav'")


def test_a_missing_file_is_the_os_error_it_is(tmp_path):
    with pytest.raises(FileNotFoundError):
        pcm.read_wav(tmp_path / "gone.wav")


def test_an_engine_file_in_another_format_reads_through_the_same_reader(tmp_path):
    path = tmp_path / "engine.wav"
    path.write_bytes(wav_bytes(channels=2, rate=16000))
    found = audiofile.read(path)
    assert (found.channels, found.width, found.rate, found.data) == (2, 2, 16000, SAMPLES)
    assert audiofile.frame_count(path) == len(SAMPLES) // 4
    path.write_bytes(wav_bytes()[:-10])
    with pytest.raises(audiofile.AudioFormatError, match="cut short"):
        audiofile.read(path)
