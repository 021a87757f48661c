"""`companion play NAME`: the first line on the device before Click, pydantic or numpy load.

The name is resolved as library.resolve does (your own scripts first, then
the built-in ones; yours only once `prepare` has seen them parse), the
script's first line found by a light scan (first_line/scan.py), and its clip
read from the cache by the index's guide row (first_line/index.py), or on an
empty home the package's own clip of it (index.shipped_clip). It starts on
the device at once; the session then imports, parses and journals as
`companion play` always does, and begins after that line. Anything unusual
returns None from `plan`, and the ordinary path (Click) runs instead,
exactly as without this file.
"""

from __future__ import annotations

import sys

from ..options import UsageError, parse


class Plan:
    """The first line's samples, and what the session after it needs."""

    __slots__ = ("name", "script", "samples")

    def __init__(self, name: str, script: str, samples: bytes):
        self.name, self.script, self.samples = name, script, samples


def plan(argv: list[str]) -> Plan | None:
    """The first line of `companion play ARGV`, or None for the ordinary path."""
    try:
        values, words = parse("play", argv, positional=1)
    except UsageError:
        return None  # --help, an unknown option, a bad value: Click says it as it always has
    if values["text_only"] or values["voice"] is not None or values["rate"] is not None:
        return None  # no device, or another voice or pace than the index's
    name = words[0] if words else "stay"
    from ..first_line.scripts import script_for, text_of

    script = script_for(name)
    text = text_of(script) if script is not None else None
    if text is None:
        return None
    from ..first_line.index import guide_clip, shipped_clip
    from ..first_line.scan import first_spoken_line, for_whom
    from ..playback.pcm import read_wav

    if for_whom(text) not in ("leaving", "reaching", "both"):
        return None  # two partners (names and ratings come first, together's way), or the parser's to say
    first = first_spoken_line(text)
    clip = (guide_clip(first.text) or shipped_clip(first.text)) if first is not None else None
    try:
        samples = read_wav(clip) if clip else b""
    except (OSError, ValueError):  # gone, or not a clip the player takes: the ordinary path decides
        samples = b""
    return Plan(name, script, samples) if samples else None


def run(first_line: Plan, early) -> int:
    """Play `first_line` on `early`'s device, then the session as `companion play` does; the exit code."""
    from .. import interrupt

    # Until the session runs, Ctrl-C silences the first line and is remembered: the session
    # then ends at once as interrupted, and journals it (see interrupt.py).
    interrupt.hold(early.silence)
    early.open()
    if early.output is None or interrupt.pressed.is_set():
        return -1  # no device after all: the ordinary path says why, once
    early.output.play_first_line(first_line.samples)
    import click

    from ..cli.common import load_config, load_sequence
    from ..cli.sessions import exit_with, session_signals

    try:
        sequence = load_sequence(first_line.name)
        cfg = load_config()
        if sequence.for_ == "pair":  # pragma: no cover - for_whom keeps pairs out
            raise RuntimeError(f"{first_line.script}: a paired sequence on the fast path")
        session_signals()
        exit_with(session(sequence, cfg, early.output, len(first_line.samples) // 2))
    except click.ClickException as e:
        early.silence()
        e.show()
        return e.exit_code
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 1
    except Exception as e:  # one line, never a traceback (run_session journals what it plays)
        from ..debug import report
        from ..textsafe import visible

        early.silence()
        report(e, "play after its first line")
        print(visible(f"companion: {e}", newlines=True), file=sys.stderr)
        return 1
    return 0


def session(sequence, cfg, output, first_line_frames: int):
    """The session after the first line (`first_line_frames` of it): play's own, on the open device."""
    from ..cli.common import warn
    from ..cli.sessions import play_session
    from ..journal.store import open_or_warn
    from ..session.keys import Keys

    return play_session(sequence, cfg, False, "play", Keys(), open_or_warn(warn), output=output,
                        first_line_frames=first_line_frames)
