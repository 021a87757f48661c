"""Fixtures for end-to-end audio tests: a private PulseAudio server and a recorder.

No skipping: if the sound server cannot start, the fixture errors with the reason.
"""

import pytest

from tests.soundlab import Recorder, SoundServer


@pytest.fixture(scope="session")
def sound_server():
    """A started SoundServer for the whole session; pass ``sound_server.env`` to subprocesses."""
    with SoundServer() as server:
        yield server


@pytest.fixture
def recorder(sound_server):
    """A Recorder already listening (settled) on the session's server.

    Call ``recorder.stop()`` before reading ``blocks()`` / ``segments()``;
    teardown stops it too (stop() is idempotent).
    """
    rec = Recorder(sound_server).start()
    yield rec
    rec.stop()


@pytest.fixture(scope="session")
def warm_clips(tmp_path_factory):
    """A real clip store (pyttsx3 + espeak-ng) in a private cache, shared by the session."""
    from companion.voice import ClipStore, VoiceSettings

    return ClipStore(tmp_path_factory.mktemp("cache") / "clips", VoiceSettings())
