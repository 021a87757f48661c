"""The together moment's terminal conversation: the names, the ratings, and the break agreement
typed at the end of its sequence, said back, kept (together/agreement.py)."""

from __future__ import annotations

import sys

import click

from .errors import Unanswered

BEFORE = "{name}, how much distress do you feel right now, from 0 (calm) to 10 (the worst)? Enter to skip: "
AFTER = "{name}, and now, from 0 (calm) to 10 (the worst)? Enter to skip: "
AGREEMENT = "agreement"
TYPE_IT = "Type your agreement, so it's kept: one line for each part. Enter alone keeps last time's."


def ask_names(a: str | None, b: str | None, keys, warn) -> dict[str, str]:
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
                        raise Unanswered(f"no name for partner {label}; give it with --{label.lower()} NAME",
                                         2) from None
                answer = answer.strip() or old
                try:
                    check_name(label, answer) if label == "A" else check_names(asked["A"], answer)
                    break
                except ValueError as e:
                    if attempt == 2:
                        raise Unanswered(f"{e} (or give it with --{label.lower()} NAME)", 2) from None
                    warn(f"companion: {e}")
            asked[label] = answer
        a, b = asked["A"], asked["B"]
    try:
        names = check_names(a, b)
    except ValueError as e:
        raise Unanswered(f"{e} (--a NAME --b NAME)", 2) from None
    state.save(names=names)
    return names


def rate_both(names: dict[str, str], question: str, keys, warn) -> dict[str, int | None]:
    from ..practice import report as practice

    return {label: practice.ask_rating(question.format(name=name), keys.line, warn)
            for label, name in names.items()}


def partners(names, before, after) -> list[dict]:
    return [{"name": names[label], "distress_before": before.get(label), "distress_after": after.get(label)}
            for label in ("A", "B")]


def show_kept_agreement(as_json: bool, warn) -> None:
    """`together --agreement`: the kept agreement, or one line on how to make one (exit 0 either way)."""
    import json

    from ..textsafe import visible
    from . import agreement as kept

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


def make_agreement(names: dict[str, str], keys, clips, text_only: bool, warn) -> None:
    """Ask the five things (Enter keeps last time's), keep them, and have the guide say them back.
    Ctrl-C while typing: exit 130 and nothing kept; the file is replaced whole or not at all.
    `clips`: makes the voice's clip store, asked for only when the guide says it back."""
    from datetime import date

    from .. import interrupt
    from . import agreement as kept

    try:
        old = kept.load()
    except kept.AgreementError as e:
        warn(f"companion: {e}")
        old = None
    offered = kept_values(old, names)
    click.echo(TYPE_IT)
    try:
        values = {key: ask_field(key, names, offered.get(key), keys, warn) for key, _, _ in kept.FIELDS}
        made = kept.Agreement(names, made=date.today().isoformat(), **values)
        with interrupt.held():  # a Ctrl-C now waits for the file to be whole
            kept.save(made)
    except KeyboardInterrupt:
        warn("\nStopped. The agreement is not kept; nothing was changed.")
        sys.exit(130)
    except OSError as e:
        raise Unanswered(f"the agreement could not be kept in {kept.path()} ({e.strerror or e}); "
                         "check that folder is yours and writable, then run companion together agreement again", 1)
    click.echo("Kept. companion together --agreement shows it; companion pause keeps to it.")
    say_back(made, clips, text_only, keys, warn)


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


def ask_field(key: str, names: dict[str, str], offered, keys, warn):
    """One field, asked until it is good; Enter (or the end of the input) keeps the one offered."""
    from ..textsafe import visible
    from . import agreement as kept

    prompt = kept.question(key, names) + (f" (Enter: {visible(str(offered))})" if offered is not None else "") + ": "
    while True:
        try:
            answer = keys.line(prompt)
        except EOFError:
            if offered is not None:
                return offered
            what = kept.NAMED.get(key, "the break's length").format(**names)
            raise Unanswered(f"nothing was typed for {what}, so the agreement is not kept; "
                             "type it at the prompt: companion together agreement", 2) from None
        if not answer.strip() and offered is not None:
            return offered
        try:
            return kept.check_field(key, answer, names)
        except ValueError as e:
            warn(visible(f"companion: {e}"))


def say_back(made, clips, text_only: bool, keys, warn) -> None:
    """The guide says the agreement back, captioned, then a soft bell (not a session of its own in the journal)."""
    from ..playback.outputs import open_output
    from ..session.screen import Screen
    from ..session.loop import Steps, play
    from ..spoken import Spoken
    from ..textsafe import visible
    from . import agreement as kept

    try:
        steps = kept.steps(kept.said_back(made), bell=True)
    except ValueError as e:  # the wording cannot be read: shown, not said
        warn(f"companion: {e}")
        click.echo(visible("\n".join(kept.shown(made)), newlines=True))
        return
    outcome = play(Steps("agreement", "Your agreement", steps), open_output(text_only, warn), keys=keys,
                   screen=Screen(), clips=clips(), journal=None, mode="together",
                   spoken=Spoken(names=made.names), warn=warn)
    if outcome.reason == "interrupted":
        warn("Stopped. The agreement is kept.")
        sys.exit(130)
    if outcome.reason == "error":
        warn(f"companion: {outcome.message}")
        click.echo(visible("\n".join(kept.shown(made)), newlines=True))
