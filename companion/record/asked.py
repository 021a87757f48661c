"""Which lines of a sequence `record` asks for, each with the line spoken before it.

A role's lines (the guide's: those without a label; `you`: the `You:` lines), once each by their
text with whitespace collapsed (the store's key), and never a line with a placeholder
({return_time}, {A}...): a session fills those in, so the role's default voice speaks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Iterable

ROLES = ("guide", "you")


@dataclass(frozen=True)
class Line:
    text: str
    before: str = ""  # the line spoken just before it in the sequence (any voice), for context


@dataclass(frozen=True)
class Asked:
    lines: tuple[Line, ...]  # in the sequence's order, each text once
    filled: int  # the role's lines with a placeholder: left to the default voice


def collapsed(text: str) -> str:
    return " ".join(text.split())


def asked(steps: Iterable, role: str = "guide") -> Asked:
    """The lines of `role` in a sequence's steps (Speak steps have .text, .role, .template)."""
    lines, seen, filled, before = [], set(), set(), ""
    for step in steps:
        if getattr(step, "kind", "") != "speak":
            continue
        text = collapsed(step.text)
        if step.role == role:
            if step.template:
                filled.add(text)
            elif text not in seen:
                seen.add(text)
                lines.append(Line(text, before))
        before = text
    return Asked(tuple(lines), len(filled))


def missing(lines: Iterable[Line], has: Callable[[str], bool]) -> list[Line]:
    """The lines the voice has no take of (`has(text)`): an edited line is a new line."""
    return [line for line in lines if not has(line.text)]


@dataclass(frozen=True)
class Part:
    """One sequence's share of a recording: what the voice has of it, and what is left to ask."""

    id: str
    title: str
    have: int
    of: int
    filled: int
    todo: tuple[Line, ...]


def plan(sequences: Iterable, role: str, has: Callable[[str], bool]) -> list[Part]:
    """Each sequence with lines of `role`, in order; a line missing from two sequences is asked in the first."""
    parts, asking = [], set()
    for sequence in sequences:
        found = asked(sequence.steps, role)
        if not found.lines:
            continue
        todo = [line for line in missing(found.lines, has) if line.text not in asking]
        asking.update(line.text for line in todo)
        parts.append(Part(sequence.id, sequence.title, sum(map(has, (line.text for line in found.lines))),
                          len(found.lines), found.filled, tuple(todo)))
    return parts
