"""How long a sequence lasts, known without rendering a word (`list`, `show`, a session's total).

Each spoken line's length comes from the first that has it:
  1. its clip in the user's cache (measured here);
  2. the table shipped with the package, audio/lengths.json (measured by audio/make_lengths.py in
     the default voices), looked up by the clip's own cache key, so a line whose text, voice,
     rate or clip format differ is never given a stale length;
  3. an estimate from its words and the rate, and the whole length is then marked estimated.
The same file holds each built-in sequence's total and header, under a key made of its script
text, the spoken lines' file, the placeholders' values and each role's clip key without text:
`list` reads those without parsing a script (no pydantic), and parses only what does not match.
Nothing here renders speech or imports a speech engine.
"""

from __future__ import annotations

import json
import os
from collections import namedtuple

FILE = "lengths.json"
PROGRESS = "prepare-progress.json"  # in the clip cache: how far a running `prepare` is (prepare.py)

Length = namedtuple("Length", "seconds estimated")


def shipped_path():
    from .paths import builtin

    return builtin("audio") / FILE


_shipped: dict | None = None


def shipped() -> dict:
    """The shipped table: {"clips": {clip key: frames}, "sequences": {id: row}}; empty if unreadable."""
    global _shipped
    if _shipped is None:
        try:
            _shipped = json.loads(shipped_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _shipped = {}
    return _shipped


def _spoken_files_text() -> str:
    """The pause's and the safety's words (scripts/_spoken.toml, and yours if you have one)."""
    from .lines import shipped_path as lines_path, user_path

    texts = []
    for path in (lines_path(), user_path()):
        try:
            with open(path, encoding="utf-8") as f:
                texts.append(f.read())
        except OSError:
            texts.append("")
    return "\n".join(texts)


def context(clips) -> str:
    """What every built-in sequence's shipped total depends on besides its text: the spoken lines'
    file, the placeholders' values, and every role's clip identity (ClipStore.key without text:
    the clip format, the engine, the voice's identity, the rate)."""
    from .config import ROLES
    from .spoken import Spoken

    values = {k: v for k, v in Spoken().values().items() if k != "return_time"}  # a time of day
    return repr([_spoken_files_text(), sorted(values.items()), [clips.key(role, "") for role in ROLES]])


def sequence_key(script_text: str, context_: str) -> str:
    from hashlib import sha256

    return sha256(repr([script_text, context_]).encode()).hexdigest()


class Measured:
    """The timeline's lengths (playback.timeline.Lengths) from the cache, the shipped table or an
    estimate; never rendering. `estimated`: the (role, text) of every line estimated."""

    def __init__(self, clips):
        self.clips = clips
        self.table = shipped().get("clips", {})
        self.estimated: set[tuple[str, str]] = set()

    def speech(self, role: str, text: str) -> int:
        from .playback import pcm
        from .voice.engine import estimate_frames

        key = self.clips.key(role, text)
        path = self.clips.path(role, text)  # a recorded take's own file, else the cache's clip
        if path.exists():
            try:
                return pcm.wav_frames(path)
            except (OSError, ValueError):  # a damaged clip (pcm.WavFormatError): it is rendered again when said
                pass
        if key in self.table:
            return int(self.table[key])
        self.estimated.add((role, text))
        return estimate_frames(text, self.clips.settings.rate_wpm, pcm.RATE_HZ)

    def asset(self, name: str) -> int:
        from .playback import assets

        return assets.frames(name)


def plan(sequence, clips, names: dict[str, str] | None = None):
    """(timeline, measured): `sequence` planned as a session says it, with no clip rendered."""
    from .playback.timeline import plan as plan_steps
    from .spoken import Spoken

    measured = Measured(clips)
    # hint=True: the first run's line on how to set help is counted, never marked as said (only a session says it)
    return plan_steps(Spoken(names=names, hint=True).steps(sequence.steps), measured), measured


def of(sequence, clips, context_: str | None = None) -> Length:
    """A parsed sequence's length: the shipped total if it matches, else planned here."""
    row = _shipped_row(sequence.id, getattr(sequence, "source", None), clips, context_)
    if row is not None:
        return Length(float(row["seconds"]), False)
    timeline, measured = plan(sequence, clips)
    return Length(timeline.seconds, bool(measured.estimated))


def expected(sequence, clips) -> Length | None:
    """A session's length before its player has planned it all; None for steps made in code (the
    agreement said back), which have no script to measure."""
    return of(sequence, clips) if hasattr(sequence, "source") else None


def _shipped_row(script_id: str, path, clips, context_: str | None = None, builtins=None) -> dict | None:
    """The shipped row for a built-in script at `path`, if it is current for these voices and settings."""
    from .library import builtin_scripts

    if path is None or str((builtins if builtins is not None else builtin_scripts()).get(script_id)) != str(path):
        return None
    row = shipped().get("sequences", {}).get(script_id)
    if row is None:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    return row if row.get("key") == sequence_key(text, context_ or context(clips)) else None


def listing(clips, warn) -> list[dict]:
    """Every sequence (yours first in name, as `play` finds them) with its header and length: a
    built-in's from the shipped table when it matches, anything else parsed and planned."""
    from .library import all_scripts, builtin_scripts, sources

    origin, builtins, context_ = sources(), builtin_scripts(), context(clips)
    rows = []
    for script_id, path in all_scripts().items():
        source, replaces = origin.get(script_id, ("builtin", False))
        row = _shipped_row(script_id, path, clips, context_, builtins) if source == "builtin" else None
        if row is not None:
            head = {k: row[k] for k in ("title", "for", "moment", "summary")}
            length = Length(float(row["seconds"]), False)
        else:
            from .script import ScriptError, parse_file

            try:
                sequence = parse_file(path)
            except ScriptError as e:
                warn(f"skipping {e}")
                continue
            head = {"title": sequence.title, "for": sequence.for_, "moment": sequence.moment,
                    "summary": sequence.summary}
            length = of(sequence, clips, context_)
        rows.append({"id": script_id, **head, "minutes": round(length.seconds / 60, 1),
                     "estimated": length.estimated, "path": str(path), "source": source,
                     "replaces_builtin": replaces})
    return rows


def row(sequence, clips) -> dict:
    """The shipped row of a built-in sequence as audio/make_lengths.py writes it (the plan in the
    cache's clips, which the generator has just rendered)."""
    timeline, measured = plan(sequence, clips)
    with open(sequence.source, encoding="utf-8") as f:
        text = f.read()
    return {"key": sequence_key(text, context(clips)),
            "seconds": round(timeline.seconds, 3), "title": sequence.title, "for": sequence.for_,
            "moment": sequence.moment, "summary": sequence.summary}


# -- a running prepare's progress (written by prepare.py, read by `list` and `doctor`) --------------------
def write_progress(root, done: int, total: int) -> None:
    from .paths import write_private

    write_private(root / PROGRESS, json.dumps({"pid": os.getpid(), "done": done, "total": total}))


def read_progress(root) -> tuple[int, int] | None:
    """(done, total) of a prepare running now, or None (none runs, or the one that wrote it ended)."""
    try:
        found = json.loads((root / PROGRESS).read_text(encoding="utf-8"))
        pid, done, total = int(found["pid"]), int(found["done"]), int(found["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        return None
    return done, total


def _alive(pid: int) -> bool:
    import sys

    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill there ends the process: trust the file, which prepare removes
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, another user's: not ours, but alive (a reused pid is rare and harmless here)
    return True


def progress_line(root) -> str | None:
    """ "voices: 340 of 1,180 lines ready (a prepare is running)", while one runs."""
    found = read_progress(root)
    if found is None:
        return None
    done, total = found
    return f"voices: {done:,} of {total:,} lines ready (a prepare is running)"


def expect_later(player, sequence, clips) -> None:
    """Find a session's length in a thread (started after its first sound) and give it to the player."""
    import threading

    def find() -> None:
        try:
            player.expected = expected(sequence, clips)
        except Exception as e:  # the status line goes on without a total, as before
            from .debug import report

            report(e, "the session's expected length")

    threading.Thread(target=find, daemon=True, name="expected-length").start()


def about(sequence) -> str:
    """ "about 12 min": the together menu's length, from the same source as `list` (your settings' voices)."""
    from .config import ConfigError, load
    from .voice.clips import user_store

    try:
        voices = load().voices
    except ConfigError:  # said by the command itself; the menu still shows a length
        from .config import VoiceSettings

        voices = VoiceSettings()
    return f"about {max(1, round(of(sequence, user_store(voices, warn=lambda line: None)).seconds / 60))} min"
