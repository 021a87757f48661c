"""One line rendered straight through libespeak-ng, before pyttsx3 has started.

Every line companion speaks is rendered by pyttsx3, whose espeak driver is a
thin ctypes binding to libespeak-ng. Importing it costs about 28 ms of Python
(logging, subprocess, tempfile, traceback, ...) and its run loop waits in
10 ms sleeps: on an empty cache that was most of the wait for a pause's first
word. So that one line may be rendered here instead, by the same library
driven the same way (retrieval mode, a 1000 ms buffer, the same flags, volume,
voice, rate and pitch, the same samples kept: tests/test_voice.py checks the
two renderings are identical), and pyttsx3 then takes over the initialised
library (`adopt`), since espeak-ng may be initialised only once a process.
Linux only, where pyttsx3 uses espeak-ng.
"""

from __future__ import annotations

import ctypes
import threading

from ..playback import pcm

# From espeak-ng's speak_lib.h (and pyttsx3.drivers._espeak).
AUDIO_OUTPUT_RETRIEVAL = 1
BUFFER_MS = 1000  # what pyttsx3 asks for
RATE, VOLUME, PITCH = 1, 2, 3
POS_CHARACTER = 1
CHARS_UTF8, ENDPAUSE = 1, 0x1000
EVENT_LIST_TERMINATED, EVENT_MSG_TERMINATED = 0, 6
FINISH_TIMEOUT_S = 30.0


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_void_p)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class _Library:
    """libespeak-ng, initialised as pyttsx3's driver would initialise it."""

    def __init__(self) -> None:
        self.dll = dll = ctypes.cdll.LoadLibrary("libespeak-ng.so.1")
        dll.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        dll.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        dll.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        dll.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        dll.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_long, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]
        if dll.espeak_Initialize(AUDIO_OUTPUT_RETRIEVAL, BUFFER_MS, None, 0) == -1:
            raise OSError("espeak-ng could not start")
        self.voice: str | None = None
        self._chunks: list[bytes] = []
        self._done = threading.Event()
        self._callback = _CALLBACK(self._on_synth)  # kept: espeak-ng calls it from its own thread
        dll.espeak_SetSynthCallback(self._callback)

    def _on_synth(self, wav, count, events) -> int:
        index = 0
        while events[index].type != EVENT_LIST_TERMINATED:
            if events[index].type == EVENT_MSG_TERMINATED:
                self._done.set()  # as pyttsx3: the samples of this last call are not kept
                return 0
            index += 1
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    def set_voice(self, voice: str) -> None:
        if voice != self.voice:
            if self.dll.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"no such voice {voice!r}")
            self.voice = voice

    def speak(self, text: str, voice: str, rate_wpm: int, pitch: int) -> bytes:
        dll = self.dll
        self.set_voice(voice)
        for parameter, value in ((VOLUME, 100), (RATE, rate_wpm), (PITCH, pitch)):
            dll.espeak_SetParameter(parameter, value, 0)
        dll.espeak_Synchronize()  # parameters go through espeak-ng's own queue too
        self._chunks, encoded = [], text.encode("utf-8")
        self._done.clear()
        if dll.espeak_Synth(encoded, len(encoded) * 10, 0, POS_CHARACTER, 0, ENDPAUSE | CHARS_UTF8, None, None) != 0:
            raise RuntimeError("espeak-ng refused the text")
        if not self._done.wait(FINISH_TIMEOUT_S):
            raise RuntimeError("espeak-ng did not finish")
        return b"".join(self._chunks)


_library: _Library | None = None
_starting: threading.Thread | None = None


def start_early(voice: str) -> None:
    """Start espeak-ng and load `voice` in a thread (about 20 ms, in C), while the caller goes on."""
    global _starting

    def start() -> None:
        global _library
        try:
            _library = _Library()
            _library.set_voice(voice)
        except Exception as e:  # render() tries again, and says why
            from ..debug import report

            report(e, "espeak-ng could not start in the background")

    if _starting is None and _library is None:
        _starting = threading.Thread(target=start, daemon=True, name="espeak-start")
        _starting.start()


def _wait() -> None:
    if _starting is not None:
        _starting.join()


def started() -> bool:
    """Has this module initialised espeak-ng in this process?"""
    _wait()
    return _library is not None


def render(text: str, out, voice: str, rate_wpm: int, pitch: int) -> None:
    """Write `text` as a WAV file `out`, as pyttsx3's espeak driver would."""
    global _library
    _wait()
    if _library is None:
        _library = _Library()
    pcm.write_wav(out, _library.speak(text, voice, rate_wpm, pitch))  # mono 16-bit 22,050 Hz, as pyttsx3 writes


def adopt(driver_class, voice: str) -> None:
    """Let pyttsx3's espeak driver use the library as initialised here.

    Initialising espeak-ng twice would start a second synthesis thread; the
    driver's own flag says it is done, and its callback replaces ours.
    """
    driver_class._moduleInitialized = True
    driver_class._defaultVoice = voice
