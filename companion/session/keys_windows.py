"""Single keys on Windows, which has no termios and whose select() takes sockets only.

The console gives keys one at a time, without Enter, through msvcrt whatever
its mode, so there is no mode to set or to restore. A pipe is polled with
PeekNamedPipe (as multiprocessing does), a file is always ready: either is read
a byte at a time, as on POSIX, so nothing after a key is read ahead.
"""

from __future__ import annotations

import time

from .keys_base import KeysBase

POLL_S = 0.01  # how often a key is looked for: well under what a person notices
PREFIXES = ("\x00", "\xe0")  # an arrow or a function key: the prefix, then its code; neither is a key here
CTRL_C = "\x03"


class WindowsKeys(KeysBase):
    """The Windows reader: `read`, `line`, `active`, `tty` and `with` as PosixKeys has them."""

    def __enter__(self) -> "WindowsKeys":
        self._depth += 1
        return self

    def __exit__(self, *exc) -> None:
        self._depth -= 1

    def line(self, prompt: str) -> str:
        """A typed line (EOFError if there is nothing to read): the console's own line editing,
        or from a pipe a byte at a time."""
        if not self.active:
            raise EOFError
        if self.tty:
            import msvcrt

            while msvcrt.kbhit():  # keys pressed before the question are not its answer
                msvcrt.getwch()
            try:
                return input(prompt)
            except OSError:  # the console has gone: nothing more will be typed
                self.active = False
                raise EOFError from None
        return self._line_from_pipe(prompt)

    def read(self, timeout_s: float) -> str | None:
        """One key, or None after `timeout_s` seconds."""
        if not self.active:
            time.sleep(timeout_s)
            return None
        deadline = time.monotonic() + timeout_s
        while True:
            key = self._console_key() if self.tty else self._pipe_key()
            if key is not None or not self.active:
                return key
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(POLL_S, left))

    def _console_key(self) -> str | None:
        import msvcrt

        while msvcrt.kbhit():
            key = msvcrt.getwch()
            if key in PREFIXES:
                msvcrt.getwch()  # the special key's code: consumed, and ignored
                continue
            if key == CTRL_C:  # a console that passes Ctrl-C through as a key: a press all the same
                ctrl_c()
                continue
            return key
        return None

    def _pipe_key(self) -> str | None:
        if self.pipe and not _waiting(self.fd):
            return None
        return self._byte_key()


def _waiting(fd: int) -> bool:
    """Is there a byte to read in the pipe `fd` (or has its writer gone, so that a read says so)?"""
    import _winapi
    import msvcrt

    try:
        available, _ = _winapi.PeekNamedPipe(msvcrt.get_osfhandle(fd), 0)
    except OSError:  # the writer has gone (ERROR_BROKEN_PIPE): the read finds the end at once
        return True
    return available > 0


def ctrl_c() -> None:
    """What a Ctrl-C does on a POSIX terminal, where it is a signal: whatever handles SIGINT now
    (interrupt.py's: raise and remember, or only remember while held), else KeyboardInterrupt."""
    import _signal as signal  # the C module, as interrupt.py: `signal` imports enum

    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, None)
    elif handler != signal.SIG_IGN:
        raise KeyboardInterrupt
