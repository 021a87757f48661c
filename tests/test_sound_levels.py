"""Bells, breath tones and ambient sounds sit at fixed levels below speech."""

from companion.playback import assets, pcm
from companion.sounds import ambient_names
from companion.voice.loudness import TARGET_DBFS, loudness_dbfs, peak_dbfs

NAMES = [assets.BELL, assets.BELL_SOFT, assets.BREATH_IN, assets.BREATH_OUT, *sorted(ambient_names())]


def test_every_bundled_sound_is_loaded_at_its_level_under_speech():
    for name in NAMES:
        level = loudness_dbfs(assets.load(name))
        assert abs(level - assets.level_dbfs(name)) < 0.2, (name, level)
        assert level <= TARGET_DBFS - 4, (name, level)  # speech is at -20, the natural voice at -19.2
    assert loudness_dbfs(pcm.read_wav(assets.path(assets.BELL))) > TARGET_DBFS - 2  # as made, it was as loud as speech
    assert loudness_dbfs(assets.load(assets.BELL)) > loudness_dbfs(assets.load(assets.BELL_SOFT))


def test_no_bundled_sound_peaks_as_high_as_speech_may():
    for name in NAMES:
        assert peak_dbfs(assets.load(name)) < -8, name  # speech's peaks reach -1
    assert assets.frames(assets.BELL) * pcm.SAMPLE_BYTES == len(assets.load(assets.BELL))  # the length is kept
