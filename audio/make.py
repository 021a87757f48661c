#!/usr/bin/env python3
"""Synthesise the bundled sounds for `companion`.

Run:  python audio/make.py

Writes bell.wav, bell-soft.wav, breath-in.wav, breath-out.wav and waves.wav
into the folder this script lives in. Every file is WAV, mono, 16-bit signed,
22,050 Hz. The output is deterministic: noise comes from numpy's legacy
RandomState with fixed seeds (its stream is frozen across numpy versions), so
running the script twice gives byte-identical files.

Only numpy and the standard library are used.
"""

import sys
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from companion.playback.pcm import RATE_HZ as RATE  # noqa: E402  (the program plays everything at it, in one stream)
FULL_SCALE = 32767
OUT_DIR = Path(__file__).resolve().parent


# --------------------------------------------------------------------------
# helpers

def times(seconds):
    """Sample times (s) for a clip of the given length."""
    return np.arange(int(round(seconds * RATE))) / RATE


def raised_cosine(n):
    """n samples rising smoothly from 0 to 1 (half a Hann window)."""
    if n <= 1:
        return np.ones(n)
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / (n - 1))


def fade_in(x, seconds):
    n = int(round(seconds * RATE))
    x[:n] *= raised_cosine(n)
    return x


def fade_out(x, seconds):
    n = int(round(seconds * RATE))
    x[-n:] *= raised_cosine(n)[::-1]   # the last sample becomes exactly 0
    return x


def write_wav(name, x):
    """Write float samples (full scale = 1.0) as 16-bit mono WAV."""
    pcm = np.clip(np.round(x * FULL_SCALE), -FULL_SCALE, FULL_SCALE)
    pcm = pcm.astype("<i2")
    with wave.open(str(OUT_DIR / name), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    print(f"wrote {name}: {len(pcm) / RATE:.2f} s, peak {np.abs(pcm).max()}, "
          f"rms {np.sqrt(np.mean(pcm.astype(float) ** 2)):.0f}")


def shaped_noise(n, seed, gain):
    """Periodic coloured noise of n samples: white noise filtered in the
    frequency domain by gain(freqs). Because it is built with a single FFT,
    the result is exactly periodic with period n (it loops seamlessly)."""
    rng = np.random.RandomState(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / RATE)
    g = np.zeros_like(freqs)
    g[1:] = gain(freqs[1:])          # no DC
    y = np.fft.irfft(spectrum * g, n)
    return y / np.sqrt(np.mean(y ** 2))


def band(low, high, order=2):
    """Smooth Butterworth-like band-pass magnitude response."""
    def gain(f):
        hp = 1.0 / np.sqrt(1.0 + (low / f) ** (2 * order))
        lp = 1.0 / np.sqrt(1.0 + (f / high) ** (2 * order))
        return hp * lp
    return gain


# --------------------------------------------------------------------------
# bells

def bell(seconds, f0, partials, attack, mallet, peak, seed):
    """A struck bowl: pairs of slightly detuned sines per inharmonic partial,
    each pair beating slowly, each partial decaying exponentially.

    partials: list of (ratio, amplitude, decay time constant s, beat Hz)."""
    t = times(seconds)
    x = np.zeros_like(t)
    for ratio, amp, tau, beat in partials:
        f = f0 * ratio
        env = amp * np.exp(-t / tau)
        # two components beat at `beat` Hz; unequal weights keep the
        # shimmer gentle (the sound never fully cancels)
        x += env * (0.72 * np.sin(2 * np.pi * (f - beat / 2) * t)
                    + 0.28 * np.sin(2 * np.pi * (f + beat / 2) * t + ratio))
    if mallet:
        # the soft felt "tok" of the striker: a few ms of low-passed noise
        n = int(0.06 * RATE)
        tok = shaped_noise(n, seed, band(150, 1800))
        tok *= np.exp(-np.arange(n) / (0.008 * RATE))
        x[:n] += mallet * tok
    fade_in(x, attack)
    fade_out(x, 1.0)
    return x * (peak / np.abs(x).max())


def make_bells():
    # ratio, amplitude, decay (s), beat (Hz)
    write_wav("bell.wav", bell(
        seconds=4.0, f0=293.66, attack=0.004, mallet=0.05, peak=0.5, seed=1,
        partials=[(1.00, 1.00, 1.30, 0.7),
                  (2.76, 0.50, 0.85, 1.3),
                  (5.40, 0.24, 0.50, 2.1),
                  (8.93, 0.11, 0.30, 3.0),
                  (13.34, 0.05, 0.18, 3.7)]))
    write_wav("bell-soft.wav", bell(
        seconds=3.0, f0=220.0, attack=0.010, mallet=0.0, peak=0.28, seed=2,
        partials=[(1.00, 1.00, 1.00, 0.6),
                  (2.76, 0.35, 0.60, 1.1),
                  (5.40, 0.10, 0.35, 1.8)]))


# --------------------------------------------------------------------------
# breathing pacers

BREATH_RMS = 2000 / FULL_SCALE
BREATH_SECONDS = 10.0
GLIDE_TAU = 3.5        # s; the glide is steepest at the start, then eases
HARMONICS = [(1, 1.00), (2, 0.30), (3, 0.10), (4, 0.04)]


def breath(f_start, f_end):
    """A soft rounded tone gliding from f_start to f_end on a log-frequency
    curve that is steepest at the start, so any prefix (from 2 s) is a
    clear glide. A quick onset to 30 % level, then a 0.4 s swell to full."""
    t = times(BREATH_SECONDS)
    # glide progress 0 -> 1, fast at first and easing off
    g = (1 - np.exp(-t / GLIDE_TAU)) / (1 - np.exp(-BREATH_SECONDS / GLIDE_TAU))
    f = f_start * (f_end / f_start) ** g
    # slow gentle vibrato (+-6 cents at 4 Hz) that eases in after the swell
    depth = 2 ** (6 / 1200) - 1
    vib_amount = np.clip((t - 0.6) / 1.0, 0, 1)
    f = f * (1 + depth * vib_amount * np.sin(2 * np.pi * 4.0 * t))
    phase = 2 * np.pi * np.cumsum(f) / RATE
    x = sum(a * np.sin(h * phase) for h, a in HARMONICS)

    # envelope: 3 ms ramp to a 30 % floor (audible at once, no click),
    # then a smooth swell to full level by 0.4 s, steady after that
    env = 0.3 + 0.7 * np.clip(t / 0.4, 0, 1) ** 2 * (3 - 2 * np.clip(t / 0.4, 0, 1))
    x *= env
    fade_in(x, 0.003)
    fade_out(x, 0.5)

    steady = (t > 0.5) & (t < BREATH_SECONDS - 0.6)
    return x * (BREATH_RMS / np.sqrt(np.mean(x[steady] ** 2)))


def make_breaths():
    # in: G3 rising a fifth towards D4; out: D4 falling a fifth towards G3
    write_wav("breath-in.wav", breath(196.0, 293.66))
    write_wav("breath-out.wav", breath(293.66, 196.0))


# --------------------------------------------------------------------------
# ambient: gentle ocean surf

WAVES_SECONDS = 15.0
WAVES_RMS = 1500 / FULL_SCALE


def periodic_smooth(x, seconds):
    """Circular smoothing with a Hann kernel (keeps x periodic)."""
    n = int(seconds * RATE) | 1
    kernel = np.zeros_like(x)
    kernel[:n] = np.hanning(n)
    kernel = np.roll(kernel, -(n // 2)) / kernel.sum()
    return np.fft.irfft(np.fft.rfft(x) * np.fft.rfft(kernel), len(x))


def surge(t, period, crash, rise, fall):
    """One wave per loop: slow gaussian build to the crash time, then an
    exponential wash back. Copies a loop either side are summed so the curve
    is exactly periodic."""
    y = np.zeros_like(t)
    for k in (-2, -1, 0, 1, 2):
        d = t - crash + k * period
        y += np.where(d < 0, np.exp(-(d / rise) ** 2), np.exp(-np.maximum(d, 0) / fall))
    return y


def make_waves():
    t = times(WAVES_SECONDS)
    n, L = len(t), WAVES_SECONDS

    # two breakers per 15 s loop, of different sizes, ~7.5 s apart
    swell = (surge(t, L, 3.1, 2.2, 2.4) + 0.75 * surge(t, L, 10.6, 2.0, 2.0))
    swell = periodic_smooth(swell, 0.35)
    swell /= swell.max()
    foam = periodic_smooth(np.roll(swell, int(0.5 * RATE)), 0.8)   # trails the crash

    # slow turbulence: a few Hz of random amplitude flutter on the wash
    flutter = 1 + 0.25 * shaped_noise(n, 5, band(0.5, 6, order=3))

    rumble = shaped_noise(n, 6, lambda f: band(60, 450)(f) / f)          # brown
    wash = shaped_noise(n, 7, lambda f: band(200, 3000)(f) / np.sqrt(f))  # pink
    fizz = shaped_noise(n, 8, lambda f: band(1500, 7000)(f) / np.sqrt(f))

    x = (0.35 * (0.55 + 0.45 * swell) * rumble
         + 0.55 * (0.12 + swell ** 1.5) * flutter * wash
         + 0.20 * (0.08 + foam ** 2) * flutter * fizz)
    x -= x.mean()
    # everything above is periodic with the loop length: no seam to hide
    write_wav("waves.wav", x * (WAVES_RMS / np.sqrt(np.mean(x ** 2))))


if __name__ == "__main__":
    make_bells()
    make_breaths()
    make_waves()
