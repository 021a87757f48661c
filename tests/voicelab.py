"""Measuring rendered speech: each spoken line's level and its speaker's pitch, from a render's WAV."""

import json
import subprocess
import sys

import numpy as np

from companion.playback import pcm
from companion.voice.loudness import loudness_dbfs

FRAME_S = 0.04
PITCH_HZ = (60, 400)
VOICED_CORRELATION = 0.5


def spoken_lines(wav, show_json: str) -> list[tuple[str, bytes]]:
    """(role, samples) of each speech event of `show --json`, cut from the render at its offsets."""
    data = pcm.read_wav(wav)
    lines = []
    for event in json.loads(show_json)["events"]:
        if event["kind"] == "speech":
            start = event["start"] * pcm.SAMPLE_BYTES
            lines.append((event["role"], data[start:start + event["frames"] * pcm.SAMPLE_BYTES]))
    return lines


def pitches_hz(samples: bytes, rate_hz: int = pcm.RATE_HZ) -> list[float]:
    """The pitch of each voiced 40 ms frame, by autocorrelation."""
    x = np.frombuffer(samples, dtype="<i2").astype(np.float64)
    n = int(FRAME_S * rate_hz)
    low, high = int(rate_hz / PITCH_HZ[1]), int(rate_hz / PITCH_HZ[0])
    floor = 32768 * 10 ** (-40 / 20)
    found = []
    for start in range(0, len(x) - n, n):
        frame = x[start:start + n] - x[start:start + n].mean()
        if np.sqrt(np.mean(frame ** 2)) < floor:
            continue
        corr = np.correlate(frame, frame, mode="full")[n - 1:]
        if corr[0] <= 0:
            continue
        lag = low + int(np.argmax(corr[low:high]))
        if corr[lag] / corr[0] >= VOICED_CORRELATION:
            found.append(rate_hz / lag)
    return found


def median_pitch_hz(lines: list[bytes], rate_hz: int = pcm.RATE_HZ) -> float:
    return float(np.median([p for line in lines for p in pitches_hz(line, rate_hz)]))


def levels_db(lines: list[bytes]) -> list[float]:
    return [loudness_dbfs(line) for line in lines]


def render_and_show(name: str, env: dict, out) -> tuple[list[tuple[str, bytes]], str]:
    """`companion render NAME` and `show NAME --json`, through the real CLI, with the same words.

    A line may say the return time ({return_time}: the minute a break from now would end), which each
    process reads from the clock: a render and a show on either side of a minute's turn speak different
    clips, and every line after the first of them is cut at offsets shifted from where the render put it
    (measured with espeak-ng's guide: both-flooded's lines spread 0.06 dB within a minute, 0.68 dB across
    13:38-13:39; the shift grows with how differently the two times are said). So the render is bracketed
    by two shows: if they agree, the render between them said the same words; if a minute turned, again."""
    def companion(*args):
        done = subprocess.run([sys.executable, "-m", "companion", *args], env=env, capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0, done.stderr
        return done.stdout

    before, tries = companion("show", name, "--json"), []
    for _ in range(3):  # a minute turns at most once in a bracket (both take seconds); 3 only guards a bug
        companion("render", name, "-o", str(out), "--force")
        after = companion("show", name, "--json")
        if after == before:
            return spoken_lines(out, after), after
        tries.append(sorted({e["text"] for e in json.loads(before)["events"]}
                            ^ {e["text"] for e in json.loads(after)["events"]}))
        before = after
    raise AssertionError(f"show --json changed across every render of {name}: {tries}")
