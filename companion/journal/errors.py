"""What can go wrong with the journal, said in one line."""

from __future__ import annotations

UNRECORDED = "companion: this session will not be recorded: "  # then why, and what to do


class JournalError(RuntimeError):
    """One line: what is wrong with the journal, where, and what to do. `said`: the person was told already."""

    def __init__(self, message: str, said: bool = False):
        super().__init__(message)
        self.said = said


class Damaged(JournalError):
    """The journal file is damaged; it is left as it is."""
