"""`companion daily`'s rating conversation: distress 0-10 asked before and after the practice, the
second added to its journal row, and the closing lines (the ratings and the streak)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from ..debug import report
from .report import ask_rating, practices, summary
from .schedule import AFTER, BEFORE


def ask_before(keys, warn: Callable[[str], None]) -> int | None:
    """The rating before the practice (None: skipped); Ctrl-C: exit 130, nothing to journal."""
    try:
        return ask_rating(BEFORE, keys.line, warn)
    except KeyboardInterrupt:  # before the practice: nothing to journal
        warn("\nStopped.")  # after the ^C the terminal echoed on the prompt line
        sys.exit(130)


def ask_after(outcome, journal, keys, warn: Callable[[str], None]):
    """The rating after, added to the practice's journal row: (the rating, the outcome, marked
    unrecorded if the journal could not take it)."""
    try:
        after = ask_rating(AFTER, keys.line, warn)
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
    return after, outcome


def closing_lines(journal, before: int | None, after: int | None, today, cfg) -> list[str]:
    """What to say when the practice ends, from the journal as it is now."""
    from ..journal.errors import JournalError

    try:
        done = practices(journal.of_mode("daily"), cfg.day_ends_min)
    except JournalError:
        done = []  # said already, or by the session
    return summary(before, after, done, today, cfg.show_streaks)
