"""`companion pause` options, parsed without Click on the hot path.

Click takes about 20 ms to import; the question must be on screen within
100 ms of launch. Both Click's command (cli/pause.py) and this parser are
built from one table (fast/options.py), so they cannot drift.
"""

from __future__ import annotations

from ..fast.options import COMMANDS, UsageError, parse

__all__ = ["UsageError", "PauseOptions", "parse_args", "FLAGS", "VALUED"]

FLAGS = {o.flag: (o.param, True if o.kind == "flag" else o.value) for o in COMMANDS["pause"] if not o.takes_argument}
VALUED = {o.flag: o.param for o in COMMANDS["pause"] if o.takes_argument}


class PauseOptions:
    """side: "leaving", "reaching" or None (ask); minutes: None for the default, or a key after `stay`."""

    __slots__ = ("side", "minutes", "quiet", "text", "pulse")

    def __init__(self, side: str | None = None, minutes: float | None = None, quiet: bool = False,
                 text: bool = False, pulse: bool = False):
        self.side, self.minutes, self.quiet, self.text, self.pulse = side, minutes, quiet, text, pulse

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other) -> bool:
        return isinstance(other, PauseOptions) and self._values() == other._values()

    def __repr__(self) -> str:
        return "PauseOptions(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__) + ")"


def parse_args(argv: list[str]) -> PauseOptions:
    values, _ = parse("pause", argv)
    return PauseOptions(**values)
