"""Speech engines: text -> a WAV file. pyttsx3 (espeak-ng on Linux) is the default.

pyttsx3's Linux `say()` shells out to `aplay`, with no control over device,
timing or stopping, so we only ever use `save_to_file` and play the samples
ourselves. Known traps (nateshmbhat/pyttsx3): empty text crashes espeak
(issue 140), so callers never pass it; `runAndWait` prints "Audio saved to"
on stdout, silenced here per module rather than by swapping sys.stdout,
which would swallow captions printed by other threads.
"""

from __future__ import annotations

import sys
import threading
from collections import namedtuple
from pathlib import Path


class EngineError(RuntimeError):
    """The speech engine could not speak this text with this voice."""


class EngineUnavailable(EngineError):
    """The speech engine could not start at all."""


VoiceInfo = namedtuple("VoiceInfo", "id name languages gender")


# Distinct defaults for espeak-ng: a calm US guide, then a female and a British
# male variant for partners A and B, so three speakers are never confused.
ESPEAK_DEFAULTS = {"guide": "gmw/en-us", "A": "gmw/en-us+f3", "B": "gmw/en-gb-x-rp+m3"}
ESPEAK_PITCH = {"guide": 42, "A": 55, "B": 38}
RENDER_ATTEMPTS = 3


def _has_frames(path: Path) -> bool:
    import wave

    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() > 0
    except (OSError, EOFError, wave.Error):
        return False


class Pyttsx3Engine:
    name = "pyttsx3"

    def __init__(self) -> None:
        self._engine = None
        self._known: set[str] | None = None
        self._lock = threading.Lock()
        self.driver = {"darwin": "nsss", "win32": "sapi5"}.get(sys.platform, "espeak")

    def _init(self):
        if self._engine is None:
            try:
                import pyttsx3

                self._engine = pyttsx3.init()
            except Exception as e:  # pyttsx3 raises many types when espeak-ng is missing
                fix = "install espeak-ng (Debian: sudo apt-get install espeak-ng)" if self.driver == "espeak" else "check the system voices"
                raise EngineUnavailable(f"the speech engine could not start ({e.__class__.__name__}: {e}); {fix}") from None
            if self.driver == "espeak":
                import pyttsx3.drivers.espeak as espeak_driver

                espeak_driver.print = lambda *args, **kwargs: None  # its "Audio saved to ..." line
        return self._engine

    def default_voice(self, role: str) -> str | None:
        return ESPEAK_DEFAULTS[role] if self.driver == "espeak" else None

    def render(self, text: str, out: Path, voice: str | None, rate_wpm: int, role: str = "guide") -> None:
        """Write `text` spoken by `voice` at `rate_wpm` to the WAV file `out`."""
        if not text.strip():
            raise EngineError("refusing to speak empty text")  # espeak segfaults on it
        with self._lock:
            engine = self._init()
            if voice:
                self._check_voice(engine, voice)
            try:
                if voice:
                    engine.setProperty("voice", voice)
                engine.setProperty("rate", rate_wpm)
                if self.driver == "espeak":
                    engine.setProperty("pitch", ESPEAK_PITCH.get(role, 50))
                # pyttsx3 2.99's espeak driver now and then (about 1 in 300 here)
                # writes a WAV with no samples; the same call again succeeds.
                for _attempt in range(RENDER_ATTEMPTS):
                    engine.save_to_file(text, str(out))
                    engine.runAndWait()
                    if _has_frames(out):
                        break
            except (ValueError, KeyError, RuntimeError, OSError) as e:
                raise EngineError(f"could not speak with voice {voice!r}: {e}; list voices with 'companion voices'") from None
        if not _has_frames(out):
            raise EngineError(f"the speech engine wrote no audio for {text[:40]!r}")

    def _check_voice(self, engine, voice: str) -> None:
        """espeak-ng silently falls back on an unknown voice: refuse it instead."""
        if self._known is None:
            self._known = set()
            for v in engine.getProperty("voices"):
                self._known.update({str(v.id).lower(), str(v.name).lower()})
        if voice.split("+")[0].lower() not in self._known and voice.lower() not in self._known:
            raise EngineError(f"could not speak with voice {voice!r}: no such voice; list voices with 'companion voices'")

    def voices(self) -> list[VoiceInfo]:
        with self._lock:
            engine = self._init()
            found = engine.getProperty("voices")
        return [VoiceInfo(v.id, v.name, tuple(str(x) for x in (v.languages or ())), v.gender) for v in found]


_shared: Pyttsx3Engine | None = None


def shared_engine() -> Pyttsx3Engine:
    """One engine a process: pyttsx3 keeps one espeak-ng driver per process anyway,
    and several wrappers re-initialising it in turn is asking for crossed state."""
    global _shared
    if _shared is None:
        import atexit

        _shared = Pyttsx3Engine()
        atexit.register(_release)  # before interpreter teardown, when pyttsx3's __del__ still works
    return _shared


def _release() -> None:
    global _shared
    _shared = None


def estimate_frames(text: str, rate_wpm: int, rate_hz: int) -> int:
    """A stand-in length when no engine can speak (captions only)."""
    words = max(1, len(text.split()))
    return round(words / rate_wpm * 60 * rate_hz) + rate_hz // 4
