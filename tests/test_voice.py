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
