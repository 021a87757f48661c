"""What every platform's single keys share: where keys come from, and a line typed into a pipe.

Its own module so that keys.py (which chooses the platform's reader) and keys_windows.py both build
on it, and neither imports the other back.
"""

from __future__ import annotations

import os
import stat
import sys
from io import TextIOBase as TextIO

from ..textsafe import visible


class KeysBase:
    """What every platform's keys share: where keys come from, and a line typed into a pipe.

    Re-entrant: a guided pause holds the terminal's key mode across its phases,
    each of which enters it again. Keys come from a terminal or a pipe; with
    nothing to read (no stdin, or its end reached) `active` is False and `read` waits.
    """

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdin
        try:
            self.fd = self.stream.fileno()
            mode = os.fstat(self.fd).st_mode
            self.tty = os.isatty(self.fd)
            # a terminal, a pipe or a file can hold keys; /dev/null and the like cannot
            self.pipe = stat.S_ISFIFO(mode)
            self.active = self.tty or self.pipe or stat.S_ISREG(mode)
        except (OSError, ValueError, AttributeError):
            self.fd, self.tty, self.pipe, self.active = -1, False, False, False
        self._depth = 0

    def _byte_key(self) -> str | None:
        """The next byte as a key (one is waiting); None at the end of input, which stops the polling."""
        data = os.read(self.fd, 1)
        if not data:
            self.active = False
            return None
        return data.decode("latin-1")

    def _line_from_pipe(self, prompt: str) -> str:
        """A byte at a time, so no key after the line is read ahead; echoed as a terminal would."""
        sys.stdout.write(prompt)
        sys.stdout.flush()
        data = bytearray()
        while not data.endswith(b"\n"):
            byte = os.read(self.fd, 1)
            if not byte:
                if not data:
                    self.active = False
                    raise EOFError
                break
            data += byte
        line = data.decode("utf-8", "replace").rstrip("\r\n")
        sys.stdout.write(visible(line) + "\n")  # as a terminal would echo it
        return line
