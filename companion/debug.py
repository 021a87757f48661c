"""`COMPANION_DEBUG=1`: the traceback behind a polite line, for whoever is chasing a bug.

A broad `except Exception` keeps the person in the middle of a fight away from
a traceback; it also hides bugs. Each such block calls `report(exc)`, which is
silent unless the environment asks for more. Stdlib only (os, sys; traceback
is imported only when asked): safe to call on the first word's path.
"""

from __future__ import annotations

import os
import sys


def enabled() -> bool:
    return os.environ.get("COMPANION_DEBUG", "") not in ("", "0")


def report(exc: BaseException, context: str = "") -> None:
    """With COMPANION_DEBUG set, print `exc`'s traceback to stderr (after `context`, if given); else nothing."""
    if not enabled():
        return
    try:
        import traceback

        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        print(f"companion: debug: {context or 'caught'}:\n" + "".join(lines).rstrip(), file=sys.stderr, flush=True)
    except (OSError, ValueError):  # the terminal has gone
        pass
