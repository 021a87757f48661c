"""The lines a session speaks itself, as data: scripts/_spoken.toml.

The safety line, the words over a [breathe], the guided pause's fixed lines (the break's announcement and
cues, the pulse count's instructions and verdicts, the answer to staying) and the break agreement's live
there beside the scripts, so a coach edits words, not code. `check` validates the
file at file:line:column as it does a script; `prepare` renders every line from
it without knowing the pause. A file of the same name in the user's scripts
folder may replace any of its keys; a broken one is said in one line, and the
built-in lines are spoken instead.

Read once, on first use, with tomllib alone (no pydantic): the pause reads it
after its first word, never before (companion/first_line/ does not import
this module). Filling a line's placeholders is spoken.py's: this module
imports it, never the other way round.
"""

from __future__ import annotations

import os
import re
import sys

FILE = "_spoken.toml"
MAX_BYTES = 100_000  # the shipped file is about 4,000
LINE = 1  # a key holding one line; a key holding a list says how many it needs (0: one or more)
# Every key: its shape, the placeholders its lines may use, and the voice that says them
# (`you`: the listener's own words, modelled for them to say; `partner`: the partner's, from their device).
KEYS = {
    "safety": (LINE, (), "guide"),
    "breathe.cues": (3, (), "guide"),
    "pause.staying": (0, (), "guide"),
    "pause.break.yours": (LINE, ("return_time", "minutes"), "you"),
    "pause.break.announcement": (0, ("return_time", "minutes"), "guide"),
    "pause.break.cues": (0, (), "guide"),
    "pause.break.back": (0, ("return_time",), "guide"),
    "pause.hold-off.announcement": (0, ("return_time", "minutes"), "guide"),
    "pause.hold-off.cues": (0, (), "guide"),
    "pause.pulse.instructions": (4, (), "guide"),
    "pause.pulse.flooded": (0, ("bpm", "minutes"), "guide"),
    "pause.pulse.calm": (0, ("bpm", "minutes"), "guide"),
    # The pause's keys (pause/flow.py): the boat path's own words to the partner, the break-now key
    # said aloud, the way back to the hold-off after a moment.
    "pause.boat.yours": (LINE, ("return_time", "minutes"), "you"),
    "pause.now.key": (LINE, (), "guide"),
    "pause.agreed.ends": (LINE, ("return_time", "minutes"), "guide"),
    "pause.back.hold-off": (0, ("return_time",), "guide"),
    # The break on both devices (pause/both_devices.py): the guide says whose message it is, then the
    # partner's own words in the partner's voice.
    "pause.partner.message": (LINE, ("name",), "guide"),
    "pause.partner.promise": (LINE, ("name", "return_time", "minutes"), "partner"),
    "pause.partner.extended": (LINE, ("name", "return_time"), "partner"),
    "pause.partner.more": (LINE, ("return_time",), "guide"),
    "pause.partner.more_key": (LINE, (), "guide"),
    # Together: "I'm flooded" pauses the sequence with this line; after the inline break, the one
    # who took it is welcomed back (together/session.py).
    "together.grounding": (LINE, (), "guide"),
    "together.coming_back": (LINE, ("name",), "guide"),
    "together.time_left": (LINE, ("seconds",), "guide"),
    "together.ready": (LINE, (), "guide"),
    # The break agreement, said back once typed and before a pause's break (together/agreement.py).
    "agreement.agreed": (LINE, (), "guide"),
    "agreement.word": (LINE, ("word",), "guide"),
    "agreement.minutes": (LINE, ("minutes",), "guide"),
    "agreement.place": (LINE, ("name", "place"), "guide"),
    "agreement.sentence": (LINE, ("name", "sentence"), "guide"),
    "agreement.same_sentence": (LINE, ("sentence",), "guide"),
    "agreement.way_back": (LINE, ("way_back",), "guide"),
    "agreement.closing": (LINE, (), "guide"),
    "agreement.kept": (LINE, (), "guide"),
    "agreement.pause": (LINE, (), "guide"),
}
# What `check` fills in to show (and `play`) the lines as they would be said.
EXAMPLE = {"minutes": "20", "seconds": "15", "return_time": "21:40", "bpm": "112", "word": "Anchor", "name": "Sam",
           "place": "a walk around the block", "sentence": "I'm flooded. I'm not leaving you.",
           "way_back": "We sit quietly for a minute first."}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


class LinesError(ValueError):
    """Every problem found in a file of spoken lines; it reads as the first, located like a script's error."""

    def __init__(self, source: str, problems: list[tuple[int, int, str, str]]):
        self.source, self.problems = source, problems  # (line, column, found, expected)
        super().__init__(self.line(*problems[0]))

    def line(self, line: int, column: int, found: str, expected: str) -> str:
        from .textsafe import clip, visible

        return visible(f"{self.source}:{line}:{column}: found {clip(found)}; expected {expected}")


def shipped_path():
    from .paths import builtin

    return builtin("scripts") / FILE


def user_path() -> str:
    from .paths import user_dir

    return os.path.join(user_dir("config"), "scripts", FILE)


# -- reading and checking -----------------------------------------------------------------
def check_text(text: str, partial: bool = False) -> tuple[dict, list]:
    """(every key's lines as written, problems as (line, column, found, expected)) for a file's text.

    `partial`: a user's file may hold only the keys it changes; the shipped one holds them all."""
    import tomllib

    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as e:
        at = _TOML_AT.search(str(e))
        line, column = (int(at.group(1)), int(at.group(2))) if at else (1, 1)
        what = _TOML_AT.sub("", str(e)).strip()
        return {}, [(line, column, f"invalid TOML ({what})",
                     'key = "words" or key = ["words", ...], as in the built-in _spoken.toml')]
    found, seen, problems = {}, set(), []
    for key, value in _flatten(data):
        seen.add(key)
        if key not in KEYS:
            from difflib import get_close_matches  # only on the way to an error

            near = get_close_matches(key, KEYS, 1)
            seen.update(near)  # a misspelt key is one error, not two
            problems.append((*where(text, key), f"an unknown key '{key}'",
                             f"'{near[0]}'" if near else "one of " + ", ".join(KEYS)))
            continue
        lines = _check_value(text, key, value, problems)
        if lines is not None:
            found[key] = lines
    for key in KEYS:
        if not partial and key not in seen:
            problems.append((*where(text, key), f"no '{key}'", _example(key)))
    problems.sort(key=lambda p: (p[0], p[1]))
    return found, problems


def _flatten(data: dict, prefix: str = ""):
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and key not in KEYS:
            yield from _flatten(value, key + ".")
        else:
            yield key, value


def _example(key: str) -> str:
    count = KEYS[key][0]
    return f'{key.rsplit(".", 1)[-1]} = "..."' if count == LINE else \
        f'{key.rsplit(".", 1)[-1]} = ["...", ...] under [{key.rsplit(".", 1)[0]}]'


def _check_value(text: str, key: str, value, problems: list):
    """The key's lines (a str, or a tuple of them), or None with its problems added."""
    count, allowed, _ = KEYS[key]
    if count == LINE:
        if not isinstance(value, str):
            problems.append((*where(text, key), f"{_kind(value)} in '{key}'", f'{_example(key)}: one line in quotes'))
            return None
        return value if _check_line(text, key, value, allowed, problems) else None
    if not isinstance(value, list) or not value:
        found = "an empty list" if value == [] else _kind(value)
        problems.append((*where(text, key), f"{found} in '{key}'", f"{_example(key)}: a list of lines in quotes"))
        return None
    if count and len(value) != count:
        problems.append((*where(text, key), f"{len(value)} lines in '{key}'", f"exactly {count}"))
        return None
    good = True
    for item in value:
        if not isinstance(item, str):
            problems.append((*where(text, key), f"{_kind(item)} in '{key}'", "a line in quotes"))
            good = False
        elif not _check_line(text, key, item, allowed, problems):
            good = False
    return tuple(value) if good else None


def _check_line(text: str, key: str, line: str, allowed: tuple[str, ...], problems: list) -> bool:
    from .spoken import TemplateError, scan
    from .textsafe import MAX_SPOKEN_CHARS

    offset, found, expected = 0, "", ""
    bad = _CONTROL.search(line)
    if bad:
        offset, found, expected = bad.start(), "a control character or a line break", "one line of plain words"
    elif not re.search(r"\w", line):
        found, expected = "a line without words", "words to speak"
    elif len(line) > MAX_SPOKEN_CHARS:
        found, expected = f"a line of {len(line):,} characters", f"at most {MAX_SPOKEN_CHARS} (split it into two lines)"
    else:
        try:
            scan(line, allowed)
        except TemplateError as e:
            offset, found, expected = e.offset, e.found, e.expected
    if found:  # located only now: a good file is read without searching it
        row, column = where(text, key, line)
        problems.append((row, column + offset, f"{found} in '{key}'", expected))
    return not found


def _kind(value) -> str:
    return {str: "a line", list: "a list", dict: "a table", bool: "true or false", int: "a number",
            float: "a number"}.get(type(value), "a date or time")


def where(text: str, key: str, needle: str | None = None) -> tuple[int, int]:
    """(line, column) of `key`'s assignment, or of `needle` (a line it holds) at or after it; (1, 1) if unseen.

    tomllib gives no positions: the key is found by following the file's table headers."""
    rows = text.split("\n")
    table, at, parent = "", None, (1, 1)  # parent: where the key's table begins, for a key not written
    for number, row in enumerate(rows, 1):
        stripped = row.strip()
        header = re.match(r"\[([^\[\]]+)\]", stripped)
        if header:
            table = _plain(header.group(1))
            if key.startswith(table + "."):
                parent = (number, 1)
            continue
        assignment = re.match(r'([\w\-."\' ]+?)\s*=', stripped)
        if assignment and _plain(f"{table}.{assignment.group(1)}" if table else assignment.group(1)) == key:
            at = (number, row.index(stripped) + 1)
            break
    if at is None:
        return parent
    if needle:  # as written, or up to its first character TOML writes as an escape
        for part in dict.fromkeys((needle, re.split(r'[\x00-\x1f\x7f-\x9f"\\]', needle)[0])):
            for number in range(at[0], len(rows) + 1):
                column = rows[number - 1].find(part) if len(part) >= 8 or part == needle else -1
                if column >= 0:
                    return number, column + 1
    return at


def _plain(key: str) -> str:
    return re.sub(r"[\s\"']", "", key)


# -- the lines in use -----------------------------------------------------------------------
_cache: dict = {}  # the lines in use, by the user's file's (path, time, size), or None without one
_shipped: dict = {}


def load_file(path, partial: bool = False) -> dict:
    """Every key's lines in the file at `path`; LinesError says, located, what is wrong."""
    import stat

    source = str(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # reading a pipe would wait for ever
            raise LinesError(source, [(1, 1, "a folder, a device or a pipe", "a file of lines")])
        with open(path, encoding="utf-8") as f:
            text = f.read(MAX_BYTES + 1)
    except (OSError, UnicodeDecodeError) as e:
        raise LinesError(source, [(1, 1, f"a file that cannot be read ({getattr(e, 'strerror', '') or e})",
                                   "a readable UTF-8 file")]) from None
    if len(text) > MAX_BYTES:
        raise LinesError(source, [(1, 1, "a file over 100,000 characters", "a file of lines")])
    found, problems = check_text(text, partial)
    if problems:
        raise LinesError(source, problems)
    return found


def lines(warn=None) -> dict:
    """Every key's lines: the built-in file, with the keys the user's own file replaces.

    A user's file that is broken is said in one line (`warn`, else standard error), once, and the
    built-in lines are used; the built-in file is checked by the tests, so its error is raised."""
    mine = user_path()
    try:
        info = os.stat(mine)
        signature = (mine, info.st_mtime_ns, info.st_size)
    except OSError:
        signature = None
    if signature not in _cache:
        if not _shipped:
            _shipped.update(load_file(shipped_path()))
        found = dict(_shipped)
        if signature is not None:
            try:
                found.update(load_file(mine, partial=True))
            except LinesError as e:
                (warn or _stderr)(f"companion: {e}; speaking the built-in lines instead")
        _cache[signature] = found
    return _cache[signature]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def raw(key: str):
    """`key`'s lines as written (a tuple; a single line for `safety`), placeholders unfilled."""
    return lines()[key]


def safety_text() -> str:
    """The safety line (`[safety]` in a script); ValueError says what is wrong with the file."""
    return raw("safety").strip()


def role(key: str) -> str:
    """The voice that says `key`'s lines (KEYS): guide, you or partner."""
    return KEYS[key][2]


def said(key: str, **values) -> list[str]:
    """`key`'s lines with the placeholders filled from `values`; a line naming a value not
    given (or None) is left out, as "A break of {minutes} minutes." is when no length is chosen."""
    from .spoken import fill, names

    given = {name: str(value) for name, value in values.items() if value is not None}
    held = raw(key)
    return [fill(line, given) for line in ((held,) if isinstance(held, str) else held) if names(line) <= given.keys()]
