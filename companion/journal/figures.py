"""What `progress` shows, summed by SQLite: no session is read into Python.

Two passes over the daily sessions, both on the covering index sessions_daily
(schema.py, migration 4): one sums them by day into a temporary table, from
which the weeks, the totals, the calendar and the days that count come; one
sums them by sequence. The day is worked out from the time as written, with
date() only for the few sessions before the day's end. bench/progress.py
times it over 10,000 sessions.
"""

from __future__ import annotations

import sqlite3

from .counted import HEARD

EMPTY = {"done_days": [], "minutes": [], "weeks": [], "totals": None, "by_sequence": [], "pause": None,
         "together": None, "partners": []}
COUNTS = f"(end_reason != 'running' AND CASE WHEN planned_s > 0 THEN played_s >= {HEARD} * planned_s" \
         " ELSE completed END)"  # daily.counts(), in SQL
DROP = "distress_before - distress_after"  # NULL unless rated both times
SUMS = "sum(n), sum(counted), sum(errored), sum(before), sum(n_before), sum(after), sum(n_after), sum(drops), " \
       "sum(n_drops)"


def practice_figures(journal, day_ends_min: int = 0, since: str = "9999") -> dict:
    """Daily practice by day (the day ending `day_ends_min` minutes after midnight), then from those
    days by week (from Monday) and in all; by sequence; the pause and together sessions counted.
    `since`: the first day of the calendar."""
    if journal.db is None:
        return dict(EMPTY)
    ends = f"{int(day_ends_min) // 60:02}:{int(day_ends_min) % 60:02}"
    day = f"CASE WHEN substr(started_at, 12, 5) >= '{ends}' THEN substr(started_at, 1, 10)" \
          " ELSE date(substr(started_at, 1, 10), '-1 day') END"
    try:  # a temporary table (in memory, even on a read-only journal) holds the days for the sums over them
        journal.db.execute("DROP TABLE IF EXISTS temp.days")
        journal.db.execute(
            f"CREATE TEMP TABLE days AS SELECT {day} AS day, sum(played_s) / 60.0 AS minutes, count(*) AS n,"
            f" sum({COUNTS}) AS counted, sum(end_reason = 'error') AS errored, sum(distress_before) AS before,"
            " count(distress_before) AS n_before, sum(distress_after) AS after, count(distress_after) AS n_after,"
            f" sum({DROP}) AS drops, count({DROP}) AS n_drops FROM sessions WHERE mode = 'daily' GROUP BY day")
    except sqlite3.Error as e:
        raise journal.problem(e) from None
    monday = "date(day, '-6 days', 'weekday 1')"  # the Monday on or before the day
    figures = {
        "done_days": [row[0] for row in journal.rows("SELECT day FROM temp.days WHERE counted > 0 ORDER BY day")],
        "minutes": journal.rows("SELECT day, minutes FROM temp.days WHERE day >= ?", (since,)),
        "weeks": journal.rows(f"SELECT {monday} AS week, {SUMS} FROM temp.days GROUP BY week ORDER BY week"),
        "totals": journal.rows(f"SELECT sum(minutes), {SUMS} FROM temp.days")[0],
        "by_sequence": journal.rows(
            f"SELECT sequence, count(*), sum({COUNTS}), count({DROP}), avg({DROP}) FROM sessions"
            " WHERE mode = 'daily' GROUP BY sequence ORDER BY sequence"),
        "pause": journal.rows("SELECT count(*), coalesce(sum(returned), 0), count(pulse_bpm), avg(pulse_bpm)"
                              " FROM sessions WHERE mode = 'pause'")[0],
        "together": journal.rows("SELECT count(*) FROM sessions WHERE mode IN ('pair', 'together')")[0],
        "partners": [row[0] for row in journal.rows(
            "SELECT partners FROM sessions WHERE mode = 'together' AND partners IS NOT NULL ORDER BY id")],
    }
    journal.rows("DROP TABLE temp.days")
    return figures
