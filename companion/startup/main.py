"""The front door (`python -m companion`, the `companion` console script): what must be answered
before Click.

`companion pause` skips Click altogether (pause/moment.py): in the middle of a
fight, every import is time before the first word. So do the first line of
`companion play NAME` (play.py), when its clip is cached, and `companion
progress` (progress.py); anything else goes through Click (cli/app.py).
"""

import sys

from ..playback.early import EarlyOutput


def main() -> None:
    """Answer `sys.argv` the short way if there is one (pause, progress, a play whose first line is
    cached); else hand it to Click (cli/app.main), with the device opened early for daily and together."""
    import os

    os.umask(0o077)  # whatever the user's umask, nothing companion creates is open to others
    args = sys.argv[1:]
    pausing = args[:1] == ["pause"] and not {"-h", "--help"} & set(args)
    playing = args[:1] == ["play"] and not {"-h", "--help", "--text"} & set(args)
    try:
        from .. import interrupt

        if pausing:
            interrupt.catch_hangups()
            interrupt.hold()  # until the pause can journal a Ctrl-C (see pause/moment.py)
        elif args[:1] in (["play"], ["daily"]):
            interrupt.catch_hangups()  # a kill while the session starts ends it as Ctrl-C does, not half-way
            if playing:
                interrupt.hold()  # while the first line is found (remembered: see below)
    except KeyboardInterrupt:  # the very first moment: nothing started, nothing to journal
        sys.exit(130)
    if pausing:
        _pause(args, interrupt)
    if args[:1] == ["progress"]:
        _progress(args)  # returns only for Click's way
    if playing:
        _play(args, interrupt)  # returns only for Click's way
    device = None
    try:
        try:
            if args[:1] in (["daily"], ["together"]) and not {"-h", "--help", "--text", "--agreement"} & set(args):
                # The device opens, and the session's modules load, while the ratings (and together's
                # names) are asked: the first word after Enter waits for neither.
                device = Ahead(False, now=True)
            interrupt.install()
            interrupt.check()  # pressed while play's fast path looked for its first line: nothing began
            from ..cli.app import main as click_main

            # PortAudio's start-up points stderr at /dev/null (sounddevice does): a line said meanwhile would
            # be lost, so Click begins once it is done (it ran beside the imports above).
            if device is not None:
                device.started_up.wait(timeout=5)

            click_main(early=device)
        finally:
            interrupt.hold()  # ending anyway: a late press (or one retried, see interrupt.py) must not raise
            if device is not None:  # never exit inside PortAudio's start-up (see _exit)
                device.close()  # the same, and closed if no session took it
    except KeyboardInterrupt:  # before a session, or between two steps: nothing is journalled half-way
        _say("Stopped.")
        sys.exit(130)


def _say(message: str) -> None:
    try:
        print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass  # the terminal has gone: nobody to tell


def _play(args: list[str], interrupt) -> None:
    """`companion play` with its first line cached: the session, with that line played at once; never
    returns. Otherwise (play.plan says None) it returns, and Click's way plays, exactly as before."""
    early = EarlyOutput(False, now=True)  # PortAudio starts (C) and the device opens while the line is found
    from . import play

    # The line is found (Python, ~9 ms) while PortAudio starts in C, not while the thread's imports want the
    # interpreter lock: beside those, each would wait on the other.
    early.python_half.wait(0.1)

    try:
        first_line = play.plan(args[1:])
    except Exception as e:  # a bug in the start-up path must never cost the session: Click's way
        from ..debug import report

        early.started_up.wait(timeout=5)  # while PortAudio starts, stderr is /dev/null: said after it
        report(e, "the fast path of play")
        first_line = None
    code = -1
    if first_line is not None:
        try:
            code = play.run(first_line, early)
        except KeyboardInterrupt:  # between two steps, before the session or after it: nothing half-journalled
            _say("Stopped.")
            code = 130
        finally:
            interrupt.hold()  # ending anyway: a late press must not raise on the way out
    # Closed before Click's way opens its own; and PortAudio has started by then (while it starts,
    # sounddevice points stderr at /dev/null: a line Click said meanwhile would be lost).
    early.close()
    if code != -1:
        _exit(code, None)


def _progress(args: list[str]) -> None:
    """`companion progress [--json]` without Click (progress.py); returns only for Click's way."""
    from .progress import main as progress

    try:
        code = progress(args[1:])
    except KeyboardInterrupt:
        code = 130
    if code is not None:
        sys.exit(code)


def _exit(code: int, portaudio) -> None:
    """Out without the interpreter's tear-down: daemon threads may still be
    inside espeak-ng, and tearing down around threads in C code crashed
    (SIGSEGV). The journal is committed and the terminal restored by now."""
    if portaudio is not None:
        # Never exit inside PortAudio's start-up: its JACK probe holds a lock
        # in /dev/shm/jack_db-UID, and a process that dies holding it hangs
        # every later PortAudio program on the machine (seen here).
        portaudio.join(timeout=5)
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a closed pipe: nothing more can be said
    os._exit(code)


def _pause(args: list[str], interrupt) -> None:
    """`companion pause`, with Ctrl-C held from the start; never returns."""
    portaudio = None
    if _side_given(args[1:]):
        # The first line plays at once: PortAudio's start-up (about 60 ms,
        # mostly in C) runs while the rest of companion imports. (With the
        # question, it starts once the question is on screen, see pause/moment.py.)
        import threading

        from ..playback.early import import_sounddevice

        python_half = threading.Event()
        portaudio = threading.Thread(target=import_sounddevice, args=(python_half,), daemon=True)
        portaudio.start()
        # The pause's modules import once sounddevice's Python half has: beside it, each would wait on
        # the other for the interpreter lock (as play's first line would, see _play).
        python_half.wait(0.1)
    from ..pause.moment import main as pause

    try:
        code = pause(args[1:])
    except KeyboardInterrupt:
        code = 130
    interrupt.hold()  # ending anyway: a late press must not raise on the way out
    _exit(code, portaudio)


def _side_given(argv: list[str]) -> bool:
    """Does `companion pause ARGV` play its side's first line at once? Not for options it refuses: while
    PortAudio starts, sounddevice points stderr at /dev/null, and the one line saying why would be lost."""
    from ..options import UsageError, parse

    try:
        values, _ = parse("pause", argv)
    except UsageError:
        return False
    return values["side"] is not None and not values["text"]



# -- daily and together: the device and the session's modules while the ratings are asked ----------------
AHEAD_MODULES = ("companion.playback.player", "companion.session.loop", "companion.voice.clips",
                 "companion.journal.store", "companion.prepare")


class Ahead(EarlyOutput):
    """The device opening in a thread, and then what a session imports: cli/app.main hands it to the
    session (cli/sessions.early_device), whose first word then waits on neither. `close` it on the way out."""

    def _open(self) -> None:
        super()._open()
        import importlib

        for name in AHEAD_MODULES:
            try:
                importlib.import_module(name)
            except Exception as e:  # the session imports it again, and says what is wrong
                from ..debug import report

                report(e, f"importing {name} early")
