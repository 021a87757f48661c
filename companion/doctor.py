"""`companion doctor`: each part checked for real, with the fix when it fails."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

Check = tuple[bool, str, str]


def checks() -> Iterator[Check]:
    """Every check runs, whatever the one before it found. The quick ones first, so the first line
    is on screen at once; those that start an engine or read the whole cache after them."""
    for check in (_settings, _journal, _sounds, _help, _device, _microphone, _speech, _voices, _cache):
        try:
            yield check()
        except Exception as e:  # a check that breaks is a finding too, never a traceback
            from .textsafe import visible
            from .debug import report

            report(e)

            name = check.__name__.strip("_")
            yield False, name, visible(f"could not be checked ({e.__class__.__name__}: {e})")[:300]


def _microphone() -> Check:
    """The input device and whether it records: information, never a problem (only `record` needs one)."""
    from .record.microphone import doctor_check

    _, name, found = doctor_check()
    return True, name, found


def _config():
    """The settings, and whether they could be read (if not: the defaults; the settings check says why)."""
    from .config import Config, ConfigError, load

    try:
        return load(), True
    except ConfigError:
        return Config(), False


def _settings() -> Check:
    from .config import ConfigError, default_path, load
    from .textsafe import visible

    try:
        cfg = load()
    except ConfigError as e:
        return False, "settings", f"{e} (`pause` goes on with the defaults; other commands stop until it is fixed)"
    if not default_path().exists():
        return True, "settings", f"none in {cfg.path}: the defaults"
    return True, "settings", visible(str(cfg.path))


def _help() -> Check:
    """Where help is, said after the safety line: the config's `help`, else the emergency number and
    crisis line of the time zone's country (scripts/_help.toml); an unknown zone says how to set one."""
    from .textsafe import visible
    from .paths import builtin
    from .spoken import HELP_FILE, Help, country_of, time_zone

    cfg, _ = _config()
    if cfg.help is not None:
        return True, "help", visible(f"after the safety line: {Help(cfg.help).shown}")
    zone = time_zone() or "unknown"
    country = country_of(zone)
    table = builtin("scripts") / HELP_FILE
    if country is None:
        return True, "help", visible(f"not set; after the safety line: {Help(zone=zone).short} (time zone {zone}, not in "
                                     f'{table}). To name a crisis line near you, set help = "..." in {cfg.path}')
    found = f"not set; after the safety line: {Help(zone=zone).short} (time zone {zone}, {country.get('name', '?')}"
    if country.get("crisis"):
        found += f"; crisis line from {country.get('source', '?')}, checked {country.get('checked', '?')}"
    return True, "help", visible(found + f'); correct it in {table}, or set help = "..." in {cfg.path}')


def _voices() -> Check:
    from .config import ROLES, line_of, shown
    from .textsafe import visible
    from .voice.engine import EngineError
    from .voice.engine import shared_engine

    cfg, readable = _config()
    if not readable:
        return False, "voices", "not checked until the settings can be read (see above)"
    from .voice import piper_engine

    engine = shared_engine()
    unknown = []
    for role in ROLES:
        voice = cfg.voices.voice(role)
        if piper_engine.is_piper_voice(voice):
            try:
                piper_engine.shared_piper().load(voice)
            except EngineError as e:
                return False, "voices", f"{visible(str(cfg.path))}:{line_of(cfg.path, role)}: voices.{role} = " \
                                        f"{shown(voice)}: {e}; the default is spoken instead"
            continue
        if voice and _recorded(voice):
            continue  # a recorded voice (voice/recorded.py): its takes, and the role's default for the rest
        try:
            if voice and not engine.has_voice(voice):
                unknown.append(f"{visible(str(cfg.path))}:{line_of(cfg.path, role)}: voices.{role} = {shown(voice)}")
        except EngineError as e:
            return False, "voices", f"cannot be checked: {e}"
    if unknown:
        return False, "voices", f"no such voice: {'; '.join(unknown)}; the default is spoken instead; fix: choose " \
                                "ids from `companion voices`"
    chosen = [f"{role} {cfg.voices.voice(role)!r}" for role in ROLES if cfg.voices.voice(role)]
    return True, "voices", visible(f"{', '.join(chosen)} from {cfg.path}") if chosen else "the defaults"


def _recorded(voice: str) -> bool:
    from .voice import recorded

    try:
        return (recorded.voice_dir(voice) / recorded.LINES_FILE).is_file()
    except ValueError:
        return False


def _speech() -> Check:
    from .voice.engine import EngineError, Pyttsx3Engine

    engine = Pyttsx3Engine()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "check.wav"
        try:
            engine.render("You are here.", out, engine.default_voice("guide"), 140)
        except EngineError as e:
            return False, "speech engine", str(e)
        size = out.stat().st_size
    ok, _, natural = _natural()
    return ok, "speech engine", f"pyttsx3 ({engine.driver}) spoke a test line ({size:,} bytes of audio); " \
                                f"the natural voice: {natural}"


def _natural() -> Check:
    """The natural voice: installed, loads, and speaks (with how long each took)."""
    import time

    from .voice import piper_engine
    from .voice.engine import EngineError

    if not piper_engine.natural_installed():
        return True, "natural voice", 'not installed, so the guide speaks with espeak-ng; to add it: ' \
                                      'pip install "companion[natural]"'
    engine = piper_engine.shared_piper()  # one load a process: the checks after this one use it too
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "check.wav"
        try:
            started = time.monotonic()
            engine.load(piper_engine.NATURAL)
            loaded = time.monotonic()
            engine.render("You are here. Nothing has to be decided now.", out, piper_engine.NATURAL, 140)
            spoken = time.monotonic()
        except EngineError as e:
            return False, "natural voice", f"{e}; the guide speaks with espeak-ng instead"
        from .playback import pcm

        seconds = pcm.wav_frames(out) / pcm.RATE_HZ
    return True, "natural voice", f"Piper's joe loaded in {loaded - started:.2f} s and spoke {seconds:.1f} s of " \
                                  f"speech in {spoken - loaded:.2f} s"


def _device() -> Check:
    fix = "on Debian: sudo apt-get install libportaudio2, and make sure a sound server or card is running"
    try:
        import sounddevice as sd
    except OSError as e:
        return False, "sound device", f"PortAudio is missing ({e}); {fix}"
    try:
        device = sd.query_devices(kind="output")
        from .playback.pcm import RATE_HZ

        with sd.RawOutputStream(samplerate=RATE_HZ, channels=1, dtype="int16"):
            pass
    except Exception as e:  # PortAudio's errors have no common class: any of them is this finding
        from .debug import report

        report(e)
        return False, "sound device", f"no output device could be opened ({str(e).splitlines()[0]}); {fix}; " \
                                      "until then companion shows captions only"
    return True, "sound device", f"{device['name']} opens at {RATE_HZ:,} Hz"


def _journal() -> Check:
    """Read only: the first session makes the journal, migrates and tightens it; doctor never does."""
    from .journal import default_path
    from .journal.errors import Damaged, JournalError
    from .journal.schema import MIGRATIONS
    from .journal.store import Journal, file_unwritable, folder_unwritable

    path = default_path()
    try:
        journal = Journal(path, write=False)
        try:
            count = journal.rows("SELECT count(*) FROM sessions")[0][0] if journal.db is not None else None
        finally:
            journal.close()
    except JournalError as e:
        return False, "journal", str(e) if isinstance(e, Damaged) else f"{e}; check the folder's owner and free space"
    if not path.parent.is_dir():
        return True, "journal", f"no journal yet; the first session makes {path}"
    problem = folder_unwritable(path.parent) or (os.path.exists(path) and file_unwritable(path, os.stat(path)))
    if problem:
        return False, "journal", problem
    if count is None:
        return True, "journal", f"no journal yet; the first session makes {path}"
    private, why = privacy(path)
    if not private:
        return False, "journal", why
    version = journal.file_version
    schema = f"schema {version}" if version == len(MIGRATIONS) else \
        f"schema {version}; the next session upgrades it to {len(MIGRATIONS)}"
    return True, "journal", f"{path} ({schema}, {count} session{'' if count == 1 else 's'}, {why})"



def privacy(path: Path) -> tuple[bool, str]:
    """Is the file `path`, in its folder, private to the user? With the fix if not.

    POSIX: its mode bits (0600, folder 0700). Windows keeps no such bits (st_mode shows 0666 for
    any writable file): what keeps a file private there is the folder's access rules, and the
    user's profile (where companion's folders are) is the user's own."""
    import sys

    if sys.platform == "win32":
        profile = os.environ.get("USERPROFILE", "")
        if profile and _inside(path, profile):
            return True, "private: in your user profile, which Windows keeps to your account"
        user = os.environ.get("USERNAME", "%USERNAME%")
        return False, f"{path} is outside your user profile, so who can read it depends on its folder's access " \
                      f'rules; fix: icacls "{path.parent}" /inheritance:r /grant:r "{user}:(OI)(CI)F"'
    mode = stat.S_IMODE(os.stat(path).st_mode)
    folder = stat.S_IMODE(os.stat(path.parent).st_mode)
    if mode & 0o077 or folder & 0o077:
        return False, f"{path} is readable by others (file {mode:o}, folder {folder:o}); " \
                      f"fix: chmod 600 {path} && chmod 700 {path.parent}"
    return True, "private"


def _inside(path: Path, folder: str) -> bool:
    """Is `path` within `folder`? (Windows' paths: either slash, any case.)"""
    def norm(p) -> str:
        return os.path.normcase(os.path.abspath(str(p))).replace("\\", "/").lower().rstrip("/")

    return (norm(path) + "/").startswith(norm(folder) + "/")


def _sounds() -> Check:
    from .playback import assets
    from .sounds import ambient_names

    missing = [name for name in ("bell", "bell-soft", "breath-in", "breath-out") if not assets.path(name).exists()]
    if missing:
        return False, "bundled sounds", f"missing {', '.join(missing)}; reinstall companion"
    return True, "bundled sounds", f"bells, breath tones and {len(ambient_names())} ambient sound(s)"


def _cache() -> Check:
    from .prepare import count, is_ready, missing
    from .voice.engine import EngineError
    from .voice.clips import user_store

    cfg, readable = _config()
    clips = user_store(cfg.voices, warn=lambda line: None)  # the voices check has said it
    try:
        clips.check_voices()  # an unknown voice is spoken, and cached, as the default
    except EngineError:
        pass  # the speech engine check says why
    todo, total = missing(clips), count()
    done = total - len(todo)
    share = f"{done:,} of {total:,} clips ready ({100 * done // max(1, total)}%)"
    if todo:  # still filling: information, not a problem (the first session starts it by itself)
        from .lengths import progress_line

        running = progress_line(clips.root)
        if not readable:
            then = "fix the settings (see above), then run 'companion prepare'"
        elif running:
            then = f"{running}; sessions meanwhile render what they say as they go"
        else:
            then = "run 'companion prepare' to render them now (it also runs by itself, in the background, " \
                   "after a session)"
        return True, "speech cache", f"{share}, {len(todo):,} not rendered yet, in the voices {_spoken(clips)}; {then}"
    ready = f"{clips.root} is ready: {share}, in the voices {_spoken(clips)}"
    if not is_ready(clips):  # every clip, but no index yet: first words take the slower way until it is written
        ready += "; the index that starts first words sooner is written after your next session, " \
                 "or by 'companion prepare' now"
    return True, "speech cache", ready


def _spoken(clips) -> str:
    from .textsafe import visible

    return visible(", ".join(f"{role} {clips.voice(role)}" for role in ("guide", "A", "B")))
