"""playback's own error for a command: the CLI turns it into its one-line Failure (playback does not import cli/)."""

from __future__ import annotations


class NotWritten(Exception):
    """A file a command was asked to write was not written: what, where and how to fix; the exit code."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
