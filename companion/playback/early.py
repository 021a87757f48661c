"""The sound device, opening in a thread while a session's first line is found.

The start-up path (companion/startup/) opens one for `play`, `daily` and
`together` and hands it to the session as an argument; the pause opens its
own (pause/moment.py). Nothing here imports sounddevice until the thread runs.
"""

from __future__ import annotations

import threading


def import_sounddevice(python_half: threading.Event) -> None:
    """Import sounddevice (PortAudio starts up), setting `python_half` once its Python half has loaded:
    the rest is mostly PortAudio's dlopen and start-up, in C, with the interpreter lock released, so a
    thread beside it that waits for `python_half` runs its own Python without each waiting on the other.
    A failure is reported (COMPANION_DEBUG); opening the device later says what is wrong, in one line."""
    try:
        try:  # the modules sounddevice imports first: Python, holding the interpreter lock
            import ctypes.util  # noqa: F401
            import platform  # noqa: F401
            import sysconfig  # noqa: F401

            import _sounddevice  # noqa: F401  (cffi's half)
        except (ImportError, OSError):  # sounddevice's own import says what is wrong, below
            pass
        finally:
            python_half.set()
        import sounddevice  # noqa: F401
    except Exception as e:
        from ..debug import report

        report(e, "importing sounddevice")


class EarlyOutput:
    """The sound device, opening in a thread.

    Importing sounddevice is mostly PortAudio starting up, in C, with the
    interpreter lock released, so the rest of the start-up runs beside it.
    (The full parse of the script must not: see first_line/scan.steps.) Not beside
    the question, though: its Python half would hold the question back, and a
    person reads the question before pressing a key. Opened, not started: a
    stream started before the first word is ready would queue a buffer of
    silence ahead of it.
    """

    def __init__(self, text_only: bool, now: bool):
        self.text_only = text_only
        self.output = None
        self.problem = None
        self._thread = None
        # Set once PortAudio has started: until then sounddevice points stderr (fd 2) at /dev/null, and a
        # line the main thread writes there is lost (`daily` waits for it before it says anything).
        self.started_up = threading.Event()
        self._hushed = False  # Ctrl-C came while the device was opening: it opens silent
        # Set once sounddevice's Python half has loaded (import_sounddevice): work beside the thread waits for it.
        self.python_half = threading.Event()
        if now:
            self.start()

    def start(self) -> None:
        if not self.text_only and self._thread is None:
            self._thread = threading.Thread(target=self._open, daemon=True, name="open-device")
            self._thread.start()

    def _open(self) -> None:
        try:
            import_sounddevice(self.python_half)
        finally:
            self.started_up.set()
        from ..playback.outputs import DeviceOutput, NoDevice

        try:
            output = DeviceOutput()
        except NoDevice as e:
            self.problem = str(e)
            return
        self.output = output
        if self._hushed:  # silence() ran before there was an output to silence (a signal handler, meanwhile)
            output.silence()

    def open(self) -> None:
        self.start()
        if self._thread is not None:
            self._thread.join()

    def close(self) -> None:
        """Silence, and let PortAudio finish starting: a process that exits inside
        its start-up leaves a lock behind that hangs every later PortAudio program."""
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.output is not None:
            self.output.stop()

    def silence(self) -> None:
        """Ctrl-C before the flow runs (called in a signal handler: it must not block)."""
        self._hushed = True
        if self.output is not None:
            self.output.silence()

    def get(self, warn):
        """The device, or (once, with one line saying why) a captions-only clock."""
        self.open()
        if self.output is None:
            if self.problem:
                warn(f"No sound device could be opened ({self.problem}); going on with captions only.")
            from ..playback.outputs import ClockOutput

            self.output = ClockOutput()
        return self.output
