"""`companion progress [--json]` without Click: a script reading the figures waits for
no more than `companion --version` does (bench/progress.py). The words are the
command's own (practice.report.shown); Click's command serves --help and
anything else the table does not know.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int | None:
    """The exit code, or None: Click's way (an option the table does not know, --help, ...)."""
    from ..options import UsageError, parse

    try:
        params, _ = parse("progress", argv)
    except UsageError:
        return None  # Click says it, with its usage line
    from ..config import ConfigError, load
    from ..journal.errors import JournalError
    from ..practice.report import shown

    try:
        text = shown(load(), params["as_json"])
    except ConfigError as e:
        return _fail(str(e), 2)
    except JournalError as e:
        return _fail(str(e), 1)
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader has gone (`| head`): nothing more can be said,
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # and the flush at exit must not fail again
        return 1
    return 0


def _fail(message: str, code: int) -> int:
    from ..textsafe import visible

    print(visible(f"companion: {message}", newlines=True), file=sys.stderr)
    return code
