"""Where each spoken line is in a rendered file, as captions a phone's player shows: SubRip or WebVTT.

One cue per spoken line, from its first frame to its last, on the timeline the audio was written on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .pcm import RATE_HZ

if TYPE_CHECKING:  # annotations only
    from pathlib import Path

KINDS = ("srt", "vtt")


def cues(timeline) -> list[tuple[int, int, str]]:
    """(start, end, caption) in frames, for every spoken line."""
    return [(e.start, e.end, e.caption) for e in timeline.events if e.kind == "speech" and e.caption]


def _stamp(frames: int, separator: str) -> str:
    ms = round(frames * 1000 / RATE_HZ)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, ms = divmod(rest, 1000)
    return f"{hours:02}:{minutes:02}:{seconds:02}{separator}{ms:03}"


def srt(found: list[tuple[int, int, str]]) -> str:
    return "".join(f"{n}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{_one_line(text)}\n\n"
                   for n, (a, b, text) in enumerate(found, 1))


def vtt(found: list[tuple[int, int, str]]) -> str:
    escaped = [(a, b, _one_line(t).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
               for a, b, t in found]
    return "WEBVTT\n\n" + "".join(f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{text}\n\n" for a, b, text in escaped)


def _one_line(text: str) -> str:
    """A cue's text on one line, with no control character and no arrow (either would end the cue)."""
    from ..textsafe import visible

    return visible(" ".join(text.split()).replace("-->", "->"))


def write(timeline, out: Path, kind: str) -> None:
    """The captions of `timeline` to `out` as `kind` ("srt" or "vtt"): private (0600), whole or not at all."""
    from ..paths import write_private

    write_private(out, (srt if kind == "srt" else vtt)(cues(timeline)))
