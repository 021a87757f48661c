"""`companion check`: what it says of one script, by name or path (the command prints it, one line each)."""

from __future__ import annotations

MAX_ERRORS_SHOWN = 100  # per file: a binary file given by mistake would otherwise fill the terminal


def checked(name: str) -> tuple[list[str], str | None]:
    """The problems `name`'s file has (errors and warnings, in the file's order, at most MAX_ERRORS_SHOWN
    and a line for the rest), and its "ok" line, None if it has an error. NotFound if there is no such script."""
    from ..library import resolve
    from ..textsafe import visible
    from .parse import check_file

    result = check_file(resolve(name))
    found = sorted(result.errors + result.warnings, key=lambda e: (e.line, e.column))
    said = [str(problem) for problem in found[:MAX_ERRORS_SHOWN]]
    if len(found) > MAX_ERRORS_SHOWN:
        said.append(visible(f"{name}: {len(found) - MAX_ERRORS_SHOWN:,} more not shown"))
    if result.errors:
        return said, None
    sequence = result.sequence
    steps = len(sequence.steps)
    return said, visible(f"{sequence.source}: ok ({sequence.title!r}, {steps} step{'' if steps == 1 else 's'})")
