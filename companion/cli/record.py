"""`companion record`: the CLI of companion/record (which lines, the microphone, the conversation)."""

from __future__ import annotations

import sys

import click

from .common import Failure, complete_name, session_signals, warn


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
    from ..session.keys import Keys
    from ..session.screen import Screen
    from ..record.microphone import CHECK, Microphone, NoMicrophone
    from ..record.session import Stop, Tally, record
    from ..voice import recorded

    keys = Keys()
    if not keys.active:
        raise Failure("record needs keys to read: run it in a terminal", 2)
    try:
        mic = Microphone()
    except NoMicrophone as e:
        raise Failure(f"no microphone could be opened ({e}); {CHECK}", 1) from None
    session_signals()
    screen, tally = Screen(), Tally()
    try:
        with mic, keys:
            for title, lines in plan:
                record(title, lines, mic=mic, keys=keys, screen=screen, tally=tally,
                       save=lambda text, pcm: recorded.save(voice, text, pcm),
                       play_back=lambda pcm: _play_back(pcm, keys))
    except KeyboardInterrupt:
        screen.close()
        warn(f"Stopped. '{voice}' kept {len(tally.kept)} new line{'s' * (len(tally.kept) != 1)}.")
        sys.exit(130)
    except (OSError, ValueError) as e:  # the take could not be written (a full disk): the ones before it stay
        screen.close()
        raise Failure(f"a take could not be kept ({e}); '{voice}' kept {len(tally.kept)} new "
                      f"line{'s' * (len(tally.kept) != 1)} before it; free some space and run record again", 1) \
            from None
    except Stop:
        screen.close()
        warn(f"The input ended. '{voice}' kept {len(tally.kept)} new line{'s' * (len(tally.kept) != 1)}.")
        sys.exit(1)
    click.echo(f"Done. '{voice}' kept {len(tally.kept)} new line{'s' * (len(tally.kept) != 1)}"
               f"{f', skipped {tally.skipped}' if tally.skipped else ''}.")


_no_output = []


def _play_back(pcm: bytes, keys) -> str | None:
    """Play a take on the sound device; a key pressed meanwhile stops it and is returned."""
    import time

    from .. import interrupt
    from ..playback.outputs import DeviceOutput, NoDevice
    from ..playback.pcm import RATE_HZ

    if _no_output:
        return None
    try:
        output = DeviceOutput()
    except NoDevice as e:
        _no_output.append(e)
        warn(f"companion: takes cannot be played back ({e}); each is still checked before it is kept.")
        return None
    try:
        output.play_prelude(pcm)
        until = time.monotonic() + len(pcm) / 2 / RATE_HZ + output.stream.latency
        while (left := until - time.monotonic()) > 0:
            interrupt.check()
            key = keys.read(min(0.05, left))
            if key is not None:
                return key
        return None
    finally:
        output.stop()
