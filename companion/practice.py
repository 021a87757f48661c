"""`companion daily` and `companion progress`: a short practice each day, rated
0-10 before and after, and what the weeks show.

The choices and sums are in daily.py (pure); this module reads the library
and the journal, asks the ratings and runs the session.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from . import daily


def candidates(side: str | None, warn: Callable[[str], None]) -> dict[str, object]:
    """The daily sequences for `side` (and those for either side), by id; all of them for no side."""
    from .library import parsed_scripts

    return {script_id: sequence for script_id, sequence in parsed_scripts(warn).items()
            if sequence.moment == "daily" and (side is None or sequence.for_ in (side, "both"))}


def practices(rows: list[dict]) -> list[daily.Practice]:
    """The journal's daily rows as plain values, oldest first."""
    return [daily.Practice(day=date.fromisoformat(row["started_at"][:10]), sequence=row["sequence"],
                           before=row["distress_before"], after=row["distress_after"], completed=row["completed"])
            for row in rows]


def last_played(done: list[daily.Practice]) -> dict[str, date]:
    return {p.sequence: p.day for p in done}  # oldest first, so the latest day wins


def ask_rating(question: str, read_line: Callable[[str], str], warn: Callable[[str], None],
               tries: int = 3) -> int | None:
    """A 0-10 rating, or None (skipped, nothing to read from, or three wrong answers)."""
    for _ in range(tries):
        try:
            return daily.parse_rating(read_line(question))
        except EOFError:
            return None
        except ValueError as e:
            warn(str(e))
    return None


def summary(before: int | None, after: int | None, done: list[daily.Practice], today: date) -> list[str]:
    """What to say when the practice ends: the ratings, and the streak."""
    lines = []
    if before is not None and after is not None:
        change = after - before
        moved = f"{-change} lower" if change < 0 else f"{change} higher" if change > 0 else "the same"
        lines.append(f"Distress {before} before, {after} after: {moved}.")
    current, longest = _streaks(done, today)
    if current:
        days = _count(current, "day") + (" in a row" if current > 1 else "")
        lines.append(f"Practice: {days}" + (f" (longest {longest})." if longest > current else "."))
    return lines


def _streaks(done: list[daily.Practice], today: date) -> tuple[int, int]:
    """A day counts toward a streak when a practice on it was completed."""
    return daily.streaks([p.day for p in done if p.completed], today)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def progress(done: list[daily.Practice], today: date) -> dict:
    """The practice over the weeks, as plain values (what `progress --json` prints)."""
    current, longest = _streaks(done, today)
    return {"sessions": len(done), "completed": sum(p.completed for p in done),
            "days": len({p.day for p in done if p.completed}), "streak_days": current, "longest_streak_days": longest,
            "weeks": [{"week_of": w.start.isoformat(), "sessions": w.sessions, "distress_before": w.before,
                       "distress_after": w.after, "change": w.change} for w in daily.weeks(done)]}


def progress_lines(report: dict) -> list[str]:
    """`progress` for people: a line of totals, then a row a week with a bar of the distress after."""
    lines = [f"Daily practice: {_count(report['completed'], 'session')} completed on {_count(report['days'], 'day')}. "
             f"Streak: {_count(report['streak_days'], 'day')} (longest {report['longest_streak_days']}).",
             "", "week of      sessions  before  after  change  distress after (0-10)"]

    def number(value, signed=False):
        return "-" if value is None else f"{value:+.1f}" if signed else f"{value:.1f}"

    for w in report["weeks"]:
        after = w["distress_after"]
        bar = "" if after is None else "█" * round(after * 2) or "·"
        lines.append(f"{w['week_of']}  {w['sessions']:>8}  {number(w['distress_before']):>6}  "
                     f"{number(w['distress_after']):>5}  {number(w['change'], True):>6}  {bar}")
    return lines
