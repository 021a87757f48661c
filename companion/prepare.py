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
    from .library import builtin_scripts
    from .lines import shipped_path, user_path
    from .voice.clips import FORMAT

    scripts = [(name, p.stat().st_size, p.stat().st_mtime_ns) for name, p in builtin_scripts().items()]
    for path in (shipped_path(), Path(user_path())):  # the lines the pause says itself, as they are now
        if path.is_file():
            scripts.append((str(path), path.stat().st_size, path.stat().st_mtime_ns))
    # The voices asked for: one found unknown is spoken as the default, the same way each time; and
    # each role's clip key (engine, the voice's identity, rate), so a new voice package prepares again.
    identity = [FORMAT, clips.engine.name, clips.engine.driver, [clips.wanted(r) for r in ("guide", "A", "B")],
                [clips.key(r, "") for r in ("guide", "A", "B")], clips.settings.rate_wpm, scripts]
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


def prepare(clips, report=lambda done, total: None) -> int:
    """Render what is missing; returns how many clips were rendered."""
    from .paths import private_dir, write_private

    _sweep(clips.root)
    clips.check_voices()  # an unknown voice: one line, and the default's clips are the ones counted
    todo = missing(clips)
    for done, (role, text) in enumerate(todo, 1):
        clips.ensure(role, text)
        report(done, len(todo))
    private_dir(clips.root)
    from .pause import first_words

    first_words.write(clips)
    write_private(clips.root / STAMP, json.dumps({"fingerprint": fingerprint(clips)}))
    return len(todo)


def _sweep(root: Path, older_than_s: float = 600) -> None:
    """Remove half-made renders (and half-written index files) left by a process that ended mid-write."""
    import time

    for leftover in [*root.glob("*/tmp*.wav"), *root.glob(".tmp*")]:
        try:
            if time.time() - leftover.stat().st_mtime > older_than_s:
                leftover.unlink()
        except OSError:
            pass


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


def warm_later(clips, config) -> None:
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
