"""Am I flooded? A guided pulse count between two soft bells 15 s apart."""

from __future__ import annotations

from ..playback import assets
from ..playback.pcm import RATE_HZ
from ..script import Bell, Pause, Speak

COUNT_S = 15
FLOODED_BPM = 100  # the threshold couples researchers use; 80 for a trained athlete (config)
COUNT_RANGE = (5, 60)  # beats in 15 s: 20 to 240 a minute

INSTRUCTIONS = (
    "Let's check if your body is flooded.",
    "Put two fingers on the inside of your wrist, below your thumb.",
    "Press gently until you feel the beat.",
    "At the first bell, start counting. Stop at the second bell.",
)


def count_steps() -> list:
    """The spoken guidance, then two soft bells whose onsets are COUNT_S apart."""
    bell_s = assets.frames(assets.BELL_SOFT) / RATE_HZ
    return [Speak(line=1, text=INSTRUCTIONS[0]), Speak(line=2, text=INSTRUCTIONS[1]), Pause(line=2, seconds=5),
            Speak(line=3, text=INSTRUCTIONS[2]), Pause(line=3, seconds=5), Speak(line=4, text=INSTRUCTIONS[3]),
            Pause(line=4, seconds=3), Bell(line=5, soft=True, caption=START), Pause(line=5, seconds=COUNT_S - bell_s),
            Bell(line=6, soft=True, caption=STOP)]


START, STOP = "● Start counting now.", "● Stop."


def count_note(cursor) -> str:
    """The progress line of the count: the seconds left between the bells (shown with captions only, too)."""
    from ..playback.screen import clock

    bells = [i for i, e in enumerate(cursor.events) if e.kind == "bell"]
    if len(bells) == 2 and bells[0] <= cursor.index < bells[1]:
        left = (cursor.events[bells[1]].start - cursor.position) / RATE_HZ
        return f"counting · {clock(left)} left · q end"
    return "q end" if len(bells) == 2 and cursor.index >= bells[1] else "two fingers on your wrist · q end"


def bpm(beats: int) -> int:
    return beats * 60 // COUNT_S


def verdict(rate_bpm: int, flooded_bpm: int = FLOODED_BPM, break_minutes: float = 20) -> list[str]:
    """What to say about a heart rate, plainly; `break_minutes`: the break the settings give."""
    if rate_bpm > flooded_bpm:
        return [f"About {rate_bpm} beats a minute. Your body is flooded.",
                "Nobody listens well like this. Not you, and not your partner.",
                f"Take a break before you talk again. {break_minutes:g} minutes is a good start."]
    return [f"About {rate_bpm} beats a minute. That's under the flooding line.",
            "You may still feel a lot. Go on when you're ready."]


def parse_count(text: str) -> int:
    """The beats typed; ValueError says, in one line, what to type instead."""
    text = text.strip()
    if not text.isdigit():
        raise ValueError("Type the number of beats you counted between the bells, for example 22, or q to end.")
    beats = int(text)
    if not COUNT_RANGE[0] <= beats <= COUNT_RANGE[1]:
        raise ValueError(f"{beats} beats in {COUNT_S} seconds would be {bpm(beats)} a minute; "
                         f"check the count and type it again, or q to end.")
    return beats
