"""`companion render`'s files: never over the script, into a folder that exists, over another file only
if asked; then the audio and its caption file beside it. Each refusal is a NotWritten."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .errors import NotWritten


def targets(out: Path, captions: str, source: Path, force: bool,
            ask: Callable[[str], bool] | None) -> tuple[Path, Path | None]:
    """`out` and its caption file (None for --captions none, or a device or pipe), checked before any
    rendering. `ask`: a yes/no question to the person at the terminal, None when nobody is there."""
    from .render import UnknownFormat, format_of, is_stream

    paths = (out,) if captions == "none" or is_stream(out) else (out, out.with_suffix(f".{captions}"))
    for path in paths:
        _not_the_script(path, source)
    try:
        format_of(out)
    except UnknownFormat as e:
        raise NotWritten(str(e), 2) from None
    for path in paths:
        _may_write(path, force, ask)
    return out, (paths[1] if len(paths) > 1 else None)


def write(timeline, clips, sequence, out: Path, beside: Path | None, captions: str) -> None:
    """The audio, tagged with the sequence's title and name, then its captions: NotWritten naming the
    file that could not be written."""
    from . import captions as caption_file
    from .render import render

    written = out
    try:
        render(timeline, clips, out, {"title": sequence.title, "album": sequence.id, "artist": "companion"})
        if beside:
            written = beside
            caption_file.write(timeline, beside, captions)
    except OSError as e:
        raise NotWritten(f"cannot write {written}: {e.strerror or e}; choose another path with -o", 1) from None


def _not_the_script(out: Path, source: Path) -> None:
    """Whatever else is asked, never write over the script being rendered (a link to it included)."""
    try:
        same = os.path.samefile(out, source)
    except OSError:  # not there yet (or unreadable): not the script
        same = False
    if same:
        raise NotWritten(f"{out} is the script being rendered; choose another file with -o", 2)


def _may_write(out: Path, force: bool, ask: Callable[[str], bool] | None) -> None:
    """The folder exists, and another file is overwritten only if asked."""
    folder = out.parent
    if not folder.is_dir():
        raise NotWritten(f"cannot write {out}: there is no folder {folder}; create it, or choose another path with -o",
                         2)
    if not os.path.exists(out):
        return
    if force or not os.path.isfile(out):  # a device such as /dev/null is written, not replaced
        return
    if ask is None:
        raise NotWritten(f"{out} exists; add --force to overwrite it, or choose another path with -o", 2)
    if not ask(f"{out} exists. Overwrite it?"):
        raise NotWritten(f"{out} was left as it was", 1)
