"""The commands that act on a sequence: play, check, render (show and list: listing.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import (Failure, ask_at_terminal, clip_store, complete_name, given_names, load_config, load_sequence,
                     names_options, options_of, plan_sequence, rate_option, voice_option, warn)
from .sessions import exit_with, play_session, session_signals


@click.command()
@click.argument("name", default="stay", metavar="[NAME|PATH]", shell_complete=complete_name)
@options_of("play")
def play(name: str, text_only: bool, voice: str | None, rate: int | None) -> None:
    """Speak a guided sequence, with captions and a progress bar.

    NAME is a sequence from `companion list` (yours first, then the built-in
    ones); PATH is a script file anywhere. Keys while it plays: space pauses
    and resumes (and ends a partner's turn), Enter ends a turn, n skips to
    the next line, q ends. Every session goes into the journal, finished or
    not.

    Examples:

    \b
        companion play                  the default, `stay`
        companion play sit              a sequence by name
        companion play ~/my-script.txt  your own script file
        companion play night --text     captions only, no sound
        companion play stay --rate 120  slower speech
    """
    from ..journal.store import open_or_warn
    from ..session.keys import Keys

    sequence = load_sequence(name)
    if sequence.for_ == "pair":  # two partners: names, ratings and turns, as `companion together`
        from .together import run_together

        run_together(sequence, None, None, text_only, False, voice, rate, Keys(), open_or_warn(warn))
        return
    cfg = load_config(voice, rate)
    session_signals()
    outcome = play_session(sequence, cfg, text_only, "play", Keys(), open_or_warn(warn))
    exit_with(outcome)

@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...", shell_complete=complete_name)
def check(files: tuple[str, ...]) -> None:
    """Validate script files without playing them.

    One line per error (exit 2 on any), naming file:line:column, what it
    found and what it expected; at most 100 are shown a file. A warning (exit 0 if it is all) is valid
    but likely a slip, such as `a:` in lower case, which the guide would
    speak as words. A sequence's name checks the file it plays.

    Examples:

    \b
        companion check my-script.txt
        companion check ~/.config/companion/scripts/*.txt
        companion check stay
    """
    from ..library import NotFound
    from ..script.checking import checked

    failed = False
    for name in files:
        try:
            problems, ok = checked(name)
        except NotFound as e:
            click.echo(f"companion: {e}", err=True)
            failed = True
            continue
        for line in problems:
            click.echo(line, err=True)
        if ok is None:
            failed = True
        else:
            click.echo(ok)
    sys.exit(2 if failed else 0)


@click.command()
@click.argument("name", metavar="NAME|PATH", shell_complete=complete_name)
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write; its extension picks the format: .wav, .flac, .ogg, .opus or .mp3.")
@click.option("--captions", type=click.Choice(["srt", "vtt", "none"]), default="srt", show_default=True,
              help="A caption file beside it (same name, .srt or .vtt): where each spoken line is.")
@click.option("--force", is_flag=True, help="Overwrite the -o file (and its captions) if they exist, without asking.")
@voice_option
@rate_option
@names_options
def render(name: str, out: Path, captions: str, force: bool, voice: str | None, rate: int | None,
           name_a: str | None, name_b: str | None) -> None:
    """Write a whole sequence to one audio file, on the same timeline as play.

    The title and the sequence's name go into the file's tags. A partner's
    turn is silence of its full length. Beside the audio, a caption file
    shows where each spoken line is, on a phone's player too.

    Examples:

    \b
        companion render stay -o stay.mp3          and stay.srt beside it
        companion render night -o night.ogg --captions vtt
        companion render my-script.txt -o my-script.flac --rate 120
        companion render dancefloor --a Sam --b Alex -o x.wav --captions none
    """
    from ..playback import audio_file
    from ..playback.errors import NotWritten
    from ..session.screen import clock
    from ..textsafe import visible

    names = given_names(name_a, name_b)
    sequence = load_sequence(name)
    cfg = load_config(voice, rate)
    try:
        out, beside = audio_file.targets(out, captions, sequence.source, force, ask_at_terminal())
        clips = clip_store(cfg)
        timeline = plan_sequence(sequence, clips, names)
        if clips.unavailable:
            raise Failure(clips.unavailable, 1)
        audio_file.write(timeline, clips, sequence, out, beside, captions)
    except NotWritten as e:
        raise Failure(e.message, e.exit_code) from None
    also = f" and {beside}" if beside else ""
    click.echo(visible(f"Wrote {out}{also} ({clock(timeline.seconds)}, {sequence.title})."))
