"""One loudness for every clip: the measure, the normalizer, and the guide/A/B spread it fixes."""

import math
import random
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.playback import pcm
from companion.voice.clips import ClipStore, VoiceSettings
from companion.voice import loudness
from companion.voice.loudness import CEILING_DBFS, SILENT, TARGET_DBFS, loudness_dbfs, normalize, peak_dbfs
from companion.voice.piper_engine import NATURAL, PiperEngine

CEILING = 32768 * 10 ** (CEILING_DBFS / 20)
LINES = ["You stopped. You're still here.", "Nothing has to be decided in the next few minutes.",
         "Press your feet into the floor.", "I'm flooded. I'm not leaving you. I'll be back.",
         "There's a voice inside saying, act now."]


def tone(amplitude, seconds=1.0, hz=220.0):
    n = pcm.frames_of(seconds)
    return array("h", (round(amplitude * math.sin(2 * math.pi * hz * i / pcm.RATE_HZ)) for i in range(n))).tobytes()


def scaled(data, gain):
    return array("h", (max(-32768, min(32767, round(x * gain))) for x in array("h", data))).tobytes()


def peak(data):
    samples = array("h", data)
    return max(max(samples), -min(samples))


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    """A real line in the natural voice, as its samples."""
    out = tmp_path_factory.mktemp("speech") / "line.wav"
    PiperEngine().render("Nothing has to be decided in the next few minutes.", out, NATURAL, 140)
    return pcm.read_wav(out)


def test_a_tones_loudness_is_its_rms():
    assert loudness_dbfs(tone(10_000)) == pytest.approx(20 * math.log10(10_000 / math.sqrt(2) / 32768), abs=0.05)


def test_silence_around_a_line_does_not_make_it_quieter():
    alone = loudness_dbfs(tone(3000, 1.0))
    padded = pcm.silence(pcm.frames_of(2.0)) + tone(3000, 1.0) + pcm.silence(pcm.frames_of(3.0))
    # A plain RMS would fall by 7.8 dB (5 s of silence to 1 s of sound); only the two
    # 50 ms blocks that the tone's edges fall into, half silent, count a little.
    assert loudness_dbfs(padded) == pytest.approx(alone, abs=0.3)


def test_where_a_line_starts_barely_moves_its_measure(speech):
    # A clip trimmed a few ms differently is the same line at the same level.
    levels = [loudness_dbfs(speech[2 * shift:]) for shift in range(0, pcm.frames_of(0.05), 100)]
    assert max(levels) - min(levels) <= 0.25, levels


def test_silence_has_no_loudness_and_stays_silence():
    quiet = pcm.silence(pcm.frames_of(1.0))
    assert loudness_dbfs(quiet) == SILENT and peak_dbfs(quiet) == SILENT
    assert normalize(quiet) == quiet and normalize(b"") == b""


@pytest.mark.parametrize("gain_db", [-18, -6, +6])
def test_quiet_and_loud_speech_come_to_the_target_without_clipping(speech, gain_db):
    # +6 dB takes the natural voice's peaks past full scale before normalizing: it is clipped to begin with.
    clip = scaled(speech, 10 ** (gain_db / 20))
    assert abs(loudness_dbfs(clip) - TARGET_DBFS) > 3
    out = normalize(clip)
    assert len(out) == len(clip)
    assert abs(loudness_dbfs(out) - TARGET_DBFS) <= 0.5
    assert peak(out) <= CEILING


def test_a_line_whose_peaks_would_clip_is_limited_and_still_reaches_the_target(speech):
    # A click 30 dB above the speech: a plain gain to the target would clip it.
    clicked = array("h", scaled(speech, 0.1))
    middle = len(clicked) // 2
    for i in range(20):
        clicked[middle + i] = 30_000 if i % 2 else -30_000
    clicked = clicked.tobytes()
    assert peak_dbfs(clicked) - loudness_dbfs(clicked) > -CEILING_DBFS - TARGET_DBFS  # the plain gain would clip
    out = normalize(clicked)
    assert abs(loudness_dbfs(out) - TARGET_DBFS) <= 0.5
    assert peak(out) <= CEILING


def test_the_pure_python_path_gives_the_same_clip(speech, monkeypatch):
    fast = normalize(scaled(speech, 0.3))
    monkeypatch.setattr(loudness, "_audioop", None)  # Python 3.13 has no audioop
    slow = normalize(scaled(speech, 0.3))
    assert len(fast) == len(slow)
    assert loudness_dbfs(fast) == pytest.approx(loudness_dbfs(slow), abs=0.02)  # audioop's RMS is rounded to an integer
    assert max(abs(a - b) for a, b in zip(array("h", fast), array("h", slow))) <= 33  # 0.1% of full scale


@settings(max_examples=60, deadline=None)
@given(amplitude=st.integers(1, 32767), seconds=st.floats(0.01, 0.6), seed=st.integers(0, 2**32))
def test_normalizing_never_clips(amplitude, seconds, seed):
    rng = random.Random(seed)
    data = array("h", (rng.randint(-amplitude, amplitude) for _ in range(pcm.frames_of(seconds)))).tobytes()
    out = normalize(data)
    assert len(out) == len(data)
    if out:
        assert peak(out) <= CEILING


def test_the_guide_a_and_b_sit_within_one_and_a_half_db(tmp_path):
    # Before: espeak-ng's three voices, as pyttsx3 writes them, spread several dB across lines.
    from companion.voice.engine import ESPEAK_DEFAULTS, shared_engine

    raw = []
    for role in ("guide", "A", "B"):
        for i, line in enumerate(LINES):
            out = tmp_path / f"raw-{role}{i}.wav"
            shared_engine().render(line, out, ESPEAK_DEFAULTS[role], 140, role)
            raw.append(pcm.trim(pcm.read_wav(out), keep_frames=pcm.frames_of(0.02)))
    before = [loudness_dbfs(c) for c in raw]
    assert max(before) - min(before) > 1.5  # the problem is real
    # After: the store, with its defaults (the natural guide, espeak's A and B), brings every clip to one level.
    store = ClipStore(tmp_path / "clips", VoiceSettings())
    assert store.voice("guide") == NATURAL
    clips = {role: [pcm.read_wav(store.ensure(role, line)) for line in LINES] for role in ("guide", "A", "B")}
    after = [loudness_dbfs(c) for role in clips for c in clips[role]]
    assert max(after) - min(after) <= 1.5, after
    level = PiperEngine.level_dbfs
    assert all(abs(loudness_dbfs(c) - level) < 0.2 for c in clips["guide"])  # the natural voice's lift
    assert all(abs(loudness_dbfs(c) - TARGET_DBFS) < 0.2 for c in clips["A"] + clips["B"])
    # Piper brings its own espeak-ng (for phonemes): pyttsx3's still speaks after it in the same process.
    again = pcm.read_wav(store.ensure("B", "One more line, after the natural voice."))
    assert len(again) > pcm.SAMPLE_BYTES * pcm.frames_of(1.0) and abs(loudness_dbfs(again) - TARGET_DBFS) < 0.2
