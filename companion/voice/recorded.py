"""A recorded voice: a person's takes of the library's lines, kept by each line's text.

<data dir>/voices/<VOICE>/ holds `lines.json` ({"format": 1, "voice": ..., "lines": {key: {"text",
"file"}}}) and one `<key>.wav` per line (22,050 Hz mono 16-bit, trimmed and levelled before it gets
here). A line's key is a hash of its whitespace-collapsed text, so an edited line is a new key and an
unchanged line keeps its take. Folders 0700, files 0600, each file replaced whole (write beside,
rename). Stdlib only: the player may ask for a line on its way to the first word.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (and re, enum): see paths.py
if TYPE_CHECKING:  # annotations only
    from pathlib import Path

FORMAT = 1
LINES_FILE = "lines.json"
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
KEY = re.compile(r"[0-9a-f]{24}")


def valid_name(name: str) -> str:
    """The voice's name lower-cased; ValueError (one line) if it is not 1-40 letters, digits, - or _."""
    normal = str(name).strip().lower()
    if not NAME.fullmatch(normal):
        shown = repr(str(name)[:60])
        raise ValueError(f"{shown} is not a voice name: use 1 to 40 letters, digits, '-' or '_', "
                         "starting with a letter or digit (for example: me, coach-anna)")
    return normal


def voices_dir() -> Path:
    from companion.paths import data_dir

    return data_dir() / "voices"


def voice_dir(name: str) -> Path:
    return voices_dir() / valid_name(name)


def key(text: str) -> str:
    """The line's key: the first 24 hex digits of sha256 of its text, whitespace collapsed."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:24]


def read_lines(folder) -> dict:
    """The voice's {key: {"text", "file"}} from lines.json in `folder`; {} if there is none.

    ValueError (one line) if the file is not what this module writes: the player then says so
    rather than playing a file the index does not vouch for."""
    path = os.path.join(folder, LINES_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"{path}: not a readable voice index ({type(e).__name__}); move {folder} aside and "
                         "record the voice again, or import it anew with --force") from None
    lines = data.get("lines") if isinstance(data, dict) else None
    if not isinstance(lines, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a format-{FORMAT} voice index; move {folder} aside and record the voice "
                         "again, or import it anew with --force")
    return {k: v for k, v in lines.items()
            if KEY.fullmatch(str(k)) and isinstance(v, dict) and v.get("file") == f"{k}.wav"
            and isinstance(v.get("text"), str)}


def index_text(name: str, lines: dict) -> str:
    """lines.json's text for voice `name` holding `lines`."""
    return json.dumps({"format": FORMAT, "voice": name, "lines": lines}, ensure_ascii=False, indent=1,
                      sort_keys=True) + "\n"


def save(name: str, text: str, pcm: bytes) -> Path:
    """Keep `pcm` (s16le mono 22,050 Hz, already trimmed and levelled) as voice `name`'s take of `text`.

    The WAV is written beside and renamed into place, then lines.json the same way, both 0600 in a
    0700 folder: a reader sees the old take or the new one, never half of one. Returns the WAV's path."""
    from companion.paths import private_dir, replacing, write_private
    from companion.playback.pcm import write_wav

    name = valid_name(name)
    if len(pcm) % 2:
        raise ValueError("a take of 16-bit samples must have an even number of bytes")
    folder = private_dir(voices_dir() / name)
    k = key(text)
    target = folder / f"{k}.wav"
    with replacing(target, ".wav") as f:
        write_wav(f, pcm)
    lines = read_lines(folder)
    lines[k] = {"text": " ".join(text.split()), "file": f"{k}.wav"}
    write_private(folder / LINES_FILE, index_text(name, lines))
    return target


def path_for(name: str, text: str) -> Path | None:
    """The WAV of voice `name`'s take of `text`, or None if the voice has no take of it."""
    folder = voice_dir(name)
    k = key(text)
    if k not in read_lines(folder):
        return None
    path = folder / f"{k}.wav"
    return path if path.is_file() else None


def recorded_voices() -> list[str]:
    """The names of the recorded voices (folders with a lines.json), sorted."""
    try:
        names = os.listdir(voices_dir())
    except OSError:
        return []
    return sorted(n for n in names if NAME.fullmatch(n) and os.path.isfile(voices_dir() / n / LINES_FILE))


def coverage(name: str, lines: list[str]) -> tuple[int, int]:
    """(how many of the distinct `lines` voice `name` has a take of, how many distinct lines)."""
    folder = voice_dir(name)
    have = read_lines(folder)
    wanted = {key(t) for t in lines}
    return sum(1 for k in wanted if k in have and os.path.isfile(folder / f"{k}.wav")), len(wanted)
