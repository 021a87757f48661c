"""The commands that set companion up and check it: voices, prepare, doctor."""

from __future__ import annotations

import sys

import click

from .common import Failure, clip_store, load_config


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Every voice, not only English ones.")
def voices(show_all: bool) -> None:
    """The voices: the natural voice (the guide's), then espeak-ng's; set them with --voice or in config.toml.

    A Piper voice file (an .onnx with its .onnx.json beside it) works too, by its path.
    Recorded voices (`companion record`, `companion voice import`) come last, with how many
    of the library's lines each has; a line one lacks is spoken by the role's default voice.

    Examples:

    \b
        companion voices
        companion voices --all
        companion play stay --voice gmw/en-gb-x-rp
        companion play stay --voice ~/voices/en_GB-alba-medium.onnx
        companion play stay --voice me             a recorded voice
    """
    from ..voice.engine import EngineError
    from ..voice_table import lines

    try:
        for line in lines(clip_store(load_config()), show_all):
            click.echo(line)
    except EngineError as e:
        raise Failure(str(e), 1) from None


@click.command()
@click.option("--quiet", is_flag=True, help="Print nothing (as when it runs in the background).")
@click.option("--background", is_flag=True, hidden=True, help="At low priority: started after a session.")
def prepare(quiet: bool, background: bool) -> None:
    """Render every built-in sequence into the cache, so nothing waits for speech.

    It also runs by itself, in the background, after a session.

    Examples:

    \b
        companion prepare
        companion prepare --quiet
    """
    import os

    from ..prepare import Shown, lock
    from ..prepare import prepare as run_prepare
    from ..voice.engine import EngineError

    if background and hasattr(os, "nice"):  # Windows: its creation flags already set a low priority
        os.nice(10)
    clips = clip_store(load_config())
    try:
        held = lock(clips.root)
    except OSError as e:
        raise Failure(f"cannot write the speech cache {clips.root}: {e.strerror or e}; check its owner and free space",
                      1) from None
    if held is None:
        if not quiet:
            click.echo("Another prepare is already running.")
        return
    try:
        shown = Shown(sys.stdout, quiet)
        try:
            rendered = run_prepare(clips, shown.report, stage=shown.stage)
        except KeyboardInterrupt:
            shown.stage("stopped; every clip finished so far is kept, and the next prepare goes on from there")
            raise
        except EngineError as e:
            raise Failure(str(e), 1) from None
        except OSError as e:
            raise Failure(f"cannot write the speech cache {clips.root}: {e.strerror or e}; check its owner and free "
                          "space", 1) from None
    finally:
        os.close(held)  # the lock goes with it
    if clips.unavailable:
        raise Failure(clips.unavailable, 1)
    if not quiet:
        click.echo(f"The cache is ready ({rendered} clips rendered now)." if rendered else "The cache was already ready.")


@click.command()
def doctor() -> None:
    """Check the speech engine, the sound device and the journal, and say how to fix each.

    Examples:

    \b
        companion doctor
    """
    from ..doctor import checks

    failed = False
    for ok, name, detail in checks():
        failed |= not ok
        click.echo(f"{'ok     ' if ok else 'PROBLEM'}  {name}: {detail}")
    sys.exit(1 if failed else 0)
