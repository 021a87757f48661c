"""`companion together` without a name: the paired sequences offered, one key each, the suggested one marked."""

from __future__ import annotations

import sys

import click

from ..debug import report
from .errors import Unanswered


def pair_sequences(warn) -> dict:
    """The sequences for both partners together (for = "pair"), by id, sorted."""
    from ..library import parsed_scripts

    return dict(sorted((i, s) for i, s in parsed_scripts(warn).items() if s.for_ == "pair"))


def suggested(ids: list[str], last: dict[str, str]) -> str:
    """The one never done (the first such), else the one done longest ago."""
    never = [i for i in ids if i not in last]
    return never[0] if never else min(ids, key=lambda i: last[i])


def menu_lines(pairs: dict, suggest: str) -> list[str]:
    from ..lengths import about

    lines = ["Which sequence, together?"]
    for number, (script_id, sequence) in enumerate(pairs.items(), 1):
        minutes = f", {about(sequence)}"  # from the same source as `list`
        mark = "  (suggested)" if script_id == suggest else ""
        lines.append(f"  {number}  {script_id}{minutes}{mark}: {sequence.summary or sequence.title}")
    return lines


def choose(pairs: dict, journal, keys, warn) -> object:
    """Offer the paired sequences, one key each; Enter takes the suggested one."""
    import shutil

    from ..textsafe import visible

    if not pairs:
        raise Unanswered("there is no sequence for a pair (for = \"pair\"); reinstall companion", 1)
    last = {}
    try:
        for row in reversed(journal.recent(None, mode="together")):
            last[row["sequence"]] = row["started_at"]
    except Exception as e:  # a journal that cannot be read only loses the suggestion
        report(e)
    ids = list(pairs)
    practice = [i for i in ids if getattr(pairs[i], "moment", None) != "conflict"]  # not one for mid-fight
    suggest = suggested(practice or ids, last)
    width = shutil.get_terminal_size((80, 24)).columns - 1  # not the last column: a terminal wraps there
    click.echo("\n".join(shown_menu(pairs, suggest, width)))
    prompt = f"1-{len(ids)}, Enter for {suggest}, q to leave: "
    for _ in range(3):
        if keys.tty:
            click.echo(prompt, nl=False)
            with keys:
                answer = None
                while answer is None:
                    answer = keys.read(0.5)
            click.echo(visible(answer).strip())
        else:
            try:
                answer = keys.line(prompt).strip()
            except EOFError:
                raise Unanswered("no sequence chosen; name one: companion together dancefloor", 2) from None
        if answer in ("", "\n", "\r"):
            return pairs[suggest]
        if answer in ("q", "Q"):
            sys.exit(0)
        if answer.isdigit() and 1 <= int(answer) <= len(ids):
            return pairs[ids[int(answer) - 1]]
        warn(f"'{visible(answer)}' is not one of 1-{len(ids)}; press a number")
    raise Unanswered("no sequence chosen; name one: companion together dancefloor", 2)


def shown_menu(pairs: dict, suggest: str, width: int) -> list[str]:
    """The menu as the terminal shows it: each entry wrapped between words within `width` columns,
    its rows after the first under its name (a terminal would break words at its edge)."""
    import re
    import textwrap

    from ..textsafe import visible

    rows = []
    for line in (visible(line) for line in menu_lines(pairs, suggest)):
        indent = " " * len(re.match(r"\s*(\d+\s+)?", line).group())
        rows += textwrap.wrap(line, max(width, len(indent) + 10), subsequent_indent=indent, break_long_words=False,
                              break_on_hyphens=False) or [line]
    return rows
