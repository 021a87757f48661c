"""The options of the commands that answer before Click (pause, play, daily, progress), as data.

One table serves both parsers: Click's decorators are built from it (for
--help, completion and every other way in), and the start-up path's parser
(companion/startup/) reads it to start a session before Click is imported
(about 20 ms). An option several commands share (--text, --voice, --rate) is
declared once here, with one help text. Options in the same `group` exclude
each other: both parsers refuse them together with the same one line and
exit 2. Nothing here imports Click until `click_option(s)` runs.
"""

from __future__ import annotations

from collections import namedtuple


class UsageError(ValueError):
    """Bad arguments: one line, exit 2."""


class Option(namedtuple("Option", "param flag kind value range metavar help group wants",
                        defaults=(None, None, None, "", None, None))):
    """One option: `param` is the keyword the command receives.

    kind: "flag" (True when given), "value" (`value` when given; with a
    `group`, the one option of the group the person chose), "float", "int"
    or "str" (takes an argument; numbers within `range`, inclusive); `wants`: what its
    argument is, in an error ("a number of minutes").
    """

    __slots__ = ()

    @property
    def takes_argument(self) -> bool:
        return self.kind in ("float", "int", "str")

    @property
    def needs(self) -> str:
        return self.wants or {"float": "a number", "int": "a whole number"}.get(self.kind, f"a value ({self.metavar})")

    def convert(self, text: str):
        """The argument's value; UsageError (naming the option) if it is not one."""
        if self.kind == "str":
            return text
        try:
            value = (float if self.kind == "float" else int)(text)
        except ValueError:
            raise UsageError(f"{self.flag} needs {self.needs}, not {text!r}") from None
        low, high = self.range
        if not low <= value <= high:
            raise UsageError(f"{self.flag} must be from {low} to {high}, not {text}")
        return value


TEXT = Option("text_only", "--text", "flag", help="Captions only, no sound.")
VOICE = Option("voice", "--voice", "str", metavar="ID", help="The guide's voice (see `companion voices`).")
NO_RATING = Option("no_rating", "--no-rating", "flag", help="Skip the 0-10 distress ratings.")
RATE = Option("rate", "--rate", "int", range=(80, 400), metavar="WPM", help="Speaking rate, words a minute (80 to 400).")
SIDES = "side"

COMMANDS = {
    "pause": (
        Option("side", "--leave", "value", "leaving", help="Skip the question: I want to leave.", group=SIDES),
        Option("side", "--reach", "value", "reaching", help="Skip the question: I want to reach.", group=SIDES),
        Option("minutes", "--minutes", "float", range=(1, 180), metavar="N", wants="a number of minutes",
               help="The break, or the hold-off wait, in minutes, from 1 to 180 (default 20; config: [pause] minutes)."),
        Option("quiet", "--quiet", "flag", help="No spoken breathing cues during the wait."),
        TEXT._replace(param="text"),
        Option("pulse", "--pulse", "flag", help="First count your pulse: am I flooded?"),
    ),
    "play": (TEXT, VOICE, RATE),
    "daily": (
        Option("side", "--leave", "value", "leaving", help="Practices for the one who wants to leave.", group=SIDES),
        Option("side", "--reach", "value", "reaching", help="Practices for the one who wants to reach.", group=SIDES),
        Option("side", "--any", "value", "any",
               help="Any daily practice (the default until a pause names your side).", group=SIDES),
        TEXT,
        NO_RATING,
    ),
    "progress": (
        Option("as_json", "--json", "flag", help="As JSON."),
    ),
}


def defaults(command: str) -> dict:
    """Every parameter of `command` as it is when no option is given."""
    return {option.param: False if option.kind == "flag" else None for option in COMMANDS[command]}


def exclusive(command: str, given: list[Option]) -> None:
    """UsageError if `given` holds two different options of one group (the same one twice is fine)."""
    seen: dict[str, Option] = {}
    for option in given:
        if option.group is None:
            continue
        first = seen.setdefault(option.group, option)
        if first.flag != option.flag:
            flags = [o.flag for o in COMMANDS[command] if o.group == option.group]
            listed = " and ".join(flags) if len(flags) == 2 else ", ".join(flags[:-1]) + " and " + flags[-1]
            raise UsageError(f"{listed} cannot be used together; choose one")


def parse(command: str, argv: list[str], positional: int = 0) -> tuple[dict, list[str]]:
    """`argv` parsed by the table: (the parameters, the positional arguments, at most `positional`).

    UsageError for anything the table does not know; a caller that would
    rather let Click answer (play) falls back on it.
    """
    table = {option.flag: option for option in COMMANDS[command]}
    values, given, words = defaults(command), [], []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if not arg.startswith("-") or arg == "-":
            if len(words) >= positional:
                raise UsageError(f"unexpected argument {arg!r} (see companion {command} --help)")
            words.append(arg)
            continue
        flag, equals, inline = arg.partition("=")
        option = table.get(flag)
        if option is None:
            raise UsageError(f"no such option: {flag} (see companion {command} --help)")
        if not option.takes_argument:
            if equals:
                raise UsageError(f"{flag} does not take a value")
            values[option.param] = True if option.kind == "flag" else option.value
        else:
            if not equals:
                if not args:
                    raise UsageError(f"{flag} needs {option.needs}")
                inline = args.pop(0)
            values[option.param] = option.convert(inline)
        given.append(option)
    exclusive(command, given)
    return values, words


def _own(option: Option) -> str:
    """The Click parameter of one option of a group (--leave: _side_leave)."""
    return f"_{option.param}_{option.flag.lstrip('-').replace('-', '_')}"


def fold(command: str, params: dict) -> dict:
    """Click's parameters as the command receives them: each group's flags folded into its
    parameter, after checking that at most one of them was given (else UsageError)."""
    params = dict(params)
    given = [option for option in COMMANDS[command] if option.kind == "value" and params.pop(_own(option), False)]
    exclusive(command, given)
    for option in COMMANDS[command]:
        if option.kind == "value":
            params.setdefault(option.param, None)
    for option in given:
        params[option.param] = option.value
    return params


def click_option(option: Option):
    """A Click decorator for one option of the table (not of a group: see click_options)."""
    import click

    if option.kind == "flag":
        return click.option(option.flag, option.param, is_flag=True, help=option.help)

    class Typed(click.ParamType):
        name = option.kind

        def convert(self, value, param, ctx):
            if not isinstance(value, str):
                return value
            try:
                return option.convert(value)
            except UsageError as e:
                self.fail(str(e), param, ctx)

    return click.option(option.flag, option.param, type=Typed(), metavar=option.metavar, help=option.help)


def click_options(command: str, failure: type[Exception]):
    """A decorator: the table's options on a Click command, and the groups' exclusivity.

    Click stores every option of a group into one parameter, so the last one
    would silently win: each is declared as a flag of its own here, and the
    wrapper folds them back into the parameter after checking the group; two
    of a group are refused as `failure(message, 2)` (the CLI's one-line error).
    """
    import functools

    import click

    def decorate(function):
        @functools.wraps(function)
        def command_with_options(**kwargs):
            try:
                kwargs = fold(command, kwargs)
            except UsageError as e:
                raise failure(str(e), 2) from None
            return function(**kwargs)

        for option in reversed(COMMANDS[command]):
            if option.kind == "value":
                declared = click.option(option.flag, _own(option), is_flag=True, help=option.help)
            else:
                declared = click_option(option)
            command_with_options = declared(command_with_options)
        return command_with_options

    return decorate
