"""Any session's first line from the cache, found with `os.stat` alone.

A clip's cache key is the SHA-256 of everything that changes its sound: the
engine, the voice's identity, the rate, the level, and the text
(voice/cache_key.py). All but the text are known only after importing the
voice modules, reading the config and asking the engine (tens of ms). So
`companion prepare` (and a session that found no row) records them once in
the cache's index, first-words.tsv, as the key's prefix for the guide, with
the size and time of every file they depend on (the config, the code that
makes clips, the guide's voice files). While none of those changed, the key
of any line the guide speaks is that prefix plus the text, hashed by the
store's own function: a script's first line, found by a light scan
(scan.py), plays without Click, pydantic, numpy or the engine. Anything that
does not match exactly means: take the ordinary path.

The pause's own rows (each side's first clip) are in the same file
(sides.py). Without a current index, a built-in's first line may still be
the one the package ships (shipped_clip).
"""

from __future__ import annotations

import os
import sys

from ..paths import user_dir
from ..voice.cache_key import key

INDEX = "first-words.tsv"  # the name existing caches hold (an older word for "first line"): kept, so an upgrade finds it
GUIDE = "*guide"  # the row of the guide's key prefix (never a side's name)

# How clips are made (the clip format, the engine's defaults): an upgrade rewrites
# these files, and the index must not outlive the clips it was made with.
_VOICE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "voice")
ENGINE_FILES = [os.path.join(_VOICE, name)
                for name in ("clips.py", "engine.py", "espeak_direct.py", "piper_engine.py", "loudness.py")]

def stat(path: str) -> str:
    try:
        st = os.stat(path)
        return f"{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return "-"


def config_file() -> str:
    return os.path.join(user_dir("config"), "config.toml")


def rows() -> list[list[str]]:
    """The index's rows, split into fields; [] without one."""
    try:
        with open(os.path.join(user_dir("cache"), "clips", INDEX), encoding="utf-8") as f:
            return [line.rstrip("\n").split("\t") for line in f]
    except (OSError, ValueError):
        return []


def unchanged(pairs: list[str], required: list[str]) -> bool:
    """Every (path, stat) of `pairs` is as recorded, and they cover `required`."""
    paths = pairs[0::2]
    return set(required) <= set(paths) and all(stat(p) == s for p, s in zip(paths, pairs[1::2]))


def guide_clip(text: str) -> str | None:
    """The cached clip of `text` in the guide's voice, if the index is current and it is rendered."""
    if not sys.platform.startswith("linux"):
        return None  # the stats and paths are only tested here
    for fields in rows():
        if fields[0] == GUIDE and len(fields) >= 3 and len(fields) % 2 == 1:
            prefix, root, pairs = fields[1], fields[2], fields[3:]
            if not unchanged(pairs, [config_file(), *ENGINE_FILES]):
                return None
            digest = key(prefix, text)
            path = os.path.join(root, digest[:2], f"{digest}.wav")
            return path if os.path.isfile(path) else None
    return None


def shipped_clip(text: str) -> str | None:
    """No current index (an empty home): the package's own clip of `text` (voice/shipped.py), if the clip
    store, with the config's voices and rate, would give `text` its key. The key is the store's own, so
    nothing else matches. With no config (a new user's first run) the store's guide is the natural voice at
    the calm pace, and the key is made from cache_key alone; a config is read (about 8 ms more: pathlib and
    the clip store), and a bad one is the session's to say."""
    from ..voice import piper_engine, shipped

    if not piper_engine.natural_installed():
        return None  # the shipped guide is the natural voice (and asking pyttsx3 its default would start it)
    if not os.path.lexists(config_file()):
        from ..voice.cache_key import own_engine, prefix

        return shipped.find(key(prefix(own_engine(piper_engine.identity(None), piper_engine.CALM_WPM)), text))
    from pathlib import Path

    from ..config import ConfigError, load
    from ..voice.clips import ClipStore

    try:
        voices = load().voices
    except ConfigError:
        return None
    if voices.guide not in (None, piper_engine.NATURAL):
        return None
    return shipped.find(ClipStore(Path(user_dir("cache"), "clips"), voices).key("guide", text))


def voice_dependencies(clips) -> list[str]:
    """What the guide's clip depends on beyond companion's files: a Piper voice's model, settings and
    piper's code; or, when the natural voice is not installed, the folders an install would change
    (installing it makes it the guide's voice)."""
    name = clips.recorded("guide")
    if name:  # a recorded guide: a take kept after the row was written rewrites lines.json, so the row is stale
        return [os.path.join(user_dir("data"), "voices", name, "lines.json"), *_engine_dependencies(clips)]
    return _engine_dependencies(clips)


def _engine_dependencies(clips) -> list[str]:
    from ..voice import piper_engine

    voice = clips.voice("guide")
    if piper_engine.is_piper_voice(voice):
        model, config = piper_engine._files(voice)
        code = piper_engine._package_dir("piper")
        return [model, config, os.path.join(code, "voice.py") if code else os.path.join(os.curdir, "piper")]
    if piper_engine.natural_installed():
        return []
    return sorted({entry for entry in sys.path if entry.endswith("-packages") and os.path.isdir(entry)})


def key_prefix(clips, role: str = "guide") -> str | None:
    """The prefix of ClipStore's keys for `role` (voice/cache_key.py), or None while the role falls back
    from the voice asked for (the session then says so)."""
    from ..voice.cache_key import prefix

    if clips.voice(role) != clips.wanted(role):
        return None
    return prefix(clips.identity(role))


def guide_row(clips) -> str | None:
    """The index's row for the guide's key prefix, or None if there is none to give."""
    prefix = key_prefix(clips)
    if prefix is None or "\t" in prefix or "\n" in prefix:
        return None
    paths = [config_file(), *ENGINE_FILES, *voice_dependencies(clips)]
    return "\t".join([GUIDE, prefix, str(clips.root), *(f for p in paths for f in (p, stat(p)))])


# -- your own scripts: checked by the last `prepare`, so their first line can play before the parse --------
SCRIPT = "*script"  # a row: a script of yours that parsed, with its stat and the parser's
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parser_files() -> list[str]:
    """The code that decides whether a script is valid: a script checked by another version is not."""
    folder = os.path.join(_PACKAGE, "script")
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".py"))
    except OSError:
        names = []
    return [os.path.join(folder, n) for n in names] + [os.path.join(_PACKAGE, "textsafe.py")]


def checked(script: str) -> bool:
    """Did the index's writer parse `script`, as it is now, without an error? (Else play must parse it
    before anything sounds: an invalid script plays nothing.)"""
    for fields in rows():
        if fields[0] == SCRIPT and len(fields) % 2 == 0 and os.path.normpath(fields[1]) == os.path.normpath(script):
            return unchanged(fields[2:], [script, *parser_files()])
    return False


def script_rows() -> list[str]:
    """A row for each of your own scripts that parses now (called by `prepare`, through sides.write)."""
    from ..library import user_scripts
    from ..script import ScriptError, parse_file

    found = []
    for path in user_scripts().values():
        try:
            parse_file(path)
        except (ScriptError, OSError):
            continue
        paths = [str(path), *parser_files()]
        found.append("\t".join([SCRIPT, str(path), *(f for p in paths for f in (p, stat(p)))]))
    return found
