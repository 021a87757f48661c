"""A script's steps with the first spoken line found by a light scan.

Validating a whole script means importing pydantic (about 50 ms here); a
flooded person should not wait for that. If the script's first step is a
plain spoken line, it is yielded at once from a scan of the text; the full
parse, which validates everything, runs while that line is being spoken, and
supplies the rest.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from collections.abc import Iterator

from ..textsafe import MAX_SPOKEN_CHARS

_PLAIN = re.compile(r"[^\[#\s]")  # not a directive, a comment or blank
_LABEL = re.compile(r"([AB]|You):")


class FirstSpeak:
    """Stands in for script.Speak: the timeline reads only these attributes."""

    __slots__ = ("kind", "role", "text", "line")

    def __init__(self, text: str, line: int):
        self.kind, self.role, self.text, self.line = "speak", "guide", text, line  # never a template


def first_spoken_line(text: str) -> FirstSpeak | None:
    """The first body line, if it is plain speech by the guide (else None)."""
    lines = text.removeprefix("\ufeff").split("\n")
    if not lines or lines[0].strip() != "+++":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "+++":
            for number in range(index + 1, len(lines)):
                line = lines[number].strip()
                if line.startswith("#"):
                    continue
                if line and _PLAIN.match(line) and not _LABEL.match(line) and re.search(r"\w", line) \
                        and "{" not in line and "}" not in line \
                        and len(line) <= MAX_SPOKEN_CHARS:  # else the full parse says what is wrong
                    return FirstSpeak(line, number + 1)
                return None
    return None


def steps(path: Path, sounding: threading.Event | None = None) -> Iterator:
    """Every step of the script at `path`; ScriptError if any of it is invalid.

    `sounding`, if given, is set once the first word is playing: the full
    parse (pure Python, about 100 ms) waits for it rather than compete for
    the interpreter with opening the sound device.
    """
    first = first_spoken_line(path.read_text(encoding="utf-8", errors="replace"))
    if first is not None:
        yield first
        if sounding is not None:
            sounding.wait(2.0)
    from ..script import parse_file

    sequence = parse_file(path)
    rest = sequence.steps
    if first is not None:
        head = rest[0]
        if getattr(head, "text", None) != first.text or head.kind != "speak":  # pragma: no cover - a scan bug
            raise RuntimeError(f"{path}: the quick scan disagreed with the parser at line {first.line}")
        rest = rest[1:]
    yield from rest
