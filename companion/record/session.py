"""The recording conversation at the terminal, one line at a time.

For each line: the line before it and the line; a key starts; a level meter while it records; a
key, or STOP_SILENCE_S of quiet after speech, stops; a bad take (mostly silence, clipped, too
quiet) is named and offered again; a good one is trimmed, levelled and played back, then kept
(k/Enter), redone (r), skipped (s), or the line before is taken again (b). Each kept take is saved
at once, with Ctrl-C held, so a Ctrl-C loses nothing kept.

The parts (microphone, keys, screen, saving, playing back) are passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import interrupt
from . import takes
from .asked import Line

START = (" ", "\r", "\n")
KEEP = ("k", "K", "\r", "\n")
POLL_S = 0.05


@dataclass
class Tally:
    kept: list[str] = field(default_factory=list)  # texts, in the order kept
    skipped: int = 0

    def new_lines(self) -> str:
        return f"{len(self.kept)} new line{'s' * (len(self.kept) != 1)}"


class Stop(Exception):
    """There are no more keys to read (the input has ended)."""


def record(title: str, lines: list[Line], *, mic, keys, screen, save: Callable[[str, bytes], None],
           play_back: Callable[[bytes], str | None], tally: Tally) -> Tally:
    """Ask for each of `lines` in turn. `play_back(pcm)` plays a take and returns a key pressed
    during it (or None); `save(text, pcm)` keeps one."""
    index, note = 0, ""
    while index < len(lines):
        line = lines[index]
        _show(screen, title, index, len(lines), line, note)
        note = ""
        key = _key(keys, START + ("s", "S", "b", "B"))
        if key in ("s", "S"):
            tally.skipped += 1
            index += 1
            continue
        if key in ("b", "B"):
            index = max(0, index - 1)
            continue
        take = _take(mic, keys, screen)
        wrong = takes.verdict(take)
        if wrong is not None:
            note = f"That take was {wrong[0]}: {wrong[1]}"
            continue
        kept = takes.ready(take)
        screen.caption("Playing it back.")
        key = play_back(kept)  # a key meanwhile stops it, and is the answer if it is one
        if key not in KEEP + ("r", "R", "s", "S", "b", "B"):
            screen.caption("k or Enter keeps it · r again · s skip · b back")
            key = _key(keys, KEEP + ("r", "R", "s", "S", "b", "B"))
        if key in KEEP:
            with interrupt.held():  # a Ctrl-C now must not cut a take in half
                save(line.text, kept)
            tally.kept.append(line.text)
            screen.caption("Kept.")
            index += 1
        elif key in ("s", "S"):
            tally.skipped += 1
            index += 1
        elif key in ("b", "B"):
            index = max(0, index - 1)
        else:
            note = "Again."
    screen.close()
    return tally


def _show(screen, title: str, index: int, count: int, line: Line, note: str) -> None:
    if note:
        screen.caption(note)
    screen.caption("")
    screen.caption(f"{title} · line {index + 1} of {count}")
    if line.before:
        screen.caption(f"  before: {line.before}")
    screen.caption(f"  say:    {line.text}")
    screen.caption("Space or Enter records · s skip · b back · Ctrl-C stops (kept lines stay)")


def _key(keys, wanted: tuple[str, ...]) -> str:
    """The next key among `wanted` (others are ignored: an arrow key's bytes, a stray letter)."""
    while True:
        interrupt.check()
        if not keys.active:
            raise Stop
        key = keys.read(POLL_S)
        if key in wanted:
            return key


def _take(mic, keys, screen) -> bytes:
    """Record until a key, or the silence that follows speech; the meter shows the level meanwhile."""
    stop = takes.SilenceStop()
    parts = []
    mic.start()
    screen.caption(f"Recording. Any key stops it, or {takes.STOP_SILENCE_S:g} s of quiet.")
    try:
        while True:
            interrupt.check()
            data = mic.read(POLL_S)
            parts.append(data)
            done = stop.feed(data)
            level = stop.level
            shown = "quiet" if level == float("-inf") else f"{level:.0f} dB"
            screen.status(takes.meter(level), 1.0, note=f"recording · {shown}", times=False)
            if done or keys.read(0) is not None:
                break
    finally:
        mic.stop()
        screen.close()
    return b"".join(parts)
