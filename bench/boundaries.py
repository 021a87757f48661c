"""Boundary accuracy over a minute and a half: where sound starts and stops, planned vs heard.

A generated script speaks "Tick." 60 times, each followed by one second of
silence.  `companion show --json` gives the plan (warming the clip cache, so
rendering plays no part); `companion play` plays it through the headless
server while the monitor is recorded.  The heard segments are aligned to the
planned ones by the first onset (as tests/test_e2e.py does), then every start
and end is compared: the largest and median distance show jitter, and the
error of the last boundary against the first shows drift.  Drift is measured
against time.monotonic(); the null sink's clock need not run at exactly that
rate (here it ran a few hundred ppm fast), and the player rightly follows the
device, so the bench also measures the server's clock rate from the recorder
and reports the drift against it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, companion_cmd, median, show_json, speech_spans, user_dirs  # noqa: E402

from tests.soundlab import BLOCK_S, Recorder, SoundServer  # noqa: E402

LINES = 60


def write_script(path: Path) -> None:
    body = "".join("Tick.\n[pause 1s]\n" for _ in range(LINES))
    path.write_text(f'+++\ntitle = "{LINES} ticks, one second apart"\n+++\n{body}')


def main() -> None:
    print(f"== boundaries: {LINES} spoken lines, each followed by 1 s of silence, planned vs heard ==")
    with SoundServer() as server, tempfile.TemporaryDirectory(prefix="companion-bench-",
                                                              ignore_cleanup_errors=True) as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "ticks.txt"
        write_script(script)
        env = server.env | user_dirs(tmp)
        plan = show_json(script, env)
        planned = speech_spans(plan["events"])
        with Recorder(server) as rec:
            played = subprocess.run(companion_cmd("play", script), env=env, cwd=ROOT, capture_output=True,
                                    text=True, timeout=plan["seconds"] + 60)
        if played.returncode != 0:
            raise RuntimeError(f"companion play exited {played.returncode}: {played.stderr.strip()}")
        heard = rec.segments()
        overflowed = rec.overflowed()
        # The monitor delivers samples on the sound server's clock; how many
        # arrive per second of time.monotonic() measures that clock's rate
        # (a line fitted through every block's time, as one block jitters).
        blocks = rec.block_starts()
        server_ppm = (BLOCK_S / np.polyfit(np.arange(len(blocks)), blocks, 1)[0] - 1) * 1e6

    print(f"planned {len(planned)} stretches of sound over {plan['seconds']:.1f} s; heard {len(heard)}")
    if len(heard) != len(planned):
        print("  counts differ, so boundaries cannot be paired; heard:", [round(b - a, 3) for a, b in heard])
        return
    offset = heard[0][0] - planned[0][0]  # when the timeline started, as heard
    # Every boundary in time order (start, end, start, end, ...), as heard minus as planned.
    errors = [(h - offset) - p for hs, ps in zip(heard, planned) for h, p in zip(hs, ps)]
    starts, ends = errors[0::2], errors[1::2]
    times = [p for ps in planned for p in ps]
    # One boundary carries ~10 ms of jitter, so a line fitted through all of them shows the trend better.
    slope = np.polyfit(times, errors, 1)[0]
    # The player counts frames the device consumes, so it keeps the server's
    # time, not the wall clock's: seen on the server's clock, the drift is gone.
    on_server_clock = [e + server_ppm * 1e-6 * (t - times[0]) for e, t in zip(errors, times)]
    span_min = (times[-1] - times[0]) / 60
    print(f"{'':<24}{'largest':>9}{'median':>9}   |heard - planned| in ms, after aligning the first onset")
    for name, values in (("starts", starts), ("ends", ends), ("all", errors),
                         ("all, on the server clock", on_server_clock)):
        absolute = [abs(e) for e in values]
        print(f"{name:<24}{max(absolute) * 1000:>9.1f}{median(absolute) * 1000:>9.1f}")
    print(f"drift, first to last boundary: {(errors[-1] - errors[0]) * 1000:+.1f} ms over {span_min:.2f} min; "
          f"fitted through all boundaries: {slope * 60e3:+.1f} ms/min ({slope * 1e6:+.0f} ppm)")
    print(f"the sound server's clock runs {server_ppm:+.0f} ppm against time.monotonic() "
          f"(recorder blocks per second), so against the device's own clock: {slope * 1e6 + server_ppm:+.0f} ppm")
    if overflowed:
        print("(the recorder reported an overflow: some boundaries may be off by a block)")


if __name__ == "__main__":
    main()
