"""`companion doctor`: each part checked for real, with the fix when it fails."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

Check = tuple[bool, str, str]


def checks() -> Iterator[Check]:
    yield _speech()
    yield _device()
    yield _journal()
    yield _sounds()
    yield _cache()


def _speech() -> Check:
    from .voice import EngineError, Pyttsx3Engine

    engine = Pyttsx3Engine()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "check.wav"
        try:
            engine.render("You are here.", out, engine.default_voice("guide"), 140)
        except EngineError as e:
            return False, "speech engine", str(e)
        size = out.stat().st_size
    return True, "speech engine", f"pyttsx3 ({engine.driver}) spoke a test line ({size:,} bytes of audio)"


def _device() -> Check:
    fix = "on Debian: sudo apt-get install libportaudio2, and make sure a sound server or card is running"
    try:
        import sounddevice as sd
    except OSError as e:
        return False, "sound device", f"PortAudio is missing ({e}); {fix}"
    try:
        device = sd.query_devices(kind="output")
        with sd.RawOutputStream(samplerate=22050, channels=1, dtype="int16"):
            pass
    except Exception as e:
        return False, "sound device", f"no output device could be opened ({str(e).splitlines()[0]}); {fix}; " \
                                      "until then companion shows captions only"
    return True, "sound device", f"{device['name']} opens at 22,050 Hz"


def _journal() -> Check:
    from .journal import Journal, JournalError

    try:
        journal = Journal()
    except JournalError as e:
        return False, "journal", f"{e}; check the folder's owner and free space"
    path = journal.path
    count = journal.db.execute("SELECT count(*) FROM sessions").fetchone()[0]
    version = journal.version
    journal.close()
    mode = stat.S_IMODE(os.stat(path).st_mode)
    folder = stat.S_IMODE(os.stat(path.parent).st_mode)
    if mode & 0o077 or folder & 0o077:
        return False, "journal", f"{path} is readable by others (file {mode:o}, folder {folder:o}); " \
                                 f"fix: chmod 600 {path} && chmod 700 {path.parent}"
    return True, "journal", f"{path} (schema {version}, {count} sessions, private)"


def _sounds() -> Check:
    from . import assets

    missing = [name for name in ("bell", "bell-soft", "breath-in", "breath-out") if not assets.path(name).exists()]
    if missing:
        return False, "bundled sounds", f"missing {', '.join(missing)}; reinstall companion"
    return True, "bundled sounds", f"bells, breath tones and {len(assets.ambient_names())} ambient sound(s)"


def _cache() -> Check:
    from .config import load
    from .prepare import is_ready, missing
    from .voice.clips import user_store

    clips = user_store(load().voices)
    todo = missing(clips)
    if todo:
        return False, "speech cache", f"{len(todo)} clips not rendered yet; run 'companion prepare' " \
                                      "(it also runs by itself after the first use)"
    state = "ready" if is_ready(clips) else "ready (run 'companion prepare' once to stamp it)"
    return True, "speech cache", f"{clips.root} is {state}"
