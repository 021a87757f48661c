"""Moved to companion/fast/first_line.py (every session's first line, not only the pause's)."""

from ..fast.first_line import FirstSpeak, first_spoken_line, front_matter, steps  # noqa: F401
