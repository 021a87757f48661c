"""The hot path of `companion pause`: question on screen, device open, first word.

Nothing here imports Click, pydantic or numpy before the first word. With a
side given, the sound device opens in a thread from the start and the first
line plays at once as a prelude (first_words.py); with the question, the
device and both first lines are made ready once it is on screen, while it is
read. Ctrl-C before the flow runs is held (see interrupt.py).
"""

from __future__ import annotations

import sys
import threading


class EarlyOutput:
    """The sound device, opening in a thread.

    Importing sounddevice is mostly PortAudio starting up, in C, with the
    interpreter lock released, so the rest of the start-up runs beside it.
    (The full parse of the script must not: see first_line.steps.) Not beside
    the question, though: its Python half would hold the question back, and a
    person reads the question before pressing a key. Opened, not started: a
    stream started before the first word is ready would queue a buffer of
    silence ahead of it.
    """

    def __init__(self, text_only: bool, now: bool):
        self.text_only = text_only
        self.output = None
        self.problem = None
        self._thread = None
        if now:
            self.start()

    def start(self) -> None:
        if not self.text_only and self._thread is None:
            self._thread = threading.Thread(target=self._open, daemon=True, name="open-device")
            self._thread.start()

    def _open(self) -> None:
        try:  # PortAudio starts here (or __main__ started it: then wait for it) before anything is imported beside it
            import sounddevice  # noqa: F401
        except Exception:
            pass  # DeviceOutput says what is wrong
        from ..playback.outputs import DeviceOutput, NoDevice

        try:
            self.output = DeviceOutput()
        except NoDevice as e:
            self.problem = str(e)

    def open(self) -> None:
        self.start()
        if self._thread is not None:
            self._thread.join()

    def open_and_warm(self) -> None:
        """With the question on screen: open the device, and render both sides'
        first lines if the cache lacks them, so the key is answered at once."""
        self.start()

        def warm() -> None:
            from .first_words import FIRST, read, render

            for side in FIRST:
                if not read(side):
                    render(side)

        threading.Thread(target=warm, daemon=True, name="first-lines").start()

    def close(self) -> None:
        """Silence, and let PortAudio finish starting: a process that exits inside
        its start-up leaves a lock behind that hangs every later PortAudio program."""
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.output is not None:
            self.output.stop()

    def silence(self) -> None:
        """Ctrl-C before the flow runs (called in a signal handler: it must not block)."""
        if self.output is not None:
            self.output.silence()

    def get(self, warn):
        """The device, or (once, with one line saying why) a captions-only clock."""
        self.open()
        if self.output is None:
            if self.problem:
                warn(f"No sound device could be opened ({self.problem}); going on with captions only.")
            from ..playback.outputs import ClockOutput

            self.output = ClockOutput()
        return self.output


def main(argv: list[str]) -> int:
    from .options import UsageError, parse_args

    try:
        options = parse_args(argv)
    except UsageError as e:
        print(f"companion: {e}", file=sys.stderr)
        return 2
    return run(options)


def run(options) -> int:
    early = EarlyOutput(options.text, now=options.side is not None)
    try:
        return _run(options, early)
    finally:
        early.close()


def _run(options, early: EarlyOutput) -> int:
    from .. import interrupt

    # Until the flow runs, Ctrl-C silences the prelude and is remembered: the
    # flow then ends at once as interrupted, and journals it (see interrupt.py).
    interrupt.hold(early.silence)
    prelude = b""
    if options.side and not options.text and not options.pulse:
        # The side is known: speak the first line now, and load the rest while it plays.
        from .first_words import read, render

        samples = read(options.side) or render(options.side)
        if samples and not interrupt.pressed.is_set():
            early.open()
            if early.output is not None:
                early.output.play_prelude(samples)
                prelude = samples
                if interrupt.pressed.is_set():  # pressed while the device opened: its silence found none
                    early.silence()
    from ..playback.screen import Keys, Screen

    screen, keys = Screen(), Keys()
    if options.side is None and not keys.active:
        print("companion: there is no terminal to ask which side; use --leave or --reach", file=sys.stderr)
        return 2
    from .. import state

    def warn(message: str) -> None:
        from ..textsafe import visible  # a message may quote the config: never a raw control character

        print(visible(message, newlines=True), file=sys.stderr)

    def journal():
        from ..journal import open_or_warn

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
        store.warm_up()  # the natural voice's model, for the line with the return time
        return store

    flow = PauseFlow(output=LazyOutput(), screen=screen, keys=keys, clips_factory=clips, journal_factory=journal,
                     minutes=options.minutes, default_minutes=cfg.break_minutes, quiet=options.quiet,
                     flooded_bpm=cfg.flooded_bpm, last_side=lambda: state.load().get("side"), warn=warn,
                     before_key=early.open_and_warm, prelude_frames=len(prelude) // 2)
    with keys:
        code = flow.run(options.side, pulse_first=options.pulse, interrupted=interrupt.release)
    if flow.spoke:
        from ..prepare import warm_later

        warm_later(flow.clips, cfg)
    return code
