"""Script text -> Sequence, or ScriptErrors naming every bad line's file:line:column.

The grammar is documented in the README ("Script files"). Every check a writer
could trip over happens here, so nothing invalid ever reaches the voice or the
sound device. `check` and `check_file` collect every error (and warning) in one
pass; `parse` and `parse_file` raise them as one ScriptErrors, read as the first.
"""

from __future__ import annotations

import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..lines import safety_text
from ..spoken import TemplateError, scan
from ..textsafe import MAX_SPOKEN_CHARS
from .durations import DurationError, parse_duration
from .errors import ScriptError, ScriptErrors, ScriptWarning
from .model import Bell, Breathe, FrontMatter, Pause, Sequence, Sound, Speak, Turn

MAX_BYTES = 1_000_000
NATURAL_PAUSE_S = 1.2
FENCE = "+++"
FRONT_KEYS = {field.alias or name for name, field in FrontMatter.model_fields.items()}
DIRECTIVES = ("pause", "bell", "breathe", "turn", "sound", "safety")
BREATH_PHASE_S = (2.0, 10.0)  # the bundled breath tones are 10 s long
LIMITS_S = {"pause": 2 * 3600.0, "sound": 2 * 3600.0, "turn": 30 * 60.0}
# Control characters (C0 but tab, DEL, C1) would reach espeak-ng as-is (a NUL cuts the text
# short) and the terminal as escape codes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPEAKABLE = re.compile(r"\w")
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass
class Checked:
    """A script's check: its Sequence (None if any error), every error and every warning, in file order."""

    sequence: Sequence | None
    errors: list[ScriptError] = field(default_factory=list)
    warnings: list[ScriptWarning] = field(default_factory=list)

    def result(self) -> Sequence:
        if self.errors:
            raise ScriptErrors(self.errors)
        return self.sequence


def parse_file(path: str | Path, sounds: frozenset[str] | None = None) -> Sequence:
    """Read and parse a script file; every failure is a ScriptError (a ScriptErrors, read as the first)."""
    return check_file(path, sounds).result()


def parse(text: str, source: str = "<script>", id: str = "script", sounds: frozenset[str] | None = None) -> Sequence:
    """Parse script `text`. `sounds` are the names `[sound NAME ...]` may use."""
    return check(text, source, id, sounds).result()


def check_file(path: str | Path, sounds: frozenset[str] | None = None) -> Checked:
    """Read a script file and check it; never raises a ScriptError (they are in the result)."""
    path = Path(path)
    source = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # reading a pipe would wait for ever
            what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device or a pipe)"
            return _failed(source, 1, 1, what, "a script file")
        size = info.st_size
        if size > MAX_BYTES:
            return _failed(source, 1, 1, f"a file of {size:,} bytes", f"at most {MAX_BYTES:,} bytes (1 MB)")
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)  # a device or a growing file reports no honest size
    except OSError as e:
        return _failed(source, 1, 1, f"a file that cannot be read ({e.strerror or e})", "a readable script file")
    if len(raw) > MAX_BYTES:
        return _failed(source, 1, 1, f"more than {MAX_BYTES:,} bytes", f"at most {MAX_BYTES:,} bytes (1 MB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        return _failed(source, line, column, f"invalid UTF-8 (byte 0x{raw[e.start]:02x})", "a file saved as UTF-8")
    if path.suffix == ".toml":
        return _check_lines(text, path)
    return check(text, source=source, id=path.stem, sounds=sounds)


def _check_lines(text: str, path: Path) -> Checked:
    """A file of the lines a session speaks itself (scripts/_spoken.toml, or the user's own), checked;
    valid, its lines as a sequence with example values filled in, so `show` and `play` let a coach hear them."""
    from ..lines import EXAMPLE, KEYS, check_text, shipped_path, where
    from ..spoken import fill

    source = str(path)
    partial = path.resolve() != shipped_path().resolve()  # a user's file replaces only the keys it holds
    found, problems = check_text(text, partial)
    checked = Checked(None, [ScriptError(source, *problem) for problem in problems])
    if not problems:
        steps = [Speak(line=where(text, key, line)[0], text=fill(line, EXAMPLE), role=KEYS[key][2])
                 for key, held in found.items() for line in ((held,) if isinstance(held, str) else held)]
        checked.sequence = Sequence(id=path.stem, source=source, title="Lines a session speaks itself",
                                    steps=tuple(steps))
    return checked


def check(text: str, source: str = "<script>", id: str = "script", sounds: frozenset[str] | None = None) -> Checked:
    """Check script `text`: its Sequence if valid, and every error and warning found."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return _failed(source, 1, 1, "a script over 1 MB", f"at most {MAX_BYTES:,} bytes")
    if sounds is None:
        from ..sounds import ambient_names

        sounds = ambient_names()
    lines = text.removeprefix("\ufeff").split("\n")
    lines = [line.removesuffix("\r") for line in lines]
    checked = Checked(None)
    try:
        front, body_start = _front_matter(lines, source, checked.errors)
    except ScriptError as e:  # no front matter to be found: nothing after it can be located
        checked.errors.append(e)
        return checked
    steps = _body(lines, body_start, source, sounds, checked)
    checked.errors.sort(key=lambda e: (e.line, e.column))  # the front matter's, by key, come in file order too
    if checked.errors:
        return checked
    try:
        checked.sequence = Sequence(id=id, source=source, steps=tuple(steps), **front)
    except ValidationError as e:  # a safety net: the checks above should catch all of it
        err = e.errors()[0]
        checked.errors.append(ScriptError(source, 1, 1, f"{err['msg'].lower()} at {'.'.join(map(str, err['loc']))}",
                                          "a valid script"))
    return checked


def _failed(source: str, line: int, column: int, found: str, expected: str) -> Checked:
    return Checked(None, [ScriptError(source, line, column, found, expected)])


def _front_matter(lines: list[str], source: str, errors: list[ScriptError]) -> tuple[dict, int]:
    """The front matter's values and the body's first index; a bad value is added to `errors`,
    and a missing fence raised (the body cannot be found without it)."""
    if not lines or lines[0].strip() != FENCE:
        found = f"'{_clip(lines[0])}'" if lines and lines[0].strip() else "no front matter"
        raise ScriptError(source, 1, 1, found, f"a first line '{FENCE}' opening the TOML front matter (with title = \"...\")")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FENCE)
    except StopIteration:
        raise ScriptError(source, len(lines), 1, "the end of the file inside the front matter", f"a line '{FENCE}' closing it") from None
    toml_text = "\n".join(lines[1:end])
    expected_toml = 'key = value lines, e.g. title = "Staying present"'
    try:
        data = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as e:
        at = _TOML_AT.search(str(e))
        line, column = (int(at.group(1)) + 1, int(at.group(2))) if at else (2, 1)
        message = _TOML_AT.sub("", str(e)).strip()
        errors.append(ScriptError(source, line, column, f"invalid TOML ({message})", expected_toml))
        return {}, end + 1
    except RecursionError:  # arrays or tables nested hundreds deep: no script needs more than one level
        deepest = max(range(1, end), key=lambda i: lines[i].count("[") + lines[i].count("{"))
        errors.append(ScriptError(source, deepest + 1, 1, "values nested too deeply for the front matter", expected_toml))
        return {}, end + 1

    def where(key: str) -> tuple[int, int]:
        for i in range(1, end):
            m = re.match(rf"\s*({re.escape(key)}|\"{re.escape(key)}\")\s*=", lines[i])
            if m:
                return i + 1, m.start(1) + 1
        return 1, 1

    def fail(key: str, found: str, expected: str) -> None:
        errors.append(ScriptError(source, *where(key), found, expected))

    try:
        return FrontMatter.model_validate(data, by_alias=True, by_name=False).model_dump(), end + 1
    except ValidationError as e:
        problems = e.errors()
    except RecursionError:  # a value nested deep, below what TOML refuses
        fail(next(iter(data)), "values nested too deeply for the front matter", expected_toml)
        return {}, end + 1
    said = set()
    for problem in problems:  # in the front matter's order: errors are sorted by line after the body's
        key = str(problem["loc"][0])
        if key in said:
            continue  # one line a key
        said.add(key)
        if problem["type"] == "extra_forbidden":
            fail(key, f"unknown key '{key}'", f"one of {', '.join(sorted(FRONT_KEYS))}")
        elif problem["type"] == "missing":
            errors.append(ScriptError(source, 1, 1, "no title in the front matter",
                                      'a line title = "..." between the +++ lines'))
        elif problem["type"] == "too_long":
            fail(key, f"a {key} of {len(problem['input']):,} characters", f"at most {problem['ctx']['limit']} characters")
        elif problem["type"] == "control_character":
            fail(key, f"a control character U+{ord(problem['ctx']['char']):04X} in the {key}",
                 f"the {key} as plain text on one line")
        else:
            field = FrontMatter.model_fields["for_" if key == "for" else key]
            fail(key, f"{key} = {_clip(_repr(data[key]))}", f"{key} to be {field.description}")
    return {}, end + 1


def _repr(value) -> str:
    try:
        return repr(value)
    except RecursionError:
        return "a deeply nested value"


def _body(lines: list[str], start: int, source: str, sounds: frozenset[str], checked: Checked) -> list:
    """The steps; each bad line's error is added to `checked` and the next line read."""
    steps: list = []
    errors = len(checked.errors)
    for index in range(start, len(lines)):
        number, line = index + 1, lines[index].rstrip()
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        try:
            bad = _CONTROL.search(line)
            if bad:
                raise ScriptError(source, number, bad.start() + 1, f"a control character U+{ord(bad.group()):04X}", "plain text")
            if not stripped:
                steps.append(Pause(line=number, seconds=NATURAL_PAUSE_S, natural=True))
            elif stripped.startswith("#"):
                continue
            elif stripped.startswith("["):
                steps.extend(_directive(stripped, number, indent + 1, source, sounds))
            else:
                steps.append(_speech(stripped, number, indent + 1, source, checked.warnings))
        except ScriptError as e:
            checked.errors.append(e)
    while steps and isinstance(steps[-1], Pause) and steps[-1].natural:
        steps.pop()  # trailing blank lines are the end of the file, not a pause
    if len(checked.errors) == errors and not any(not (isinstance(s, Pause) and s.natural) for s in steps):
        checked.errors.append(ScriptError(source, min(start + 1, len(lines)), 1, "an empty body",
                                          "at least one line to speak or a directive after the front matter"))
    return steps


def _speech(text: str, number: int, column: int, source: str, warnings: list[ScriptWarning]) -> Speak:
    role = "guide"
    match = re.match(r"([AB]|You):\s*", text)
    if match:
        role, column, text = {"You": "you"}.get(match.group(1), match.group(1)), column + match.end(), text[match.end():]
    elif re.match(r"([ab]|you|YOU):", text):
        label = text[:text.index(":") + 1]
        right, whose = ("You:", "the listener's modelled words") if len(label) == 4 else (label.upper(), f"partner {label[0].upper()}'s")
        case = "in lower case" if label.islower() else "in capitals"
        warnings.append(ScriptWarning(source, number, column, f"'{label}' {case}, which the guide speaks as words",
                                      f"'{right}' for {whose} voice"))
    if not _SPEAKABLE.search(text):
        found = f"'{_clip(text)}'" if text else "nothing after the voice label"
        raise ScriptError(source, number, column, found, "words to speak")
    _check_length(text, "spoken line", source, number, column)
    try:
        template, text = scan(text)
    except TemplateError as e:
        raise ScriptError(source, number, column + e.offset, e.found, e.expected) from None
    return Speak(line=number, text=text, role=role, template=template)


def _check_length(text: str, what: str, source: str, number: int, column: int) -> None:
    if len(text) > MAX_SPOKEN_CHARS:
        raise ScriptError(source, number, column, f"a {what} of {len(text):,} characters",
                          f"at most {MAX_SPOKEN_CHARS} characters; split it into shorter lines")


def _directive(text: str, number: int, column: int, source: str, sounds: frozenset[str]) -> list:
    close = text.find("]")
    if close < 0:
        raise ScriptError(source, number, column, f"'{_clip(text)}' with no closing ']'", "a directive such as [pause 4s]")
    inner, rest = text[1:close], text[close + 1:].strip()
    words = inner.split()
    name = words[0].lower() if words else ""
    name_col = column + 1 + (len(inner) - len(inner.lstrip()))
    if name not in DIRECTIVES:
        found = f"unknown directive '[{_clip(inner)}]'" if name else "an empty directive '[]'"
        raise ScriptError(source, number, name_col, found, "one of " + ", ".join(f"[{d} ...]" for d in DIRECTIVES))
    if rest and name != "turn":
        raise ScriptError(source, number, column + close + 1, f"text after [{inner}]", "the text on a line of its own")
    args = inner[inner.lower().index(name) + len(name):]
    args_col = name_col + len(name)

    def fail(found: str, expected: str, offset: int = 0) -> ScriptError:
        return ScriptError(source, number, args_col + offset, found, expected)

    def duration(arg: str, offset: int, limit: float) -> float:
        try:
            seconds = parse_duration(arg)
        except DurationError as e:
            raise fail(e.found, e.expected, offset + e.offset) from None
        if seconds > limit:
            raise fail(f"'{arg.strip()}'", f"at most {_human(limit)} for [{name}]", offset + len(arg) - len(arg.lstrip()))
        return seconds

    if name == "pause":
        return [Pause(line=number, seconds=duration(args, 0, LIMITS_S["pause"]))]
    if name == "safety":
        if args.strip():
            raise fail(f"'[{inner}]'", "[safety] alone (its words are in scripts/_spoken.toml)", 1)
        try:
            return [Speak(line=number, text=safety_text(), safety=True)]
        except ValueError as e:
            raise ScriptError(source, number, name_col, str(e), "a readable safety line; reinstall companion") from None
    if name == "bell":
        if args.strip() not in ("", "soft"):
            raise fail(f"'[{inner}]'", "[bell] or [bell soft]", 1)
        return [Bell(line=number, soft=args.strip() == "soft")]
    if name == "breathe":
        step = _breathe(args, number, fail)
        try:  # its words are data (playback.timeline.breath_cues): read now, so playing it never waits for them
            from ..lines import said

            said("breathe.cues")
        except ValueError as e:
            raise ScriptError(source, number, name_col, str(e), "readable breath cues; reinstall companion") from None
        return [step]
    if name == "sound":
        match = re.fullmatch(r"\s*(\S+)\s+(.+)", args)
        if not match:
            raise fail(f"'[{inner}]'", "[sound NAME DURATION], e.g. [sound waves 2m]", 1)
        sound = match.group(1)
        if sound not in sounds:
            what = "a path" if ("/" in sound or "\\" in sound or "." in sound) else f"an unknown sound '{sound}'"
            raise fail(what, "the name of a bundled sound: " + (", ".join(sorted(sounds)) or "none installed"), match.start(1))
        return [Sound(line=number, name=sound, seconds=duration(match.group(2), match.start(2), LIMITS_S["sound"]))]
    # turn
    match = re.fullmatch(r"\s*(\S+)\s+up\s+to\s+(.+)", args, flags=re.IGNORECASE)
    if not match:
        raise fail(f"'[{inner}]'", "[turn A up to 60s], [turn B ...] or [turn both ...]", 1)
    who = {"a": "A", "b": "B", "both": "both"}.get(match.group(1).lower())
    if who is None:
        raise fail(f"'{match.group(1)}'", "A, B or both", match.start(1))
    limit = duration(match.group(2), match.start(2), LIMITS_S["turn"])
    if rest and not _SPEAKABLE.search(rest):
        raise ScriptError(source, number, column + close + 1, f"'{_clip(rest)}'", "words to speak as the prompt, or nothing")
    rest_col = column + close + 1 + (len(text[close + 1:]) - len(text[close + 1:].lstrip()))
    _check_length(rest, "prompt", source, number, rest_col)
    try:
        template, rest = scan(rest)
    except TemplateError as e:
        raise ScriptError(source, number, rest_col + e.offset, e.found, e.expected) from None
    return [Turn(line=number, who=who, limit_s=limit, prompt=rest, template=template)]


def _breathe(args: str, number: int, fail) -> Breathe:
    tokens = [(m.group(), m.start()) for m in re.finditer(r"\S+", args)]
    expected = "[breathe in 4 hold 2 out 6 x4] (hold and x optional; seconds)"
    values: dict[str, float] = {}
    i = 0
    while i < len(tokens):
        word, offset = tokens[i]
        lower = word.lower()
        if re.fullmatch(r"x\d+", lower):
            if "x" in values:
                raise fail(f"a second '{word}'", expected, offset)
            values["x"] = int(lower[1:])
            i += 1
            continue
        if lower not in ("in", "hold", "out") or lower in values:
            raise fail(f"'{word}'", expected, offset)
        if i + 1 >= len(tokens):
            raise fail(f"'{word}' with no number after it", expected, offset)
        number_text, number_offset = tokens[i + 1]
        if not re.fullmatch(r"\d+(\.\d+)?s?", number_text):
            raise fail(f"'{number_text}' after '{word}'", "a number of seconds, e.g. 4", number_offset)
        values[lower] = float(number_text.rstrip("s"))
        i += 2
    for phase in ("in", "out"):
        if phase not in values:
            raise fail(f"no '{phase}' in [breathe{args}]", expected)
        low, high = BREATH_PHASE_S
        if not low <= values[phase] <= high:
            raise fail(f"{phase} {values[phase]:g}", f"{phase} between {low:g} and {high:g} seconds")
    if not 0 <= values.get("hold", 0) <= 30:
        raise fail(f"hold {values['hold']:g}", "hold between 0 and 30 seconds")
    cycles = int(values.get("x", 1))
    if not 1 <= cycles <= 60:
        raise fail(f"x{cycles}", "between x1 and x60 cycles")
    return Breathe(line=number, in_s=values["in"], hold_s=values.get("hold", 0), out_s=values["out"], cycles=cycles)


def _human(seconds: float) -> str:
    return f"{seconds / 3600:g}h" if seconds >= 3600 else f"{seconds / 60:g}m"


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
