"""One debug line for input the partner link dropped (COMPANION_DEBUG=1); silent otherwise.

What came off the network is never printed raw: a caller names it (a kind, a size, a counter),
and the line is made ASCII with its control characters escaped besides.
"""

from __future__ import annotations

import sys

from companion import debug


def note(line: str) -> None:
    if not debug.enabled():
        return
    try:
        print("companion: debug: partner: " + ascii(line[:200])[1:-1], file=sys.stderr, flush=True)
    except (OSError, ValueError):  # the terminal has gone
        pass
