"""When a practice counts as done: the one rule that practice/schedule.py (in Python) and
journal/figures.py (in SQL) both apply, kept below both."""

HEARD = 0.67  # a practice counts when at least this share of its planned time was heard
