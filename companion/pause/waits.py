"""The break and the hold-off wait, as plain script steps. Pure, but for the words, which are data
(scripts/_spoken.toml, read through lines.py).

The bell rings exactly `minutes` after the wait begins: the pauses between
the spoken cues are computed from the real lengths of the spoken lines.
"""

from __future__ import annotations

from ..playback.pcm import RATE_HZ
from ..script import Bell, Pause, Speak
from ..playback.timeline import plan

CUE_EVERY_S = 5 * 60
QUIET_END_S = 60  # no cue in the last minute: the bell is the next thing heard

# The lines themselves are data (scripts/_spoken.toml): a leaving side's wait is the break, a
# reaching side's the hold-off.
TABLE = {"leaving": "pause.break", "reaching": "pause.hold-off"}


def cues(side: str) -> tuple[str, ...]:
    """The lines said every few minutes of the wait, in turn."""
    from ..lines import said

    return tuple(said(f"{TABLE[side]}.cues"))


def announcement(side: str, at: str, minutes: float | None = None, boat: bool = False) -> list[str]:
    """The spoken opening of the wait; `at` is the return time, e.g. 21:40; `minutes`, the break chosen
    (without it, a line naming the minutes is left out).

    On the leaving side the first line is the listener's own words to the partner (see `roles`);
    after `boat` (which has just said to promise nothing tonight) they promise only the return."""
    from ..lines import said
    from ..spoken import words

    values = {"return_time": at, "minutes": words(minutes) if minutes else None}
    yours = said("pause.boat.yours" if boat else "pause.break.yours", **values) if side == "leaving" else []
    return [*yours, *said(f"{TABLE[side]}.announcement", **values)]


def roles(side: str) -> tuple[str, ...]:
    """Whose voice says each line of the announcement: the leaving side's first line is said for you
    (pause.break.yours in the data)."""
    return ("you",) if side == "leaving" else ()


def back_to_the_break(at: str, side: str = "leaving") -> list[str]:
    """After a moment played from the wait (`followed`, `coming-back`, `threatened`), the wait goes
    on to the same bell."""
    from ..lines import said

    return said("pause.break.back" if side == "leaving" else "pause.back.hold-off", return_time=at)


def wait_steps(opening: list[str], cues: tuple[str, ...], minutes: float, lengths, quiet: bool = False,
               voices: tuple[str, ...] = (), partner: str = "") -> list:
    """Opening lines (`voices[i]`: the role saying line i, else the guide), then silence with a cue
    every few minutes, then a soft bell at `minutes`. `partner`: the name the partner role's words are
    shown with."""
    total = round(minutes * 60 * RATE_HZ)
    steps: list = [Speak(line=1, text=text, role=role, speaker=partner if role == "partner" else "")
                   for text, role in zip(opening, (*voices, *("guide",) * (len(opening) - len(voices))))]
    elapsed = plan(steps, lengths).frames
    mark, index = CUE_EVERY_S * RATE_HZ, 0
    while not quiet and mark + QUIET_END_S * RATE_HZ < total:
        if mark > elapsed:
            steps.append(Pause(line=1, seconds=(mark - elapsed) / RATE_HZ))
            steps.append(Speak(line=1, text=cues[index % len(cues)]))
            index += 1
            elapsed = plan(steps, lengths).frames
        mark += CUE_EVERY_S * RATE_HZ
    if total > elapsed:
        steps.append(Pause(line=1, seconds=(total - elapsed) / RATE_HZ))
    steps.append(Bell(line=1, soft=True))
    return steps
