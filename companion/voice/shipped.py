"""The first line of every built-in sequence, shipped in the package for the default voices.

On an empty home every first word would wait for the natural voice's model to
load (0.3 s, more on a busy machine) before a line is rendered. So audio/first-lines/ holds the
clip of each built-in sequence's first spoken line (one file for the sequences that open with the same
line: the first one's), and of the safety line
that most of them say second (the model is not ready for it on a loaded
machine either: it was heard up to a second late), rendered by
audio/make_first_lines.py, and keys.tsv names each by its cache key (name,
role, key, text). The clip store copies one into the cache when a line's key
is a shipped one (ClipStore.ensure), so the key decides: another voice, rate,
engine version or clip format renders its own, as it always would.
Piper's renders differ from run to run, so a clip is matched by key, never by
bytes (tests/test_first_lines_natural.py checks the keys are current).
"""

from __future__ import annotations

import os

FOLDER = "first-lines"  # in the built-in audio folder
KEYS = "keys.tsv"
SAFETY = "_safety"  # the safety line's clip: said second by most sequences (no sequence's name starts with _)
_by_key: dict[str, str] | None = None  # cache key -> clip file, read once a process


def folder() -> str:
    from ..paths import builtin_folder

    return os.path.join(builtin_folder("audio"), FOLDER)


def rows() -> list[list[str]]:
    """keys.tsv's rows: [name, role, key, text]; [] without the file."""
    try:
        with open(os.path.join(folder(), KEYS), encoding="utf-8") as f:
            return [fields for fields in (line.rstrip("\n").split("\t") for line in f) if len(fields) == 4]
    except (OSError, ValueError):
        return []


def find(key: str) -> str | None:
    """The shipped clip whose cache key is `key`, if there is one."""
    global _by_key
    if _by_key is None:
        where = folder()  # once: it resolves the package's real path
        _by_key = {}
        for name, _, its_key, _ in rows():  # sequences that open with the same line: the first one's file
            _by_key.setdefault(its_key, os.path.join(where, f"{name}.wav"))
    clip = _by_key.get(key)
    return clip if clip is not None and os.path.isfile(clip) else None


def copy_to(path) -> bool:
    """Put the shipped clip named by `path`'s key (its stem) at `path`, private, whole or not at all."""
    clip = find(path.stem)
    if clip is None:
        return False
    import shutil
    import tempfile

    from ..paths import private_dir

    private_dir(path.parent)
    fd, raw = tempfile.mkstemp(suffix=".wav", dir=path.parent)  # 0600
    os.close(fd)
    try:
        shutil.copyfile(clip, raw)
        os.replace(raw, path)
    except OSError:
        return False  # the store renders it instead
    finally:
        if os.path.exists(raw):
            os.unlink(raw)
    return True


def first_line(sequence) -> tuple[str, str] | str:
    """(role, text) of the first line a session of `sequence` (a parsed script) speaks with the default
    settings; or why it cannot be shipped (words only the session knows)."""
    from ..config import Config
    from ..playback.timeline import breath_cues
    from ..spoken import fill, names, words

    for step in sequence.steps:
        if step.kind == "speak":
            if not step.template:
                return step.role, step.text
            named = names(step.text) - {"minutes"}  # the break's length: the config's default until set
            if named:
                return f"its first line names {', '.join(sorted('{' + n + '}' for n in named))}"
            return step.role, fill(step.text, {"minutes": words(Config().break_minutes)})
        if step.kind == "turn" and step.prompt:
            return "guide", step.prompt
        if step.kind == "breathe":
            return "guide", breath_cues()[0]
    return "it speaks no line"
