"""What the commands share: the one-line failure, the settings, a sequence by name, the options (a
session's start and end: sessions.py).

Imports of anything heavy happen inside the functions that need them, so a
command starts in the time Python and Click take to load.
"""

from __future__ import annotations

import sys

import click

from ..options import NO_RATING, RATE, TEXT, VOICE, click_option, click_options

class Failure(click.ClickException):
    """One line on stderr (what, where, how to fix) and a non-zero exit."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        from ..textsafe import visible  # a message can quote a script, a config or a path

        click.echo(visible(f"companion: {self.message}", newlines=True), err=True)


def iso_date(context, parameter, value) -> str | None:
    """A DATE option (--since, --before) as YYYY-MM-DD; Click's one-line usage error if it is not one."""
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01") from None


def ask_at_terminal():
    """A yes/no question to the person at the terminal (default no); None when nobody is there to answer."""
    if not all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stderr)):
        return None
    return lambda question: click.confirm(question, default=False, err=True)


def warn(message: str) -> None:
    from ..textsafe import visible  # a message can quote a script, a config or a path

    try:
        click.echo(visible(message, newlines=True), err=True)
    except OSError:  # the terminal has gone (its window closed): nobody to tell
        pass


def load_config(voice: str | None = None, rate: int | None = None):
    """The settings, with --voice and --rate; an unknown --voice is refused before anything plays.

    (A typo in a flag was typed a moment ago, and is fixed at once; an unknown
    voice in config.toml only falls back to the default, with one line.)"""
    from .. import config

    try:
        cfg = config.load().with_overrides(voice, rate)
    except config.ConfigError as e:
        raise Failure(str(e), 2) from None
    if voice:
        from ..voice.chosen import UnknownVoice, with_voice

        try:
            return with_voice(cfg, voice)
        except UnknownVoice as e:
            raise Failure(str(e), 2) from None
    return cfg


def clip_store(cfg):
    from ..voice.clips import user_store

    return user_store(cfg.voices, warn=warn)


def load_sequence(name: str):
    from ..library import NotFound, resolve
    from ..script import ScriptError, parse_file

    try:
        return parse_file(resolve(name))
    except NotFound as e:
        raise Failure(str(e), 2) from None
    except ScriptError as e:
        raise Failure(str(e), 2) from None


def plan_sequence(sequence, clips, names: dict[str, str] | None = None):
    from ..playback.render import plan
    from ..voice.engine import EngineError

    try:
        return plan(sequence, clips, names)  # as a session says it (placeholders filled)
    except EngineError as e:
        raise Failure(str(e), 1) from None


def complete_name(ctx, param, incomplete: str) -> list:
    """Tab completes a NAME|PATH: the sequences' names (built-in and yours), else the shell's file names."""
    from click.shell_completion import CompletionItem

    from ..library import names_completing

    # A "file" item lets the shell complete file names itself (bash only when no name matches).
    return [CompletionItem(incomplete, type="file")] + [CompletionItem(n) for n in names_completing(incomplete)]


# Declared once, in companion/options.py, for Click and the start-up path alike.
voice_option, rate_option, text_option = click_option(VOICE), click_option(RATE), click_option(TEXT)
no_rating_option = click_option(NO_RATING)


def options_of(command: str):
    """The table's options of `command` (companion/options.py); two of a group refused in one line."""
    return click_options(command, Failure)


def names_options(command):
    """--a NAME --b NAME: the partners' names in a paired sequence's {A}/{B} and captions."""
    command = click.option("--b", "name_b", metavar="NAME", help="Partner B's name (with --a).")(command)
    return click.option("--a", "name_a", metavar="NAME", help="Partner A's name (with --b).")(command)


def given_names(name_a: str | None, name_b: str | None) -> dict[str, str] | None:
    if name_a is None and name_b is None:
        return None
    from ..spoken import check_names

    if name_a is None or name_b is None:
        raise Failure("give both names: --a NAME --b NAME", 2)
    try:
        return check_names(name_a, name_b)
    except ValueError as e:
        raise Failure(f"{e} (--a NAME --b NAME)", 2) from None
