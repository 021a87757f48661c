"""The guide's voice over a held together session (together/guide_voice.py): lines in order, a soft one heard
quieter than the guide, in real speech (espeak-ng through the clip store)."""

import threading

import numpy as np

from companion.lines import raw, said
from companion.playback.cursor import Cursor
from companion.together.guide_voice import SOFT_DB, Voice
from companion.voice.clips import ClipStore, VoiceSettings
from companion.voice.loudness import loudness_dbfs
from tests.fakes import FakeClips

BLOCK = 512


def held():
    """A session's cursor, paused (a turn held): silence of its own."""
    cursor = Cursor([])
    cursor.paused = True
    return cursor


def heard(voice) -> np.ndarray:
    """Read the voice as the device would until all it was asked has been said."""
    out = bytearray()
    while voice.speaking:
        out += voice.read(BLOCK)
        if not voice.speaking:
            break
        threading.Event().wait(0.001)  # let the voice's thread render (the device's callback does not wait)
    return np.frombuffer(bytes(out), dtype="<i2").astype(np.float64)


def level_db(samples: np.ndarray) -> float:
    """The product's own loudness measure (voice/loudness.py: gated 50 ms windows, 10 ms apart) of what was
    heard from its first sound to its last: the silence read while a line was still rendering differs from
    read to read, and would shift the windows over the words."""
    sounding = np.flatnonzero(samples)
    if not sounding.size:
        return float("-inf")
    return loudness_dbfs(samples[sounding[0]:sounding[-1] + 1].astype("<i2").tobytes())


def test_a_soft_line_is_the_guides_voice_well_under_the_guides_level(tmp_path):
    clips = ClipStore(tmp_path / "clips", VoiceSettings(guide="gmw/en-us"))
    voice = Voice(held(), clips)
    try:
        voice.say(raw("together.grounding"))
        guide = heard(voice)
        (warning,) = said("together.time_left", seconds=15)
        voice.say(warning, soft=True)
        soft = heard(voice)
        voice.say(warning)
        full = heard(voice)
    finally:
        voice.close()
    assert np.abs(guide).max() > 1000 and np.abs(soft).max() > 100  # both really spoken
    assert level_db(soft) < level_db(guide) - 6, (level_db(soft), level_db(guide))
    assert abs((level_db(full) - level_db(soft)) - (-SOFT_DB)) < 0.5, (level_db(full), level_db(soft))  # the same words, only quieter


def test_lines_are_said_in_the_order_asked_and_the_held_sequence_does_not_move_meanwhile():
    cursor = held()
    voice = Voice(cursor, FakeClips())
    try:
        for text in ("One.", "Two, then.", "Three, at last."):
            voice.say(text)
        samples = heard(voice)
    finally:
        voice.close()
    values = [v for v in dict.fromkeys(samples.astype(int)) if v]
    assert values == [len("One.") + 1, len("Two, then.") + 1, len("Three, at last.") + 1]
    assert cursor.position == 0 and voice.paused  # not a frame of the sequence, and silent again after


def test_hush_drops_what_is_not_yet_said_and_lets_the_sequence_through():
    cursor = held()
    voice = Voice(cursor, FakeClips())
    try:
        voice.say("One.")
        while voice.read(1) == bytes(2):  # wait for the first line to begin
            threading.Event().wait(0.001)
        voice.say("Two, then.")
        voice.hush()
        rest = heard(voice)
    finally:
        voice.close()
    assert set(rest.astype(int)) <= {0, len("One.") + 1} and not voice.speaking and voice.paused
