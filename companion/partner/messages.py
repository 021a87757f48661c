"""What two paired devices say to each other during a break: pydantic models, one union on `kind`.

Every field is bounded (a name's length, a time's range, an id's shape) and nothing else is
accepted, so a message that decodes is one the program can act on. `decode` gives None and a debug
line for anything else: invalid JSON or UTF-8, an unknown kind, a missing or extra field, a number
out of range, a string too long. Times named by the partner are its wall clock (epoch seconds);
clock.py turns them into ours.

- promise: the one taking a break says who, when they'll be back and for how long.
- extend: "I need ten more minutes": the same break's new return time.
- ready: back early: both bells ring at `at`.
- rang: when this device's bell rang, so each side can tell whether both rang together.
- ack: received (a promise, extend or ready is sent again until its id is acknowledged).
- ping/pong: the clock offset's samples (clock.Sample: t0 and t3 ours, t1 and t2 the partner's).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from companion.partner.names import MAX_NAME, check_name
from companion.partner.notes import note

MAX_PLAINTEXT = 1024  # the largest message is a few hundred bytes; anything longer is not one of ours
LATEST = 2.0**33  # epoch seconds in the year 2242: later than any time a break names


def _name(text: str) -> str:
    """Shown and spoken, and the same rule as a name given at pairing (identity.check_name): 1 to MAX_NAME
    printable characters once stripped, no braces."""
    return check_name(text)  # ValueError: pydantic says what is wrong


MessageId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
Name = Annotated[str, Field(min_length=1, max_length=4 * MAX_NAME), AfterValidator(_name)]
Time = Annotated[float, Field(ge=0.0, le=LATEST, allow_inf_nan=False)]  # a wall or monotonic clock's seconds
Minutes = Annotated[float, Field(ge=1.0, le=180.0, allow_inf_nan=False)]  # as config's [pause] minutes


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Promise(_Message):
    kind: Literal["promise"] = "promise"
    id: MessageId
    name: Name  # what the one away calls themself; the paired name is the one to trust
    return_at: Time
    minutes: Minutes


class Extend(_Message):
    kind: Literal["extend"] = "extend"
    id: MessageId
    promise: MessageId  # the break it moves
    return_at: Time


class Ready(_Message):
    kind: Literal["ready"] = "ready"
    id: MessageId
    promise: MessageId
    at: Time  # when both bells ring: a moment ahead, so the partner's rings with it


class Rang(_Message):
    kind: Literal["rang"] = "rang"
    id: MessageId
    promise: MessageId
    at: Time  # when this device's bell rang: each side tells whether both rang together


class Ack(_Message):
    kind: Literal["ack"] = "ack"
    id: MessageId  # of the message received


class Ping(_Message):
    kind: Literal["ping"] = "ping"
    t0: Time


class Pong(_Message):
    kind: Literal["pong"] = "pong"
    t0: Time  # the ping's, echoed
    t1: Time
    t2: Time


Message = Annotated[Union[Promise, Extend, Ready, Rang, Ack, Ping, Pong], Field(discriminator="kind")]
RELIABLE = (Promise, Extend, Ready, Rang)  # sent again until acknowledged
_ADAPTER: TypeAdapter = TypeAdapter(Message)


def new_id() -> str:
    return secrets.token_hex(8)


def encode(msg: Promise | Extend | Ready | Rang | Ack | Ping | Pong) -> bytes:
    return msg.model_dump_json().encode()


def decode(plaintext: bytes) -> Promise | Extend | Ready | Rang | Ack | Ping | Pong | None:
    """The message in `plaintext`, or None (and a debug line) for anything that is not exactly one."""
    if len(plaintext) > MAX_PLAINTEXT:
        note(f"a message of {len(plaintext)} bytes dropped: longer than {MAX_PLAINTEXT}")
        return None
    try:
        return _ADAPTER.validate_json(plaintext)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the message"
        note(f"a message of {len(plaintext)} bytes dropped: {where}: {first['msg']}")
    except (ValueError, RecursionError) as exc:  # pydantic's own failures, should any escape it
        note(f"a message of {len(plaintext)} bytes dropped: {type(exc).__name__}")
    return None
