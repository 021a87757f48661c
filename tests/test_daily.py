"""Daily practice, the pure core: which sequence today, streaks, the change over weeks."""

from datetime import date, timedelta

import pytest

from companion.practice.schedule import Practice, choose, parse_rating, streaks, weeks

CANDIDATES = ["daily-both-exhale", "daily-both-scan", "daily-leaving-feet"]
MONDAY = date(2026, 11, 23)


def test_a_sequence_never_played_comes_first_then_the_least_recent():
    yesterday = MONDAY - timedelta(days=1)
    assert choose(CANDIDATES, {"daily-both-exhale": yesterday, "daily-both-scan": yesterday}, MONDAY) == \
        "daily-leaving-feet"
    last = {"daily-both-exhale": MONDAY - timedelta(days=1), "daily-both-scan": MONDAY - timedelta(days=3),
            "daily-leaving-feet": MONDAY - timedelta(days=2)}
    assert choose(CANDIDATES, last, MONDAY) == "daily-both-scan"


def test_today_stays_today_once_chosen_and_tomorrow_differs():
    last = {"daily-both-exhale": MONDAY - timedelta(days=5), "daily-both-scan": MONDAY,
            "daily-leaving-feet": MONDAY - timedelta(days=2)}
    assert choose(CANDIDATES, last, MONDAY) == "daily-both-scan"  # practised today: again the same one
    played, day, seen = {}, MONDAY, []
    for _ in range(6):
        today = choose(CANDIDATES, played, day)
        seen.append(today)
        played[today] = day
        day += timedelta(days=1)
    assert all(a != b for a, b in zip(seen, seen[1:]))  # a different one each day
    assert set(seen[:3]) == set(CANDIDATES)  # and every one before any repeats


def test_with_nothing_played_the_day_decides():
    picks = {choose(CANDIDATES, {}, MONDAY + timedelta(days=d)) for d in range(3)}
    assert picks == set(CANDIDATES)


def test_choose_needs_a_candidate():
    with pytest.raises(ValueError):
        choose([], {}, MONDAY)


@pytest.mark.parametrize("text, rating", [("0", 0), (" 7 ", 7), ("10", 10), ("", None), ("11", "bad"),
                                          ("-1", "bad"), ("seven", "bad"), ("3.5", "bad")])
def test_ratings_are_whole_numbers_from_0_to_10(text, rating):
    if rating == "bad":
        with pytest.raises(ValueError, match="0 to 10"):
            parse_rating(text)
    else:
        assert parse_rating(text) == rating


def test_the_streak_counts_days_in_a_row_and_survives_until_today_ends():
    days = [MONDAY - timedelta(days=d) for d in (1, 2, 3, 5, 6)]
    assert streaks(days, MONDAY) == (3, 3)  # yesterday, and the two before: alive until today ends
    assert streaks(days + [MONDAY], MONDAY) == (4, 4)
    assert streaks(days, MONDAY + timedelta(days=1)) == (0, 3)  # a day missed: broken
    assert streaks([MONDAY, MONDAY], MONDAY) == (1, 1)  # twice in one day is one day
    assert streaks([], MONDAY) == (0, 0)


def practice(day, before, after, completed=True):
    return Practice(day=day, sequence="daily-both-scan", before=before, after=after, completed=completed)


def test_weeks_average_the_ratings_and_show_the_change():
    sessions = [practice(MONDAY - timedelta(days=7), 8, 6), practice(MONDAY - timedelta(days=6), 6, 4),
                practice(MONDAY, 5, 4), practice(MONDAY + timedelta(days=2), 4, None),
                practice(MONDAY + timedelta(days=3), None, None, completed=False)]
    first, second = weeks(sessions)
    assert (first.start, first.sessions, first.before, first.after, first.change) == \
        (MONDAY - timedelta(days=7), 2, 7.0, 5.0, -2.0)
    # the change only over sessions rated both before and after
    assert (second.start, second.sessions, second.before, second.after, second.change) == \
        (MONDAY, 3, 4.5, 4.0, -1.0)


def test_a_week_with_no_ratings_has_no_averages():
    (week,) = weeks([practice(MONDAY, None, None)])
    assert (week.sessions, week.before, week.after, week.change) == (1, None, None, None)


# -- the day's end, what counts, and the figures over fixed histories ----------------------------------

from companion.practice import report as practice_module  # noqa: E402
from companion.practice.schedule import calendar, counts, day_of, helped_most, shade  # noqa: E402
from companion.journal.store import Journal  # noqa: E402

FOUR = 4 * 60


def test_a_practice_before_the_day_ends_counts_for_the_evening_before():
    assert day_of("2026-11-24T00:30:00+01:00", FOUR) == date(2026, 11, 23)
    assert day_of("2026-11-24T03:59:59+01:00", FOUR) == date(2026, 11, 23)
    assert day_of("2026-11-24T04:00:00+01:00", FOUR) == date(2026, 11, 24)
    assert day_of("2026-11-24T00:30:00+01:00", 0) == date(2026, 11, 24)  # midnight, when set so


def test_a_practice_counts_when_two_thirds_of_it_were_heard():
    assert counts(165, 165, True, "completed")
    assert not counts(165, 8, True, "completed")  # skipped through with n: 8 s of 2:45
    assert counts(165, 120, False, "stopped")  # stopped near the end: heard
    assert not counts(165, 100, False, "stopped")
    assert not counts(165, 0, False, "running")
    assert counts(0, 0, True, "completed") and not counts(0, 0, False, "error")


def history(tmp_path, rows):
    """A journal holding `rows`: (started_at, sequence, planned_s, played_s, end_reason, before, after)."""
    journal = Journal(tmp_path / "journal.sqlite3")
    for started, sequence, planned, played, reason, before, after in rows:
        sid = journal.start(sequence, sequence, "daily", "captions", planned_s=planned)
        journal.finish(sid, reason=reason, planned_s=planned, played_s=played, position_s=played,
                       distress_before=before, distress_after=after)
        journal.db.execute("UPDATE sessions SET started_at = ? WHERE id = ?", (started, sid))
    return journal


def report_of(journal, today, day_ends=FOUR, show=True):
    figures = journal.practice_figures(day_ends, practice_module.calendar_start(today))
    return practice_module.progress(figures, today, show, day_ends)


def test_streaks_run_across_the_days_end(tmp_path):
    journal = history(tmp_path, [
        ("2026-11-20T21:00:00+01:00", "daily-a", 160, 160, "completed", None, None),
        ("2026-11-22T00:30:00+01:00", "daily-a", 160, 160, "completed", None, None),  # the 21st's evening
        ("2026-11-22T22:00:00+01:00", "daily-b", 160, 160, "completed", None, None)])
    report = report_of(journal, date(2026, 11, 23))
    assert (report["streak_days"], report["longest_streak_days"], report["days"]) == (3, 3, 3)
    at_midnight = report_of(journal, date(2026, 11, 23), day_ends=0)  # the 20th, the 22nd twice: a gap
    assert (at_midnight["streak_days"], at_midnight["longest_streak_days"], at_midnight["days"]) == (1, 1, 2)
    hidden = report_of(journal, date(2026, 11, 23), show=False)
    assert "streak_days" not in hidden and "longest_streak_days" not in hidden
    assert not any("Streak" in line or "run" in line for line in practice_module.progress_lines(hidden))


def test_a_session_skipped_through_does_not_extend_the_streak_and_errors_count_in_the_week(tmp_path):
    journal = history(tmp_path, [
        ("2026-11-21T08:00:00+01:00", "daily-a", 165, 165, "completed", None, None),
        ("2026-11-22T08:00:00+01:00", "daily-a", 165, 8, "completed", None, None),  # n all the way
        ("2026-11-22T09:00:00+01:00", "daily-b", 165, 30, "error", None, None)])
    report = report_of(journal, date(2026, 11, 22))
    assert (report["streak_days"], report["completed"], report["sessions"]) == (1, 1, 3)
    (week,) = report["weeks"]
    assert (week["week_of"], week["sessions"], week["completed"], week["errored"]) == ("2026-11-16", 3, 1, 1)
    assert report["minutes"] == round((165 + 8 + 30) / 60, 1)


def test_drops_by_sequence_and_what_helped_most(tmp_path):
    journal = history(tmp_path, [
        ("2026-11-20T08:00:00+01:00", "daily-a", 160, 160, "completed", 8, 4),
        ("2026-11-21T08:00:00+01:00", "daily-a", 160, 160, "completed", 6, 4),
        ("2026-11-22T08:00:00+01:00", "daily-b", 160, 160, "completed", 5, 4),
        ("2026-11-23T08:00:00+01:00", "daily-b", 160, 160, "completed", 5, None),  # rated once: no drop
        ("2026-11-24T08:00:00+01:00", "daily-c", 160, 160, "completed", None, None)])
    report = report_of(journal, date(2026, 11, 24))
    assert report["distress_drop_avg"] == round((4 + 2 + 1) / 3, 2) and report["rated_sessions"] == 3
    by = {s["sequence"]: (s["sessions"], s["rated"], s["distress_drop_avg"]) for s in report["by_sequence"]}
    assert by == {"daily-a": (2, 2, 3.0), "daily-b": (2, 1, 1.0), "daily-c": (1, 0, None)}
    assert report["helped_most"]["sequence"] == "daily-a"
    lines = practice_module.progress_lines(report)
    assert "Helped most so far: daily-a, distress 3.0 lower on average over 2 rated sessions." in lines
    assert [w["change"] for w in report["weeks"]] == [-2.3, None]  # Fri-Sun, then Mon-Tue rated once


def test_nothing_is_said_of_what_helped_with_fewer_than_two_rated_sessions():
    one = [{"sequence": "daily-a", "sessions": 3, "rated": 1, "distress_drop_avg": 3.0}]
    assert helped_most(one) is None
    worse = [{"sequence": "daily-a", "sessions": 3, "rated": 2, "distress_drop_avg": -1.0}]
    assert helped_most(worse) is None


def test_the_calendar_is_twelve_weeks_a_cell_a_day_shaded_by_minutes():
    today = date(2026, 11, 25)  # a Wednesday
    rows = calendar({date(2026, 11, 23): 2.7, date(2026, 9, 7): 30.0, date(2026, 9, 6): 5.0}, today)
    assert len(rows) == 12 and all(monday.weekday() == 0 for monday, _ in rows)
    assert rows[0][0] == date(2026, 9, 7) and rows[0][1][0] == 30.0  # the 6th is before the 12 weeks
    assert rows[-1] == (date(2026, 11, 23), [2.7, 0.0, 0.0, None, None, None, None])
    assert [shade(m) for m in (None, 0, 2.7, 3, 7, 12)] == [" ", "·", "░", "▒", "▓", "█"]


def test_pause_and_together_have_their_own_sections(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3")
    for pulse, returned in ((112, True), (None, False), (96, True)):
        sid = journal.start("pause", "A guided pause", "pause", "captions")
        journal.finish(sid, reason="completed", planned_s=60, played_s=60, position_s=60, pulse_bpm=pulse,
                       returned=returned)
    journal.start("together", "Together", "pair", "captions")
    report = report_of(journal, date(2026, 11, 24))
    assert report["pause"] == {"sessions": 3, "returned": 2, "pulse_taken": 2, "pulse_avg": 104.0}
    assert report["together"] == {"sessions": 1, "partners": []} and report["sessions"] == 0


def test_no_message_speaks_of_a_broken_or_lost_streak():
    from pathlib import Path

    source = "".join((Path(__file__).parent.parent / "companion" / name).read_text()
                     for name in ("practice/report.py", "practice/ratings.py", "practice/history.py", "cli/practice.py",
                                  "practice/schedule.py"))
    strings = " ".join(line for line in source.splitlines() if '"' in line and not line.strip().startswith("#"))
    for word in ("broken", "broke", "lost your", "missed", "reset"):
        assert word not in strings.lower()


@pytest.mark.parametrize("text, expected", [('day_ends = "00:30"\nshow_streaks = false', (30, False)),
                                            ("", (240, True)), ('day_ends = "25:00"', "HH:MM"),
                                            ("day_ends = 4", "HH:MM"), ('show_streaks = "no"', "true or false")])
def test_the_days_end_and_showing_streaks_are_settings(tmp_path, text, expected):
    from companion.config import ConfigError, load

    path = tmp_path / "config.toml"
    path.write_text(text)
    if isinstance(expected, str):
        with pytest.raises(ConfigError, match=expected):
            load(path)
    else:
        cfg = load(path)
        assert (cfg.day_ends_min, cfg.show_streaks) == expected
