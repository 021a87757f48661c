"""Timeline audio (22,050 Hz) at another sample rate, block by block: Opus takes only 8-48 kHz
steps, and a render streams an hour in bounded memory. Imported by `render` alone (numpy)."""

from __future__ import annotations

from math import gcd

import numpy as np

TAPS = 16  # input frames weighed for each output frame
BEFORE = TAPS // 2 - 1  # of them, before the output's position (the rest at or after it)
CUTOFF = 0.9  # of the input's Nyquist: keeps the images of the speech band out of the output


class Resampler:
    """Polyphase windowed-sinc resampling from `source_hz` to `target_hz`, fed int16 in blocks.

    Output frame k sits at input position k * source / target; its TAPS neighbours are weighed
    by one row of a table, one row per fractional position, computed once.
    """

    def __init__(self, source_hz: int, target_hz: int):
        common = gcd(source_hz, target_hz)
        self.up, self.down = target_hz // common, source_hz // common
        self.offsets = np.arange(TAPS) - BEFORE
        distance = self.offsets[None, :] - np.arange(self.up)[:, None] / self.up
        window = np.cos(np.pi * distance / (TAPS + 1)) ** 2  # Hann, a little wider than the taps
        weights = np.sinc(CUTOFF * distance) * window
        self.weights = weights / weights.sum(axis=1, keepdims=True)  # a constant passes unchanged
        self.buffer = np.zeros(BEFORE)  # input not yet used up; silence before the first frame
        self.base = -BEFORE  # the input frame buffer[0] is
        self.fed = 0  # input frames received
        self.made = 0  # output frames produced

    def feed(self, samples: np.ndarray) -> np.ndarray:
        """Every output frame whose taps are all known once `samples` are added."""
        self.fed += len(samples)
        self.buffer = np.concatenate([self.buffer, samples.astype(np.float64)])
        last = self.fed - 1 - (TAPS - 1 - BEFORE)  # the last input frame with all its taps after it
        return self._make(((last + 1) * self.up - 1) // self.down + 1 if last >= 0 else 0)

    def flush(self) -> np.ndarray:
        """The rest, with silence after the input: as long as the input, to the frame."""
        self.buffer = np.concatenate([self.buffer, np.zeros(TAPS)])
        return self._make(-(-self.fed * self.up // self.down))

    def _make(self, until: int) -> np.ndarray:
        k = np.arange(self.made, max(until, self.made))
        at, phase = (k * self.down) // self.up - self.base, (k * self.down) % self.up
        weights, out = self.weights[phase], np.zeros(len(k))
        for tap, offset in enumerate(self.offsets):  # tap by tap: no frames x taps array in memory
            out += self.buffer[at + offset] * weights[:, tap]
        self.made += len(k)
        first = (self.made * self.down) // self.up - BEFORE  # the next output's first tap
        if first > self.base:
            self.buffer, self.base = self.buffer[first - self.base:], first
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)
