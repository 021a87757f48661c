"""The kept break agreement's shape (agreement.json in the data folder): one pydantic model.

Each field is checked by the rules for a typed answer (agreement_fields.py),
so a hand-edited file is refused in the words a partner typing it would read. `checked` turns the
model's errors into one line. Imported only to make an agreement or to check a kept one that changed
(see agreement.load): a pause reads a kept one without pydantic.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from ..spoken import check_names
from .agreement_fields import VERSION, check_field, check_minutes


class Pair(BaseModel):
    """One value for each partner: A's and B's."""

    model_config = ConfigDict(extra="ignore")

    A: str
    B: str


class KeptAgreement(BaseModel):
    """A break agreement as kept, and as `together --agreement --json` shows it."""

    model_config = ConfigDict(extra="ignore")

    version: int = VERSION
    made: str = Field("", description="the day it was made, YYYY-MM-DD")
    names: Pair = Field(description="the partners' names when it was made")
    word: str = Field(description="the signal word for I'm flooded (up to 30 characters)")
    minutes: int = Field(description="how long a break lasts: a whole number of minutes from 5 to 180")
    places: Pair = Field(description="where each goes for a break (up to 80 characters)")
    sentences: Pair = Field(description="what each says before going (up to 160 characters)")
    way_back: str = Field(description="what you do first when the break ends (up to 200 characters)")

    @field_validator("made", mode="before")
    @classmethod
    def _made(cls, value):
        return "" if value is None else str(value)

    @field_validator("names", mode="after")
    @classmethod
    def _names(cls, value: Pair) -> Pair:
        return Pair(**check_names(value.A, value.B))  # stripped; not empty, not the same

    @field_validator("word", "way_back", mode="before")
    @classmethod
    def _text(cls, value, info: ValidationInfo) -> str:
        return check_field(info.field_name, value, _names(info))

    @field_validator("minutes", mode="before")
    @classmethod
    def _minutes(cls, value) -> int:
        return check_minutes(value)

    @field_validator("places", "sentences", mode="before")
    @classmethod
    def _pair(cls, value, info: ValidationInfo):
        if not isinstance(value, dict):
            return value  # refused by Pair: not an agreement
        key = {"places": "place", "sentences": "sentence"}[info.field_name]
        return {side: check_field(f"{key}_{side}", value[side], _names(info)) for side in ("A", "B") if side in value}


def _names(info: ValidationInfo) -> dict[str, str]:
    """The names for a message ("where Sam goes"): as checked, or A and B if they were not."""
    names = info.data.get("names")
    return {"A": names.A, "B": names.B} if names is not None else {"A": "A", "B": "B"}


def checked(data) -> dict:
    """The agreement in `data` (as kept) as the model's values; ValueError, one line, if it is none."""
    if not isinstance(data, dict):
        raise ValueError("it is not an agreement")
    try:
        return KeptAgreement.model_validate(data).model_dump()
    except ValidationError as e:
        problem = e.errors()[0]
        if problem["type"] == "missing":
            raise ValueError(f"it lacks '{'.'.join(map(str, problem['loc']))}'") from None
        if problem["type"] == "value_error":  # the field's own rule: its words
            raise ValueError(str(problem["ctx"]["error"])) from None
        raise ValueError("it is not an agreement") from None
