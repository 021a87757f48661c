"""Fixtures for end-to-end audio tests: a private PulseAudio server and a recorder.

No skipping: if the sound server cannot start, the fixture errors with the reason.
"""

import pytest

from tests.soundlab import Recorder, SoundServer

# A config for tests of the CLI: no background prepare, and espeak-ng's guide, since the natural voice
# renders a whole library in minutes here (its own tests, and the end-to-end ones, hear it).
ESPEAK_GUIDE = 'background_prepare = false\n[voices]\nguide = "gmw/en-us"\n'


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
    from companion.voice.clips import ClipStore, VoiceSettings

    return ClipStore(tmp_path_factory.mktemp("cache") / "clips", VoiceSettings())


_library: dict[str, object] = {}


def prepared_cache(env: dict) -> None:
    """Fill the cache named by `env` (its XDG_CACHE_HOME) with the whole built-in library in the default
    voices, then run `companion prepare` there, as after a first use. The library in the natural voice
    takes minutes here, so it is rendered once a session into a template that each cache starts from;
    prepare then renders what the template lacks and writes this cache's own index and stamp."""
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    if "clips" not in _library:
        template = Path(tempfile.mkdtemp(prefix="companion-library-"))
        done = subprocess.run([sys.executable, "-m", "companion", "prepare", "--quiet"],
                              env=dict(env) | {"XDG_CACHE_HOME": str(template)}, capture_output=True, text=True,
                              timeout=1800, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        _library["clips"] = template / "companion" / "clips"
    clips = Path(env["XDG_CACHE_HOME"]) / "companion" / "clips"
    clips.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copytree(_library["clips"], clips, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("first-words.tsv", "prepared.json", "prepare.lock"))
    return subprocess.run([sys.executable, "-m", "companion", "prepare"], env=env, capture_output=True, text=True,
                          timeout=1800, stdin=subprocess.DEVNULL)
