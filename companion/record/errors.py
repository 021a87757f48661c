"""record's own error: the CLI turns it into its one-line Failure (a moment does not import cli/)."""

from __future__ import annotations


class NotRecorded(Exception):
    """The recording could not start or go on: what, and how to fix; the exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
