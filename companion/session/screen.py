"""The terminal's screen: captions and a progress line (its keys: keys.py).

Plain ANSI, no dependencies: it must be drawable the instant sound starts.
When stdout is not a terminal, captions are printed as plain lines and the
progress line is left out, so logs and pipes stay readable.
"""

from __future__ import annotations

import os
import shutil
import sys
from io import TextIOBase as TextIO

from ..textsafe import visible

HINT = "space pause · n next · q quit"


def clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60:d}:{seconds % 60:02d}"


class Screen:
    def __init__(self, out: TextIO | None = None):
        self.out = out or sys.stdout
        self.tty = self.out.isatty() and _codes_shown(self.out)
        _shown_whatever_the_encoding(self.out)
        self._status = ""

    def caption(self, text: str) -> None:
        """A line (or lines) of text; on a terminal, long lines wrap between words.
        Control characters (a script's escape codes) are shown, never sent."""
        text = visible(text, newlines=True)
        if self.tty:
            text = _wrap(text, shutil.get_terminal_size((80, 24)).columns - 1)
        self._clear()
        self._write(text + "\n")
        self._draw()

    def status(self, elapsed_s: float, total_s: float | None, paused: bool = False, note: str = "",
               times: bool = True, estimated: bool = False) -> None:
        """The progress line; `times=False` when `note` is a countdown of its own; `estimated`: the
        total is not planned yet (shipped or estimated), shown as "~7:10"."""
        if not self.tty:
            return
        width = shutil.get_terminal_size((80, 24)).columns
        if total_s:
            about = "~" if estimated else ""
            remaining = f"{clock(elapsed_s)} / {about}{clock(total_s)}  -{about}{clock(total_s - elapsed_s)}"
            fraction = min(1.0, elapsed_s / total_s)
        else:
            remaining, fraction = f"{clock(elapsed_s)} / …", 0.0
        hint = visible(note) or ('paused · space resumes' if paused else HINT)
        tail = f" {remaining}  {hint}" if times else f" {hint}"
        bar_width = max(10, min(40, width - len(tail) - 3))
        filled = int(fraction * bar_width)
        self._status = ("[" + "█" * filled + "·" * (bar_width - filled) + "]" + tail)[: width - 1]
        self._clear()
        self._draw()

    @property
    def gone(self) -> bool:
        """The output has closed (a closed window, or a pipe whose reader left, e.g. `| head -2`)."""
        return self.out is None

    def close(self) -> None:
        self._clear()
        self._status = ""
        self._write("")

    def _clear(self) -> None:
        if self.tty and self._status:
            self._write("\r\033[K")

    def _draw(self) -> None:
        self._write(self._status if self.tty and self._status else "")

    def _write(self, text: str) -> None:
        """Write and flush; once the terminal has gone (closed window: EIO), write nothing more."""
        if self.out is None:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError) as e:  # ValueError: the stream was closed
            if isinstance(e, BrokenPipeError) and self.out is sys.stdout:
                _discard_stdout()
            self.out, self.tty = None, False


def _shown_whatever_the_encoding(out: TextIO) -> None:
    """A character the output's encoding lacks (the banner's blocks in Windows' cp1252, to a file) is
    written as its escape, instead of failing the write: a failed write means the reader has gone."""
    encoding = (getattr(out, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "")
    if encoding not in ("utf8", "utf8sig") and getattr(out, "errors", "") == "strict":
        try:
            out.reconfigure(errors="backslashreplace")
        except (AttributeError, OSError, ValueError):  # not a TextIOWrapper, or closed
            pass


def _codes_shown(out: TextIO) -> bool:
    """Does this terminal act on the screen's codes (return, erase the line) rather than print them?
    Windows' console does only in its VT mode (Windows 10 and later), turned on here; where it cannot
    be, the captions are plain lines, as to a pipe."""
    if sys.platform != "win32":
        return True
    ENABLE_VIRTUAL_TERMINAL_PROCESSING = 0x0004
    try:
        import ctypes
        import msvcrt

        kernel32 = ctypes.windll.kernel32
        handle = msvcrt.get_osfhandle(out.fileno())
        mode = ctypes.c_uint32()
        if not kernel32.GetConsoleMode(handle, ctypes.byref(mode)):
            return False
        return bool(mode.value & ENABLE_VIRTUAL_TERMINAL_PROCESSING
                    or kernel32.SetConsoleMode(handle, mode.value | ENABLE_VIRTUAL_TERMINAL_PROCESSING))
    except (ImportError, AttributeError, OSError, ValueError):  # not a console, or no console API
        return False


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so what is left in its buffer cannot fail again when Python exits
    ("Exception ignored ... BrokenPipeError" on stderr)."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


def _wrap(text: str, width: int) -> str:
    if all(len(line) <= width for line in text.split("\n")):
        return text
    import textwrap

    return "\n".join("\n".join(textwrap.wrap(line, width)) if len(line) > width else line
                     for line in text.split("\n"))
