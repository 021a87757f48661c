"""The commands of practice and its record: `daily`, `progress` and `log`.

Thin, like the rest of the CLI: the choices and sums are in daily.py and
practice.py, the journal in journal.py.
"""

from __future__ import annotations

import json
import sys

import click

from ..debug import report

from .common import Failure, exit_with, iso_date, load_config, options_of, play_session, session_signals, warn


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
    from ..practice.schedule import AFTER, BEFORE, choose
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
                report(e)
                warn(f"companion: the journal could not be written ({e}); this rating is not kept.")
                outcome = outcome._replace(unrecorded=str(e))  # so the exit code says so
    try:
        done = practice.practices(journal.of_mode("daily"), cfg.day_ends_min)
    except JournalError:
        done = []  # said already, or by the session
    for line in practice.summary(before, after, done, today, cfg.show_streaks):
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
    from ..practice.schedule import counts
    from ..journal.errors import JournalError
    from ..journal.store import read_only
    from ..session.screen import clock

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
    for e in entries:
        state = "completed" if e["completed"] else e["end_reason"]
        if e["end_reason"] == "running":
            state = "playing" if _playing(e) else "unfinished"
        elif e["mode"] == "daily" and not counts(e["planned_s"], e["played_s"], e["completed"], e["end_reason"]):
            state += ", not counted"  # less than two thirds heard (skipped through with n, or stopped early)
        played = "" if state == "playing" else f"{clock(e['played_s']):>6} of "
        click.echo(f"{e['id']:>4}  {e['started_at'][:16].replace('T', ' ')}  {e['sequence']:<16} "
                   f"{played:>10}{clock(e['planned_s']):<6} " + " · ".join([state, *_details(e)]))


PLAYING_GRACE_S = 600  # a session may run past its plan by pauses and turns; killed when much older
PAUSE_GRACE_S = 190 * 60  # a pause's break may last up to 180 minutes beyond its spoken parts


def _playing(entry: dict) -> bool:
    """A session with no end yet is still playing if it began less than its planned length (and
    PLAYING_GRACE_S for pauses and waits) ago; older, its process was killed before it could say."""
    from datetime import datetime

    try:
        age = (datetime.now().astimezone() - datetime.fromisoformat(entry["started_at"])).total_seconds()
    except (TypeError, ValueError):
        return False
    grace = PAUSE_GRACE_S if entry["mode"] == "pause" else PLAYING_GRACE_S
    return 0 <= age < (entry["planned_s"] or 0) + grace


def together_words(entry: dict) -> str:
    """"together · Sam 6 → 3 · Alex 7 → 4" (a rating not given: ?), and the floods if any."""
    from ..textsafe import visible

    def rating(value):
        return "?" if value is None else str(value)

    words = ["together"] + [visible(f"{p.get('name', '?')} {rating(p.get('distress_before'))} → "
                                    f"{rating(p.get('distress_after'))}")
                            for p in entry.get("partners") or [] if isinstance(p, dict)]
    if entry.get("flooded"):
        words.append(f"flooded {entry['flooded']}×")
    stages = (entry.get("stage") or "").split(" > ")
    if "break" in stages:  # the guided pause's break, taken there and then
        minutes = entry.get("break_minutes")
        words.append(f"a break of {minutes:g} min" if isinstance(minutes, (int, float)) else "a break")
    if stages[-1] == "flooded":
        words.append("ended for a break")
    return " · ".join(words)


def _details(entry: dict) -> list[str]:
    """What a guided pause, a daily practice or a session together did, in a few words for `log`."""
    if entry["mode"] == "together":
        return [together_words(entry)]
    if entry["mode"] == "daily":
        ratings = [str(r) if r is not None else "?" for r in (entry["distress_before"], entry["distress_after"])]
        return [] if ratings == ["?", "?"] else [f"distress {ratings[0]} → {ratings[1]}"]
    if entry["mode"] != "pause":
        return []
    details = [entry["side"]] if entry["side"] else []
    if entry["pulse_bpm"]:
        details.append(f"pulse {entry['pulse_bpm']}")
    if (entry["stage"] or "").endswith("stayed"):  # also after a moment (boat > stayed)
        details.append("stayed in the room")
    if entry["break_minutes"]:
        from ..session.screen import clock

        wait = "break" if entry["side"] == "leaving" else "hold-off"
        taken = entry["wait_s"]
        cut = f" ({clock(taken)} of it)" if taken is not None and taken < entry["break_minutes"] * 60 else ""
        details.append(f"{wait} {entry['break_minutes']:g} min{cut}")
    if entry["returned"]:
        details.append("bell reached")
    if not entry["completed"] and entry["stage"] not in (None, "done"):
        details.append(f"ended at: {entry['stage']}")
    return details
