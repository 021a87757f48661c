"""`companion together`: two partners run a paired sequence, the program the third voice in the room.

Thin like the rest of the CLI: the turn policy is together/turns.py, the names'
checks spoken.py, the ratings practice.py, the journal journal.py.
"""

from __future__ import annotations

import sys

import click

from ..debug import report

from .common import (Failure, exit_with, load_config, no_rating_option, rate_option, session_signals, text_option,
                     voice_option, warn)

BEFORE = "{name}, how much distress do you feel right now, from 0 (calm) to 10 (the worst)? Enter to skip: "
AFTER = "{name}, and now, from 0 (calm) to 10 (the worst)? Enter to skip: "


def pair_sequences() -> dict:
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


def choose(pairs: dict, journal, keys) -> object:
    """Offer the paired sequences, one key each; Enter takes the suggested one."""
    import shutil

    from ..textsafe import visible

    if not pairs:
        raise Failure("there is no sequence for a pair (for = \"pair\"); reinstall companion", 1)
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
                raise Failure("no sequence chosen; name one: companion together dancefloor", 2) from None
        if answer in ("", "\n", "\r"):
            return pairs[suggest]
        if answer in ("q", "Q"):
            sys.exit(0)
        if answer.isdigit() and 1 <= int(answer) <= len(ids):
            return pairs[ids[int(answer) - 1]]
        warn(f"'{visible(answer)}' is not one of 1-{len(ids)}; press a number")
    raise Failure("no sequence chosen; name one: companion together dancefloor", 2)


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


def ask_names(a: str | None, b: str | None, keys) -> dict[str, str]:
    """--a/--b, else asked (A, then B), Enter keeping the names remembered; remembered for next time."""
    from .. import state
    from ..spoken import check_name, check_names

    kept = state.load().get("names") or {}
    if a is None or b is None:
        asked = {}
        for label, given in (("A", a), ("B", b)):
            if given is not None:
                asked[label] = given
                continue
            old = kept.get(label) if isinstance(kept.get(label), str) else ""
            for attempt in range(3):
                try:
                    answer = keys.line(f"Partner {label}'s name" + (f" (Enter: {old})" if old else "") + ": ")
                except EOFError:
                    answer = ""
                    if not old:
                        raise Failure(f"no name for partner {label}; give it with --{label.lower()} NAME", 2) from None
                answer = answer.strip() or old
                try:
                    check_name(label, answer) if label == "A" else check_names(asked["A"], answer)
                    break
                except ValueError as e:
                    if attempt == 2:
                        raise Failure(f"{e} (or give it with --{label.lower()} NAME)", 2) from None
                    warn(f"companion: {e}")
            asked[label] = answer
        a, b = asked["A"], asked["B"]
    try:
        names = check_names(a, b)
    except ValueError as e:
        raise Failure(f"{e} (--a NAME --b NAME)", 2) from None
    state.save(names=names)
    return names


def rate_both(names: dict[str, str], question: str, keys) -> dict[str, int | None]:
    from ..practice import report as practice

    return {label: practice.ask_rating(question.format(name=name), keys.line, warn)
            for label, name in names.items()}


def partners(names, before, after) -> list[dict]:
    return [{"name": names[label], "distress_before": before.get(label), "distress_after": after.get(label)}
            for label in ("A", "B")]


@click.command()
@click.argument("name", required=False, metavar="[NAME]")
@click.option("--a", "name_a", metavar="NAME", help="Partner A's name (remembered for next time).")
@click.option("--b", "name_b", metavar="NAME", help="Partner B's name.")
@text_option
@no_rating_option
@click.option("--agreement", "show_agreement", is_flag=True,
              help="Show the break agreement you made (companion together agreement), and play nothing.")
@click.option("--json", "as_json", is_flag=True, help="With --agreement: as JSON (null when there is none).")
@voice_option
@rate_option
def together(name, name_a, name_b, text_only, no_rating, show_agreement, as_json, voice, rate) -> None:
    """Two of you, one paired sequence: turns to speak, rated before and after.

    \b
    Without NAME it offers the paired sequences and suggests the one you did
    longest ago. It asks your names once (A, then B) and remembers them.
    Keys in a turn: space or Enter: done · m: more time · x or !: I'm flooded
    (the sequence pauses; a short grounding line; then go on or take a break;
    both of you flooded: both-flooded, there and then). After a break the guide
    asks whether you are both ready (Enter).

    Examples:

    \b
        companion together
        companion together dancefloor --a Sam --b Alex
        companion together repair --no-rating
        companion together --agreement
    """
    if show_agreement or as_json:
        if not show_agreement:
            raise Failure("--json goes with --agreement: companion together --agreement --json", 2)
        show_kept_agreement(as_json)
        return
    from ..journal.store import open_or_warn
    from ..session.keys import Keys
    from .common import load_sequence

    keys = Keys()
    journal = open_or_warn(warn)
    if name is None:
        sequence = choose(pair_sequences(), journal, keys)
    else:
        sequence = load_sequence(name)
        if sequence.for_ != "pair":
            raise Failure(f"{name} is not a sequence for a pair (for = \"pair\"); play it with: "
                          f"companion play {name}", 2)
    run_together(sequence, name_a, name_b, text_only, no_rating, voice, rate, keys, journal)


def run_together(sequence, name_a, name_b, text_only, no_rating, voice, rate, keys, journal) -> None:
    """Names, ratings before, the sequence with turns, ratings after; one journal row for the pair."""
    from ..journal.schema import partners_text
    from ..textsafe import visible

    cfg = load_config(voice, rate)
    try:
        names = ask_names(name_a, name_b, keys)
        click.echo(visible(f"{sequence.title}, together: {names['A']} (A) and {names['B']} (B)."))
        before = {} if no_rating else rate_both(names, BEFORE, keys)
    except KeyboardInterrupt:
        warn("\nStopped.")
        sys.exit(130)
    session_signals()
    outcome = play_together(sequence, cfg, text_only, keys, journal, names,
                            {"partners": partners_text(partners(names, before, {})), "flooded": 0})
    if outcome.reason == "interrupted":
        exit_with(outcome)
    after = {}
    flooded = outcome.message == "flooded"  # a break chosen: no questions now, the break first
    if sequence.id == AGREEMENT and outcome.reason == "completed":
        make_agreement(names, keys, cfg, text_only or outcome.output == "captions")
    if not no_rating and not flooded and outcome.reason in ("completed", "stopped"):
        try:
            after = rate_both(names, AFTER, keys)
        except KeyboardInterrupt:
            warn("\nStopped.")
            sys.exit(130)
        if any(v is not None for v in after.values()) and outcome.session_id is not None:
            try:
                journal.add(outcome.session_id, partners=partners_text(partners(names, before, after)))
            except Exception as e:
                report(e)
                warn(f"companion: the journal could not be written ({e}); these ratings are not kept.")
                outcome = outcome._replace(unrecorded=str(e))
    for label in ("A", "B"):
        b, a = before.get(label), after.get(label)
        if b is not None and a is not None:
            click.echo(visible(f"{names[label]}: distress {b} before, {a} after."))
    if flooded:
        click.echo("Stopped for a break. The one who is flooded, now: companion pause --leave")
    exit_with(outcome)


def play_together(sequence, cfg, text_only, keys, journal, names, extra):
    """play_session with the names filled in and the two partners' policy in the loop."""
    import time

    from .common import play_session
    from ..pause.flow import lend_break
    from ..spoken import Spoken
    from ..together.policy import Partners
    from ..together.turns import Together

    return play_session(sequence, cfg, text_only, "together", keys, journal, extra,
                        policy=Partners(Together(time.monotonic), names, cfg.break_minutes, take_break=lend_break),
                        spoken=Spoken(names=names))


# -- the break agreement: typed at the end of its sequence, said back, kept (together/agreement.py) --
AGREEMENT = "agreement"
TYPE_IT = "Type your agreement, so it's kept: one line for each part. Enter alone keeps last time's."


def show_kept_agreement(as_json: bool) -> None:
    """`together --agreement`: the kept agreement, or one line on how to make one (exit 0 either way)."""
    import json

    from ..textsafe import visible
    from ..together import agreement as kept

    try:
        made = kept.load()
    except kept.AgreementError as e:  # damaged: said in one line, treated as none
        warn(f"companion: {e}")
        made = None
    if as_json:
        click.echo(json.dumps(made.to_dict() if made else None, indent=1, ensure_ascii=False))
    elif made is None:
        click.echo(f"No break agreement is kept yet; {kept.HOW_TO_MAKE}")
    else:
        click.echo(visible("\n".join(kept.shown(made)), newlines=True))


def make_agreement(names: dict[str, str], keys, cfg, text_only: bool) -> None:
    """Ask the five things (Enter keeps last time's), keep them, and have the guide say them back.
    Ctrl-C while typing: exit 130 and nothing kept; the file is replaced whole or not at all."""
    from datetime import date

    from .. import interrupt
    from ..together import agreement as kept

    try:
        old = kept.load()
    except kept.AgreementError as e:
        warn(f"companion: {e}")
        old = None
    offered = kept_values(old, names)
    click.echo(TYPE_IT)
    try:
        values = {key: ask_field(key, names, offered.get(key), keys) for key, _, _ in kept.FIELDS}
        made = kept.Agreement(names, made=date.today().isoformat(), **values)
        with interrupt.held():  # a Ctrl-C now waits for the file to be whole
            kept.save(made)
    except KeyboardInterrupt:
        warn("\nStopped. The agreement is not kept; nothing was changed.")
        sys.exit(130)
    except OSError as e:
        raise Failure(f"the agreement could not be kept in {kept.path()} ({e.strerror or e}); "
                      "check that folder is yours and writable, then run companion together agreement again", 1)
    click.echo("Kept. companion together --agreement shows it; companion pause keeps to it.")
    say_back(made, cfg, text_only, keys)


def kept_values(old, names: dict[str, str]) -> dict:
    """Last time's answers, offered again: a partner's own only to the partner of the same name."""
    if old is None:
        return {}
    offered = {"word": old.word, "minutes": old.minutes, "way_back": old.way_back}
    for label, name in names.items():
        was = next((k for k, n in old.names.items() if n.casefold() == name.casefold()), None)
        if was is not None:
            offered[f"place_{label}"] = getattr(old, f"place_{was}")
            offered[f"sentence_{label}"] = getattr(old, f"sentence_{was}")
    return offered


def ask_field(key: str, names: dict[str, str], offered, keys):
    """One field, asked until it is good; Enter (or the end of the input) keeps the one offered."""
    from ..textsafe import visible
    from ..together import agreement as kept

    prompt = kept.question(key, names) + (f" (Enter: {visible(str(offered))})" if offered is not None else "") + ": "
    while True:
        try:
            answer = keys.line(prompt)
        except EOFError:
            if offered is not None:
                return offered
            what = kept.NAMED.get(key, "the break's length").format(**names)
            raise Failure(f"nothing was typed for {what}, so the agreement is not kept; "
                          "type it at the prompt: companion together agreement", 2) from None
        if not answer.strip() and offered is not None:
            return offered
        try:
            return kept.check_field(key, answer, names)
        except ValueError as e:
            warn(visible(f"companion: {e}"))


def say_back(made, cfg, text_only: bool, keys) -> None:
    """The guide says the agreement back, captioned, then a soft bell (not a session of its own in the journal)."""
    from ..playback.outputs import open_output
    from ..session.screen import Screen
    from ..session.loop import Steps, play
    from ..spoken import Spoken
    from ..textsafe import visible
    from ..together import agreement as kept
    from .common import clip_store

    try:
        steps = kept.steps(kept.said_back(made), bell=True)
    except ValueError as e:  # the wording cannot be read: shown, not said
        warn(f"companion: {e}")
        click.echo(visible("\n".join(kept.shown(made)), newlines=True))
        return
    outcome = play(Steps("agreement", "Your agreement", steps), open_output(text_only, warn), keys=keys,
                   screen=Screen(), clips=clip_store(cfg), journal=None, mode="together",
                   spoken=Spoken(names=made.names), warn=warn)
    if outcome.reason == "interrupted":
        warn("Stopped. The agreement is kept.")
        sys.exit(130)
    if outcome.reason == "error":
        warn(f"companion: {outcome.message}")
        click.echo(visible("\n".join(kept.shown(made)), newlines=True))
