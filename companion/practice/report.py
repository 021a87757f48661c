"""`companion daily` and `companion progress`: a short practice each day, rated
0-10 before and after, and what the weeks show.

The choices and sums are in schedule.py (pure); this module reads the library
and the journal, asks the ratings, and makes the progress report (`shown`:
what `progress` prints, with or without Click).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date

from . import schedule as daily


def candidates(side: str | None, warn: Callable[[str], None]) -> dict[str, object]:
    """The daily sequences for `side` (and those for either side), by id; all of them for no side."""
    from ..library import parsed_scripts

    return {script_id: sequence for script_id, sequence in parsed_scripts(warn).items()
            if sequence.moment == "daily" and (side is None or sequence.for_ in (side, "both"))}


def practices(rows: list[dict], day_ends_min: int = 0) -> list[daily.Practice]:
    """The journal's daily rows as plain values, oldest first; `completed`: the practice counts."""
    return [daily.Practice(day=daily.day_of(row["started_at"], day_ends_min), sequence=row["sequence"],
                           before=row["distress_before"], after=row["distress_after"],
                           completed=daily.counts(row["planned_s"], row["played_s"], row["completed"],
                                                  row["end_reason"]))
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


def summary(before: int | None, after: int | None, done: list[daily.Practice], today: date,
            show_streaks: bool = True) -> list[str]:
    """What to say when the practice ends: the ratings, and the streak (never a word of one lost)."""
    lines = []
    if before is not None and after is not None:
        change = after - before
        moved = f"{-change} lower" if change < 0 else f"{change} higher" if change > 0 else "the same"
        lines.append(f"Distress {before} before, {after} after: {moved}.")
    current, longest = _streaks(done, today)
    if current and show_streaks:
        days = _count(current, "day") + (" in a row" if current > 1 else "")
        lines.append(f"Practice: {days}" + (f" (longest {longest})." if longest > current else "."))
    return lines


def _streaks(done: list[daily.Practice], today: date) -> tuple[int, int]:
    """A day counts toward a streak when a practice on it counts."""
    return daily.streaks([p.day for p in done if p.completed], today)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _round(value, places=2):
    return None if value is None else round(value, places)


def _ratio(total, count, places):
    return round(total / count, places) if count else None


def progress(figures: dict, today: date, show_streaks: bool = True, day_ends_min: int = 0) -> dict:
    """The practice as plain values (what `progress --json` prints), from the journal's sums
    (Journal.practice_figures(day_ends_min, calendar_start(today))); `today` by the configured end of day."""
    minutes, sessions, completed, _, _, _, _, _, drops, rated = \
        [value or 0 for value in figures["totals"]] if figures["totals"] else [0] * 10
    done_days = figures["done_days"]
    report = {"sessions": sessions, "completed": completed, "days": len(done_days), "minutes": round(minutes, 1)}
    if show_streaks:
        report["streak_days"], report["longest_streak_days"] = daily.streaks(map(date.fromisoformat, done_days),
                                                                             today)
    report |= {
        "distress_drop_avg": _ratio(drops, rated, 2), "rated_sessions": rated,
        "by_sequence": [{"sequence": name, "sessions": n, "completed": done, "rated": both,
                         "distress_drop_avg": _round(avg)} for name, n, done, both, avg in figures["by_sequence"]],
        "weeks": [{"week_of": week, "sessions": n, "completed": done, "errored": errored,
                   "distress_before": _ratio(before, n_before, 1), "distress_after": _ratio(after, n_after, 1),
                   "change": None if not n_drops else round(-drops / n_drops, 1)}
                  for week, n, done, errored, before, n_before, after, n_after, drops, n_drops in figures["weeks"]],
        "calendar": [{"week_of": monday.isoformat(), "minutes": cells} for monday, cells in daily.calendar(
            {date.fromisoformat(day): minutes for day, minutes in figures["minutes"]}, today)],
        "day_ends": f"{day_ends_min // 60:02}:{day_ends_min % 60:02}",
    }
    report["helped_most"] = daily.helped_most(report["by_sequence"])
    pause = figures["pause"] or (0, 0, 0, None)
    report["pause"] = {"sessions": pause[0], "returned": pause[1], "pulse_taken": pause[2],
                       "pulse_avg": _round(pause[3], 1)}
    report["together"] = {"sessions": (figures["together"] or (0,))[0],
                          "partners": partner_changes(figures.get("partners") or [])}
    return report


def partner_changes(rows: list[str]) -> list[dict]:
    """Each partner's sessions together and average change in distress (after minus before), by name,
    from the journal's `partners` column (JSON text), in the order they first came."""
    import json

    sums: dict[str, list] = {}
    for text in rows:
        try:
            partners = json.loads(text)
        except (TypeError, ValueError):
            continue
        for p in partners if isinstance(partners, list) else []:
            if not isinstance(p, dict) or not isinstance(p.get("name"), str):
                continue
            entry = sums.setdefault(p["name"], [0, 0, 0])
            entry[0] += 1
            before, after = p.get("distress_before"), p.get("distress_after")
            if isinstance(before, int) and isinstance(after, int):
                entry[1] += after - before
                entry[2] += 1
    return [{"name": name, "sessions": n, "rated": rated, "change_avg": _ratio(total, rated, 2)}
            for name, (n, total, rated) in sums.items()]


def together_lines(report: dict) -> list[str]:
    """`progress`'s lines for the sessions together: how many, each partner's average change."""
    together = report.get("together") or {}
    if not together.get("sessions"):
        return []
    lines = [f"Together: {_count(together['sessions'], 'session')}."]
    for p in together.get("partners", []):
        change = "not rated before and after yet" if p["change_avg"] is None else \
            f"distress {p['change_avg']:+.1f} on average over {_count(p['rated'], 'rated session')}"
        lines.append(f"  {p['name']}: {change}.")
    return lines


# -- the last report, kept: `progress` again before the journal changes reads no SQLite at all ---------
REPORT_CACHE = "progress.json"


def report_key(journal_path, *settings) -> list | None:
    """What the report depends on: the journal's files as they are now (a session, an import or a
    forget changes them), the schema and companion's version, the settings and today. None: no journal."""
    import os

    from .. import __version__

    try:
        files = [[info.st_ino, info.st_size, info.st_mtime_ns] for info in (os.stat(journal_path),)]
    except OSError:
        return None
    try:  # an empty write-ahead log is one a reader made: the same journal
        wal = os.stat(f"{journal_path}-wal")
        if wal.st_size:
            files.append([wal.st_ino, wal.st_size, wal.st_mtime_ns])
    except OSError:
        pass
    return [__version__, str(journal_path), files, *map(str, settings)]


def cached_report(folder, key: list | None) -> dict | None:
    import json

    if key is None:
        return None
    try:
        with open(os.path.join(folder, REPORT_CACHE), encoding="utf-8") as f:
            kept = json.load(f)
        return kept["report"] if kept.get("key") == key else None
    except (OSError, ValueError, TypeError, AttributeError, KeyError):
        return None


def keep_report(folder, key: list | None, report: dict) -> None:
    """Kept private (0700 folder, 0600 file), replaced whole; a cache that cannot be written is no loss."""
    import json

    if key is None:
        return
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        temporary = os.path.join(folder, f".{REPORT_CACHE}.{os.getpid()}")
        text = json.dumps({"key": key, "report": report})  # dumps, not dump: C's encoder, 5 times faster
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temporary, os.path.join(folder, REPORT_CACHE))
    except OSError:
        pass


def forget_report(folder) -> None:
    """The last report counted sessions `forget` has just deleted: it goes with them."""
    try:
        os.unlink(os.path.join(folder, REPORT_CACHE))
    except OSError:
        pass


def calendar_start(today: date) -> str:
    """The first day the calendar shows (daily.calendar's twelve weeks)."""
    return daily.calendar({}, today)[0][0].isoformat()


def progress_lines(report: dict) -> list[str]:
    """`progress` for people: totals, what helped most, the last 12 weeks a cell a day, then a row a week."""
    line = f"Daily practice: {_count(report['completed'], 'session')} completed on {_count(report['days'], 'day')}, " \
           f"{report['minutes']:g} minutes."
    if "streak_days" in report:
        current, longest = report["streak_days"], report["longest_streak_days"]
        if current:
            line += f" Streak: {_count(current, 'day')} (longest {longest})."
        elif longest:
            line += f" Longest run: {_count(longest, 'day')}."
    lines = [line]
    best = report["helped_most"]
    if best:
        lines.append(f"Helped most so far: {best['sequence']}, distress {best['distress_drop_avg']:.1f} lower on "
                     f"average over {_count(best['rated'], 'rated session')}.")
    marks = "  ".join(f"{mark} {label}" for mark, label in
                      zip((m for _, m in daily.SHADES), ("none", "under 3 min", "3-6", "6-10", "10 or more")))
    lines += ["", f"The last 12 weeks, a cell a day, Monday to Sunday:  {marks}"]
    lines += [f"{date.fromisoformat(w['week_of']):%d %b}  {''.join(daily.shade(m) for m in w['minutes'])}"
              for w in report["calendar"]]
    lines += ["", "week of      sessions  done  before  after  change  distress after (0-10)"]

    def number(value, signed=False):
        return "-" if value is None else f"{value:+.1f}" if signed else f"{value:.1f}"

    for w in report["weeks"]:
        after = w["distress_after"]
        bar = "" if after is None else "█" * round(after * 2) or "·"
        lines.append(f"{w['week_of']}  {w['sessions']:>8}  {w['completed']:>4}  {number(w['distress_before']):>6}  "
                     f"{number(w['distress_after']):>5}  {number(w['change'], True):>6}  {bar}")
    return lines


def shown(cfg, as_json: bool) -> str:
    """What `companion progress [--json]` prints, from the kept figures or the journal (opened
    read-only); journal.JournalError says why the journal cannot be read. Without Click, so that
    `progress` can answer before Click as fast as `companion --version` (see startup/progress.py)."""
    import json
    from datetime import datetime

    from ..journal import default_path  # not SQLite: that only when the kept figures cannot answer
    from ..paths import cache_dir
    from ..textsafe import visible

    today = daily.day_of(datetime.now(), cfg.day_ends_min)
    folder = cache_dir()
    key = report_key(default_path(), cfg.day_ends_min, cfg.show_streaks, today)
    report = cached_report(folder, key)  # the journal unchanged since: no SQLite to open
    if report is None:
        from ..journal.store import Journal

        journal = Journal(write=False)  # no folder made, nothing chmodded or written
        try:
            figures = journal.practice_figures(cfg.day_ends_min, calendar_start(today))
        finally:
            journal.close()
        report = progress(figures, today, cfg.show_streaks, cfg.day_ends_min)
        keep_report(folder, key, report)
    if as_json:
        return json.dumps(report, indent=1)
    together = together_lines(report)
    if not report["sessions"]:
        return visible("\n".join(["No daily practice yet. Start today's with: companion daily",
                                   *(["", *together] if together else [])]), newlines=True)
    return visible("\n".join(progress_lines(report) + ["", *together]).rstrip(), newlines=True)
