"""The commands that tell what the library holds: show, list (what they print: catalogue.py)."""

from __future__ import annotations

import json

import click

from .common import (clip_store, complete_name, given_names, load_config, load_sequence, names_options, rate_option,
                     voice_option, warn)


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

