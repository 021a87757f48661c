"""`companion pause` as a whole: its options, the question on screen, the device, the first line, the flow.

The start-up path (companion/startup/) runs it before Click is imported, and
Click's command (cli/pause.py) for everything else: nothing here imports
Click, pydantic or numpy before the first word. With a side given, the sound
device opens in a thread from the start and the side's first line plays at
once (first_line/sides.py); with the question, the device and both first
lines are made ready once it is on screen, while it is read. Ctrl-C before
the flow runs is held (see interrupt.py).
"""

from __future__ import annotations

import sys
import threading

from ..options import parse
from ..playback.early import EarlyOutput


class PauseOptions:
    """side: "leaving", "reaching" or None (ask); minutes: None for the default, or a key after `stay`."""

    __slots__ = ("side", "minutes", "quiet", "text", "pulse")

    def __init__(self, side: str | None = None, minutes: float | None = None, quiet: bool = False,
                 text: bool = False, pulse: bool = False):
        self.side, self.minutes, self.quiet, self.text, self.pulse = side, minutes, quiet, text, pulse

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other) -> bool:
        return isinstance(other, PauseOptions) and self._values() == other._values()

    def __repr__(self) -> str:
        return "PauseOptions(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__) + ")"


def parse_args(argv: list[str]) -> PauseOptions:
    """`companion pause ARGV` by the options' table (companion/options.py); UsageError if it is not one."""
    values, _ = parse("pause", argv)
    return PauseOptions(**values)


class PauseDevice(EarlyOutput):
    """The device opening in a thread (playback/early.py), and the pause's two first lines."""

    def open_and_render_first_lines(self) -> None:
        """With the question on screen: open the device, and render both sides'
        first lines if the cache lacks them, so the key is answered at once."""
        self.start()

        def render_missing() -> None:
            from ..first_line.sides import FIRST, read, render

            for side in FIRST:
                if not read(side):
                    render(side)

        threading.Thread(target=render_missing, daemon=True, name="first-lines").start()


def main(argv: list[str]) -> int:
    """`companion pause ARGV` without Click (the start-up path); the exit code."""
    from ..options import UsageError

    try:
        options = parse_args(argv)
    except UsageError as e:
        print(f"companion: {e}", file=sys.stderr)
        return 2
    return run(options)


def run(options: PauseOptions) -> int:
    early = PauseDevice(options.text, now=options.side is not None)
    try:
        return _run(options, early)
    finally:
        early.close()


def _run(options: PauseOptions, early: PauseDevice) -> int:
    from .. import interrupt

    # Until the flow runs, Ctrl-C silences the first line and is remembered: the
    # flow then ends at once as interrupted, and journals it (see interrupt.py).
    interrupt.hold(early.silence)

    def warn(message: str) -> None:
        from ..textsafe import visible  # a message may quote the config: never a raw control character

        print(visible(message, newlines=True), file=sys.stderr)

    first_line = b""
    if options.side and not options.text and not options.pulse:
        # The side is known: speak the first line now, and load the rest while it plays.
        from ..first_line.sides import read, render

        def said_once_started(line: str) -> None:
            # While PortAudio starts, sounddevice points stderr at /dev/null: a line said then is lost.
            early.started_up.wait(timeout=5)
            warn(line)

        samples = read(options.side) or render(options.side, warn=said_once_started)
        if samples and not interrupt.pressed.is_set():
            early.open()
            if early.output is not None:
                early.output.play_first_line(samples)
                first_line = samples
    from ..session.keys import Keys
    from ..session.screen import Screen

    screen, keys = Screen(), Keys()
    if options.side is None and not keys.active:
        print("companion: there is no terminal to ask which side; use --leave or --reach", file=sys.stderr)
        return 2
    from .. import state

    def journal():
        from ..journal.store import open_or_warn

        return open_or_warn(warn)

    from .flow import PauseFlow

    class LazyOutput:
        """The device, fetched only when the first phase needs it (after the question)."""

        def __getattr__(self, name):
            output = early.get(warn)
            flow.output = output
            return getattr(output, name)

    from ..config import Config, ConfigError, load

    try:
        cfg = load()
    except ConfigError as e:  # in a crisis a typo in the settings must not stop the pause
        warn(f"companion: {e}; going on with the default settings.")
        cfg = Config()

    def clips():
        from ..voice.clips import user_store

        store = user_store(cfg.voices)
        store.load_guide_early()  # the natural voice's model, for the line with the return time
        return store

    flow = PauseFlow(output=LazyOutput(), screen=screen, keys=keys, clips_factory=clips, journal_factory=journal,
                     minutes=options.minutes, default_minutes=cfg.break_minutes, quiet=options.quiet,
                     flooded_bpm=cfg.flooded_bpm, last_side=lambda: state.load().get("side"), warn=warn,
                     before_key=early.open_and_render_first_lines, first_line_frames=len(first_line) // 2)
    with keys:
        code = flow.run(options.side, pulse_first=options.pulse, interrupted=interrupt.release)
    if flow.spoke:
        from ..prepare import prepare_later

        stood_in = flow.clips.stood_in
        if stood_in:  # play says it before the session; a pause's sequences are known only as it goes
            voices = ", ".join(sorted({flow.clips.recorded(role) for role, _ in stood_in}))
            warn(f"companion: {len(stood_in)} lines filled in by the default voice (the recorded voice {voices} "
                 "has no take of them)")
        prepare_later(flow.clips, cfg)
    return code
