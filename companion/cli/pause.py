"""`companion pause` through Click (its help and completion); `companion pause` itself skips Click
(see companion/startup/ and pause/moment.py)."""

from __future__ import annotations

import sys

import click

from .common import options_of


@click.command()
@options_of("pause")
def pause(side: str | None, minutes: float | None, quiet: bool, text: bool, pulse: bool) -> None:
    """A guided pause in the middle of a conflict.

    \b
    One key picks your side (no Enter): l to leave, r to reach, p to count
    your pulse first; Enter alone takes the side you chose last time.
    Leaving: `stay`, then a break you announce ("I'll be back at 21:40"),
    a quiet wait, a soft bell, and `return`. Reaching: `sit`, a hold-off
    wait, a bell, and `soften-leaving`. Space pauses; q or Ctrl-C ends.
    In a wait the clock keeps the promised time: space quiets the cues,
    and r twice rings the bell now, if you are ready sooner. Keys to the moments
    on the way: b at the question (the urge to end the relationship: `boat`,
    then the break), f in the break (they followed me: `followed`, then the
    same bell), w after the hold-off bell (they're not back: `not-back`).

    Examples:

    \b
        companion pause                 asks: l to leave, r to reach
        companion pause --leave         I want to leave: `stay`, then a break
        companion pause --reach         I want to reach: `sit`, then a wait
        companion pause --pulse         count your pulse first: am I flooded?
        companion pause --leave --minutes 30 --quiet
    """
    from ..pause.moment import PauseOptions, run

    sys.exit(run(PauseOptions(side=side, minutes=minutes, quiet=quiet, text=text, pulse=pulse)))
