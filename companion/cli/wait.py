"""`companion wait`: this device waits for the paired partner's break (pause/waiting.py)."""

from __future__ import annotations

import sys

import click

from .common import text_option


@click.command()
@text_option
@click.option("--quiet", is_flag=True, help="No spoken cues during the hold-off.")
def wait(text_only: bool, quiet: bool) -> None:
    """Wait for your partner's break, on this device.

    \b
    Leave it open: when your paired partner takes a break (`companion pause`,
    leave), their promise shows here with the time they'll be back, is said,
    and a hold-off runs to that same time; both bells ring together. Then
    `soften-leaving`, as after `companion pause --reach`. q ends it.
    Pair once first: `companion pair`.

    Examples:

    \b
        companion wait           wait, and hear their promise when it comes
        companion wait --text    captions only
    """
    from ..pause.waiting import run

    sys.exit(run(text=text_only, quiet=quiet))
