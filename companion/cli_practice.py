"""The commands of practice and its record: `daily`, `progress` and `log`.

Thin, like the rest of the CLI: the choices and sums are in daily.py and
practice.py, the journal in journal.py.
"""

from __future__ import annotations

import json
import sys

import click

from .cli import Failure, exit_with, load_config, play_session, session_signals, warn


@click.command()
@click.option("--leave", "side", flag_value="leaving", help="Practices for the one who wants to leave.")
@click.option("--reach", "side", flag_value="reaching", help="Practices for the one who wants to reach.")
@click.option("--any", "side", flag_value="any", help="Any daily practice (the default until a pause names your side).")
@click.option("--text", "text_only", is_flag=True, help="Captions only, no sound.")
@click.option("--no-rating", is_flag=True, help="Skip the 0-10 distress ratings.")
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
    from datetime import date

    from . import practice, state
    from .daily import AFTER, BEFORE, choose
    from .journal import UNRECORDED, JournalError, Unrecorded, open_or_warn
    from .screen import Keys

    side = side or state.load().get("side") or "any"
    found = practice.candidates(None if side == "any" else side, warn)
    if not found:
        from .paths import config_dir

        where = f"for the side '{side}'; try --any, or" if side != "any" else "at all (a script with moment = " \
            "\"daily\"); reinstall companion, or"
        raise Failure(f"there is no daily practice {where} add one to {config_dir() / 'scripts'}", 1)
    cfg = load_config()
    session_signals()
    journal = open_or_warn(warn)
    today = date.today()
    try:
        done = practice.practices(journal.of_mode("daily"))
    except JournalError as e:  # damage found only now: the practice still plays, unrecorded
        warn(f"{UNRECORDED}{e}")
        journal, done = Unrecorded(str(e)), []
    sequence = found[choose(sorted(found), practice.last_played(done), today)]
    keys = Keys()
    click.echo(f"Today's practice: {sequence.title}" + (f", about {sequence.minutes:g} minutes." if sequence.minutes
                                                       else "."))
    try:
        before = None if no_rating else practice.ask_rating(BEFORE, keys.line, warn)
    except KeyboardInterrupt:  # before the practice: nothing to journal
        warn("\nStopped.")  # after the ^C the terminal echoed on the prompt line
        sys.exit(130)
    outcome = play_session(sequence, cfg, text_only, "daily", keys, journal,
                           {"distress_before": before} if before is not None else None)
    if outcome.reason == "interrupted":
        exit_with(outcome)  # Ctrl-C, a closed terminal or kill: out, no more questions
    after = None
    if not no_rating and outcome.reason in ("completed", "stopped"):
        try:
            after = practice.ask_rating(AFTER, keys.line, warn)
        except KeyboardInterrupt:
            warn("\nStopped.")
            sys.exit(130)  # the practice is journalled already, with its first rating
        if after is not None and outcome.session_id is not None:
            try:
                journal.add(outcome.session_id, distress_after=after)
            except Exception as e:
                warn(f"companion: the journal could not be written ({e}); this rating is not kept.")
                outcome = outcome._replace(unrecorded=str(e))  # so the exit code says so
    try:
        done = practice.practices(journal.of_mode("daily"))
    except JournalError:
        done = []  # said already, or by the session
    for line in practice.summary(before, after, done, today):
        click.echo(line)
    exit_with(outcome)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def progress(as_json: bool) -> None:
    """Daily practice over the weeks: streaks, and distress before and after.

    Examples:

    \b
        companion progress
        companion progress --json
    """
    from datetime import date

    from . import practice
    from .journal import JournalError

    try:
        done = practice.practices(_read(lambda journal: journal.of_mode("daily")))
    except JournalError as e:
        raise Failure(str(e), 1) from None
    report = practice.progress(done, date.today())
    if as_json:
        click.echo(json.dumps(report, indent=1))
    elif not done:
        click.echo("No daily practice yet. Start today's with: companion daily")
    else:
        click.echo("\n".join(practice.progress_lines(report)))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="As a JSON array of sessions.")
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1), help="How many sessions.")
def log(as_json: bool, limit: int) -> None:
    """Your recent sessions, newest first.

    Examples:

    \b
        companion log
        companion log -n 5
        companion log --json
    """
    from .journal import JournalError
    from .screen import clock

    try:
        entries = _read(lambda journal: journal.recent(limit))
    except JournalError as e:
        raise Failure(str(e), 1) from None
    if as_json:
        click.echo(json.dumps(entries, indent=1))
        return
    if not entries:
        click.echo("No sessions yet. Start one with: companion play")
        return
    for e in entries:
        state = "completed" if e["completed"] else {"running": "unfinished"}.get(e["end_reason"], e["end_reason"])
        click.echo(f"{e['id']:>4}  {e['started_at'][:16].replace('T', ' ')}  {e['sequence']:<16} "
                   f"{clock(e['played_s']):>6} of {clock(e['planned_s']):<6} "
                   + " · ".join([state, *_details(e)]))


def _read(query):
    """`query(journal)` on the journal opened read-only: no folder made, nothing chmodded or written."""
    from .journal import Journal

    journal = Journal(write=False)
    try:
        return query(journal)
    finally:
        journal.close()


def _details(entry: dict) -> list[str]:
    """What a guided pause or a daily practice did, in a few words for `log`."""
    if entry["mode"] == "daily":
        ratings = [str(r) if r is not None else "?" for r in (entry["distress_before"], entry["distress_after"])]
        return [] if ratings == ["?", "?"] else [f"distress {ratings[0]} → {ratings[1]}"]
    if entry["mode"] != "pause":
        return []
    details = [entry["side"]] if entry["side"] else []
    if entry["pulse_bpm"]:
        details.append(f"pulse {entry['pulse_bpm']}")
    if entry["stage"] == "stayed":
        details.append("stayed in the room")
    if entry["break_minutes"]:
        from .screen import clock

        wait = "break" if entry["side"] == "leaving" else "hold-off"
        taken = entry["wait_s"]
        cut = f" ({clock(taken)} of it)" if taken is not None and taken < entry["break_minutes"] * 60 else ""
        details.append(f"{wait} {entry['break_minutes']:g} min{cut}")
    if entry["returned"]:
        details.append("bell reached")
    if not entry["completed"] and entry["stage"] not in (None, "done"):
        details.append(f"ended at: {entry['stage']}")
    return details
