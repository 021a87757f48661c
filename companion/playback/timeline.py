"""Sequence + clip lengths -> timed events with absolute start offsets. Pure, but for the words
over a breath, which are data (breath_cues).

Offsets and lengths are integer frames at pcm.RATE_HZ, counted from the start
of the sequence, so nothing accumulates rounding error over an hour. The
timeline is computed lazily (`iter_events`), so a player can start the first
line while later lines are still being rendered.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Iterator

from .pcm import RATE_HZ, frames_of

LINE_GAP_S = 0.4  # the breath between two spoken lines


_EventFields = namedtuple("Event", "kind start frames caption line role text asset who", defaults=("", 0, "", "", "", ""))


class Event(_EventFields):
    """One thing the player does (immutable; a namedtuple, cheap to import). `kind` is one of:

    speech  `text` in the voice of `role` (guide, A, B, or you: words modelled for the listener)
    silence nothing plays
    bell    the bundled sound `asset` (bell or bell-soft)
    breath  a breathing phase: the tone `asset` ("" for a hold), with the spoken
            cue `text` over its start in the first cycle
    sound   the bundled sound `asset`, looped to length
    turn    partner `who` speaks aloud; silence that a key can end early
    """

    __slots__ = ()

    @property
    def end(self) -> int:
        return self.start + self.frames

    @property
    def start_s(self) -> float:
        return self.start / RATE_HZ

    @property
    def seconds(self) -> float:
        return self.frames / RATE_HZ


class Lengths:
    """What `iter_events` asks of its `lengths`: frames of what the timeline cannot know.

    (A plain class, not a typing.Protocol: the pause's hot path does not import typing.)
    """

    def speech(self, role: str, text: str) -> int: ...

    def asset(self, name: str) -> int: ...


def iter_events(steps: Iterable, lengths: Lengths) -> Iterator[Event]:
    """The events of `steps` (script steps) in order, each placed after the last."""
    start = 0
    previous = ""

    def place(kind: str, frames: int, **fields) -> Event:
        nonlocal start, previous
        event = Event(kind, start, frames, **fields)
        start += frames
        previous = kind
        return event

    for step in steps:
        for kind, frames, fields in _raw(step, lengths):
            if previous == "speech" and kind not in ("silence", "turn"):
                yield place("silence", frames_of(LINE_GAP_S), line=fields.get("line", 0))
            if frames > 0:
                yield place(kind, frames, **fields)


def _raw(step, lengths: Lengths) -> Iterator[tuple[str, int, dict]]:
    kind, line = step.kind, step.line
    if kind == "speak":
        caption = getattr(step, "caption", "") or step.text  # a help line shows more than it says
        if step.role == "you":  # words modelled for the listener to say: whose they are, on screen too
            caption = f'You: "{caption}"'
        elif step.role == "partner":  # the partner's own words, as their device sent them
            caption = f'{step.speaker or "Your partner"}: "{caption}"'
        elif step.role != "guide":  # a partner's voice models the words: an example, not what they said
            caption = f'For example, in {step.speaker or "Partner " + step.role}\'s voice: "{caption}"'
        yield "speech", lengths.speech(step.role, step.text), dict(caption=caption, line=line, role=step.role, text=step.text)
    elif kind == "pause":
        yield "silence", frames_of(step.seconds), dict(line=line)
    elif kind == "bell":
        name = "bell-soft" if step.soft else "bell"
        yield "bell", lengths.asset(name), dict(line=line, asset=name, caption=step.caption)
    elif kind == "breathe":
        cues = breath_cues()
        for cycle in range(1, step.cycles + 1):
            count = f"  {cycle}/{step.cycles}"
            phases = [("breath-in", step.in_s, cues[0]), ("", step.hold_s, cues[1]), ("breath-out", step.out_s, cues[2])]
            for asset, seconds, cue in phases:
                if seconds > 0:
                    yield "breath", frames_of(seconds), dict(caption=cue + count, line=line, asset=asset,
                                                             role="guide", text=cue if cycle == 1 else "")
    elif kind == "sound":
        yield "sound", frames_of(step.seconds), dict(caption=f"({step.name})", line=line, asset=step.name)
    elif kind == "turn":
        if step.prompt:
            yield "speech", lengths.speech("guide", step.prompt), dict(caption=step.prompt, line=line, role="guide", text=step.prompt)
        whose = "Both of you" if step.who == "both" else step.speaker or f"Partner {step.who}"
        caption = f"{whose}: your turn to speak. Space or Enter when done."
        yield "turn", frames_of(step.limit_s), dict(caption=caption, line=line, who=step.who)
        yield "bell", lengths.asset("bell-soft"), dict(line=line, asset="bell-soft")
    else:  # pragma: no cover - the parser admits no other kind
        raise ValueError(f"unknown step kind {kind!r}")


def breath_cues() -> tuple[str, ...]:
    """The words over a breath's in, hold and out: data (scripts/_spoken.toml), read once, by the
    parse of the script's [breathe] (so a session's first word never waits for them here)."""
    from ..lines import said

    return tuple(said("breathe.cues"))


class Timeline:
    """A planned sequence: its events in order, and its length in frames."""

    def __init__(self, events: list[Event] | None = None):
        self.events = events if events is not None else []

    @property
    def frames(self) -> int:
        return self.events[-1].end if self.events else 0

    @property
    def seconds(self) -> float:
        return self.frames / RATE_HZ

    def to_dicts(self) -> list[dict]:
        return [e._asdict() for e in self.events]


def plan(steps: Iterable, lengths: Lengths) -> Timeline:
    return Timeline(list(iter_events(steps, lengths)))
