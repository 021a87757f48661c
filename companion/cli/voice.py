"""`companion voice`: carry a recorded voice (a coach records once, clients import)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import Failure


@click.group()
def voice() -> None:
    """Carry a recorded voice: export it to a .zip file, or import one.

    Examples:

    \b
        companion voice export coach coach.zip
        companion voice import coach.zip
        companion voice import coach.zip --as anna --force
    """


@voice.command("export")
@click.argument("name", metavar="VOICE")
@click.argument("target", metavar="FILE.zip", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE.zip if it exists.")
def export(name: str, target: Path, force: bool) -> None:
    """Write a recorded voice to one .zip file, to give to someone else."""
    from ..voice.carry import CarryError, export as write

    try:
        count = write(name, target, force)
    except (CarryError, ValueError) as e:
        raise Failure(str(e), 2) from None
    except OSError as e:
        raise Failure(f"cannot write {target}: {e.strerror or e}; check the folder and free space", 1) from None
    from ..textsafe import visible

    click.echo(visible(f"Wrote {count} lines of the voice {name.lower()} to {target}."))


@voice.command("import", short_help="Add a recorded voice from a .zip file, checked first.")
@click.argument("archive", metavar="FILE.zip", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--as", "as_name", metavar="VOICE", help="The name to keep it under (default: the name in the file).")
@click.option("--force", is_flag=True, help="Replace a voice of the same name (whole: it is never merged).")
def import_(archive: Path, as_name: str | None, force: bool) -> None:
    """Add a recorded voice from a .zip file; every file in it is checked before anything is written."""
    from ..voice.carry import CarryError, import_ as read

    try:
        name, count = read(archive, force=force, as_name=as_name)
    except (CarryError, ValueError) as e:
        raise Failure(str(e), 2) from None
    except OSError as e:
        raise Failure(f"cannot import {archive}: {e.strerror or e}; check the data folder and free space", 1) from None
    click.echo(f"Imported the voice {name} ({count} lines). Play it with: companion play stay --voice {name}")
