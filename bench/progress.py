"""`companion progress --json` over a journal of 10,000 sessions, against `companion --version`.

Both run as `python -m companion` in the same private user dirs, interleaved run by run (the order
swapped every round) so the shared machine's load falls on both alike. The journal holds 10,000
sessions over three years: daily practice (some skipped through, some rated), pauses and together
sessions. Target: progress within 1.3 times the version's time. Timed twice: again with the journal
unchanged (progress keeps its last figures, and reads no SQLite), and first after a change (SQLite
sums 10,000 sessions). Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, companion_cmd, median, ms, user_dirs  # noqa: E402

RUNS = 9
SESSIONS = 10_000
TARGET = 1.3


def fill(env: dict) -> Path:
    """A journal of SESSIONS sessions, made through companion's own Journal, then rows added in bulk."""
    import os

    os.environ.update(env)
    from companion.journal.schema import COLUMNS
    from companion.journal.store import Journal

    journal = Journal()
    chance = random.Random(13)
    start = datetime(2024, 1, 1, 7, 0).astimezone()
    rows = []
    for i in range(SESSIONS):
        when = start + timedelta(hours=i * 2.6, minutes=chance.randint(0, 59))
        mode = chance.choices(["daily", "pause", "together", "play"], [70, 15, 5, 10])[0]
        planned = 165.0 if mode == "daily" else 1500.0
        played = chance.choice([planned, planned, planned, 8.0])
        rated = mode == "daily" and chance.random() < 0.7
        rows.append({"id": i + 1, "uid": str(uuid.UUID(int=chance.getrandbits(128), version=4)),
                     "sequence": f"daily-{chance.randint(1, 9)}" if mode == "daily" else mode, "title": "A session",
                     "mode": mode, "output": "device", "started_at": when.isoformat(timespec="seconds"),
                     "ended_at": (when + timedelta(seconds=played)).isoformat(timespec="seconds"),
                     "planned_s": planned, "played_s": played, "position_s": played, "completed": True,
                     "end_reason": "completed", "side": "leaving" if mode == "pause" else None,
                     "pulse_bpm": chance.randint(70, 130) if mode == "pause" else None, "break_minutes": None,
                     "returned": chance.random() < 0.8 if mode == "pause" else None, "stage": None, "wait_s": None,
                     "distress_before": chance.randint(3, 9) if rated else None,
                     "distress_after": chance.randint(1, 6) if rated else None,
                     "partners": json.dumps([{"name": name, "distress_before": chance.randint(3, 9),
                                              "distress_after": chance.randint(1, 6)} for name in ("Sam", "Alex")])
                     if mode == "together" else None, "flooded": chance.randint(0, 2) if mode == "together" else None})
    journal.db.execute("BEGIN")
    journal.db.executemany(f"INSERT INTO sessions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                           [[row.get(c) for c in COLUMNS] for row in rows])  # a column added since: NULL
    journal.db.execute("COMMIT")
    journal.close()
    return journal.path


def timed(args, env) -> float:
    started = time.perf_counter()
    done = subprocess.run(companion_cmd(*args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"companion {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed


def main() -> int:
    import os

    # as installed: bytecode compiled (under PYTHONDONTWRITEBYTECODE a changed module compiles every run)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "companion")], check=True)
    with tempfile.TemporaryDirectory() as base:
        env = os.environ | user_dirs(Path(base))
        fill(env)
        report = json.loads(subprocess.run(companion_cmd("progress", "--json"), env=env, cwd=ROOT,
                                           capture_output=True, text=True, timeout=60).stdout)
        print(f"journal: {SESSIONS:,} sessions ({report['sessions']:,} daily, {report['pause']['sessions']:,} pauses,"
              f" {report['together']['sessions']:,} together)")
        kept = Path(env["XDG_CACHE_HOME"]) / "companion" / "progress.json"
        # "progress": again with the journal unchanged (its last figures kept); "fresh": the first
        # progress after a session changed the journal (the kept figures removed before the run)
        candidates = {"version": ["--version"], "progress": ["progress", "--json"], "fresh": ["progress", "--json"]}
        for args in candidates.values():  # warm the file cache and the bytecode
            timed(args, env)
        times = {name: [] for name in candidates}
        for run in range(RUNS):
            order = list(candidates) if run % 2 == 0 else list(reversed(candidates))
            for name in order:
                if name == "fresh":
                    kept.unlink(missing_ok=True)
                times[name].append(timed(candidates[name], env))
    version = median(times["version"])
    print(f"companion --version                        median {ms(version)} ms")
    for name, said in (("progress", "again, journal unchanged"), ("fresh", "first after a change")):
        ratios = sorted(p / v for p, v in zip(times[name], times["version"]))
        print(f"companion progress --json, {said:<24} median {ms(median(times[name]))} ms, ratio "
              f"{median(times[name]) / version:.2f} (target <= {TARGET}); run by run {ratios[0]:.2f}-{ratios[-1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
