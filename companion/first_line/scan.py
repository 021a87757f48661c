"""A script's first spoken line, by a light scan, and its steps with that line first.

Validating a whole script means importing pydantic (about 50 ms here); a
flooded person should not wait for that. If the script's first step is a
plain spoken line, it is found by a scan of the text (plain string methods:
not even `re`, 5 ms), so its clip can play while the full parse, which
validates everything, runs and supplies the rest.
"""

from __future__ import annotations

import threading

from ..textsafe import MAX_SPOKEN_CHARS

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (and re, enum): see paths.py
if TYPE_CHECKING:  # annotations only
    from collections.abc import Iterator
    from pathlib import Path

_LABELS = ("A:", "B:", "You:")  # another speaker's line: not the guide's


class FirstSpeak:
    """Stands in for script.Speak: the timeline reads only these attributes."""

    __slots__ = ("kind", "role", "text", "line")

    def __init__(self, text: str, line: int):
        self.kind, self.role, self.text, self.line = "speak", "guide", text, line  # never a template


def _plain(line: str) -> bool:
    """Speech by the guide with no placeholder: not a directive, comment, blank, label or template."""
    return bool(line) and line[0] not in "[#" and not line.startswith(_LABELS) \
        and any(c.isalnum() or c == "_" for c in line) and "{" not in line and "}" not in line \
        and len(line) <= MAX_SPOKEN_CHARS  # else the full parse says what is wrong


def _front_and_body(text: str) -> tuple[list[str], int] | None:
    """The front matter's lines and the index of the body's first line; None if there is none."""
    lines = text.removeprefix("\ufeff").split("\n")
    if not lines or lines[0].strip() != "+++":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "+++":
            return lines, index + 1
    return None


def first_spoken_line(text: str) -> FirstSpeak | None:
    """The first body line, if it is plain speech by the guide (else None)."""
    found = _front_and_body(text)
    if found is None:
        return None
    lines, body = found
    for number in range(body, len(lines)):
        line = lines[number].strip()
        if line.startswith("#"):
            continue
        return FirstSpeak(line, number + 1) if _plain(line) else None
    return None


def for_whom(text: str) -> str | None:
    """The front matter's `for` value by a light scan ("both", the parser's default, if it has none);
    None when the scan cannot be sure (a multi-line string, an escape, two `for` keys): then the full
    parse decides. Read as the key, never as letters anywhere: "before you repair" is not a pair."""
    found = _front_and_body(text)
    if found is None:
        return None
    lines, body = found
    values = []
    for line in (line.strip() for line in lines[1:body - 1]):
        if '"""' in line or "'''" in line or "\\" in line:
            return None  # a multi-line string or an escape: what is a key there is the parser's to say
        key, equals, value = line.partition("=")
        if not equals or key.strip().strip("\"'") != "for":
            continue
        value = value.strip()
        end = value.find(value[:1], 1) if value[:1] in ("\"", "'") else -1
        rest = value[end + 1:].strip() if end > 0 else "?"
        if rest and not rest.startswith("#"):
            return None
        values.append(value[1:end])
    if len(values) > 1:
        return None
    return values[0] if values else "both"


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
