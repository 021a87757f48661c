"""A sequence played as a session for a person: the line on voices filled in, the output, the loop, and
the library prepared after it (what `play`, `daily`, `together` and the start-up path share)."""

from __future__ import annotations


def play_session(sequence, cfg, clips, text_only: bool, mode: str, keys, journal, extra: dict | None = None, *,
                 warn, early=None, policy=None, spoken=None, output=None, first_line_frames: int = 0):
    """Speak `sequence` with captions, its clips from `clips`; journal it (with `extra` columns); its Outcome.
    `output`: one already open (the fast path's device, playing the first line: `first_line_frames`); else
    opened here, on the device the start-up path began opening (`early`) if there is one."""
    from ..playback.outputs import open_output
    from ..prepare import prepare_later
    from .loop import play
    from .screen import Screen

    filled = clips.filled_in(sequence.steps)
    if filled and filled[1]:
        voice, missing, total = filled
        warn(f"companion: {missing} of {total} lines filled in by the default voice (the recorded voice "
             f"{voice} has no take of them)")
    output = output if output is not None else open_output(text_only, warn, early)
    outcome = play(sequence, output, keys=keys, screen=Screen(), clips=clips, journal=lambda: journal, mode=mode,
                   columns=extra, policy=policy, spoken=spoken, warn=warn, first_line_frames=first_line_frames)
    prepare_later(clips, cfg)
    return outcome
