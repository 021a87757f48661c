"""The first word of a pause, by the shortest path there is.

`companion prepare` writes first-words.tsv in the cache: for each side, the
clip of the first line of its sequence, and the size and time of every file
it depends on. Reading it needs only `os` and `wave`, so a pause started with
--leave or --reach speaks while the rest of companion is still loading (the
ordinary path costs about 40 ms of imports, which also slow PortAudio's own
start-up). Anything that does not match exactly means: take the ordinary path.
With an empty cache, `render` makes that line first, without waiting for
pyttsx3 to start (voice/espeak_direct.py).
"""

from __future__ import annotations

import os
import sys

from ..paths import user_dir

INDEX = "first-words.tsv"
FIRST = {"leaving": "stay", "reaching": "sit"}


def _stat(path: str) -> str:
    try:
        st = os.stat(path)
        return f"{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return "-"


# How clips are made (the clip format, the engine's defaults): an upgrade rewrites
# these files, and the index must not outlive the clips it was made with.
_VOICE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "voice")
ENGINE_FILES = [os.path.join(_VOICE, name) for name in ("clips.py", "engine.py", "espeak_direct.py")]


def _dependencies(script: str) -> list[str]:
    """What a first word depends on: its script, the config, a user script that would win,
    and the code that makes clips."""
    config = user_dir("config")
    name = os.path.basename(script)
    return [script, os.path.join(config, "config.toml"), os.path.join(config, "scripts", name), *ENGINE_FILES]


def read(side: str) -> bytes:
    """The first line's samples for `side`, or b"" (then the ordinary path decides)."""
    if not sys.platform.startswith("linux"):
        return b""
    try:
        with open(os.path.join(user_dir("cache"), "clips", INDEX), encoding="utf-8") as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if fields[0] != side or len(fields) != 3 + len(_dependencies(fields[2])):
                    continue
                clip, script, stats = fields[1], fields[2], fields[3:]
                if [_stat(p) for p in _dependencies(script)] != stats:
                    return b""
                import wave

                with wave.open(clip, "rb") as w:
                    if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, 22050):
                        return b""
                    return w.readframes(w.getnframes())
    except (OSError, EOFError, ValueError):
        pass
    return b""


def render(side: str) -> bytes:
    """A cold cache: render the first line before anything else (and cache it)."""
    try:
        from ..voice import espeak_direct
        from ..voice.engine import ESPEAK_DEFAULTS

        # espeak-ng starts and loads the usual voice (C, about 20 ms) while the config and script are read.
        espeak_direct.warm_up(ESPEAK_DEFAULTS["guide"])
        from ..config import load
        from ..library import resolve
        from ..voice.clips import user_store
        from .first_line import first_spoken_line

        first = first_spoken_line(resolve(FIRST[side]).read_text(encoding="utf-8"))
        if first is None:
            return b""
        clips = user_store(load().voices)
        clips.engine.direct_first = True  # no pyttsx3 start-up before this word
        try:
            samples = clips.load("guide", first.text)
        finally:
            clips.engine.direct_first = False  # the clip may have been cached: then nothing rendered
        return b"" if clips.unavailable else samples
    except Exception:
        return b""  # the ordinary path will try again, and say what is wrong


def write(clips) -> None:
    """Record the first clip of each side (called by `companion prepare`)."""
    from ..library import resolve
    from .first_line import first_spoken_line

    from ..paths import write_private

    rows = []
    for side, name in FIRST.items():
        script = str(resolve(name))
        with open(script, encoding="utf-8") as f:
            first = first_spoken_line(f.read())
        clip = clips.path("guide", first.text) if first is not None else None
        if clip is not None and clip.exists():
            rows.append("\t".join([side, str(clip), script, *(_stat(p) for p in _dependencies(script))]))
    write_private(clips.root / INDEX, "".join(row + "\n" for row in rows))  # whole or not at all, 0600
