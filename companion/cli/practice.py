"""The commands of practice and its record: `daily`, `progress` and `log`.

Thin, like the rest of the CLI: the choices and sums are in practice/schedule.py and
practice/report.py, the ratings asked in practice/ratings.py, `log`'s lines in practice/history.py.
"""

from __future__ import annotations

import json

import click

from .common import Failure, iso_date, load_config, options_of, warn
from .sessions import exit_with, play_session, session_signals


@click.command()
@options_of("daily")
def daily(side: str | None, text_only: bool, no_rating: bool) -> None:
    """Today's short practice, rated 0-10 for distress before and after.

    \b
    A different sequence each day: one you have never done, else the one you
    did longest ago. Your side (leaving or reaching) is the one your last
    `companion pause` chose, with the practices for either of you; see how
    the weeks go with `companion progress`.

    Examples:

    \b
        companion daily               your side, rated before and after
        companion daily --reach       the practices for the one who reaches
        companion daily --no-rating --text
    """
    from datetime import datetime

    from ..practice import report as practice
    from .. import state
    from ..practice.ratings import ask_after, ask_before, closing_lines
    from ..practice.schedule import choose
    from ..journal.errors import UNRECORDED, JournalError
    from ..journal.store import Unrecorded, open_or_warn
    from ..session.keys import Keys
    from ..lengths import about

    side = side or state.load().get("side") or "any"
    found = practice.candidates(None if side == "any" else side, warn)
    if not found:
        from ..paths import config_dir

        where = f"for the side '{side}'; try --any, or" if side != "any" else "at all (a script with moment = " \
            "\"daily\"); reinstall companion, or"
        raise Failure(f"there is no daily practice {where} add one to {config_dir() / 'scripts'}", 1)
    cfg = load_config()
    session_signals()
    journal = open_or_warn(warn)
    today = practice.daily.day_of(datetime.now(), cfg.day_ends_min)  # 00:30 is still the evening before
    try:
        done = practice.practices(journal.of_mode("daily"), cfg.day_ends_min)
    except JournalError as e:  # damage found only now: the practice still plays, unrecorded
        warn(f"{UNRECORDED}{e}")
        journal, done = Unrecorded(str(e)), []
    sequence = found[choose(sorted(found), practice.last_played(done), today)]
    keys = Keys()
    click.echo(f"Today's practice: {sequence.title}, {about(sequence)}.")  # the length `list` gives
    before = None if no_rating else ask_before(keys, warn)
    outcome = play_session(sequence, cfg, text_only, "daily", keys, journal,
                           {"distress_before": before} if before is not None else None)
    if outcome.reason == "interrupted":
        exit_with(outcome)  # Ctrl-C, a closed terminal or kill: out, no more questions
    after = None
    if not no_rating and outcome.reason in ("completed", "stopped"):
        after, outcome = ask_after(outcome, journal, keys, warn)
    for line in closing_lines(journal, before, after, today, cfg):
        click.echo(line)
    exit_with(outcome)


@click.command()
@options_of("progress")
def progress(as_json: bool) -> None:
    """Daily practice over the weeks: a calendar, streaks, distress before and after.

    \b
    A practice counts when at least two thirds of it was heard. The day ends
    at `day_ends` in config.toml (04:00 by default), so a practice after
    midnight counts for the evening before; `show_streaks = false` hides streaks.

    Examples:

    \b
        companion progress
        companion progress --json
    """
    from ..journal.errors import JournalError
    from ..practice import report as practice

    cfg = load_config()
    try:
        click.echo(practice.shown(cfg, as_json))
    except JournalError as e:
        raise Failure(str(e), 1) from None


@click.command()
@click.option("--json", "as_json", is_flag=True, help="As a JSON array of sessions, every column.")
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1), help="How many sessions.")
@click.option("--since", metavar="DATE", callback=iso_date, help="Only sessions started on or after DATE (YYYY-MM-DD).")
@click.option("--mode", help="Only one kind: play, pause, daily, together, pair.")
@click.option("--sequence", metavar="NAME", help="Only sessions of one sequence.")
def log(as_json: bool, limit: int, since: str | None, mode: str | None, sequence: str | None) -> None:
    """Your recent sessions, newest first.

    \b
    A session still playing shows as "playing", with its planned length; one
    left running past its planned length (its process was killed) as "unfinished".

    Examples:

    \b
        companion log
        companion log -n 5
        companion log --since 2026-11-01 --mode daily
        companion log --json
    """
    from ..journal.errors import JournalError
    from ..journal.store import read_only
    from ..practice.history import log_lines

    try:
        entries = read_only(lambda journal: journal.recent(limit, since=since, mode=mode, sequence=sequence))
    except JournalError as e:
        raise Failure(str(e), 1) from None
    if as_json:
        click.echo(json.dumps(entries, indent=1))
        return
    if not entries:
        filtered = since or mode or sequence
        click.echo("No sessions match." if filtered else "No sessions yet. Start one with: companion play")
        return
    for line in log_lines(entries):
        click.echo(line)
