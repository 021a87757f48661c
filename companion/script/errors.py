"""What a script can raise: where, what was found, what was expected; and every such error at once."""

from ..textsafe import MAX_FOUND_CHARS, clip, visible


class ScriptError(Exception):
    """A problem in a script file, located at `line`:`column` (both 1-based).

    Its line is printed as is, so it is bounded and shows a script's control
    characters as escapes: a bad line cannot write to the terminal.
    """

    kind = ""

    def __init__(self, source: str, line: int, column: int, found: str, expected: str):
        self.source, self.line, self.column = source, line, column
        self.found, self.expected = found, expected
        super().__init__(str(self))

    def __str__(self) -> str:
        found = clip(self.found, MAX_FOUND_CHARS)
        return visible(f"{self.source}:{self.line}:{self.column}: {self.kind}found {found}; expected {self.expected}")


class ScriptWarning(ScriptError):
    """Valid, but probably not what the writer meant (`check` says so; `play` plays it)."""

    kind = "warning: "


class ScriptErrors(ScriptError):
    """Every error found in one pass over a file; it reads as the first (what `play` says),
    `errors` holds them all (what `check` prints, one line each)."""

    def __init__(self, errors: list[ScriptError]):
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.source, first.line, first.column, first.found, first.expected)
