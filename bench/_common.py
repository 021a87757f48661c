"""What the benches share: how to run companion, private user dirs, the plan.

Benchmarks print figures and never assert on timing: the machines are shared
and noisy. Every subprocess runs from the repository root, so `python -m
companion` finds this checkout whether or not the package is installed.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # for `tests.soundlab` and `companion`
    sys.path.insert(0, str(ROOT))

from tests.soundlab import wav_segments  # noqa: E402  (needs the path above)


def companion_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "companion", *map(str, args)]


def user_dirs(base: Path, cache: Path | None = None) -> dict:
    """XDG dirs under `base`, so no bench touches the real user's cache, journal or settings.

    After a `play`, companion may start `companion prepare` detached in the
    background to render every built-in line: between benchmark runs that
    would load the CPU (and write into temp dirs being removed), so the
    config turns it off, if companion's own loader accepts the setting (the
    file is removed otherwise).  A config file costs a run the import of
    tomllib (~4 ms).
    """
    dirs = {"XDG_CACHE_HOME": str(cache or base / "cache"), "XDG_DATA_HOME": str(base / "data"),
            "XDG_CONFIG_HOME": str(base / "config")}
    config = base / "config" / "companion" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("background_prepare = false\n")
    try:
        from companion import config as companion_config

        companion_config.load(config)
    except Exception:  # an older or newer companion without the setting: run with the defaults
        config.unlink()
    return dirs


def empty_home(base: Path) -> dict:
    """XDG dirs under `base` with nothing in them, not even a config: a new user's first run. A
    session there starts `companion prepare` in the background afterwards; stop_prepare ends it."""
    return {"XDG_CACHE_HOME": str(base / "cache"), "XDG_DATA_HOME": str(base / "data"),
            "XDG_CONFIG_HOME": str(base / "config")}


def stop_prepare(dirs: dict) -> int:
    """Kill every process whose environment has `dirs`' cache folder (the background `prepare` a session
    in an empty home started), so it loads no later run; how many there were. Linux only (/proc)."""
    marker = f"XDG_CACHE_HOME={dirs['XDG_CACHE_HOME']}".encode()
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
        except (OSError, ValueError):
            pass  # gone meanwhile, or not ours to read
    return killed


def builtin_solo() -> list[str]:
    """The built-in sequences `companion play NAME` starts by itself (a paired one asks names first)."""
    from companion.first_line.scan import for_whom
    from companion.library import builtin_scripts

    return [name for name, path in builtin_scripts().items() if for_whom(path.read_text(encoding="utf-8")) != "pair"]


def show_json(script, env) -> dict:
    """`companion show --json`: the planned events, every clip rendered first (by `render`: `show` renders
    nothing), so its lengths are measured and a play after it is warm."""
    import os

    rendered = subprocess.run(companion_cmd("render", script, "-o", os.devnull), env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=600)
    if rendered.returncode != 0:
        raise RuntimeError(f"companion render {script} exited {rendered.returncode}: {rendered.stderr.strip()}")
    done = subprocess.run(companion_cmd("show", "--json", script), env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"companion show --json {script} exited {done.returncode}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def speech_spans(events) -> list[tuple[float, float]]:
    """(start_s, end_s) of each spoken line's sound on the timeline.

    A clip keeps 20 ms of its padding and its last consonant can fall under
    the threshold, so the sound inside the clip is measured, at its planned
    offset (as tests/test_e2e.py does).
    """
    spans = []
    for e in events:
        if e["kind"] == "speech":
            inside = wav_segments(e["clip"])
            spans.append((e["start_s"] + inside[0][0], e["start_s"] + inside[-1][1]))
    return spans


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def median(values):
    return statistics.median(values) if values else float("nan")
