"""The `companion` group: its help, its commands (one module per family), and `main`."""

from __future__ import annotations

import sys

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(__version__, prog_name="companion")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """An offline, voice-guided companion for the moment a conflict floods you.

    In the middle of a fight, run `companion pause`: one key says whether you
    want to leave or to reach, and a voice guides you from there.

    Examples:

    \b
        companion pause            in a fight: l to leave, r to reach
        companion pause --leave    straight to it: I want to leave
        companion daily            today's short practice, rated before and after
        companion list             the sequences, by moment and by whom
        companion play sit         a sequence by name (Tab completes names)
        companion play my.txt      your own script file
        companion check my.txt     validate a script you wrote
        companion log              the sessions you have done

    Tab completion of commands and sequence names in bash (zsh and fish: see
    the README):

    \b
        eval "$(_COMPANION_COMPLETE=bash_source companion)"

    It is a practice, not therapy or crisis care. If anyone is in danger,
    get safe and get help now.
    """
    if ctx.invoked_subcommand is None:  # bare `companion`: the help, not an error
        click.echo(ctx.get_help())

from .journal import export, forget, import_  # noqa: E402
from .pause import pause  # noqa: E402
from .record import record  # noqa: E402
from .practice import daily, log, progress  # noqa: E402
from .listing import list_, show  # noqa: E402
from .sequences import check, play, render  # noqa: E402
from .setup import doctor, prepare, voices  # noqa: E402
from .together import together  # noqa: E402
from .voice import voice  # noqa: E402

for command in (play, check, show, render, list_, voices, pause, prepare, doctor, daily, progress, log, export,
                import_, forget, together, record, voice):
    cli.add_command(command)
from .pair import pair  # noqa: E402  (issue 21: imports nothing of the network until it runs)
cli.add_command(pair)
from .wait import wait  # noqa: E402  (issue 21: the network only once it runs)
cli.add_command(wait)


def main(early=None) -> None:
    """Click's own handling of errors, help and usage, but not of Ctrl-C. `early`: the sound device the
    start-up path began opening (playback/early.py), handed to the session through Click's `obj`.

    Standalone, Click turns Ctrl-C (and a kill while a session starts, which
    arrives as Ctrl-C: see interrupt.catch_hangups) into "Aborted!" and exit
    1. Here it goes on as KeyboardInterrupt, and startup/main.py ends it as a session
    does: 130, "Stopped.". EOF at one of Click's prompts stays "Aborted!".
    """
    import errno

    from .. import interrupt

    try:
        code = cli.main(prog_name="companion", standalone_mode=False, obj={"early": early})
    except click.exceptions.Abort as e:
        if isinstance(e.__cause__ or e.__context__, KeyboardInterrupt) or interrupt.pressed.is_set():
            raise KeyboardInterrupt from None
        click.echo("Aborted!", err=True)
        code = 1
    except click.ClickException as e:
        e.show()
        code = e.exit_code
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
        # The reader has gone (`| head`): nothing more can be said, and the flush at exit must not fail again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    sys.exit(code or 0)
