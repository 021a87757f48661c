"""Ctrl-C: never lost, never in the middle of an import, never cutting the journal.

Python raises KeyboardInterrupt wherever the main thread happens to be. Inside
the import system (companion imports lazily, in several threads) it can be
swallowed ("Exception ignored in ... _get_module_lock"): the press was lost
and the pause played on. So a press that finds the main thread importing is
raised again a few milliseconds later, every press is remembered and the
loops that wait on keys look at it, and where an exception would do harm
(start-up, the journal write) a press is only remembered (`held`).

Windows has SIGINT (Ctrl-C) and SIGBREAK (Ctrl-Break) but no SIGHUP, and
`os.kill` there with any other number than its console events ends the
process outright: a press is rung again with `_thread.interrupt_main`, which
runs the handler without the OS. (A console window closed there is SIGBREAK
to the C runtime, but Windows ends the process before Python's handler runs.)
"""

from __future__ import annotations

# The C module: `signal` itself imports enum, 3.6-3.9 ms of CPU on the first word's path, where nothing
# else needs it (lower quartile of 25 runs, 2 shared cores; the whole warm path is about 40 ms).
import _signal as signal
import sys
import threading

pressed = threading.Event()
_signals = [signal.SIGINT]  # what a press is; catch_hangups adds the ways a session is ended from outside


def hangups(platform: str) -> tuple[str, ...]:
    """The signals by which a session is ended from outside, on `platform` (a sys.platform)."""
    if platform == "win32":
        return ("SIGBREAK",)  # Ctrl-Break; SIGTERM cannot come from outside there
    return ("SIGHUP", "SIGTERM")  # the terminal closed; `kill`


def catch_hangups() -> None:
    """While a session plays, closing its terminal (SIGHUP) or `kill` (SIGTERM), or Ctrl-Break on
    Windows (SIGBREAK), ends it as Ctrl-C does: the sound stops and the journal keeps how far it got.
    A signal that was ignored (as under nohup) stays ignored."""
    for name in hangups(sys.platform):
        signum = getattr(signal, name, None)
        if signum is not None and signum not in _signals and signal.getsignal(signum) is not signal.SIG_IGN:
            _signals.append(signum)


RETRY_S = 0.005


def _raise(signum, frame) -> None:
    pressed.set()
    if _importing(frame):
        # Raised here, the exception may be lost and leave a module locked:
        # ring again in a moment, once the import is done.
        threading.Timer(RETRY_S, ring_again(sys.platform), (signum,)).start()
        return
    raise KeyboardInterrupt


def ring_again(platform: str):
    """How to deliver `signum` to this process again, on `platform`: a real signal on POSIX; on Windows,
    where os.kill(pid, SIGINT) would terminate the process, the handler run in the main thread."""
    if platform == "win32":
        import _thread

        return _thread.interrupt_main
    import os

    return lambda signum: os.kill(os.getpid(), signum)


def _importing(frame) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def install() -> None:
    """Ctrl-C raises KeyboardInterrupt, as usual, and is remembered."""
    _set(_raise)
    _quiet_unraisable()


def _quiet_unraisable() -> None:
    """A press raised inside a finalizer (a __del__, a weakref callback) cannot propagate: Python
    prints "Exception ignored in: ..." and goes on (seen under load, with a kill as a session
    started). It is remembered all the same, and the next `check` ends the session: say nothing."""
    import sys

    default = sys.__unraisablehook__

    def hook(unraisable) -> None:
        if unraisable.exc_type is KeyboardInterrupt:
            pressed.set()
            return
        default(unraisable)

    sys.unraisablehook = hook


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
        self._previous = {signum: signal.getsignal(signum) for signum in _signals} if _main_thread() else {}
        hold()

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def _set(handler) -> None:
    if _main_thread():
        for signum in _signals:
            signal.signal(signum, handler)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
