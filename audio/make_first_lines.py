#!/usr/bin/env python3
"""Render every built-in sequence's first spoken line in the default voices, to ship inside the package.

Run from the project root:  .venv/bin/python audio/make_first_lines.py   (needs the `natural` extra)

Writes first-lines/NAME.wav for each built-in sequence (its first line only,
exactly as the clip cache would hold it; sequences that open with the same
line share the first one's file), first-lines/_safety.wav (the safety
line, which most sequences say second) and first-lines/keys.tsv (name, role,
cache key, text). The clip store copies a shipped clip into the cache when a
line's key is the shipped one (companion/voice/shipped.py), so on an empty
home no first word waits for the natural voice's model. A line whose key and
text are unchanged keeps its clip (Piper's renders differ in their bytes, so
rendering it again would only grow the repository); a changed first line is
rendered again; a sequence gone loses its clip. A first line naming what only
the session knows ({A}, {B}, {return_time}, {help}) is not shipped: it is said.
tests/test_first_lines_natural.py fails when keys.tsv is not current, and
names this command.
"""

import sys
import tempfile
import time
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "first-lines"
sys.path.insert(0, str(OUT_DIR.parent.parent))


def wanted() -> list[tuple[str, str, str, str] | tuple[str, str]]:
    """(name, role, key, text) of every built-in sequence's first line in the default voices, or
    (name, why not) for one that cannot be shipped."""
    from companion.library import builtin_scripts
    from companion.lines import safety_text
    from companion.script import parse_file
    from companion.voice.clips import ClipStore, VoiceSettings
    from companion.voice.shipped import SAFETY, first_line

    clips = ClipStore(Path(tempfile.gettempdir()), VoiceSettings())  # the defaults; only its keys are asked
    found = []
    for name, path in sorted(builtin_scripts().items()):
        first = first_line(parse_file(path))
        if isinstance(first, str):
            found.append((name, first))  # why not
        else:
            role, text = first
            found.append((name, role, clips.key(role, text), text))
    # The safety line comes second in most sequences, the pause's two among them: shipped too, a cold
    # session's second line waits for no model either (under load it came up to a second late).
    text = safety_text()
    found.append((SAFETY, "guide", clips.key("guide", text), text))
    return found


def main() -> None:
    from companion.voice.clips import ClipStore, VoiceSettings
    from companion.voice.piper_engine import NATURAL
    from companion.voice.shipped import KEYS, rows

    started = time.monotonic()
    OUT_DIR.mkdir(exist_ok=True)
    # The clip of each key shipped now (read first: a file may be rewritten with another key below).
    held = {}
    for name, _, key, _ in rows():
        if key not in held and (OUT_DIR / f"{name}.wav").is_file():
            held[key] = (OUT_DIR / f"{name}.wav").read_bytes()
    lines, owner, rendered = [], {}, 0  # owner: key -> the sequence whose file holds it
    with tempfile.TemporaryDirectory() as cache:
        clips = ClipStore(Path(cache), VoiceSettings())
        assert clips.voice("guide") == NATURAL, "install the natural extra first: pip install -e '.[natural]'"
        for row in wanted():
            if len(row) == 2:
                print(f"{row[0]}: not shipped, {row[1]}")
                continue
            name, role, key, text = row
            lines.append("\t".join(row) + "\n")
            if key in owner:
                continue  # the same first line as a sequence before it: one file holds it (shipped.find)
            owner[key] = name
            if key not in held:
                held[key] = clips.ensure(role, text).read_bytes()
                rendered += 1
            (OUT_DIR / f"{name}.wav").write_bytes(held[key])
    for old in OUT_DIR.glob("*.wav"):
        if old.stem not in owner.values():
            old.unlink()
    (OUT_DIR / KEYS).write_text("".join(lines), encoding="utf-8")
    size = sum(p.stat().st_size for p in OUT_DIR.iterdir())
    print(f"{len(lines)} first lines in {len(owner)} clips in {OUT_DIR} ({rendered} rendered, {size / 1e6:.1f} MB), "
          f"in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    import os

    with tempfile.TemporaryDirectory() as home:  # the defaults: none of your own settings or lines
        for kind in ("CONFIG", "CACHE", "DATA"):
            os.environ[f"XDG_{kind}_HOME"] = os.path.join(home, kind.lower())
        main()
