"""The commands on sequences: play, check, show, render, list (what show and list print: catalogue.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import (Failure, clip_store, complete_name, exit_with, given_names, load_config, load_sequence,
                     names_options, options_of, plan_sequence, play_session, rate_option, session_signals, voice_option, warn)


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

MAX_ERRORS_SHOWN = 100  # per file: a binary file given by mistake would otherwise fill the terminal


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
    from ..library import NotFound, resolve
    from ..script import check_file
    from ..textsafe import visible

    failed = False
    for name in files:
        try:
            checked = check_file(resolve(name))
        except NotFound as e:
            click.echo(f"companion: {e}", err=True)
            failed = True
            continue
        found = sorted(checked.errors + checked.warnings, key=lambda e: (e.line, e.column))
        for problem in found[:MAX_ERRORS_SHOWN]:
            click.echo(str(problem), err=True)
        if len(found) > MAX_ERRORS_SHOWN:
            click.echo(visible(f"{name}: {len(found) - MAX_ERRORS_SHOWN:,} more not shown"), err=True)
        if checked.errors:
            failed = True
        else:
            sequence = checked.sequence
            click.echo(visible(f"{sequence.source}: ok ({sequence.title!r}, {len(sequence.steps)} steps)"))
    sys.exit(2 if failed else 0)


@click.command()
@click.argument("name", metavar="NAME|PATH", shell_complete=complete_name)
@click.option("--json", "as_json", is_flag=True, help="Every event as JSON, with start and length in seconds.")
@voice_option
@rate_option
@names_options
def show(name: str, as_json: bool, voice: str | None, rate: int | None, name_a: str | None,
         name_b: str | None) -> None:
    """Print a sequence as captions with their times, rendering nothing.

    Times come from the clips in the cache, else the lengths shipped for the
    default voices; a time marked ~ is estimated from the words and the rate
    (its lines are not rendered yet: `companion prepare` renders them).

    Examples:

    \b
        companion show stay
        companion show my-script.txt
        companion show dancefloor --json
    """
    from .. import catalogue, lengths

    names = given_names(name_a, name_b)
    sequence = load_sequence(name)
    clips = clip_store(load_config(voice, rate))
    timeline, measured = lengths.plan(sequence, clips, names)  # never renders: cache, shipped, else estimated
    if as_json:
        click.echo(catalogue.shown_json(sequence, timeline, measured, clips))
        return
    for line in catalogue.shown_lines(sequence, timeline, measured):
        click.echo(line)


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
    from ..playback import captions as caption_file
    from ..playback.render import UnknownFormat, format_of, is_stream
    from ..playback.render import render as write_audio
    from ..session.screen import clock
    from ..textsafe import visible

    names = given_names(name_a, name_b)
    sequence = load_sequence(name)
    cfg = load_config(voice, rate)
    paths = (out,) if captions == "none" or is_stream(out) else (out, out.with_suffix(f".{captions}"))
    for path in paths:
        _not_the_script(path, sequence.source)
    try:
        format_of(out)
    except UnknownFormat as e:
        raise Failure(str(e), 2) from None
    for path in paths:
        _may_write(path, force)
    beside = paths[1] if len(paths) > 1 else None
    clips = clip_store(cfg)
    timeline = plan_sequence(sequence, clips, names)
    if clips.unavailable:
        raise Failure(clips.unavailable, 1)
    written = out
    try:
        write_audio(timeline, clips, out, {"title": sequence.title, "album": sequence.id, "artist": "companion"})
        if beside:
            written = beside
            caption_file.write(timeline, beside, captions)
    except OSError as e:
        raise Failure(f"cannot write {written}: {e.strerror or e}; choose another path with -o", 1) from None
    also = f" and {beside}" if beside else ""
    click.echo(visible(f"Wrote {out}{also} ({clock(timeline.seconds)}, {sequence.title})."))


def _not_the_script(out: Path, source: Path) -> None:
    """Whatever else is asked, never write over the script being rendered (a link to it included)."""
    import os

    try:
        same = os.path.samefile(out, source)
    except OSError:  # not there yet (or unreadable): not the script
        same = False
    if same:
        raise Failure(f"{out} is the script being rendered; choose another file with -o", 2)


def _may_write(out: Path, force: bool) -> None:
    """Before any rendering: the folder exists, and another file is overwritten only if asked."""
    import os

    folder = out.parent
    if not folder.is_dir():
        raise Failure(f"cannot write {out}: there is no folder {folder}; create it, or choose another path with -o", 2)
    if not os.path.exists(out):
        return
    if force or not os.path.isfile(out):  # a device such as /dev/null is written, not replaced
        return
    if not all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stderr)):
        raise Failure(f"{out} exists; add --force to overwrite it, or choose another path with -o", 2)
    if not click.confirm(f"{out} exists. Overwrite it?", default=False, err=True):
        raise Failure(f"{out} was left as it was", 1)


@click.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="As a JSON array.")
def list_(as_json: bool) -> None:
    """The sequences you can play, with their length (~ when estimated).

    Your own scripts (in ~/.config/companion/scripts/) are marked "(yours)",
    and "(yours, replaces the built-in)" when one has a built-in's name.

    Examples:

    \b
        companion list
        companion list --json
    """
    from .. import catalogue, lengths

    clips = clip_store(load_config())
    rows = lengths.listing(clips, warn)  # never renders: shipped, cached, else estimated
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    for line in catalogue.listed_lines(rows):
        click.echo(line)
    running = lengths.progress_line(clips.root)
    if running:
        click.echo(running)

