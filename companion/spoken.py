"""What a session fills into its scripts: placeholders, the safety line once, and where help is.

A script line may name values only the session knows (`{minutes}`, `{return_time}`,
`{help}`, and `{A}`/`{B}` for the partners' names); the parser checks them and
marks the line a template. `[safety]` becomes the safety line, whose words live
once in scripts/_spoken.toml. A `Spoken` is one session's view: it fills each
template before the clip lookup (so a filled line is rendered and cached like any
other) and lets the safety line through the first time only, followed by the help
line, so a guided pause says it once across all its phases.

The pause imports this before its first word: nothing heavy at the top (no
pydantic, pathlib or datetime).
"""

from __future__ import annotations

import os
import re

PLACEHOLDERS = ("minutes", "return_time", "help", "A", "B")
# {{ and }} are literal braces; {name} a placeholder; a lone brace is an error.
FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
# The partners' names when a session has none (`play`, `show` without --a/--b).
NAMES = {"A": "Partner A", "B": "Partner B"}
MAX_NAME = 30


def check_name(label: str, name: str) -> str:
    """One partner's name, stripped; ValueError if empty, too long or unprintable."""
    name = (name or "").strip()
    if not name:
        raise ValueError(f"partner {label}'s name is empty; type a name")
    if len(name) > MAX_NAME:
        raise ValueError(f"partner {label}'s name is longer than {MAX_NAME} characters; shorten it")
    if not name.isprintable() or any(c in name for c in "{}"):
        raise ValueError(f"partner {label}'s name holds a control character or a brace; type letters")
    return name


def check_names(a: str, b: str) -> dict[str, str]:
    """{"A": a, "B": b}, stripped; ValueError saying what is wrong (empty, too long, unprintable, the same)."""
    names = {"A": check_name("A", a), "B": check_name("B", b)}
    if names["A"].casefold() == names["B"].casefold():
        raise ValueError("the two names are the same; give each partner their own")
    return names


class TemplateError(ValueError):
    """`offset` is the character index of the bad part within the line."""

    def __init__(self, found: str, offset: int, expected: str):
        super().__init__(found)
        self.found, self.offset, self.expected = found, offset, expected


def scan(text: str, allowed: tuple[str, ...] = PLACEHOLDERS) -> tuple[bool, str]:
    """(is a template, text): a line with no placeholder comes back with its braces unescaped;
    a template comes back as written. TemplateError on a name not `allowed` or a lone brace."""
    template = False
    for match in FIELD.finditer(text):
        token = match.group()
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            raise TemplateError(f"a lone '{token}'", match.start(), "'{{' or '}}' for a brace" +
                                (f", or a placeholder such as {{{allowed[0]}}}" if allowed else ""))
        name = match.group(1)
        if name not in allowed:
            raise TemplateError(f"an unknown placeholder '{{{name}}}'", match.start(),
                                "one of " + ", ".join(f"{{{p}}}" for p in allowed) if allowed else
                                "no placeholder in this line ('{{' and '}}' for braces)")
        template = True
    return (True, text) if template else (False, text.replace("{{", "{").replace("}}", "}"))


def names(text: str) -> set[str]:
    """The placeholders a (checked) line names."""
    return {m.group(1) for m in FIELD.finditer(text) if m.group(1)}


def fill(text: str, values: dict[str, str]) -> str:
    filled = FIELD.sub(lambda m: {"{{": "{", "}}": "}"}.get(m.group()) or values[m.group(1)], text)
    return ONE_MINUTES.sub("1 minute", filled)  # "{minutes} minutes" with a break of one


ONE_MINUTES = re.compile(r"(?<![\d.])1 minutes\b")


# -- where help is -------------------------------------------------------------------------
# The emergency numbers and national crisis lines by time zone are data a person can correct
# (scripts/_help.toml, each with its source and the date checked), not code.
HELP_FILE = "_help.toml"
SET_BETTER = 'Set a crisis line near you: help = "..." in config.toml.'
# Said once, on the first run, when the time zone names no country the table knows.
HOW_TO_SET = "To name a crisis line near you, set help in config.toml. Companion doctor shows how."


def time_zone() -> str:
    """The local time zone's name (TZ, else /etc/localtime's link, else /etc/timezone), or ""."""
    zone = os.environ.get("TZ", "").lstrip(":")
    if not zone:
        try:
            target = os.readlink("/etc/localtime")
            zone = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
        except OSError:
            pass
    if not zone:
        try:
            with open("/etc/timezone", encoding="utf-8") as f:
                zone = f.read().strip()
        except OSError:
            pass
    return zone


def help_table() -> list[dict]:
    """The [[country]] entries of scripts/_help.toml; [] (and a debug report) if it can't be read:
    the help line then says "your local emergency number", never nothing."""
    from .paths import builtin

    try:
        import tomllib

        with open(builtin("scripts") / HELP_FILE, "rb") as f:
            found = tomllib.load(f).get("country", [])
        return [c for c in found if isinstance(c, dict) and isinstance(c.get("zones"), list) and c.get("emergency")]
    except Exception as e:  # the help line must still be said
        from .debug import report

        report(e, "reading the table of emergency numbers and crisis lines")
        return []


def country_of(zone: str | None = None, table: list[dict] | None = None) -> dict | None:
    """The table's entry for `zone` (default: this machine's): an exact zone name first, then the
    longest prefix ending in "/"; None if the zone is unknown."""
    zone = time_zone() if zone is None else zone
    table = help_table() if table is None else table
    exact = [c for c in table if zone in c["zones"]]
    if exact:
        return exact[0]
    prefixes = [(len(z), c) for c in table for z in c["zones"] if z.endswith("/") and zone.startswith(z)]
    return max(prefixes, key=lambda p: p[0])[1] if prefixes else None


def emergency_number(zone: str | None = None) -> str | None:
    country = country_of(zone)
    return str(country["emergency"]) if country else None


def _say_digits(text: str) -> str:
    """A phone number read digit by digit ("1 1 2", not "one hundred and twelve")."""
    return re.sub(r"\d{3,}", lambda m: " ".join(m.group()), text)


class Help:
    """The help line: `spoken` (digits one by one), `shown` on screen; `short` is what {help} says.
    `hint`: how to set a crisis line, when the time zone names no country the table knows."""

    def __init__(self, setting=None, zone: str | None = None):
        self.hint = ""
        if setting is None:
            country = country_of(zone)
            if country is None:
                self.short = "call your local emergency number"
                self.hint = HOW_TO_SET
            else:
                self.short = f"call {country['emergency']}, the emergency number"
                if country.get("crisis"):
                    name = country.get("crisis_name")
                    self.short += f". Or a crisis line, {name}: {country['crisis']}" if name else \
                        f". Or a crisis line: {country['crisis']}"
            self.shown = f"Help: {self.short}.  ({SET_BETTER})"
        else:
            value = str(setting).strip()
            self.short = f"call {value}" if re.fullmatch(r"\+?[\d][\d \-]*", value) else value.rstrip(".")
            self.shown = f"Help: {self.short}."
        self.spoken = _say_digits(f"Help: {self.short}.")


def return_time(now, minutes: float):
    """The minute (a datetime) a wait of `minutes` from `now` ends on: at least `minutes`, rounded up."""
    from datetime import timedelta

    end = now + timedelta(minutes=minutes)
    if end.second or end.microsecond:
        end = end.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return end


def _local_now():
    from datetime import datetime

    return datetime.now().astimezone()


def words(minutes: float) -> str:
    return f"{minutes:g}"


class Spoken:
    """One session's values and memory: fills templates, says the safety line once.

    Left unset, the values come from the config when first needed: its break
    minutes, and a return time that many minutes from then, as a pause sets it.
    """

    def __init__(self, minutes: float | None = None, at=None, help: Help | None = None, now=None,
                 names: dict[str, str] | None = None, hint: bool | None = None):
        self.minutes, self.at, self.help = minutes, at, help  # at: a datetime, the return time
        self.names = names  # {"A": ..., "B": ...}: the partners' names; None: the labels
        self.now = now or _local_now
        self.safety_said = False
        # How to set a crisis line (an unknown time zone): None says it once, on the first run, and
        # remembers that it did; True always (prepare renders it); False never.
        self.hint = hint

    def _defaults(self) -> None:
        if self.minutes is None or self.help is None:
            try:
                from .config import load

                config = load()
                minutes, setting = config.break_minutes, getattr(config, "help", None)
            except Exception as e:  # a broken config is said elsewhere; the defaults still speak
                from .debug import report

                report(e, "reading the config for a placeholder")
                minutes, setting = 20, None
            if self.minutes is None:
                self.minutes = minutes
            if self.help is None:
                self.help = Help(setting)
        if self.at is None:
            self.at = return_time(self.now(), self.minutes)

    def values(self, spoken: bool = True) -> dict[str, str]:
        self._defaults()
        return {"minutes": words(self.minutes), "return_time": self.at.strftime("%H:%M"),
                "help": _say_digits(self.help.short) if spoken else self.help.short, **(self.names or NAMES)}

    def steps(self, steps):
        """`steps` as this session speaks them (lazily: a player's first line is not held up)."""
        for step in steps:
            if getattr(step, "safety", False):
                if self.safety_said:
                    continue
                self.safety_said = True
                yield step
                speak = type(step)  # the safety line's own class, Speak: spoken.py stays below script/
                yield self.help_step(speak, step.line)
                hint = self.hint_step(speak, step.line)
                if hint is not None:
                    yield hint
            else:
                if getattr(step, "template", False) and step.kind == "turn":  # "{A}, you go first": the names
                    step = step.model_copy(update={"prompt": fill(step.prompt, self.values()), "template": False})
                elif getattr(step, "template", False):
                    text, shown = fill(step.text, self.values()), fill(step.text, self.values(spoken=False))
                    step = step.model_copy(update={"text": text, "template": False,
                                                   "caption": shown if shown != text else ""})
                yield self._named(step)

    def _named(self, step):
        """A's and B's lines and turns captioned with their names (the timeline writes "Sam: ...")."""
        who = getattr(step, "role", None) if step.kind == "speak" else getattr(step, "who", None)
        if self.names and who in self.names:
            return step.model_copy(update={"speaker": self.names[who]})
        return step

    def hint_step(self, speak, line: int):
        """How to set a crisis line, after the help line: only for an unknown time zone, and (unless
        told otherwise) once, on the first run; saying it is remembered in the private state file."""
        self._defaults()
        if not self.help.hint or self.hint is False:
            return None
        if self.hint is None:
            from . import state

            if state.load().get("help_hint_said"):
                return None
            state.save(help_hint_said=True)
        return speak(line=line, text=self.help.hint)

    def help_step(self, speak, line: int):
        self._defaults()
        return speak(line=line, text=self.help.spoken, caption=self.help.shown)
