"""The first line of a pause, each side's, by the shortest path there is (any session's: index.py).

`companion prepare` writes first-words.tsv in the cache: for each side, the
clip of the first line of its sequence, and the size and time of every file
it depends on. Reading it needs only `os` and `wave` (playback/pcm.py), so a pause started with
--leave or --reach speaks while the rest of companion is still loading (the
ordinary path costs about 40 ms of imports, which also slow PortAudio's own
start-up). Anything that does not match exactly means: take the ordinary path.

A clip in the natural voice depends on more than companion's own files: the
voice's model and settings, piper's code, or, while the voice is not
installed, the folders it would be installed into. `write` records those
paths with their stats in the row itself, so `read` checks them with
`os.stat` alone (no piper, no onnxruntime: the warm path never loads the
model).

With an empty cache, `render` makes that line first. In the natural voice
the model alone takes longer to load than the first word's budget, so the
package ships every built-in sequence's first line (voice/shipped.py): the
clip store copies it into the cache when its key is the shipped one.
Otherwise (another voice, or rate) it renders, without waiting for pyttsx3
to start (voice/espeak_direct.py).
"""

from __future__ import annotations

import os
import sys

from ..paths import user_dir
from . import index

INDEX = index.INDEX
FIRST = {"leaving": "stay", "reaching": "sit"}  # each side's first sequence (pause/flow.py reads it here)


_stat = index.stat
ENGINE_FILES = list(index.ENGINE_FILES)  # the pause's rows check these (a test points them elsewhere)


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
                if fields[0] != side or len(fields) < 3 or len(fields) % 2 == 0:
                    continue
                clip, script, pairs = fields[1], fields[2], fields[3:]
                paths = pairs[0::2]
                if not set(_dependencies(script)) <= set(paths):
                    return b""  # written by another version
                if any(_stat(path) != stat for path, stat in zip(paths, pairs[1::2])):
                    return b""
                from ..playback.pcm import read_wav

                return read_wav(clip)
    except (OSError, ValueError):  # ValueError: a broken index row, or a clip that is no player's WAV
        pass
    return b""


def render(side: str, warn=None) -> bytes:
    """A cold cache: the first line before anything else, the package's own (index.shipped_clip: no
    pathlib, config or clip store on an empty home; the session's clip store copies it into the cache
    when it plays on), or else rendered, and cached. `warn(line)`: how a configured voice found unknown
    is said (the clip store's default: stderr)."""
    from .scan import first_spoken_line

    first = None  # the line, if the light way finds the script (then it is library.resolve's too)
    try:
        from .scripts import script_for, text_of

        script = script_for(FIRST[side])
        text = text_of(script) if script is not None else None
        first = first_spoken_line(text) if text is not None else None
        clip = index.shipped_clip(first.text) if first is not None else None
        if clip is not None:
            from ..playback.pcm import read_wav

            return read_wav(clip)
    except (OSError, ValueError):  # not a clip the player takes: rendered below, or the ordinary path says why
        pass
    try:
        from ..voice import piper_engine

        if not piper_engine.natural_installed():
            from ..voice import espeak_direct
            from ..voice.engine import ESPEAK_DEFAULTS

            # espeak-ng starts and loads the usual voice (C, about 20 ms) while the config and script are read.
            espeak_direct.start_early(ESPEAK_DEFAULTS["guide"])
        from ..config import load
        from ..voice.clips import user_store

        if first is None:  # a script of yours that prepare has not seen parse, or none found above
            from ..library import resolve

            first = first_spoken_line(resolve(FIRST[side]).read_text(encoding="utf-8"))
        if first is None:
            return b""
        clips = user_store(load().voices, warn=warn)
        clips.engine.direct_first = True  # no pyttsx3 start-up before this word
        try:
            samples = clips.load("guide", first.text)  # the shipped clip, if its key is the shipped one
        finally:
            clips.engine.direct_first = False  # the clip may have been cached: then nothing rendered
        return b"" if clips.unavailable else samples
    except Exception as e:
        from ..debug import report

        report(e, "the pause's first line")
        return b""  # the ordinary path will try again, and say what is wrong


_voice_dependencies = index.voice_dependencies


def write(clips) -> None:
    """Record the first clip of each side (called by `companion prepare`)."""
    from ..library import resolve
    from ..paths import write_private
    from .scan import first_spoken_line

    rows = []
    for side, name in FIRST.items():
        script = str(resolve(name))
        with open(script, encoding="utf-8") as f:
            first = first_spoken_line(f.read())
        clip = clips.path("guide", first.text) if first is not None else None
        if clip is not None and clip.exists():
            paths = [*_dependencies(script), *_voice_dependencies(clips)]
            rows.append("\t".join([side, str(clip), script, *(f for p in paths for f in (p, _stat(p)))]))
    guide = index.guide_row(clips)  # any session's first line (index.py)
    if guide is not None:
        rows.append(guide)
    rows += index.script_rows()  # your own scripts that parse, so `play` may begin them before parsing
    write_private(clips.root / INDEX, "".join(row + "\n" for row in rows))  # whole or not at all, 0600
