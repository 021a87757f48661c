"""A sequence planned as a session says it, and written whole to a WAV file (`companion render`, `show`)."""

from __future__ import annotations

if False:  # annotations only
    from pathlib import Path


def plan(sequence, clips, names: dict[str, str] | None = None):
    """`sequence`'s timeline, placeholders filled (`names`: the partners'), lengths from `clips`."""
    from ..spoken import Spoken
    from .player import Lengths
    from .timeline import plan as plan_steps

    return plan_steps(Spoken(names=names).steps(sequence.steps), Lengths(clips))


def render(timeline, clips, out: Path) -> None:
    """Write `timeline` to `out` on the same timeline as play, in bounded memory (OSError if it cannot)."""
    from .cursor import Cursor
    from .outputs import render_wav
    from .player import audio_for

    cursor = Cursor(timeline.events, fetch=lambda index, event: audio_for(event, clips))
    cursor.planned.set()
    render_wav(cursor, timeline.frames, out)
