"""`companion record`: the CLI of companion/record (which lines, the microphone, the conversation)."""

from __future__ import annotations

import sys

import click

from .common import Failure, complete_name, warn
from .sessions import session_signals


@click.command()
@click.argument("name", required=False, metavar="[NAME|PATH]", shell_complete=complete_name)
@click.option("--as", "voice", default="me", show_default=True, metavar="VOICE",
              help="The recorded voice's name: yours, or a coach's.")
@click.option("--role", type=click.Choice(["guide", "you"]), default="guide", show_default=True,
              help="Whose lines: the guide's (the lines without a label) or the `You:` lines.")
@click.option("--all", "every", is_flag=True, help="Every sequence that has the role's lines, not one.")
def record(name: str | None, voice: str, role: str, every: bool) -> None:
    """Record a sequence in your own voice, line by line, from the microphone.

    It asks for the guide's lines (the lines without a label); with --role you,
    for the `You:` lines, the words the listener is shown to say. A line
    the voice already has is not asked again, so after a script is edited
    only the changed lines are. Lines with a placeholder ({return_time}, {A})
    stay in the default voice.

    Space or Enter records; a key or 1.5 s of quiet stops. Then k or Enter
    keeps the take, r records it again, s skips the line, b goes back one.
    Ctrl-C stops; every line kept so far stays.

    Examples:

    \b
        companion record stay              the guide's lines of `stay`, as "me"
        companion record stay --as anna    in a voice named anna
        companion record --role you --all  your own words, in every sequence
    """
    from ..record.asked import asked, plan
    from ..voice import recorded

    try:
        voice = recorded.valid_name(voice)
    except ValueError as e:
        raise Failure(f"--as: {e}", 2) from None
    if every == bool(name):
        raise Failure("give one sequence (companion record NAME) or --all, not both" if every else
                      "which sequence? companion record NAME (or --all; `companion list` shows them)", 2)
    sequences = _sequences(name)
    try:
        parts = plan(sequences, role, lambda text: recorded.path_for(voice, text) is not None)
    except (OSError, ValueError) as e:  # an unreadable voice folder or index: said, nothing recorded
        raise Failure(str(e), 1) from None
    if not parts:
        if every:
            raise Failure(f"no sequence has {_whose(role)} to record", 2)
        filled = asked(sequences[0].steps, role).filled
        raise Failure(f"{sequences[0].id} has no {_whose(role)} to record"
                      + (" other than lines with a placeholder" if filled else "")
                      + ("; try --role you" if role == "guide" else "; try without --role"), 2)
    for part in parts:
        filled = f"; {part.filled} with a placeholder stay in the default voice" if part.filled else ""
        click.echo(_shown(f"{part.id}: '{voice}' has {part.have} of its {part.of} {_whose(role)}{filled}."))
    if not any(part.todo for part in parts):
        click.echo(_shown(f"Nothing to record: '{voice}' has them all."))
        return
    _record(voice, [(part.title, list(part.todo)) for part in parts if part.todo])


def _whose(role: str) -> str:
    return "guide lines" if role == "guide" else "You: lines"


def _shown(text: str) -> str:
    from ..textsafe import visible

    return visible(text)


def _sequences(name: str | None) -> list:
    from .common import load_sequence

    if name:
        return [load_sequence(name)]
    from ..library import parsed_scripts

    return list(parsed_scripts(warn).values())


def _record(voice: str, plan: list) -> None:
    from ..record.errors import NotRecorded
    from ..record.recording import record_voice
    from ..record.session import Stop, Tally

    tally = Tally()
    try:
        record_voice(voice, plan, tally, started=session_signals, warn=warn)
    except NotRecorded as e:
        raise Failure(e.message, e.exit_code) from None
    except KeyboardInterrupt:
        warn(f"Stopped. '{voice}' kept {tally.new_lines()}.")
        sys.exit(130)
    except Stop:
        warn(f"The input ended. '{voice}' kept {tally.new_lines()}.")
        sys.exit(1)
    click.echo(f"Done. '{voice}' kept {tally.new_lines()}{f', skipped {tally.skipped}' if tally.skipped else ''}.")
