"""Speech engines: text -> an audio file. pyttsx3 (espeak-ng on Linux) is the default.

On macOS its driver (nsss) writes AIFF whatever the file's name says: files are read by
their first bytes (audiofile.py). Whatever fails in the engine (its start, a driver's
exception, no audio or unreadable audio) is an EngineUnavailable once it is clearly the
engine's, and every later render says so at once: sessions then show captions.

pyttsx3's Linux `say()` shells out to `aplay`, with no control over device,
timing or stopping, so we only ever use `save_to_file` and play the samples
ourselves. With espeak-ng, `runAndWait` can return before the synthesis has
finished (its loop sleeps 10 ms and stops): the file is then read half-made,
and the next line's rate or voice lands in the middle of this one. So each
render also waits for pyttsx3's own "finished-utterance" notice, sent once
the file is written. Known traps (nateshmbhat/pyttsx3): empty text crashes espeak
(issue 140), so callers never pass it; `runAndWait` prints "Audio saved to"
on stdout, silenced here per module rather than by swapping sys.stdout,
which would swallow captions printed by other threads.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import namedtuple
from types import SimpleNamespace

TYPE_CHECKING = False  # as piper_engine.py: annotations only; pathlib (with re, enum, urllib) is 6 ms before the
if TYPE_CHECKING:  # first word of an empty home's `play`, where this module is imported for the shipped clip's key
    from pathlib import Path

from ..debug import report
from ..textsafe import MAX_SPOKEN_CHARS


class EngineError(RuntimeError):
    """The speech engine could not speak this text with this voice."""


class EngineUnavailable(EngineError):
    """The speech engine cannot speak at all: it could not start, or it broke (a driver's exception,
    no readable audio ever). Sessions show captions instead, with one line saying why."""


class UnknownVoice(EngineError):
    """The engine has no voice of this id (espeak-ng would silently speak another)."""

    def __init__(self, voice: str):
        super().__init__(f"could not speak with voice {voice!r}: no such voice; list voices with 'companion voices'")
        self.voice = voice


VoiceInfo = namedtuple("VoiceInfo", "id name languages gender")


# Distinct defaults for espeak-ng: a calm US guide, then a female and a British
# male variant for partners A and B, so three speakers are never confused. The partner's
# words from their device (a break's promise) are A's voice: one already heard apart from the
# guide (tests/test_voices_heard.py), and never said in the same session as A's.
ESPEAK_DEFAULTS = {"guide": "gmw/en-us", "A": "gmw/en-us+f3", "B": "gmw/en-gb-x-rp+m3", "you": "gmw/en-us+m3",
                   "partner": "gmw/en-us+f3"}
ESPEAK_PITCH = {"guide": 40, "A": 55, "B": 80, "you": 62, "partner": 55}  # you: the words modelled for the listener to say
RENDER_ATTEMPTS = 3
FINISH_TIMEOUT_S = 30.0


def _has_frames(path: Path) -> bool:
    """Does the engine's file hold audio? WAV or AIFF (macOS's nsss writes AIFF whatever the name)."""
    from .audiofile import AudioFormatError, frame_count

    try:
        return frame_count(path) > 0
    except (OSError, AudioFormatError):
        return False


def _readable(path: Path) -> bool:
    """False: the file holds something other than audio we can read (no retry will change that).
    An empty or missing file is readable here: it is "no audio", said as such."""
    from .audiofile import AudioFormatError, frame_count

    try:
        frame_count(path)
    except AudioFormatError:
        return path.stat().st_size == 0  # empty: no audio, which is said as such
    except OSError:
        pass
    return True


class Pyttsx3Engine:
    name = "pyttsx3"

    def __init__(self) -> None:
        self._engine = None
        self._finished = threading.Event()
        self._known: set[str] | None = None
        self._lock = threading.Lock()
        self.driver = {"darwin": "nsss", "win32": "sapi5"}.get(sys.platform, "espeak")
        self.broken: str | None = None  # why the engine cannot speak: said at once by every later call
        self._spoke = False  # has it ever written audio in this process?
        self._system: dict = {}  # macOS/Windows: each role's voice, picked once for the voices the config names
        self.named: dict[str, str] = {}  # set by the clip store before a render: the config's voices per role
        # Set: the next render, if pyttsx3 has not started yet, skips its start-up
        # (a cold pause's first word; see espeak_direct). Once.
        self.direct_first = False

    def _broke(self, why: str) -> EngineUnavailable:
        """The engine cannot speak: every later call fails at once, rather than trying again per line."""
        self.broken = why
        return EngineUnavailable(why)

    def _init(self):
        if self.broken:
            raise EngineUnavailable(self.broken)
        if self._engine is None:
            try:
                import pyttsx3

                direct = sys.modules.get(f"{__package__}.espeak_direct")  # only if the first line used it
                if self.driver == "espeak" and direct is not None and direct.started():
                    from pyttsx3.drivers.espeak import EspeakDriver

                    direct.adopt(EspeakDriver, ESPEAK_DEFAULTS["guide"])
                engine = pyttsx3.init()
                if self.driver == "espeak":
                    import pyttsx3.drivers.espeak as espeak_driver

                    espeak_driver.print = lambda *args, **kwargs: None  # its "Audio saved to ..." line
                    # Its run loop sleeps 10 ms a turn, and a line renders in 2-3 ms: poll each 1 ms.
                    espeak_driver.time = SimpleNamespace(sleep=lambda seconds: time.sleep(min(seconds, 0.001)))
                    engine.connect("finished-utterance", lambda **notice: self._finished.set())
                self._engine = engine
            except Exception as e:  # pyttsx3 raises many types when espeak-ng (or a platform's driver) is missing
                report(e, "the speech engine could not start")
                fix = "install espeak-ng (Debian: sudo apt-get install espeak-ng)" if self.driver == "espeak" else "check the system voices"
                if isinstance(e, ModuleNotFoundError) and (e.name or "").split(".")[0] == "pyttsx3":
                    fix = f"this Python ({sys.executable}) lacks companion's packages: run 'make run' in " \
                          "the checkout, or install companion with pip"  # not espeak-ng's fault
                raise self._broke(f"the speech engine could not start ({e.__class__.__name__}: {_short(e)}); "
                                  f"{fix}") from None
        return self._engine

    def default_voice(self, role: str) -> str | None:
        """espeak-ng's voice for the role. None elsewhere: picked at the first render from the system's
        voices (pick_system_voices), so a warm cache never starts the engine to list them."""
        return ESPEAK_DEFAULTS[role] if self.driver == "espeak" else None

    def _listed(self, engine) -> list:
        try:
            return list(engine.getProperty("voices"))
        except Exception as e:  # a driver's own exception types
            report(e, "the speech engine could not list its voices")
            raise self._broke(f"the speech engine could not list its voices ({e.__class__.__name__}: "
                              f"{_short(e)})") from None

    def _system_voice(self, engine, role: str) -> str | None:
        """macOS/Windows: the role's voice when the config names none, distinct per role where it can be."""
        named = tuple(sorted(self.named.items()))
        if named not in self._system:
            self._system[named] = pick_system_voices(self._listed(engine), dict(named))
        return self._system[named].get(role)

    def render(self, text: str, out: Path, voice: str | None, rate_wpm: int, role: str = "guide") -> None:
        """Write `text` spoken by `voice` at `rate_wpm` to the WAV file `out`."""
        if not text.strip():
            raise EngineError("refusing to speak empty text")  # espeak segfaults on it
        if len(text) > MAX_SPOKEN_CHARS:  # and on a line of about 45,000 bytes; scripts are checked for it
            raise EngineError(f"refusing to speak a line of {len(text):,} characters (at most {MAX_SPOKEN_CHARS})")
        with self._lock:
            direct, self.direct_first = self.direct_first, False  # once
            if direct and self._engine is None and self.driver == "espeak" and voice in ESPEAK_DEFAULTS.values() \
                    and self._render_direct(text, out, voice, rate_wpm, role):
                self._spoke = True
                return
            engine = self._init()
            if voice is None and self.driver != "espeak":
                voice = self._system_voice(engine, role)  # picked from the list: known
            elif voice and not (self.driver == "espeak" and voice in ESPEAK_DEFAULTS.values()):
                self._check_voice(engine, voice)  # ours are known; listing 131 voices costs the cold first word
            try:
                self._set(engine, "voice", voice)
                self._set(engine, "rate", rate_wpm)
                if self.driver == "espeak":
                    self._set(engine, "pitch", ESPEAK_PITCH.get(role, 50))
                for _attempt in range(RENDER_ATTEMPTS):
                    self._finished.clear()
                    engine.save_to_file(text, str(out))
                    engine.runAndWait()
                    if self.driver == "espeak" and not self._finished.wait(FINISH_TIMEOUT_S):
                        continue
                    if _has_frames(out):
                        break
            except (ValueError, KeyError) as e:  # the driver refused the voice or a setting
                raise EngineError(f"could not speak with voice {voice!r}: {_short(e)}; list voices with "
                                  "'companion voices'") from None
            except Exception as e:  # anything else from a driver: it is broken, not this line
                report(e, "the speech engine failed")
                raise self._broke(f"the speech engine failed ({e.__class__.__name__}: {_short(e)})") from None
            if not _readable(out):  # a format no retry will change (a platform's driver writing something else)
                raise self._broke("the speech engine wrote audio that cannot be read (neither WAV nor "
                                  "uncompressed AIFF)")
            if not _has_frames(out):
                if not self._spoke:  # it has never spoken: the engine, not this line
                    raise self._broke(f"the speech engine wrote no audio for {text[:40]!r}")
                raise EngineError(f"the speech engine wrote no audio for {text[:40]!r}")
            self._spoke = True

    def _render_direct(self, text: str, out: Path, voice: str, rate_wpm: int, role: str) -> bool:
        """Render through libespeak-ng before pyttsx3 starts; False: let pyttsx3 do it."""
        try:
            from . import espeak_direct

            espeak_direct.render(text, out, voice, rate_wpm, ESPEAK_PITCH.get(role, 50))
        except Exception as e:  # pyttsx3 will try, and say what is wrong
            report(e, "espeak-ng could not render the first line directly")
            return False
        return _has_frames(out)

    def _set(self, engine, name: str, value) -> None:
        """Set a property now. pyttsx3 queues `setProperty` and, with espeak-ng, the
        queue can fall one command behind: a line is then spoken at the previous
        line's rate or voice (seen here in about 1 render in 3 after a while).
        The espeak driver's own setProperty takes effect at once."""
        if value is None:
            return
        driver = getattr(getattr(engine, "proxy", None), "_driver", None)
        if self.driver == "espeak" and driver is not None:
            from pyttsx3.drivers import _espeak

            driver.setProperty(name, value)
            # pyttsx3 starts espeak-ng in retrieval mode, which is asynchronous:
            # a parameter goes through espeak's own command queue too. Wait for
            # it to be applied before the text is synthesised.
            _espeak.Synchronize()
        else:
            engine.setProperty(name, value)

    def _check_voice(self, engine, voice: str) -> None:
        """espeak-ng silently falls back on an unknown voice: refuse it instead."""
        if self._known is None:
            known = set()
            for v in self._listed(engine):
                known.update({str(v.id).lower(), str(v.name).lower()})
            self._known = known
        if not known_voice(voice, self._known):
            raise UnknownVoice(voice)

    def has_voice(self, voice: str) -> bool:
        """Does the engine speak `voice`? Ours need no listing (it costs pyttsx3's start-up);
        EngineUnavailable if the engine cannot start."""
        if self.driver == "espeak" and voice in ESPEAK_DEFAULTS.values():
            return True
        with self._lock:
            try:
                self._check_voice(self._init(), voice)
            except UnknownVoice:
                return False
        return True

    def voices(self) -> list[VoiceInfo]:
        with self._lock:
            found = self._listed(self._init())
        return [VoiceInfo(v.id, v.name, tuple(str(x) for x in (v.languages or ())), v.gender) for v in found]


def _short(e: BaseException) -> str:
    """An exception's message on one line, not too long for the one line a user sees."""
    text = " ".join(str(e).split())
    return text if len(text) <= 160 else text[:157] + "..."


def known_voice(voice: str, known: set[str]) -> bool:
    """Is `voice` (an id or a name, perhaps with an espeak-ng variant: +f3) among `known` (lowercase)?"""
    return voice.lower() in known or voice.split("+")[0].lower() in known


# macOS's novelty voices: English by their locale, but no voice to be guided by in a hard moment.
NOVELTY = {"albert", "badnews", "bahh", "bells", "boing", "bubbles", "cellos", "deranged", "goodnews", "hysterical",
           "jester", "organ", "pipeorgan", "superstar", "trinoids", "whisper", "wobble", "zarvox"}


def _language(voice) -> str:
    """The voice's language as "en-us": from its languages, else from its id (Windows: ..._EN-US_DAVID_11.0)."""
    import re

    for language in voice.languages or ():
        if isinstance(language, bytes):
            language = language.decode("ascii", "replace")
        if language:
            return str(language).replace("_", "-").lower()
    found = re.search(r"(?<![A-Za-z])([A-Za-z]{2})-([A-Za-z]{2}|\d{3})(?![A-Za-z])", str(voice.id))
    return f"{found[1]}-{found[2]}".lower() if found else ""


def _gender(voice) -> str | None:
    text = str(voice.gender or "").lower()  # nsss: "VoiceGenderFemale"; sapi5: "Female"
    return "female" if "female" in text else "male" if "male" in text else None


def pick_system_voices(voices, named: dict[str, str] | None = None) -> dict[str, str | None]:
    """Distinct voices for every role (ROLES) from a system engine's list (macOS, Windows) for the roles
    `named` (the config) gives none: English ones first (US first, as espeak-ng's guide), never a novelty
    voice, never one named for another role while another is left; A of another gender than the guide
    and B of another than A where genders are known, so the partners are told apart. Roles share voices
    only when there are too few; None: the engine's own."""
    from ..config import ROLES  # here: config imports pathlib, and this module is on an empty home's first line

    named = {role: voice for role, voice in (named or {}).items() if voice}
    usable = [v for v in voices if str(v.name).replace(" ", "").lower() not in NOVELTY
              and str(v.id).rsplit(".", 1)[-1].lower() not in NOVELTY]
    english = [v for v in usable if _language(v).startswith("en")]
    pool = sorted(english or usable, key=lambda v: _language(v) != "en-us")  # stable: the list's order otherwise
    picked: dict[str, object] = {}
    for role, voice in named.items():  # as listed, if it is (its gender counts), else as named
        picked[role] = next((v for v in voices if voice.lower() in (str(v.id).lower(), str(v.name).lower())),
                            SimpleNamespace(id=voice, name=voice, languages=(), gender=None))
    unlike = {"A": "guide", "B": "A", "partner": "guide"}  # the role whose voice each should differ from most
    for role in ROLES:
        if role in picked:
            continue
        used = {str(v.id) for v in picked.values() if v is not None}
        fresh = [v for v in pool if str(v.id) not in used]
        other = picked.get(unlike.get(role))
        candidates = fresh or [v for v in pool if other is None or str(v.id) != str(other.id)] or pool
        if other is not None and _gender(other):
            candidates = sorted(candidates, key=lambda v: _gender(v) == _gender(other))
        picked[role] = candidates[0] if candidates else None
    return {role: (None if picked[role] is None else str(picked[role].id)) for role in ROLES}


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
