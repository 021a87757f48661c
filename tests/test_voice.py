"""The real speech engine (pyttsx3 over espeak-ng): each clip is spoken as asked."""

import wave

from companion.voice.engine import shared_engine


def frames(path):
    with wave.open(str(path)) as w:
        return w.getnframes()


def test_alternating_rates_and_voices_are_each_applied_to_their_own_line(tmp_path):
    # pyttsx3 queues property changes and espeak-ng applies them asynchronously;
    # unsynchronised, a line came out at the previous line's rate or voice.
    engine = shared_engine()
    lengths: dict[tuple, set] = {}
    settings = [(200, "gmw/en-us"), (100, "gmw/en-us"), (140, "gmw/en-gb-x-rp"), (140, "gmw/en-us+f3")]
    for i in range(24):
        rate, voice = settings[i % len(settings)]
        out = tmp_path / f"{i}.wav"
        engine.render("You are here.", out, voice, rate)
        lengths.setdefault((rate, voice), set()).add(frames(out) // 1000)
    assert all(len(found) == 1 for found in lengths.values()), lengths
    assert lengths[(100, "gmw/en-us")].pop() > 2 * lengths[(200, "gmw/en-us")].pop()


def median_f0(samples, rate=22050):
    """Median fundamental frequency (Hz) of the loud 40 ms frames, by autocorrelation."""
    import numpy as np

    size, found = int(0.04 * rate), []
    low, high = rate // 400, rate // 60
    for start in range(0, len(samples) - size, size):
        frame = samples[start:start + size] - samples[start:start + size].mean()
        if np.sqrt((frame ** 2).mean()) < 1500:
            continue
        ac = np.correlate(frame, frame, "full")[size - 1:]
        lag = low + int(ac[low:high].argmax())
        if ac[lag] > 0.3 * ac[0]:
            found.append(rate / lag)
    return float(np.median(found))


def test_the_three_roles_sound_different(tmp_path):
    import numpy as np

    from companion.voice import ClipStore, VoiceSettings

    clips = ClipStore(tmp_path, VoiceSettings())
    f0 = {role: median_f0(np.frombuffer(clips.load(role, "I am here with you, and I am staying."), "<i2").astype(float))
          for role in ("guide", "A", "B")}
    assert len({clips.voice(r) for r in f0}) == 3
    # three pitch ranges, each at least a third apart: the guide low, B above it, A above both
    assert f0["B"] > 1.3 * f0["guide"] and f0["A"] > 1.3 * f0["B"], f0


RENDER_TWO = """
import sys
from pathlib import Path
from companion.voice import espeak_direct
from companion.voice.engine import ESPEAK_DEFAULTS, shared_engine
engine = shared_engine()
engine.direct_first = sys.argv[1] == "direct"
engine.render("You stopped. You're still here.", Path(sys.argv[2]), ESPEAK_DEFAULTS["guide"], 140, "guide")
print("pyttsx3 started after the first:", engine._engine is not None)
engine.render("Feel your feet on the floor.", Path(sys.argv[3]), ESPEAK_DEFAULTS["B"], 160, "B")
print("direct:", espeak_direct.started() if "companion.voice.espeak_direct" in sys.modules else False)
"""


def test_a_first_line_rendered_without_pyttsx3_is_the_same_and_pyttsx3_takes_over(tmp_path):
    # A cold pause renders its first line straight through libespeak-ng (espeak_direct); it must
    # be the very clip pyttsx3 would have made, and pyttsx3 must carry on on the same library.
    import subprocess
    import sys

    runs = {}
    for way in ("direct", "pyttsx3"):
        first, second = tmp_path / f"{way}-1.wav", tmp_path / f"{way}-2.wav"
        done = subprocess.run([sys.executable, "-c", RENDER_TWO, way, str(first), str(second)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        runs[way] = done.stdout.splitlines(), [wave.open(str(p)).readframes(10 ** 7) for p in (first, second)]
    assert runs["direct"][0] == ["pyttsx3 started after the first: False", "direct: True"]
    assert runs["pyttsx3"][0] == ["pyttsx3 started after the first: True", "direct: False"]
    (direct_first, direct_second), (plain_first, plain_second) = runs["direct"][1], runs["pyttsx3"][1]
    assert len(direct_first) > 22050 and direct_first == plain_first
    assert len(direct_second) > 22050 and direct_second == plain_second
