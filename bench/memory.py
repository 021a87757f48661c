"""Peak memory of an hour-long sequence: rendered to a file, and played on the device.

The README promises bounded memory: the loader keeps ~12 s of audio ahead of
the cursor and drops what has played, and render writes block by block.  An
hour of audio held at once would be frames * 2 bytes (~160 MB), so a peak near
that of `companion --version` shows the promise holds.

* render: `companion render FILE -o out.wav`, its peak read with
  getrusage(RUSAGE_CHILDREN) in a fresh wrapper process that runs only it.
* play: an hour cannot be waited for, so companion runs in a real terminal
  (tmux) on the headless sound server and gets the key `n` (next line) every
  0.2 s: it walks the whole timeline in about a minute, with the real output
  stream running, the loader loading each line and dropping the last.  Its
  peak is the VmHWM line of /proc/PID/status, polled until it exits.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, companion_cmd, show_json, user_dirs  # noqa: E402

from tests.soundlab import SoundServer  # noqa: E402

KEY_EVERY_S = 0.2
WALK_TIMEOUT_S = 600
SENTENCES = ["Feel your feet on the floor.", "Let your shoulders drop.", "Notice the breath in your chest.",
             "Nothing has to be decided now.", "Let your hands rest in your lap.", "You are still here.",
             "Let your jaw soften.", "Listen to the room around you.", "This feeling will pass."]
# Runs the command in argv[2:], then writes its peak RSS (KiB on Linux) to argv[1].
# RUSAGE_CHILDREN counts only waited-for children, so the wrapper's own memory is left out.
PEAK_WRAPPER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[2:]).returncode; "
                "open(sys.argv[1], 'w').write(f'{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss} {code}')")


def hour_script(blocks: int) -> str:
    """`blocks` rounds of speech, pauses, paced breathing, a bell and (every third) the sea."""
    lines = ['+++', f'title = "An hour ({blocks} rounds)"', '+++']
    for k in range(1, blocks + 1):
        say = [f"Round {k}. {s}" for s in SENTENCES]  # every line its own clip, as in a real library
        lines += say[0:4] + ["[pause 20s]"] + say[4:7] + ["[breathe in 4 out 6 x3]"] + say[7:9] + ["[bell]"]
        if k % 3 == 0:
            lines.append("[sound waves 2m]")
    return "\n".join(lines) + "\n"


def make_hour(path: Path, env: dict) -> dict:
    """Write a script of 55-65 minutes (sized from one measured draft); return its plan."""
    blocks = 30
    for _ in range(3):
        path.write_text(hour_script(blocks))
        plan = show_json(path, env)  # renders every clip: what follows runs warm
        if 55 * 60 <= plan["seconds"] <= 65 * 60:
            return plan
        blocks = max(1, round(blocks * 3600 / plan["seconds"]))
    raise RuntimeError(f"could not size the script to an hour: {plan['seconds'] / 60:.1f} min")


def peak_of(cmd, env, tmp: Path) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of `cmd`, run alone under the wrapper."""
    out = tmp / "peak.txt"
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", PEAK_WRAPPER, str(out), *cmd], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, timeout=900)
    took = time.monotonic() - started
    kib, code = out.read_text().split()
    if code != "0":
        raise RuntimeError(f"{' '.join(cmd[-4:])} exited {code}")
    return int(kib) / 1024, took


def status_mb(pid: int, key: str) -> float | None:
    """A `VmXXX:  1234 kB` line of /proc/PID/status in MB; None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return None  # gone, or a zombie (whose status has no Vm lines)


def find_pid(pattern: str, timeout_s: float = 30.0) -> int:
    """The pid of the companion process itself (`pgrep -f` also matches the shell that runs it)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
        for pid in map(int, found):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except FileNotFoundError:
                continue
            if argv[1:3] == [b"-m", b"companion"]:
                return pid
        time.sleep(0.05)
    raise RuntimeError(f"no process matching {pattern!r} within {timeout_s:.0f} s")


def walk_in_tmux(script: Path, env: dict) -> dict:
    """Play `script` in a tmux terminal, pressing `n` every KEY_EVERY_S until it exits."""
    tmux = ["tmux", "-L", f"companion-bench-{os.getpid()}"]
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if k.startswith(("XDG_", "PULSE_")))
    command = (f"env {exports} {shlex.quote(sys.executable)} -m companion play {shlex.quote(str(script))}; "
               f"echo EXIT=$?; sleep 600")
    try:
        subprocess.run(tmux + ["new-session", "-d", "-s", "walk", "-x", "100", "-y", "20", "-c", str(ROOT), command],
                       check=True, env={"PATH": os.environ.get("PATH", "")})
        pid = find_pid(f"companion play {script}")
        started = time.monotonic()
        hwm = first_hwm = None
        keys = 0
        while time.monotonic() - started < WALK_TIMEOUT_S:
            now = status_mb(pid, "VmHWM")  # a high-water mark: the last reading is the peak
            if now is None:
                break
            hwm = now
            if first_hwm is None and time.monotonic() - started > 1.0:
                first_hwm = hwm  # after start-up, before most of the walk
            subprocess.run(tmux + ["send-keys", "-t", "walk", "n"], check=True)
            keys += 1
            time.sleep(KEY_EVERY_S)
        else:
            raise RuntimeError(f"companion was still playing after {WALK_TIMEOUT_S} s of keys")
        walked = time.monotonic() - started
        time.sleep(0.3)  # let the shell print EXIT=
        screen = subprocess.run(tmux + ["capture-pane", "-p", "-t", "walk"], capture_output=True, text=True).stdout
        exit_line = next((ln for ln in screen.splitlines() if ln.startswith("EXIT=")), "EXIT=?")
        return {"peak_mb": hwm, "first_s_mb": first_hwm or hwm, "walk_s": walked, "keys": keys,
                "exit": exit_line}
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)


def main() -> None:
    print("== memory: peak resident set of an hour-long sequence ==")
    with SoundServer() as server, tempfile.TemporaryDirectory(prefix="companion-bench-",
                                                              ignore_cleanup_errors=True) as tmp_name:
        tmp = Path(tmp_name)
        env = server.env | user_dirs(tmp)
        script = tmp / "hour.txt"
        plan = make_hour(script, env)
        frames = plan["events"][-1]["start"] + plan["events"][-1]["frames"]
        speech = sum(e["kind"] == "speech" for e in plan["events"])
        print(f"sequence: {plan['seconds'] / 60:.1f} min, {len(plan['events'])} events, {speech} spoken lines; "
              f"held in memory whole it would be {frames * 2 / 2**20:.0f} MB ({frames} frames * 2 bytes)")
        baseline, _ = peak_of(companion_cmd("--version"), env, tmp)
        print(f"  {baseline:6.1f} MB  companion --version (Python + click: the floor)")
        rendered, took = peak_of(companion_cmd("render", script, "-o", tmp / "out.wav"), env, tmp)
        print(f"  {rendered:6.1f} MB  companion render (an hour to a {os.path.getsize(tmp / 'out.wav') / 2**20:.0f} MB "
              f"WAV in {took:.1f} s)")
        walk = walk_in_tmux(script, env)
        print(f"  {walk['peak_mb']:6.1f} MB  companion play, walked with `n` every {KEY_EVERY_S} s in tmux "
              f"({walk['keys']} keys, {walk['walk_s']:.0f} s, {walk['exit']}); "
              f"{walk['first_s_mb']:.1f} MB after its first second")


if __name__ == "__main__":
    main()
