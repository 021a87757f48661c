"""The parsed form of a script file: a Sequence of Steps (pydantic models).

Every duration is in seconds. Line numbers are 1-based lines of the source file,
kept so that later stages (captions, errors) can point back at the script.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ..textsafe import MAX_SUMMARY_CHARS, MAX_TITLE_CHARS

# you: a line modelled for the listener to say; partner: the partner's own words, from their device (never in
# a script: the pause says them, pause/both_devices.py)
Role = Literal["guide", "A", "B", "you", "partner"]
For = Literal["leaving", "reaching", "both", "pair"]
Moment = Literal["conflict", "daily", "together"]


class _Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    line: int = Field(ge=1)


class Speak(_Step):
    """A line spoken by the guide, by partner A's or B's voice, or in the voice of words
    modelled for the listener to say (`you`).

    `template`: `text` holds placeholders (`{minutes}`; `{{` for a brace), filled by the
    session (script/spoken.py) before it is spoken. `safety`: the safety line, which a
    session speaks once. `caption` (not in the grammar): shown instead of `text`.
    """

    kind: Literal["speak"] = "speak"
    text: str = Field(min_length=1)
    role: Role = "guide"
    template: bool = False
    safety: bool = False
    caption: str = ""
    speaker: str = ""  # not in the grammar: the partner's name a session shows instead of A or B


class Pause(_Step):
    """Silence. `natural` marks the short pause a blank line makes."""

    kind: Literal["pause"] = "pause"
    seconds: float = Field(gt=0)
    natural: bool = False


class Bell(_Step):
    """A bell; `caption` (not in the script grammar) says on screen what it means, e.g. in a pulse count."""

    kind: Literal["bell"] = "bell"
    soft: bool = False
    caption: str = ""


class Breathe(_Step):
    """Paced breathing: `cycles` rounds of in, optional hold, and out."""

    kind: Literal["breathe"] = "breathe"
    in_s: float = Field(gt=0)
    hold_s: float = Field(ge=0, default=0)
    out_s: float = Field(gt=0)
    cycles: int = Field(ge=1, default=1)


class Turn(_Step):
    """A partner speaks aloud for real; the program waits up to `limit_s`."""

    kind: Literal["turn"] = "turn"
    who: Literal["A", "B", "both"]
    limit_s: float = Field(gt=0)
    prompt: str = ""
    template: bool = False  # `prompt` holds placeholders ({A}, {B}: the partners' names), filled by the session
    speaker: str = ""  # not in the grammar: the partner's name a session shows


class Sound(_Step):
    """A bundled sound from audio/, looped or cut to `seconds`."""

    kind: Literal["sound"] = "sound"
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    seconds: float = Field(gt=0)


Step = Annotated[Union[Speak, Pause, Bell, Breathe, Turn, Sound], Field(discriminator="kind")]


def _one_line(limit: int):
    """A title's or summary's check: at most `limit` characters, plain text on one line."""
    def checked(text: str) -> str:
        if len(text) > limit:
            raise PydanticCustomError("too_long", "at most {limit} characters", {"limit": limit})
        bad = _ONE_LINE_CONTROL.search(text)
        if bad:  # would reach the terminal as an escape code
            raise PydanticCustomError("control_character", "a control character", {"char": bad.group()})
        return text
    return AfterValidator(checked)


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("blank")
    return text.strip()


_ONE_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # newlines and tabs too


class FrontMatter(BaseModel):
    """A script's front matter: the TOML between its two +++ lines. Only `title` is required.
    Each field's description is what an error in a script says was expected."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    title: Annotated[str, _one_line(MAX_TITLE_CHARS), AfterValidator(_not_blank)] = Field(
        strict=True, description="a non-empty string in quotes")
    for_: For = Field(default="both", alias="for", description="one of " + ", ".join(f'"{v}"' for v in get_args(For)))
    moment: Moment | None = Field(default=None, description="one of " + ", ".join(f'"{v}"' for v in get_args(Moment)))
    summary: Annotated[str, _one_line(MAX_SUMMARY_CHARS)] = Field(default="", strict=True,
                                                                  description="a string in quotes")
    minutes: float | None = Field(default=None, ge=0, lt=1000, allow_inf_nan=False, strict=True,
                                  description="a number of minutes")


class Sequence(FrontMatter):
    """A whole script: its front matter and its steps, in order."""

    id: str
    source: str
    steps: tuple[Step, ...]
