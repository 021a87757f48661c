"""Ctrl-C: never lost, never in the middle of an import, never cutting the journal.

Python raises KeyboardInterrupt wherever the main thread happens to be. Inside
the import system (companion imports lazily, in several threads) it can be
swallowed ("Exception ignored in ... _get_module_lock"): the press was lost
and the pause played on. So a press that finds the main thread importing is
raised again a few milliseconds later, every press is remembered and the
loops that wait on keys look at it, and where an exception would do harm
(start-up, the journal write) a press is only remembered (`held`).
"""

from __future__ import annotations

import _signal as signal  # the C module: `signal` itself imports enum (4 ms on the hot path)
import threading

pressed = threading.Event()
# Closing the terminal (SIGHUP) or `kill` (SIGTERM) ends a session as Ctrl-C does:
# the sound stops and the journal keeps how far it got.
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGHUP", "SIGTERM") if hasattr(signal, name))


RETRY_S = 0.005


def _raise(signum, frame) -> None:
    pressed.set()
    if _importing(frame):
        # Raised here, the exception may be lost and leave a module locked:
        # ring again in a moment, once the import is done.
        import os

        threading.Timer(RETRY_S, os.kill, (os.getpid(), signum)).start()
        return
    raise KeyboardInterrupt


def _importing(frame) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def install() -> None:
    """Ctrl-C raises KeyboardInterrupt, as usual, and is remembered."""
    _set(_raise)


def hold(on_press=lambda: None) -> None:
    """From now on Ctrl-C only is remembered, and calls `on_press` (it must not block)."""
    def remember(signum, frame) -> None:
        pressed.set()
        on_press()

    _set(remember)


def release() -> bool:
    """Back to raising; was Ctrl-C pressed while held?"""
    install()
    return pressed.is_set()


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed, even if its exception went astray."""
    if pressed.is_set():
        raise KeyboardInterrupt


class held:
    """`with held():` a block that a second Ctrl-C must not cut (silencing, the journal).

    (A class, not contextlib: this module is imported on the pause's hot path.)
    """

    def __enter__(self) -> None:
        self._previous = signal.getsignal(signal.SIGINT) if _main_thread() else None
        hold()

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            _set(self._previous)


def _set(handler) -> None:
    if _main_thread():
        for signum in SIGNALS:
            signal.signal(signum, handler)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
