"""A session as the commands start and end it: the signals that end it, the device the start-up path
began opening, the session itself (session/played.py), and its exit code."""

from __future__ import annotations

import sys

import click

from .common import Failure, clip_store, warn


def session_signals() -> None:
    """From here on a session plays: a closed terminal or `kill` ends it as Ctrl-C does, journalled."""
    from .. import interrupt

    interrupt.catch_hangups()
    interrupt.install()


def play_session(sequence, cfg, text_only: bool, mode: str, keys, journal, extra: dict | None = None, *,
                 output=None, **how):
    """session/played.py's play_session, warning here, on the device the start-up path began opening."""
    from ..session.played import play_session as played

    return played(sequence, cfg, clip_store(cfg), text_only, mode, keys, journal, extra, warn=warn,
                  early=early_device() if output is None else None, output=output, **how)


def early_device():
    """The device the start-up path began opening before Click (cli/app.main's `early`, in Click's
    `obj`), for the first session only; None if there is none (a test's CliRunner, --text)."""
    ctx = click.get_current_context(silent=True)
    handed = ctx.find_root().obj if ctx is not None else None
    return handed.pop("early", None) if isinstance(handed, dict) else None


def exit_with(outcome) -> None:
    if outcome.reason == "error":
        raise Failure(outcome.message, outcome.exit_code)
    if outcome.reason == "interrupted":
        warn("Stopped.")
    sys.exit(outcome.exit_code)
