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
from .engine import ESPEAK_PITCH, EngineError, EngineUnavailable, Pyttsx3Engine, estimate_frames, shared_engine

FORMAT = 4  # bump when rendering, trimming or the key changes (4: clips made before the rate/voice fix)
KEEP_SILENCE_FRAMES = pcm.frames_of(0.02)


try:  # the interpreter's own SHA-256: the same digest, without loading OpenSSL (~3 ms) before the first word
    from _sha256 import sha256 as _sha256
except ImportError:  # Python 3.12+ names it _sha2; hashlib everywhere else
    try:
        from _sha2 import sha256 as _sha256
    except ImportError:
        from hashlib import sha256 as _sha256


class VoiceSettings(namedtuple("VoiceSettings", "guide A B rate_wpm", defaults=(None, None, None, 140))):
    """Which voice speaks each role (guide, A, B), and how fast (immutable)."""

    __slots__ = ()

    def voice(self, role: str) -> str | None:
        return getattr(self, role)


def user_store(settings: VoiceSettings) -> "ClipStore":
    """The user's clip cache (in the user cache dir) for these voice settings."""
    from ..paths import cache_dir

    return ClipStore(cache_dir() / "clips", settings)


class ClipStore:
    """Speech clips for (role, text): rendered once, then read from the cache."""

    _lock = threading.Lock()  # shared by every store: the same line is never rendered twice at once

    def __init__(self, root: Path, settings: VoiceSettings, engine: Pyttsx3Engine | None = None):
        self.root = root
        self.settings = settings
        self.engine = engine or shared_engine()
        self.rendered = 0  # how many clips this store had to render
        self.unavailable: str | None = None  # why the engine could not start, if it could not
        self._frames: dict[Path, int] = {}

    def voice(self, role: str) -> str | None:
        return self.settings.voice(role) or self.engine.default_voice(role)

    def path(self, role: str, text: str) -> Path:
        identity = [FORMAT, self.engine.name, self.engine.driver, self.voice(role), self.settings.rate_wpm,
                    ESPEAK_PITCH.get(role), text]
        digest = _sha256(repr(identity).encode()).hexdigest()  # repr: no json import on the hot path
        return self.root / digest[:2] / f"{digest}.wav"

    def ensure(self, role: str, text: str) -> Path:
        """The clip's file, rendering it first if the cache lacks it."""
        path = self.path(role, text)
        if not path.exists():
            with self._lock:
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
