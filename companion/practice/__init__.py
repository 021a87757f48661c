"""Daily practice: the pure schedule (schedule.py) and its report (report.py)."""
