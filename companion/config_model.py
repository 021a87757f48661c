"""config.toml's shape: one pydantic model (ConfigFile), the documentation of every setting.

Each field's description is what an error line says was expected. `check` turns the file's text
into the settings' values, or a Problem: the key, its value, what was expected (config.py says it in
one line, with the file and line). Imported only when the file changed since it was last checked
(checked.py keeps the answer), so the pause and `progress` read their settings without pydantic.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

RATE_RANGE = (80, 400)
VOICE_ID = "a voice id in quotes (see `companion voices`)"
YES_NO = "true or false"


def _sentence(text: str) -> str:
    """Said after the safety line, and shown: words, on one line, with no placeholder braces."""
    if not re.search(r"\w", text) or not text.isprintable() or re.search(r"[{}]", text):
        raise ValueError("not a sentence")
    return text


VoiceId = Annotated[str, Field(pattern=r"\S")]


class Voices(BaseModel):
    """[voices]: an id from `companion voices` for each role; a role left out keeps its default."""

    model_config = ConfigDict(extra="forbid", strict=True)

    guide: VoiceId | None = Field(None, description=VOICE_ID)
    A: VoiceId | None = Field(None, description=VOICE_ID)
    B: VoiceId | None = Field(None, description=VOICE_ID)
    you: VoiceId | None = Field(None, description=VOICE_ID + "; the words modelled for you to say")
    partner: VoiceId | None = Field(None, description=VOICE_ID + "; your partner's own words, from their device")


class PauseSettings(BaseModel):
    """[pause]: when a pulse counts as flooded, and the default break."""

    model_config = ConfigDict(extra="forbid", strict=True)

    flooded_bpm: int = Field(100, ge=40, le=200,
                             description="a whole number of beats a minute from 40 to 200 (100; 80 for an athlete)")
    minutes: int | float = Field(20, ge=1, le=180, allow_inf_nan=False, description="a number of minutes from 1 to 180")


class ConfigFile(BaseModel):
    """config.toml in the user config folder (`companion doctor` names it). Every key may be left out."""

    model_config = ConfigDict(extra="forbid", strict=True)

    help: Annotated[int, Field(ge=0)] | Annotated[str, Field(max_length=200), AfterValidator(_sentence)] | None = Field(
        None, description='a number or a sentence of up to 200 characters, e.g. help = "Call 988, the crisis line"')
    background_prepare: bool = Field(True, description=YES_NO)
    rate: int = Field(140, ge=RATE_RANGE[0], le=RATE_RANGE[1],
                      description=f"a whole number of words a minute from {RATE_RANGE[0]} to {RATE_RANGE[1]}")
    voices: Voices = Field(Voices(), description="a [voices] table")
    pause: PauseSettings = Field(PauseSettings(), description="a [pause] table")
    day_ends: str = Field("04:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                          description='a time of day "HH:MM", e.g. "04:00" (a practice before it counts for the day before)')
    show_streaks: bool = Field(True, description=YES_NO)


TABLES = {"voices": Voices, "pause": PauseSettings}
UNKNOWN = {(): ("unknown setting {value}", "rate, background_prepare, help, day_ends, show_streaks, [voices] or [pause]"),
           ("voices",): ("unknown voice role {value}", "guide, A, B, you or partner"),
           ("pause",): ("unknown setting {value}", "flooded_bpm or minutes")}


class Problem(ValueError):
    """What is wrong: `said`, with "{value}" where the value goes (bounded and escaped by config.shown),
    and the key whose line it is on (None: the file as a whole)."""

    def __init__(self, said: str, value=None, key: str | None = None):
        super().__init__(said)
        self.said, self.value, self.key = said, value, key


def check(text: str) -> dict:
    """The settings config.toml's `text` gives, as ConfigFile's values; a Problem if none."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise Problem(f"invalid TOML ({e}); fix the line or delete the file") from None
    except ValueError as e:  # a number too long to convert
        raise Problem(f"invalid TOML ({str(e).split(':')[0]}); fix the line or delete the file") from None
    except RecursionError:  # tables or arrays nested hundreds deep
        raise Problem("invalid TOML (nested too deeply); fix the file or delete it") from None
    try:
        return ConfigFile.model_validate(data).model_dump()
    except ValidationError as e:
        raise _first(e, data) from None
    except RecursionError:  # a value nested deep, below what TOML refuses
        raise Problem("a value is nested too deeply; fix the file or delete it") from None


def _first(error: ValidationError, data: dict) -> Problem:
    """The first problem: an unknown key first (the top level's, then a table's), then by field."""
    order = list(ConfigFile.model_fields)
    problems = sorted(error.errors(), key=lambda p: (p["type"] != "extra_forbidden", len(p["loc"]),
                                                     order.index(p["loc"][0]) if p["loc"][0] in order else -1))
    problem = problems[0]
    loc = [str(part) for part in problem["loc"]]
    if problem["type"] == "extra_forbidden":
        what, expected = UNKNOWN[tuple(loc[:-1])]
        named = loc[-1] if loc[:-1] != ["pause"] else "pause." + loc[-1]
        return Problem(f"{what}; expected {expected}", named, loc[-1])
    if loc[0] in TABLES and len(loc) > 1:  # a key in a table: voices.guide, pause.minutes
        key, field = f"{loc[0]}.{loc[1]}", TABLES[loc[0]].model_fields[loc[1]]
        value = data[loc[0]].get(loc[1])
    else:  # a top-level key (a union's member, help's, adds a part to loc)
        key, field, value = loc[0], ConfigFile.model_fields[loc[0]], data.get(loc[0])
    return Problem(f"{key} = {{value}}; expected {field.description}", value, key.split(".")[-1])
