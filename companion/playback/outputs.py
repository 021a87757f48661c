"""Where the cursor's frames go: the sound device, or nowhere (a file: render.py).

The sound device is the default. Captions-only (`--text`, or no device) uses
the same cursor driven by a clock, so timing and journalling are identical.
An output outlives a session: `attach` hands it the next cursor, so a guided
pause plays its sequence, its break and its return on one open stream.
"""

from __future__ import annotations

import threading
import time

from . import pcm

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (and re, enum): see paths.py
if TYPE_CHECKING:  # annotations only
    from collections.abc import Callable

    from .cursor import Cursor

# The device's buffer: longer than the interpreter lock is ever held away from the player's (Python) callback.
# Importing the natural voice's engine holds it in one stretch (97-113 ms measured on the shared 2-core
# machine, loaded), and the callbacks then came 64-167 ms apart: with 2-5 busy loops on the 2 cores, a 50 ms
# buffer underran in the first line of 9 pauses of 10 with the natural guide, warm or cold; 0.2 s in none of
# 16 (4 measured, 12 attempts of the cold-pause test). With one busy loop and little else, neither underran
# in 3. The first word is not delayed (the stream is primed from the callback, not with silence: medians
# 221 and 221 ms, then 186 and 145, launch to heard); stop still silences at once (it drops the buffer),
# while a key that pauses or quiets the sound is heard within this buffer.
DEVICE_LATENCY_S = 0.2


class NoDevice(RuntimeError):
    """No sound device could be opened; the message says why."""


class DeviceOutput:
    """Streams the attached cursor to the default output device (PortAudio).

    Between cursors it plays silence. `done` is set once the cursor has
    finished and its last frames have had time to leave the device buffer.
    """

    name = "device"

    def __init__(self, latency_s: float = DEVICE_LATENCY_S):
        self.cursor: Cursor | None = None
        self._first_line = b""  # samples played before any cursor (see play_first_line)
        self._first_line_at = 0  # bytes of it already played
        self.done = threading.Event()
        self._drained = 0
        self._silent = False
        self.underruns = 0  # callbacks PortAudio flagged (a starved CPU): said with COMPANION_DEBUG=1
        try:
            import sounddevice as sd
        except OSError as e:  # libportaudio2 missing
            raise NoDevice(f"PortAudio is not installed ({e})") from None
        _quiet_alsa()
        try:
            self.stream = sd.RawOutputStream(samplerate=pcm.RATE_HZ, channels=1, dtype="int16",
                                             latency=latency_s, callback=self._callback,
                                             prime_output_buffers_using_stream_callback=True)
        except Exception as e:  # PortAudioError, or ValueError when there is no default device
            from ..debug import report

            report(e, "opening the sound device")
            reason = str(e).splitlines()[0] if str(e) else e.__class__.__name__
            if "device -1" in reason:  # PortAudio's words for "there is no default output"
                reason = "no sound card or sound server was found"
            raise NoDevice(reason) from None
        self._drain_frames = int(self.stream.latency * pcm.RATE_HZ) + 256

    def _callback(self, outdata, frames, time_info, status) -> None:
        if status:
            self.underruns += 1
        if self._silent:
            outdata[:] = bytes(len(outdata))
            return
        cursor = self.cursor
        if cursor is not None and cursor.paused:  # the first line too waits while paused
            outdata[:] = bytes(len(outdata))
            return
        head = b""
        if self._first_line_at < len(self._first_line):  # an offset: no copy of the rest each callback
            head = self._first_line[self._first_line_at:self._first_line_at + len(outdata)]
            self._first_line_at += len(head)
            if len(head) == len(outdata):
                outdata[:] = head
                return
        if cursor is None:
            outdata[:] = head + bytes(len(outdata) - len(head))
            return
        outdata[:] = head + cursor.read(frames - len(head) // pcm.SAMPLE_BYTES)
        if cursor.finished:
            self._drained += frames
            if self._drained >= self._drain_frames:
                self.done.set()

    def play_first_line(self, samples: bytes) -> None:
        """Start the stream with `samples` (the first line), before any cursor exists.

        The cursor attached later must begin where these end: the player then
        takes over without a gap, and the timeline is the same as without it.
        """
        self._first_line, self._first_line_at = samples, 0
        self.start()

    def silence(self) -> None:
        """Play silence from the next callback on, without blocking (safe in a signal handler)."""
        self._silent = True

    def attach(self, cursor: Cursor) -> None:
        self._drained = 0
        self.done.clear()
        self.cursor = cursor

    def detach(self) -> None:
        self.cursor = None

    def start(self) -> None:
        if not self.stream.active:
            self.stream.start()

    def stop(self) -> None:
        """Silence now: drop whatever is buffered, and close the device."""
        self.cursor = None
        try:
            self.stream.abort()
            self.stream.close()
        except Exception as e:  # a device already gone: silent is what was wanted
            from ..debug import report

            report(e, "closing the sound device")
        self.done.set()
        if self.underruns:
            self._report_underruns()

    def _report_underruns(self) -> None:
        """Sound that came late because the machine was too busy to feed it: a fact for whoever
        judges timing (the end-to-end tests), never a worry for the person listening."""
        import sys

        from ..debug import enabled

        count, self.underruns = self.underruns, 0
        if enabled():
            try:
                print(f"companion: debug: {count} output underruns", file=sys.stderr, flush=True)
            except (OSError, ValueError):
                pass


_alsa_handler = None  # kept alive: ALSA calls it for as long as the process lives


def _quiet_alsa() -> None:
    """Keep libasound's own messages off the screen.

    Under load the stream can underrun; PortAudio recovers, but ALSA prints
    "ALSA lib pcm.c:...: underrun occurred" straight to stderr, over the
    captions of a person in distress. (sounddevice has imported ctypes already.)
    """
    global _alsa_handler
    if _alsa_handler is not None:
        return
    import ctypes

    try:
        alsa = ctypes.CDLL("libasound.so.2")
    except OSError:
        return  # not ALSA (macOS, Windows, or PortAudio built without it)
    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                    ctypes.c_char_p)
    _alsa_handler = handler_type(lambda *_: None)
    alsa.snd_lib_error_set_handler(_alsa_handler)


class ClockOutput:
    """Advances the attached cursor in real time without sound (captions only).

    `clock` and `sleep` are injectable so tests run a long wait in no time.
    """

    name = "captions"

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, step_s: float = 0.02):
        self.clock, self.sleep, self.step_s = clock, sleep, step_s
        self.cursor: Cursor | None = None
        self.done = threading.Event()
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()

    def attach(self, cursor: Cursor) -> None:
        self.detach()
        self.cursor = cursor
        self.done.clear()
        self._halt.clear()

    def start(self) -> None:
        if self.cursor is not None and self._thread is None:
            self._thread = threading.Thread(target=self.run, args=(self.cursor,), daemon=True, name="clock")
            self._thread.start()

    def run(self, cursor: Cursor) -> None:
        start, consumed = self.clock(), 0
        while not self._halt.is_set():
            due = round((self.clock() - start) * pcm.RATE_HZ)
            if due > consumed:
                cursor.read(due - consumed)
                consumed = due
            if cursor.finished:
                break
            self.sleep(self.step_s)
        self.done.set()

    def detach(self) -> None:
        self._halt.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1)
        self._thread = None
        self.cursor = None

    def stop(self) -> None:
        self.detach()
        self.done.set()


def open_output(text_only: bool, warn: Callable[[str], None], early=None):
    """The sound device, or captions only: with --text, or when no device opens. `early`: a device
    already opening (playback/early.py: the start-up path began it while the ratings were asked)."""
    if not text_only:
        if early is not None:
            early.open()
            if early.output is not None:
                return early.output
        try:  # it could not open: this attempt says why
            return DeviceOutput()
        except NoDevice as e:
            warn(f"No sound device could be opened ({e}); going on with captions only.")
    return ClockOutput()

