"""Am I flooded? A guided pulse count between two soft bells 15 s apart."""

from __future__ import annotations

from ..playback import assets
from ..playback.pcm import RATE_HZ
from ..script import Bell, Pause, Speak

COUNT_S = 15
FLOODED_BPM = 100  # the threshold couples researchers use; 80 for a trained athlete (config)
COUNT_RANGE = (5, 60)  # beats in 15 s: 20 to 240 a minute

# The words are data (scripts/_spoken.toml, [pause.pulse]); the time after each instruction is not.
AFTER_S = (0, 5, 5, 3)


def instructions() -> tuple[str, ...]:
    """The four lines before the count."""
    from ..lines import said

    return tuple(said("pause.pulse.instructions"))


def count_steps() -> list:
    """The spoken guidance, then two soft bells whose onsets are COUNT_S apart."""
    bell_s = assets.frames(assets.BELL_SOFT) / RATE_HZ
    steps: list = []
    for line, (text, after_s) in enumerate(zip(instructions(), AFTER_S), 1):
        steps.append(Speak(line=line, text=text))
        if after_s:
            steps.append(Pause(line=line, seconds=after_s))
    return [*steps, Bell(line=5, soft=True, caption=START), Pause(line=5, seconds=COUNT_S - bell_s),
            Bell(line=6, soft=True, caption=STOP)]


START, STOP = "● Start counting now.", "● Stop."


def count_note(cursor) -> str:
    """The progress line of the count: the seconds left between the bells (shown with captions only, too)."""
    from ..session.screen import clock

    bells = [i for i, e in enumerate(cursor.events) if e.kind == "bell"]
    if len(bells) == 2 and bells[0] <= cursor.index < bells[1]:
        left = (cursor.events[bells[1]].start - cursor.position) / RATE_HZ
        return f"counting · {clock(left)} left · q end"
    return "q end" if len(bells) == 2 and cursor.index >= bells[1] else "two fingers on your wrist · q end"


def bpm(beats: int) -> int:
    return beats * 60 // COUNT_S


def verdict(rate_bpm: int, flooded_bpm: int = FLOODED_BPM, break_minutes: float = 20) -> list[str]:
    """What to say about a heart rate, plainly; `break_minutes`: the break the pause will offer (the
    agreed length when a break agreement is kept: PauseFlow.pulse). Under the line is not "calm"
    for a body that has shut down: its words (pause.pulse.calm) name going blank or numb as
    flooding too, before any "go on"."""
    from ..lines import said
    from ..spoken import words

    return said(f"pause.pulse.{'flooded' if rate_bpm > flooded_bpm else 'calm'}", bpm=rate_bpm,
                minutes=words(break_minutes))


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


def ask_beats(read_line, caption) -> int | None:
    """The count, asked until it is one (`caption` says what was wrong); None: q, or no more input."""
    while True:
        try:
            answer = read_line("How many beats did you count? (q to end) ")
        except EOFError:
            caption("")
            return None
        if answer.strip().lower() == "q":
            return None
        try:
            return parse_count(answer)
        except ValueError as e:
            caption(str(e))
