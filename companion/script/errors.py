"""The one error a script can raise: where, what was found, what was expected."""


class ScriptError(Exception):
    """A problem in a script file, located at `line`:`column` (both 1-based)."""

    def __init__(self, source: str, line: int, column: int, found: str, expected: str):
        self.source, self.line, self.column = source, line, column
        self.found, self.expected = found, expected
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}: found {self.found}; expected {self.expected}"
