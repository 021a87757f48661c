"""Daily practice, the pure core: today's sequence, the rating, streaks, weeks.

Plain values in, plain values out: the journal and the library are read by
the caller, so all of this is tested without a clock or a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections import namedtuple
from datetime import date, datetime, timedelta

from ..journal.counted import HEARD

BEFORE = "How much distress do you feel right now, from 0 (calm) to 10 (the worst)? Enter to skip: "
AFTER = "And now, from 0 (calm) to 10 (the worst)? Enter to skip: "


SHADES = ((0, "·"), (3, "░"), (6, "▒"), (10, "▓"), (float("inf"), "█"))  # minutes a day below which each


def day_of(started_at: str | datetime, day_ends_min: int) -> date:
    """The day a moment belongs to when the day ends `day_ends_min` minutes after midnight: with
    04:00, a practice at 00:30 counts for the evening before. The local wall time, as written."""
    moment = datetime.fromisoformat(started_at[:19]) if isinstance(started_at, str) else started_at
    return (moment.replace(tzinfo=None) - timedelta(minutes=day_ends_min)).date()


def counts(planned_s: float, played_s: float, completed: bool, end_reason: str) -> bool:
    """Was the practice really done? At least HEARD of its planned time heard (skipping through with n
    is not), whether it ended by itself or was stopped near the end; a session still running is not."""
    if end_reason == "running":
        return False
    return played_s >= HEARD * planned_s if planned_s > 0 else completed


class Practice(namedtuple("Practice", "day sequence before after completed")):
    """One daily session as the journal keeps it (day: a date); ratings 0-10, or None if not given;
    `completed`: it counts (see counts()). A named tuple, not a dataclass: importing dataclasses
    costs `progress` a tenth of its time."""

    __slots__ = ()


class Week(namedtuple("Week", "start sessions before after change")):
    """Monday `start` (a date); `sessions`; averages over the ratings given; `change` over sessions rated twice."""

    __slots__ = ()


def choose(candidates: list[str], last_played: Mapping[str, date], today: date) -> str:
    """Today's sequence: the one practised today if any, else one never played,
    else the least recently played. Ties go round by the day, so two days in a
    row never give the same one while there is another."""
    if not candidates:
        raise ValueError("no daily sequences to choose from")
    played_today = [name for name in candidates if last_played.get(name) == today]
    if played_today:
        return played_today[0]
    turn = today.toordinal() % len(candidates)
    rotated = candidates[turn:] + candidates[:turn]
    return min(rotated, key=lambda name: last_played.get(name, date.min))


def parse_rating(text: str) -> int | None:
    """A distress rating from what was typed: 0-10, or None for nothing (skip)."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 10:
        raise ValueError(f"'{text}' is not a rating; type a whole number from 0 to 10, or press Enter to skip")
    return int(text)


def streaks(days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of days in a row with practice. The current run
    lasts until today ends: practised yesterday and not yet today still counts."""
    unique = sorted(set(days))
    longest = run = 0
    previous = None
    for day in unique:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    current = run if previous is not None and today - previous <= timedelta(days=1) else 0
    return current, longest


def calendar(minutes_by_day: Mapping[date, float], today: date, weeks: int = 12) -> list[tuple[date, list]]:
    """The last `weeks` weeks, Monday first: (Monday, the minutes of each day, None after today)."""
    monday = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    rows = []
    for w in range(weeks):
        start = monday + timedelta(days=7 * w)
        days = [start + timedelta(days=d) for d in range(7)]
        rows.append((start, [None if d > today else round(minutes_by_day.get(d, 0.0), 1) for d in days]))
    return rows


def shade(minutes: float | None) -> str:
    if minutes is None:
        return " "
    if minutes <= 0:
        return SHADES[0][1]
    return next(mark for limit, mark in SHADES[1:] if minutes < limit)


def helped_most(by_sequence: Iterable[Mapping]) -> Mapping | None:
    """The practice with the largest average drop in distress (before minus after), if it lowered it,
    over sequences rated both times; None with fewer than 2 rated sessions in all."""
    rated = [s for s in by_sequence if s["rated"]]
    if sum(s["rated"] for s in rated) < 2:
        return None
    best = max(rated, key=lambda s: (s["distress_drop_avg"], s["rated"]))
    return best if best["distress_drop_avg"] > 0 else None


def weeks(sessions: Iterable[Practice]) -> list[Week]:
    """The practice week by week (weeks start on Monday), oldest first."""
    by_week: dict[date, list[Practice]] = {}
    for s in sessions:
        by_week.setdefault(s.day - timedelta(days=s.day.weekday()), []).append(s)
    return [_week(start, group) for start, group in sorted(by_week.items())]


def _week(start: date, group: list[Practice]) -> Week:
    before = [s.before for s in group if s.before is not None]
    after = [s.after for s in group if s.after is not None]
    both = [s.after - s.before for s in group if s.before is not None and s.after is not None]
    return Week(start, len(group), _mean(before), _mean(after), _mean(both))


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None
