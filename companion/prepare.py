"""Render every built-in sequence into the clip cache, ahead of need.

`companion prepare` does it in the foreground; when a `play` or `pause` ends
and the cache is not ready, it starts in the background (low priority, after
the session, so it never competes with playback), and the next pause never
waits for speech to be rendered. A stamp records what was prepared: the voice
settings and every built-in script's size and time, so any change is noticed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

STAMP = "prepared.json"


def fingerprint(clips) -> str:
    from .config import ROLES
    from .library import builtin_scripts
    from .lines import shipped_path, user_path
    from .voice.clips import FORMAT

    scripts = [(name, p.stat().st_size, p.stat().st_mtime_ns) for name, p in builtin_scripts().items()]
    for path in (shipped_path(), Path(user_path())):  # the lines the pause says itself, as they are now
        if path.is_file():
            scripts.append((str(path), path.stat().st_size, path.stat().st_mtime_ns))
    # The voices asked for: one found unknown is spoken as the default, the same way each time; and
    # each role's clip key (engine, the voice's identity, rate), so a new voice package prepares again.
    identity = [FORMAT, clips.engine.name, clips.engine.driver, [clips.wanted(r) for r in ROLES],
                [clips.key(r, "") for r in ROLES], clips.settings.rate_wpm, scripts]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def is_ready(clips) -> bool:
    """Cheap: does the stamp match the scripts and voices of now?"""
    try:
        stamp = json.loads((clips.root / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("fingerprint") == fingerprint(clips)


def count() -> int:
    """How many clips the built-in sequences and the pause speak."""
    return sum(1 for _ in _utterances())


def missing(clips) -> list[tuple[str, str]]:
    """Every (role, text) the built-in sequences and the pause speak, not yet cached."""
    return [(role, text) for role, text in _utterances() if not clips.path(role, text).exists()]


def prepare(clips, report=lambda done, total: None, jobs: int | None = None, stage=lambda line: None) -> int:
    """Render what is missing, in `jobs` processes (the machine's cores by default); returns how
    many clips were rendered. `report(done, total)` after each clip, `stage(line)` at each stage.
    Ctrl-C (KeyboardInterrupt) stops it: every clip finished so far stays in the cache."""
    from .lengths import PROGRESS, write_progress
    from .paths import private_dir, write_private

    _sweep(clips.root)
    stage("checking the voices")
    clips.check_voices()  # an unknown voice: one line, and the default's clips are the ones counted
    everything = count()
    todo = missing(clips)
    ready = everything - len(todo)
    private_dir(clips.root)
    try:
        if todo:
            jobs = workers(len(todo)) if jobs is None else max(1, min(jobs, len(todo)))
            stage(f"rendering {len(todo):,} of {everything:,} clips in {jobs} "
                  f"{'process' if jobs == 1 else 'processes'}")

            def counted(done: int, total: int) -> None:
                report(done, total)
                if done == total or done % 10 == 0:  # for `doctor` and `list`: how far it is
                    write_progress(clips.root, ready + done, everything)

            counted(0, len(todo))
            render(clips, todo, counted, jobs)
        stage("writing the index")
        from .first_line import sides

        sides.write(clips)
        write_private(clips.root / STAMP, json.dumps({"fingerprint": fingerprint(clips)}))
    finally:
        try:
            os.unlink(clips.root / PROGRESS)
        except OSError:
            pass
    return len(todo)


MAX_WORKERS = 4  # each process holds its own voice model (~100-200 MB with onnxruntime): a bound on memory


def workers(clips_to_render: int) -> int:
    """One process a core (at most MAX_WORKERS), none idle on a short list."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS, clips_to_render // 4 or 1))


def render(clips, todo: list[tuple[str, str]], report, jobs: int) -> None:
    """Render `todo` into `clips`' cache: here if `jobs` is 1, else in `jobs` fresh processes, each with
    its own engine (pyttsx3's and Piper's both keep one voice busy at a time). Clips are written whole
    or not at all (ClipStore._render), so stopping at any moment keeps every finished one."""
    if jobs <= 1:
        for done, (role, text) in enumerate(todo, 1):
            clips.ensure(role, text)
            report(done, len(todo))
        return
    import multiprocessing

    # spawn, not fork: the parent may hold threads (and an engine) that a fork would copy mid-call.
    pool = multiprocessing.get_context("spawn").Pool(jobs, initializer=_worker_start,
                                                     initargs=(str(clips.root), clips.settings))
    try:
        for done, _ in enumerate(pool.imap_unordered(_worker_render, todo), 1):
            report(done, len(todo))
        pool.close()
    except BaseException:  # Ctrl-C or a failed clip: the others stop now, mid-clip (never half-written)
        pool.terminate()
        raise
    finally:
        pool.join()


_store = None  # a worker's clip store


def _worker_start(root: str, settings) -> None:
    import signal

    from .voice.clips import ClipStore
    from .voice.engine import EngineError

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent hears Ctrl-C, and ends the workers itself
    # ... with SIGTERM: raised as SystemExit once the current call returns, so the clip being made
    # leaves no half-made file behind (ClipStore._render's finally).
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(1))
    global _store
    _store = ClipStore(Path(root), settings, warn=lambda line: None)  # the parent has said any fallback
    try:
        _store.check_voices()
    except EngineError:
        pass  # the first render says why, to the parent


def _worker_render(item: tuple[str, str]) -> None:
    from .voice.engine import EngineError

    try:
        _store.ensure(*item)
    except EngineError as e:  # re-made in the parent from its message alone (a subclass's own fields do not travel)
        raise EngineError(str(e)) from None


def _sweep(root: Path, older_than_s: float = 600) -> None:
    """Remove half-made renders (and half-written index files) left by a process that ended mid-write."""
    import time

    for leftover in [*root.glob("*/tmp*.wav"), *root.glob(".tmp*")]:
        try:
            if time.time() - leftover.stat().st_mtime > older_than_s:
                leftover.unlink()
        except OSError:
            pass


def library_lines() -> list[str]:
    """The text of every line the built-in library speaks (bar those naming a time): what a recorded voice may have."""
    return sorted({text for _, text in _utterances()})


def _utterances():
    from .library import builtin_scripts
    from .lines import KEYS, said
    from .script import parse_file
    from .spoken import Spoken

    seen = set()

    def add(role, text):
        if (role, text) not in seen:
            seen.add((role, text))
            yield role, text

    spoken = Spoken(hint=True)  # the help line and its first-run hint too; a line naming a time is rendered when it is said
    for path in builtin_scripts().values():
        for step in spoken.steps(s for s in parse_file(path).steps if not getattr(s, "template", False)):
            if step.kind == "speak":
                yield from add(step.role, step.text)
            elif step.kind == "turn" and step.prompt:
                yield from add("guide", step.prompt)
    # The lines the pause says itself (scripts/_spoken.toml): each one that names only the break's
    # minutes, in the configured length; the ones naming a time or a heart rate when they are said.
    minutes = spoken.values()["minutes"]
    for key, (_, _, role) in KEYS.items():
        for text in said(key, minutes=minutes):
            yield from add(role, text)


def lock(root: Path) -> int | None:
    """The prepare lock in the cache `root`, taken without waiting: its open file (closing it lets it go),
    or None if another prepare holds it. OSError if it cannot be written."""
    from .paths import private_dir

    fd = os.open(private_dir(root) / "prepare.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if hasattr(os, "fchmod"):  # POSIX: one left by an older companion may be open to others
            os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    if lock_now(fd):
        return fd
    os.close(fd)
    return None


def lock_now(fd: int) -> bool:
    """Take the lock on the open file `fd` without waiting; False if another process holds it.
    It goes when `fd` is closed, or at the latest when the process ends."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # the first byte: past the end of the file is allowed
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def prepare_later(clips, config) -> None:
    """After a session: if the cache is not ready, prepare it in the background."""
    if config.background_prepare and not clips.unavailable and not is_ready(clips):
        spawn_in_background()


def spawn_in_background() -> None:
    """Start `companion prepare --quiet --background` detached, at low priority; never fails loudly."""
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)  # the same companion, installed or run from a checkout
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    try:
        subprocess.Popen([sys.executable, "-m", "companion", "prepare", "--quiet", "--background"],
                         **detached(sys.platform), env=env)
    except (OSError, ValueError):  # ValueError: an argument this platform does not take
        pass


# Windows' process creation flags (subprocess names them only on Windows)
DETACHED_PROCESS = 0x00000008  # no console: closing the session's window does not end it
CREATE_NEW_PROCESS_GROUP = 0x00000200  # the session's Ctrl-C is not sent to it
BELOW_NORMAL_PRIORITY_CLASS = 0x00004000  # never competes with the next session's sound


def detached(platform: str) -> dict:
    """Popen's arguments for a process that outlives the session, on `platform` (a sys.platform).

    No preexec_fn anywhere (Windows has none, and after fork in a process with threads it may
    deadlock): POSIX lowers its priority itself (`prepare --background`)."""
    quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
             "close_fds": True}
    if platform == "win32":
        return quiet | {"creationflags": DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | BELOW_NORMAL_PRIORITY_CLASS}
    return quiet | {"start_new_session": True}


class Shown:
    """`prepare`'s work as a person sees it: on a terminal a bar redrawn in place (clips done of
    the total, time left); otherwise (a log, a pipe) one line a stage, nothing a clip."""

    def __init__(self, out, quiet: bool = False):
        self.out, self.quiet = out, quiet
        self.tty = not quiet and out.isatty()
        self._began: float | None = None
        self._bar = False

    def stage(self, line: str) -> None:
        if not self.quiet:
            self._end_bar()
            self._write(f"{line[0].upper()}{line[1:]}.\n")

    def report(self, done: int, total: int) -> None:
        import time

        if not self.tty:
            return
        now = time.monotonic()
        if self._began is None or done == 0:
            self._began = now
        self._bar = True
        self._write("\r\033[K" + bar(done, total, now - self._began))
        if done == total:
            self._end_bar()

    def _end_bar(self) -> None:
        if self._bar:
            self._bar = False
            self._write("\n")

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


def bar(done: int, total: int, elapsed_s: float, width: int = 30) -> str:
    """ "[█████·····] 340 of 1,180 clips, about 2 min left" """
    filled = width * done // max(1, total)
    left = ""
    if 0 < done < total and elapsed_s > 0:
        seconds = elapsed_s / done * (total - done)
        left = f", about {round(seconds / 60)} min left" if seconds >= 90 else f", about {max(1, round(seconds))} s left"
    return f"[{'█' * filled}{'·' * (width - filled)}] {done:,} of {total:,} clips{left}"
