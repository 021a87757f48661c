"""`companion pause` options, parsed without Click on the hot path.

Click takes about 20 ms to import; the question must be on screen within
100 ms of launch. The Click command in cli.py declares the same options for
`--help` and documentation; a test keeps the two in step.
"""

from __future__ import annotations

MINUTES_RANGE = (1, 180)


class UsageError(ValueError):
    pass


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


FLAGS = {"--leave": ("side", "leaving"), "--reach": ("side", "reaching"), "--quiet": ("quiet", True),
         "--text": ("text", True), "--pulse": ("pulse", True)}
VALUED = {"--minutes": "minutes"}


def parse_args(argv: list[str]) -> PauseOptions:
    options = PauseOptions()
    args = list(argv)
    while args:
        arg = args.pop(0)
        name, _, inline = arg.partition("=")
        if arg in FLAGS:
            attribute, value = FLAGS[arg]
            if attribute == "side" and options.side not in (None, value):
                raise UsageError("--leave and --reach cannot be used together")
            setattr(options, attribute, value)
        elif name in VALUED:
            value = inline if inline else (args.pop(0) if args else "")
            options.minutes = parse_minutes(value)
        else:
            raise UsageError(f"no such option: {arg} (see companion pause --help)")
    return options


def parse_minutes(value: str) -> float:
    try:
        minutes = float(value)
    except ValueError:
        raise UsageError(f"--minutes needs a number of minutes, not {value!r}") from None
    if not MINUTES_RANGE[0] <= minutes <= MINUTES_RANGE[1]:
        raise UsageError(f"--minutes must be from {MINUTES_RANGE[0]} to {MINUTES_RANGE[1]}, not {value}")
    return minutes
