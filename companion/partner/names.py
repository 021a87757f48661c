"""A partner's name, and what the partner package's errors are: below identity, the peers file's model
and the messages, which all check a name the same way."""

from __future__ import annotations

MAX_NAME = 30  # as a partner's name in a session (spoken.MAX_NAME)
MAX_PEERS = 16


class PartnerError(ValueError):
    """One line: what is wrong, where, and how to fix it."""


class PairingError(PartnerError):
    """A pairing attempt ended: one line saying why."""

def check_name(name: str) -> str:
    """A person's name, stripped: 1 to MAX_NAME printable characters, no braces (it fills {A} and {B})."""
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise ValueError("the name is empty; type a name")
    if len(name) > MAX_NAME:
        raise ValueError(f"the name is longer than {MAX_NAME} characters; shorten it")
    if not name.isprintable() or any(c in name for c in "{}"):
        raise ValueError("the name holds a control character or a brace; type letters")
    return name
