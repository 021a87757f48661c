"""Single keys without Enter: the platform's reader, chosen in one place.

POSIX terminals through termios (cbreak) and select, here; Windows, which has neither, through
msvcrt (keys_windows.py). What both share is in keys_base.py.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from io import TextIOBase as TextIO

from .keys_base import KeysBase


def Keys(stream: TextIO | None = None) -> "KeysBase":
    """Single keypresses without Enter, from the platform's reader: the one place that chooses.

    POSIX terminals through termios (cbreak) and select; Windows, which has
    neither, through msvcrt (keys_windows.py)."""
    if sys.platform == "win32":
        from .keys_windows import WindowsKeys

        return WindowsKeys(stream)
    return PosixKeys(stream)


class PosixKeys(KeysBase):
    """Keys on Linux and macOS: cbreak mode on a terminal (Ctrl-C still a signal), select to wait."""

    def __init__(self, stream: TextIO | None = None):
        super().__init__(stream)
        self._saved = None

    def __enter__(self) -> "PosixKeys":
        self._depth += 1
        if self._depth == 1 and self.tty:
            import termios
            import tty

            self._saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc) -> None:
        self._depth -= 1
        if self._depth == 0 and self._saved is not None:
            import termios

            try:
                termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            except termios.error:  # the terminal has gone (its window closed): nothing to restore
                pass
            self._saved = None

    @contextmanager
    def cooked(self):
        """Ordinary line input (echo, editing) for a moment, e.g. to type a number."""
        if self._saved is None:
            yield
            return
        import termios
        import tty

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)  # raises termios.error if it has gone
        try:
            yield
        finally:
            try:
                tty.setcbreak(self.fd)
            except termios.error:  # the terminal has gone
                pass

    def line(self, prompt: str) -> str:
        """A typed line (EOFError if there is nothing to read). On a terminal with
        line editing; from a pipe a byte at a time, so no key after it is read ahead."""
        if not self.active:
            raise EOFError
        if self.tty:
            import termios

            try:
                termios.tcflush(self.fd, termios.TCIFLUSH)  # keys pressed before the question are not its answer
                with self.cooked():
                    return input(prompt)
            except (termios.error, OSError):  # the terminal has gone: nothing more will be typed
                self.active = False
                raise EOFError from None
        return self._line_from_pipe(prompt)

    def read(self, timeout_s: float) -> str | None:
        """One key, or None after `timeout_s` seconds."""
        import select

        if not self.active:
            select.select([], [], [], timeout_s)
            return None
        ready, _, _ = select.select([self.fd], [], [], timeout_s)
        if not ready:
            return None
        return self._byte_key()
