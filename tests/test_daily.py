"""Daily practice, the pure core: which sequence today, streaks, the change over weeks."""

from datetime import date, timedelta

import pytest

from companion.daily import Practice, choose, parse_rating, streaks, weeks

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
