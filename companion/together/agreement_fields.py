"""The seven fields of a break agreement: what is asked, and each answer's rule (pure, light).

The same rules check a typed answer (`companion together agreement`) and a kept file (through
agreement_model.KeptAgreement); the pause imports this module, so no pydantic here.
"""

from __future__ import annotations

VERSION = 1
MINUTES_RANGE = (5, 180)
# key, what is asked (names filled in), the longest answer
FIELDS = (
    ("word", "The signal word for I'm flooded", 30),
    ("minutes", "How long a break lasts, in minutes ({low}-{high})", 3),
    ("place_A", "Where {A} goes for a break", 80),
    ("place_B", "Where {B} goes for a break", 80),
    ("sentence_A", "What {A} says before going", 160),
    ("sentence_B", "What {B} says before going", 160),
    ("way_back", "The way back: what you do first when the break ends", 200),
)
LIMITS = {key: limit for key, _, limit in FIELDS}
NAMED = {"word": "the signal word", "place_A": "where {A} goes", "place_B": "where {B} goes",
         "sentence_A": "{A}'s sentence", "sentence_B": "{B}'s sentence", "way_back": "the way back"}


def question(key: str, names: dict[str, str]) -> str:
    text = next(q for k, q, _ in FIELDS if k == key)
    return text.format(low=MINUTES_RANGE[0], high=MINUTES_RANGE[1], **names)


def check_field(key: str, value, names: dict[str, str]):
    """The field's value, cleaned (minutes as an int); ValueError saying what is wrong and how to fix it."""
    if key == "minutes":
        return check_minutes(value)
    what = NAMED[key].format(**names)
    text = " ".join(str(value if value is not None else "").split())  # one line, single spaces
    if not text:
        raise ValueError(f"{what} is empty; type a few words")
    if not str(value).replace("\t", " ").isprintable():
        raise ValueError(f"{what} holds a control character; type words only")
    if len(text) > LIMITS[key]:
        raise ValueError(f"{what} is longer than {LIMITS[key]} characters; say it shorter")
    return text


def check_minutes(value) -> int:
    """A whole number of minutes in MINUTES_RANGE ("30", "30 min" and 30 alike)."""
    import re

    low, high = MINUTES_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"the break's length is not a whole number of minutes; type one from {low} to {high}")
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,4})\s*(?:m|mins?|minutes?)?\.?", text, re.IGNORECASE)
    if not text:
        raise ValueError(f"no number of minutes was typed; type one from {low} to {high}, such as 20")
    if match is None:
        said = f"'{text}'" if text and text.isprintable() and len(text) <= 20 else "that"
        raise ValueError(f"{said} is not a whole number of minutes; type one from {low} to {high}, such as 20")
    minutes = int(match.group(1))
    if not low <= minutes <= high:
        raise ValueError(f"{minutes} minutes is outside {low} to {high}; type a number from {low} to {high}")
    return minutes
