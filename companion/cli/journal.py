"""Your data in a form you own: `export`, `import` and `forget`.

Thin, like the rest of the CLI: the checks and the writes are in journal/ (export_file.py, transfer.py,
backups.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import Failure, ask_at_terminal, iso_date


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--csv", "as_csv", is_flag=True, help="As CSV (also when FILE ends in .csv); JSON otherwise.")
@click.option("--force", is_flag=True, help="Overwrite FILE without asking.")
@click.option("--schema", is_flag=True, help="Print the JSON Schema of an export (a list of sessions), and write nothing.")
def export(file: Path | None, as_csv: bool, force: bool, schema: bool) -> None:
    """Write every session to FILE, as `companion log --json` shows it.

    \b
    The file is made private (0600). Read it back, here or on another
    machine, with `companion import FILE`.

    Examples:

    \b
        companion export journal.json
        companion export --csv journal.csv
        companion export --schema
    """
    if schema:
        from ..journal.transfer import schema as export_schema

        click.echo(json.dumps(export_schema(), indent=1, ensure_ascii=False))
        return
    if file is None:
        raise click.UsageError("Missing argument 'FILE'.")
    from ..journal import export_file
    from ..journal.errors import JournalError

    try:
        sessions = export_file.every_session()
    except JournalError as e:
        raise Failure(str(e), 1) from None
    if (file.exists() or file.is_symlink()) and not force:
        ask = ask_at_terminal()
        if ask is None:  # nobody to ask
            raise Failure(f"{file} exists; add --force to overwrite it, or choose another name", 1)
        if not ask(f"{file} exists; overwrite it?"):
            raise Failure(f"{file} was left as it was; choose another name, or add --force", 1)
    try:
        export_file.write(file, sessions, as_csv)
    except OSError as e:
        raise Failure(f"cannot write {file}: {e.strerror or e}; choose a folder you can write to", 1) from None
    click.echo(f"Wrote {len(sessions)} session{'s' * (len(sessions) != 1)} to {file}.")


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    """Add the sessions in FILE (from `companion export`, JSON or CSV) to your journal.

    \b
    A session already here (the same uid) is not added twice. If any row is
    wrong, one line says which and what, and nothing of FILE is imported.

    Examples:

    \b
        companion import journal.json
        companion import partner.csv
    """
    from ..journal.errors import JournalError
    from ..journal.store import Journal
    from ..journal.transfer import read_export

    try:
        sessions = read_export(file)
    except ValueError as e:
        raise Failure(f"{e}; nothing was imported", 1) from None
    try:
        journal = Journal()
        try:
            journal.back_up()  # today's copy, if there is none yet, before many rows come in
            added, present = journal.import_sessions(sessions)
        finally:
            journal.close()
    except JournalError as e:
        raise Failure(f"{e}; nothing was imported", 1) from None
    click.echo(f"Imported {added} session{'s' * (added != 1)} from {file}"
               + (f"; {present} {'was' if present == 1 else 'were'} here already." if present else "."))


@click.command()
@click.option("--session", "session_id", type=click.IntRange(1), metavar="ID", help="One session, by its id in `log`.")
@click.option("--before", metavar="DATE", callback=iso_date, help="Every session started before DATE (YYYY-MM-DD).")
@click.option("--all", "everything", is_flag=True, help="Every session, and every backup.")
@click.option("--yes", is_flag=True, help="Do not ask first.")
def forget(session_id: int | None, before: str | None, everything: bool, yes: bool) -> None:
    """Delete sessions from the journal and from its daily backups, for good.

    \b
    The journal is compacted afterwards (VACUUM), and each backup holding a
    forgotten session is rewritten without it (or deleted), so no copy is
    left behind. Export first if you may want them back.

    Examples:

    \b
        companion forget --session 42
        companion forget --before 2026-01-01
        companion forget --all --yes
    """
    from ..journal.backups import forget_in_backups, forgotten
    from ..journal.errors import JournalError
    from ..journal.store import Journal

    chosen = [name for name, value in (("--session", session_id), ("--before", before), ("--all", everything))
              if value]
    if len(chosen) != 1:
        raise Failure("say which sessions to forget: one of --session ID, --before DATE or --all", 2)
    what = {"--session": f"session {session_id}", "--before": f"every session started before {before}",
            "--all": "every session"}[chosen[0]]
    if not yes and not click.confirm(f"Forget {what}, here and in the backups, for good?", default=False):
        raise Failure("nothing was forgotten", 1)
    try:
        journal = Journal()
        try:
            gone = journal.forget(session_id=session_id, before=before, everything=everything)
        finally:
            journal.close()
    except JournalError as e:
        raise Failure(str(e), 1) from None
    if not gone and not everything:
        click.echo(f"No session to forget: {'there is no ' + what if session_id else 'none matched'}.")
        return
    rewritten, deleted = forget_in_backups(journal.path, gone, everything)
    from ..paths import cache_dir
    from ..practice.report import forget_report

    forget_report(cache_dir())  # progress's last figures counted them too
    click.echo(forgotten(len(gone), rewritten, deleted))
