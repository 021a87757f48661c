"""peers.json's shape: the partners this device is paired with (identity.py reads and writes it)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from .names import MAX_NAME, MAX_PEERS, check_name


def _iso(text: str) -> str:
    from datetime import datetime

    datetime.fromisoformat(text)  # ValueError: pydantic says "not an ISO date-time"
    return text


def _name(text: str) -> str:
    return check_name(text)


def _place(text: str | None) -> str | None:
    if text is not None and not 1 <= int(text.rpartition(":")[2]) <= 65535:
        raise ValueError("the port is not between 1 and 65535")
    return text


class PeerEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(max_length=MAX_NAME * 4), AfterValidator(_name)]
    public_key: str = Field(pattern=r"^[0-9a-f]{64}$", description="an Ed25519 public key: 64 hex digits")
    address: Annotated[str | None, Field(max_length=300, pattern=r"^[^\s]+:\d{1,5}$"), AfterValidator(_place)] = None
    paired_at: Annotated[str, Field(max_length=40), AfterValidator(_iso)]


class PeersFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    version: Literal[1]
    peers: list[PeerEntry] = Field(max_length=MAX_PEERS)
