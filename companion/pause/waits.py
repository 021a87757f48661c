"""The break and the hold-off wait, as plain script steps. Pure.

The bell rings exactly `minutes` after the wait begins: the pauses between
the spoken cues are computed from the real lengths of the spoken lines.
"""

from __future__ import annotations

from ..playback.pcm import RATE_HZ
from ..script import Bell, Pause, Speak
from ..playback.timeline import plan

CUE_EVERY_S = 5 * 60
QUIET_END_S = 60  # no cue in the last minute: the bell is the next thing heard

LEAVING_CUES = (
    "Still on your break. Let the out-breath be the long one.",
    "Feet on the ground. Nothing needs deciding now.",
    "If the fight replays in your head, notice it. Come back to your breath.",
    "Your body is settling, even if it doesn't feel like it yet.",
)
REACHING_CUES = (
    "Still holding off. Let your hands rest.",
    "The urge to reach may be loud. You don't have to obey it.",
    "Their silence may be a body that's too full. It isn't proof.",
    "Breathe out slowly. You can wait, and still love them.",
)


def announcement(side: str, at: str, minutes: float | None = None) -> list[str]:
    """The spoken opening of the wait; `at` is the return time, e.g. 21:40; `minutes`, the break chosen.

    On the leaving side the first line is the listener's own words to the partner (see `roles`)."""
    if side == "leaving":
        length = [f"A break of {minutes:g} minutes."] if minutes else []
        return [f"I'm flooded. I'm not leaving you. I'll be back at {at}.", *length,
                "Go somewhere you can be alone. Walk, sit, drink some water.",
                "You don't have to think about the fight. I'll ring a bell when it's time."]
    return [f"You're holding off until {at}. No texts, no calls, no following.",
            "Stay with your own body for now. I'll ring a bell when it's time."]


def roles(side: str) -> tuple[str, ...]:
    """Whose voice says each line of the announcement: the leaving side's first line is said for you."""
    return ("you",) if side == "leaving" else ()


def back_to_the_break(at: str) -> list[str]:
    """After `followed`, the wait goes on to the same bell."""
    return [f"Back to your break. The bell still rings at {at}.", "Let the out-breath be the long one."]


def wait_steps(opening: list[str], cues: tuple[str, ...], minutes: float, lengths, quiet: bool = False,
               voices: tuple[str, ...] = ()) -> list:
    """Opening lines (`voices[i]`: the role saying line i, else the guide), then silence with a cue
    every few minutes, then a soft bell at `minutes`."""
    total = round(minutes * 60 * RATE_HZ)
    steps: list = [Speak(line=1, text=text, role=voices[i] if i < len(voices) else "guide")
                   for i, text in enumerate(opening)]
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
