"""`companion together`: two partners run a paired sequence, the program the third voice in the room.

Thin like the rest of the CLI: the menu is together/menu.py, the names, the ratings and the break
agreement's questions together/conversation.py, the turn policy together/turns.py.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from ..debug import report

from .common import Failure, load_config, no_rating_option, rate_option, text_option, voice_option, warn
from .sessions import exit_with, session_signals


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
    with answered():
        if show_agreement or as_json:
            if not show_agreement:
                raise Failure("--json goes with --agreement: companion together --agreement --json", 2)
            from ..together.conversation import show_kept_agreement

            show_kept_agreement(as_json, warn)
            return
        from ..journal.store import open_or_warn
        from ..session.keys import Keys
        from ..together.menu import choose, pair_sequences
        from .common import load_sequence

        keys = Keys()
        journal = open_or_warn(warn)
        if name is None:
            sequence = choose(pair_sequences(warn), journal, keys, warn)
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
    from ..together.conversation import AFTER, AGREEMENT, BEFORE, ask_names, make_agreement, partners, rate_both
    from .common import clip_store

    with answered():
        cfg = load_config(voice, rate)
        try:
            names = ask_names(name_a, name_b, keys, warn)
            click.echo(visible(f"{sequence.title}, together: {names['A']} (A) and {names['B']} (B)."))
            before = {} if no_rating else rate_both(names, BEFORE, keys, warn)
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
            make_agreement(names, keys, lambda: clip_store(cfg), text_only or outcome.output == "captions", warn)
        if not no_rating and not flooded and outcome.reason in ("completed", "stopped"):
            try:
                after = rate_both(names, AFTER, keys, warn)
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

    from .sessions import play_session
    from ..pause.flow import lend_break
    from ..spoken import Spoken
    from ..together.policy import Partners
    from ..together.turns import Together

    return play_session(sequence, cfg, text_only, "together", keys, journal, extra,
                        policy=Partners(Together(time.monotonic), names, cfg.break_minutes, take_break=lend_break),
                        spoken=Spoken(names=names))


@contextmanager
def answered():
    """A question of the together conversation that went unanswered (together/errors.py): its one line."""
    from ..together.errors import Unanswered

    try:
        yield
    except Unanswered as e:
        raise Failure(e.message, e.exit_code) from None
