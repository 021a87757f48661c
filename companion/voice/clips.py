"""Rendered speech, cached by content in the user cache dir.

A clip's file name is a hash of everything that changes its sound (engine,
voice, rate, pitch table, text, format version), so a second run renders
nothing, and changing a voice never plays a stale clip.
"""

from __future__ import annotations

import os
import threading
from collections import namedtuple
from pathlib import Path

from .. import pcm
from .engine import (ESPEAK_PITCH, EngineError, EngineUnavailable, Pyttsx3Engine, UnknownVoice, estimate_frames,
                     shared_engine)

FORMAT = 4  # bump when rendering, trimming or the key changes (4: clips made before the rate/voice fix)
KEEP_SILENCE_FRAMES = pcm.frames_of(0.02)


try:  # the interpreter's own SHA-256: the same digest, without loading OpenSSL (~3 ms) before the first word
    from _sha256 import sha256 as _sha256
except ImportError:  # Python 3.12+ names it _sha2; hashlib everywhere else
    try:
        from _sha2 import sha256 as _sha256
    except ImportError:
        from hashlib import sha256 as _sha256


class VoiceSettings(namedtuple("VoiceSettings", "guide A B rate_wpm source you", defaults=(None, None, None, 140, None, None))):
    """Which voice speaks each role (guide, A, B, you: words modelled for the listener), and how fast (immutable); `source`: the
    config file they were read from, named when one of them turns out to be unknown."""

    __slots__ = ()

    def voice(self, role: str) -> str | None:
        return getattr(self, role)


# Voices found unknown in this process: spoken as the role's default from then on, by every
# store, with one line said once (a pause makes several stores; none lists voices twice).
_unknown: set[str] = set()
_told: set[str] = set()


def _stderr(message: str) -> None:
    import sys

    try:
        print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # the terminal has gone
        pass


def user_store(settings: VoiceSettings, warn=None) -> "ClipStore":
    """The user's clip cache (in the user cache dir) for these voice settings."""
    from ..paths import cache_dir

    return ClipStore(cache_dir() / "clips", settings, warn=warn)


class ClipStore:
    """Speech clips for (role, text): rendered once, then read from the cache."""

    _lock = threading.Lock()  # shared by every store: the same line is never rendered twice at once

    def __init__(self, root: Path, settings: VoiceSettings, engine: Pyttsx3Engine | None = None, warn=None):
        self.root = root
        self.settings = settings
        self.engine = engine or shared_engine()
        self.warn = warn or _stderr  # the line that says a configured voice is unknown
        self.rendered = 0  # how many clips this store had to render
        self.unavailable: str | None = None  # why the engine could not start, if it could not
        self._frames: dict[Path, int] = {}

    def wanted(self, role: str) -> str | None:
        """The voice the settings ask for (the role's default if they name none)."""
        return self.settings.voice(role) or self.engine.default_voice(role)

    def voice(self, role: str) -> str | None:
        """The voice actually spoken: the wanted one, or the default in place of an unknown one.

        An unknown voice is found lazily, when a clip it would speak is not cached
        (see ensure), so a warm cache never lists the engine's voices."""
        wanted = self.wanted(role)
        return self.engine.default_voice(role) if wanted in _unknown else wanted

    def check_voices(self) -> list[str]:
        """Find unknown voices now, not at the first render (`prepare`, `doctor`): the roles that fall back.

        Raises EngineUnavailable if the engine cannot start."""
        fallen = []
        for role in ("guide", "A", "B", "you"):
            wanted = self.wanted(role)
            if wanted and wanted not in _unknown and not self.engine.has_voice(wanted):
                self._fall_back(role, wanted)
            if wanted in _unknown:
                fallen.append(role)
        return fallen

    def _fall_back(self, role: str, wanted: str) -> bool:
        """`wanted` is unknown: speak the role's default instead, saying so once. False: no better voice."""
        default = self.engine.default_voice(role)
        if wanted == default:
            return False
        _unknown.add(wanted)
        if wanted not in _told:
            _told.add(wanted)
            self.warn(unknown_voice_line(self.settings, role, wanted))
        return True

    def path(self, role: str, text: str) -> Path:
        identity = [FORMAT, self.engine.name, self.engine.driver, self.voice(role), self.settings.rate_wpm,
                    ESPEAK_PITCH.get(role), text]
        digest = _sha256(repr(identity).encode()).hexdigest()  # repr: no json import on the hot path
        return self.root / digest[:2] / f"{digest}.wav"

    def ensure(self, role: str, text: str) -> Path:
        """The clip's file, rendering it first if the cache lacks it.

        The key is the voice really spoken: a clip made with the default in place
        of an unknown voice is cached under the default, never under the bad id."""
        path = self.path(role, text)
        if not path.exists():
            with self._lock:
                path = self.path(role, text)  # another thread may have found the voice unknown meanwhile
                if not path.exists():
                    try:
                        self._render(role, text, path)
                    except UnknownVoice as e:
                        if not self._fall_back(role, e.voice):
                            raise
                        path = self.path(role, text)
                        if not path.exists():
                            self._render(role, text, path)
        return path

    def frames(self, role: str, text: str) -> int:
        """The clip's length; an estimate if the engine cannot start (captions keep time)."""
        try:
            path = self.ensure(role, text)
        except EngineUnavailable as e:
            self.unavailable = str(e)
            return estimate_frames(text, self.settings.rate_wpm, pcm.RATE_HZ)
        if path not in self._frames:
            self._frames[path] = pcm.wav_frames(path)
        return self._frames[path]

    def load(self, role: str, text: str) -> bytes:
        """The clip's samples; silence of the estimated length if the engine cannot start."""
        try:
            return pcm.read_wav(self.ensure(role, text))
        except EngineUnavailable as e:
            self.unavailable = str(e)
            return pcm.silence(self.frames(role, text))

    def _render(self, role: str, text: str, path: Path) -> None:
        import tempfile

        from ..paths import private_dir

        private_dir(path.parent)
        fd, raw = tempfile.mkstemp(suffix=".wav", dir=path.parent)
        os.close(fd)
        try:
            self.engine.render(text, Path(raw), self.voice(role), self.settings.rate_wpm, role)
            data = pcm.trim(_as_player_format(Path(raw)), keep_frames=KEEP_SILENCE_FRAMES)
            if not data:
                raise EngineError(f"the speech engine produced only silence for {text[:40]!r}")
            pcm.write_wav(Path(raw), data)
            os.replace(raw, path)  # atomic: a half-written clip is never seen
            self.rendered += 1
        finally:
            if os.path.exists(raw):
                os.unlink(raw)


ROLE_NAMES = {"guide": "the guide", "A": "partner A", "B": "partner B", "you": "your modelled words"}


def unknown_voice_line(settings: VoiceSettings, role: str, voice: str) -> str:
    """The one line that says a configured voice is unknown: where, which, what happens, the fix."""
    name = ROLE_NAMES.get(role, role)
    where = ""
    if settings.source:
        from ..config import line_of, visible

        where = f"{visible(settings.source)}:{line_of(settings.source, role)}: "
    from ..config import shown

    return (f"companion: {where}voices.{role} = {shown(voice)} is not a voice of the speech engine; {name} speaks "
            f"with the default voice instead (choose one from `companion voices`)")


def _as_player_format(path: Path) -> bytes:
    """The engine's WAV as mono 16-bit 22,050 Hz, converting if it differs."""
    try:
        return pcm.read_wav(path)
    except pcm.WavFormatError:
        pass
    import wave

    import numpy as np

    with wave.open(str(path), "rb") as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    dtype = {1: np.uint8, 2: np.int16, 4: np.int32}[width]
    samples = np.frombuffer(raw, dtype=dtype).astype(np.float64)
    if width == 1:
        samples = (samples - 128) * 256
    elif width == 4:
        samples /= 65536
    samples = samples.reshape(-1, channels).mean(axis=1)
    n_out = round(len(samples) * pcm.RATE_HZ / rate)
    resampled = np.interp(np.linspace(0, len(samples) - 1, n_out), np.arange(len(samples)), samples)
    return np.clip(resampled, -32768, 32767).astype("<i2").tobytes()
