"""A recording with the real parts: the terminal's keys and screen, the microphone, each take played
back on the sound device and kept in the voice's folder (the conversation itself: session.py)."""

from __future__ import annotations

from collections.abc import Callable

from .errors import NotRecorded
from .session import Tally


def record_voice(voice: str, plan: list, tally: Tally, *, started: Callable[[], None], warn) -> None:
    """Each (title, lines) of `plan` recorded into `voice`, counted in `tally`. `started()` once the keys
    and the microphone are open. NotRecorded when it cannot start or a take cannot be kept; Ctrl-C
    (KeyboardInterrupt) and the end of the input (session.Stop) go on to the caller, the screen closed."""
    from ..session.keys import Keys
    from ..session.screen import Screen
    from ..voice import recorded
    from .microphone import CHECK, Microphone, NoMicrophone
    from .session import record

    keys = Keys()
    if not keys.active:
        raise NotRecorded("record needs keys to read: run it in a terminal", 2)
    try:
        mic = Microphone()
    except NoMicrophone as e:
        raise NotRecorded(f"no microphone could be opened ({e}); {CHECK}", 1) from None
    started()
    screen, speakers = Screen(), _Speakers(keys, warn)
    try:
        with mic, keys:
            for title, lines in plan:
                record(title, lines, mic=mic, keys=keys, screen=screen, tally=tally,
                       save=lambda text, pcm: recorded.save(voice, text, pcm), play_back=speakers.play_back)
    except (OSError, ValueError) as e:  # the take could not be written (a full disk): the ones before it stay
        screen.close()
        raise NotRecorded(f"a take could not be kept ({e}); '{voice}' kept {tally.new_lines()} before it; "
                          "free some space and run record again", 1) from None
    except BaseException:
        screen.close()
        raise


class _Speakers:
    """Takes played back on the sound device; with none, said once, and each take still checked."""

    def __init__(self, keys, warn):
        self.keys, self.warn, self.missing = keys, warn, False

    def play_back(self, pcm: bytes) -> str | None:
        """Play a take; a key pressed meanwhile stops it and is returned."""
        import time

        from .. import interrupt
        from ..playback.outputs import DeviceOutput, NoDevice
        from ..playback.pcm import RATE_HZ

        if self.missing:
            return None
        try:
            output = DeviceOutput()
        except NoDevice as e:
            self.missing = True
            self.warn(f"companion: takes cannot be played back ({e}); each is still checked before it is kept.")
            return None
        try:
            output.play_first_line(pcm)  # a take plays as a first line does: alone, before any cursor
            until = time.monotonic() + len(pcm) / 2 / RATE_HZ + output.stream.latency
            while (left := until - time.monotonic()) > 0:
                interrupt.check()
                key = self.keys.read(min(0.05, left))
                if key is not None:
                    return key
            return None
        finally:
            output.stop()
