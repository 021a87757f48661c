"""`companion list`, `list --json` and `show stay` on an empty home, against `companion --version`.

Nothing is rendered (issue 17): the built-in sequences' lengths come from audio/lengths.json when the
voices are the shipped defaults ("shipped"), and from each script's words and the rate otherwise
("estimated": espeak-ng's guide, so every script is parsed and planned). Every candidate runs as
`python -m companion` in the same private empty user dirs, interleaved run by run (the order turned
every round) so the shared machine's load falls on all alike. Prints medians and ratios to the
version's time; asserts nothing. The cache is checked to be empty at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, companion_cmd, median, ms, user_dirs  # noqa: E402

RUNS = 9
ESPEAK_GUIDE = 'background_prepare = false\n[voices]\nguide = "gmw/en-us"\n'


def timed(args, env) -> float:
    started = time.perf_counter()
    done = subprocess.run(companion_cmd(*args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"companion {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed


def main() -> int:
    # as installed: bytecode compiled (under PYTHONDONTWRITEBYTECODE a changed module compiles every run)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "companion")], check=True)
    with tempfile.TemporaryDirectory() as shipped_base, tempfile.TemporaryDirectory() as estimated_base:
        shipped = os.environ | user_dirs(Path(shipped_base)) | {"TZ": "UTC"}
        estimated = os.environ | user_dirs(Path(estimated_base)) | {"TZ": "UTC"}
        (Path(estimated_base) / "config" / "companion" / "config.toml").write_text(ESPEAK_GUIDE)
        candidates = {
            "--version": (["--version"], shipped),
            "list, shipped": (["list"], shipped),
            "list --json, shipped": (["list", "--json"], shipped),
            "show stay, shipped": (["show", "stay"], shipped),
            "list, estimated": (["list"], estimated),
            "list --json, estimated": (["list", "--json"], estimated),
            "show stay --json, estimated": (["show", "stay", "--json"], estimated),
        }
        for args, env in candidates.values():  # warm the file cache and the bytecode
            timed(args, env)
        times = {name: [] for name in candidates}
        for run in range(RUNS):
            order = list(candidates) if run % 2 == 0 else list(reversed(candidates))
            for name in order:
                times[name].append(timed(*candidates[name]))
        rendered = [p for base in (shipped_base, estimated_base) for p in (Path(base) / "cache").rglob("*.wav")]
    version = median(times["--version"])
    print(f"{'companion --version':<34} median {ms(version)} ms")
    for name in list(candidates)[1:]:
        ratios = sorted(t / v for t, v in zip(times[name], times["--version"]))
        print(f"{'companion ' + name:<34} median {ms(median(times[name]))} ms, ratio {median(times[name]) / version:.2f}"
              f"; run by run {ratios[0]:.2f}-{ratios[-1]:.2f}")
    print(f"clips rendered into the empty caches: {len(rendered)} (issue 17: none)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
