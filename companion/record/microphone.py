"""The microphone: the default input device through sounddevice, mono 16-bit at 22,050 Hz
(opened at the device's own rate and resampled when it will not take 22,050).

`input_device()` names it; `doctor_check()` is `companion doctor`'s line for it.
"""

from __future__ import annotations

import queue

from ..playback.pcm import RATE_HZ
CHECK = "check that one is plugged in and allowed, then run `companion doctor`"


class NoMicrophone(RuntimeError):
    """No input device could be opened; the message says why."""


def _sounddevice():
    try:
        import sounddevice as sd
    except OSError as e:  # libportaudio2 missing
        raise NoMicrophone(f"PortAudio is not installed ({e})") from None
    from ..playback.outputs import _quiet_alsa

    _quiet_alsa()
    return sd


def _reason(e: Exception) -> str:
    from ..debug import report

    report(e, "opening the microphone")
    reason = str(e).splitlines()[0] if str(e) else e.__class__.__name__
    if "device -1" in reason or "No Default Input" in reason:  # PortAudio's words for "there is none"
        reason = "no sound card or sound server was found"
    return reason


def input_device() -> str:
    """The default input device's name; NoMicrophone saying why there is none."""
    sd = _sounddevice()
    try:
        info = sd.query_devices(kind="input")
    except Exception as e:  # PortAudioError, or ValueError when there is no default input
        from ..debug import report

        report(e, "finding the input device")
        raise NoMicrophone(_reason(e)) from None
    if not info or info.get("max_input_channels", 0) < 1:
        raise NoMicrophone("the default device takes no input")
    return str(info["name"])


def doctor_check() -> tuple[bool, str, str]:
    """(ok, "microphone", what was found): the default input device, opened for real."""
    from ..textsafe import visible

    try:
        name = input_device()
        with Microphone() as mic:
            rate = mic.rate
    except NoMicrophone as e:
        return False, "microphone", visible(f"none could be opened ({e}); {CHECK.split(', then')[0]}; "
                                            "only `companion record` needs one")
    return True, "microphone", visible(f"{name} records at {rate:,} Hz") + \
        ("" if rate == RATE_HZ else f" (resampled to {RATE_HZ:,})")


class Microphone:
    """The input stream, running from the start; blocks are kept only between `start` and `stop`."""

    def __init__(self):
        sd = _sounddevice()
        self._blocks: queue.SimpleQueue = queue.SimpleQueue()
        self._taking = False
        self._resampler = None
        try:
            self.stream = self._open(sd, RATE_HZ)
        except Exception as first:  # the device may not take 22,050 Hz: its own rate, resampled
            from ..debug import report

            report(first, "opening the microphone at 22,050 Hz")
            try:
                rate = int(sd.query_devices(kind="input")["default_samplerate"])
                if rate == RATE_HZ:
                    raise first
                self.stream = self._open(sd, rate)
            except Exception as e:
                report(e, "opening the microphone at its own rate")
                raise NoMicrophone(_reason(first)) from None
            from ..playback.resample import Resampler

            self._resampler = Resampler(rate, RATE_HZ)
        self.rate = int(self.stream.samplerate)
        try:
            self.stream.start()
        except Exception as e:
            from ..debug import report

            report(e, "starting the microphone")
            self.close()
            raise NoMicrophone(_reason(e)) from None

    def _open(self, sd, rate: int):
        return sd.RawInputStream(samplerate=rate, channels=1, dtype="int16", latency="low",
                                 callback=self._callback)

    def _callback(self, indata, frames, time_info, status) -> None:
        if self._taking:
            self._blocks.put(bytes(indata))

    def start(self) -> None:
        """A new take from now on."""
        while not self._blocks.empty():
            self._blocks.get_nowait()
        if self._resampler is not None:  # no frames nor phase of the last take lead into this one
            from ..playback.resample import Resampler

            self._resampler = Resampler(self.rate, RATE_HZ)
        self._taking = True

    def stop(self) -> None:
        self._taking = False

    def read(self, timeout_s: float) -> bytes:
        """What has come in since the last read (waiting up to `timeout_s` for the first block)."""
        try:
            blocks = [self._blocks.get(timeout=timeout_s)]
        except queue.Empty:
            return b""
        while not self._blocks.empty():
            blocks.append(self._blocks.get_nowait())
        data = b"".join(blocks)
        if self._resampler is not None:
            import numpy as np

            data = self._resampler.feed(np.frombuffer(data, dtype="<i2")).astype("<i2").tobytes()
        return data

    def close(self) -> None:
        self._taking = False
        try:
            self.stream.abort()
            self.stream.close()
        except Exception as e:  # a device already gone: closed is what was wanted
            from ..debug import report

            report(e, "closing the microphone")

    def __enter__(self) -> "Microphone":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
