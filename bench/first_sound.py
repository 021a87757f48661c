"""Time to first sound: from process launch to the first onset heard on the monitor.

Candidates, 5 runs each, interleaved run by run (and the order rotated every
round) so that load on this shared machine falls on all of them alike:

  a  companion play stay, clips already cached and indexed (warm: the fast path, startup/play.py)
  b  companion play stay, a fresh empty cache every run (cold)
  c  a bare sounddevice player of the same first clip (the floor for Python + PortAudio)
  d  espeak-ng speaking the same first line (the floor for speech at all)
  e  companion play stay --rate 140, warm: the same clips by the ordinary path (Click, pydantic first)

and a cold row per moment, each on an empty home (fresh XDG dirs every run, with nothing in them,
not even a config: a config is checked by its pydantic model once, the first time it is read, and
no new user has one; the whole-library `prepare` each run starts afterwards is killed at its end):

  b  play: companion play stay, launch -> first onset
  f  pause: companion pause --leave, launch -> first onset
  g  daily: companion daily, its rating (5, Enter) typed KEY_AFTER_S after "Today's practice"
     shows -> first onset (the device opens while the rating is asked)
  h  together: companion together dancefloor --a Sam --b Alex, both ratings typed as
     "together: Sam" shows -> first onset

each as a ratio to the raw player (c) in the same run. Then every built-in sequence that `play`
starts by itself (the paired ones start as `together` does, names first: h) cold, SWEEP_RUNS times,
each run right after the raw player of the same clip (first words differ in how softly they
begin): the median of each pair's ratio, play over raw.

One recorder listens for the whole bench; each run is stopped as soon as its
sound is seen in the recording, and the exact onset is taken afterwards from
the recorder's sample-counted segments.  Last, one warm and one cold run
under a small wrapper timestamp companion's steps, to show where its time goes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, builtin_solo, companion_cmd, empty_home, median, ms, show_json, stop_prepare, user_dirs  # noqa: E402

from tests import soundlab  # noqa: E402
from tests.soundlab import Recorder, Running, SoundServer  # noqa: E402

RUNS = 5
SWEEP_RUNS = 7  # of each built-in in the sweep: a single run's ratio swings by 0.3 on a quiet machine
LOOK_AGAIN_X = 1.2  # a sequence's median over this after SWEEP_RUNS: SWEEP_RUNS more runs of it
KEY_AFTER_S = 0.5  # a person reads the question before typing the answer
THRESHOLD = 250  # RMS, int16: speech is ~3,000, the idle monitor 0 (TESTING-AUDIO.md)
GAP_S = 0.7  # silence between runs, more than the 0.3 s that segments() merges across
TIMEOUT_S = 20.0
HOLD_S = 0.2  # how long a run plays on after its sound is seen

# The bare player: stdlib `wave` and sounddevice only (no numpy), a callback copying bytes.
RAW_PLAYER = """\
import sys, time, wave, sounddevice as sd
w = wave.open(sys.argv[1], "rb")
def callback(outdata, frames, time_info, status): outdata[:] = w.readframes(frames).ljust(len(outdata), b"\\0")
with sd.RawOutputStream(samplerate=w.getframerate(), channels=1, dtype="int16", latency="low", callback=callback):
    time.sleep(w.getnframes() / w.getframerate() + 0.5)
"""

# Runs `companion play stay` as `python -m companion` would, but notes the time
# of each step.  Modules that play() imports lazily are imported up front, in
# the order play() needs them, so each import shows as its own step.  Names
# that do not exist (the code moves on) are skipped, never an error.
STEPS = """\
import atexit, importlib, json, sys, time
marks = [(time.monotonic(), "interpreter up (site imported)")]
sys.path.insert(0, sys.argv[2])  # the repository root, as `python -m` from there would have it
def mark(what): marks.append((time.monotonic(), what))
out = sys.argv[1]  # read now: sys.argv is replaced below
atexit.register(lambda: open(out, "w").write(json.dumps(marks)))
for modules, what in [("companion.cli.app", "import click, companion.cli.app"),
                      ("companion.library companion.script", "import companion.script (pydantic), library"),
                      ("companion.config companion.voice companion.paths", "import config, voice"),
                      ("companion.playback.player companion.session.loop companion.session.screen companion.playback.outputs companion.journal",
                       "import player, session, screen, outputs, journal (sqlite3)"),
                      ("sounddevice", "import sounddevice (cffi, libportaudio)")]:
    for module in modules.split():
        try: importlib.import_module(module)
        except ImportError: pass
    mark(what)
def after(target, what, first=None):
    module, _, path = target.partition(":")
    *owners, name = path.split(".")
    try:
        obj = importlib.import_module(module)
        for owner in owners: obj = getattr(obj, owner)
        fn = getattr(obj, name)
    except (ImportError, AttributeError): return
    def wrapped(*args, **kwargs):
        result = fn(*args, **kwargs)
        if not wrapped.done and (first is None or first(result)):
            wrapped.done = True; mark(what)
        return result
    wrapped.done = False
    setattr(obj, name, wrapped)
after("companion.cli.sequences:load_sequence", "script parsed")
after("companion.cli.common:clip_store", "config read, clip store made")
after("companion.cli.app:open_journal", "journal opened")
after("companion.session.loop:open_output", "output stream opened")
after("companion.playback.outputs:open_output", "output stream opened")
after("companion.playback.player:Lengths.speech", "planner: first clip's length known")
after("companion.playback.player:audio_for", "loader: first clip's samples in memory")
after("companion.playback.outputs:DeviceOutput.start", "stream started")
after("companion.playback.cursor:Cursor.read", "callback hands PortAudio the first non-silent block", first=any)
sys.argv = ["companion", "play", "stay"]
cli = importlib.import_module("companion.cli.app")
cli.main()
"""


class Listener:
    """Watches the recorder's file as it grows, to stop a run once its sound is there.

    The recorder subprocess appends one record per 10 ms block (callback time,
    flags, 160 samples) and flushes every 50 ms; only its path is private.
    """

    DTYPE = np.dtype([("t", "<f8"), ("flags", "<u4"), ("pcm", "<i2", soundlab.BLOCK_FRAMES)])

    def __init__(self, rec: Recorder):
        self._file = open(rec._out, "rb")
        self._rest = b""

    def wait_for_sound(self, since: float, deadline: float) -> bool:
        """Whether sound came by `deadline`; `heard`: seconds from `since` to its block's callback (a rough
        onset, a callback late; the figures printed come from the recorder's sample-counted segments)."""
        self.heard = None
        while time.monotonic() < deadline:
            raw = self._rest + self._file.read()
            whole = len(raw) - len(raw) % self.DTYPE.itemsize
            self._rest = raw[whole:]
            blocks = np.frombuffer(raw[:whole], dtype=self.DTYPE)
            rms = np.sqrt((blocks["pcm"].astype(np.float64) ** 2).mean(axis=1)) if len(blocks) else []
            loud = [t for t, r in zip(blocks["t"], rms) if t >= since and r >= THRESHOLD]
            if loud:
                self.heard = loud[0] - since
                return True
            time.sleep(0.02)
        return False

    def close(self):
        self._file.close()


def launch_and_stop(cmd, env, listener) -> float:
    """Start `cmd`, stop it once it is heard; its launch time (time.monotonic()).

    It plays on for HOLD_S after the sound is seen, so what the recorder kept
    is long enough to count as a segment (segments() drops ones under 40 ms).
    """
    launched = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not listener.wait_for_sound(launched, launched + TIMEOUT_S):
            print(f"  no sound within {TIMEOUT_S:.0f} s from {' '.join(map(str, cmd[:4]))}")
        time.sleep(HOLD_S)
        proc.send_signal(signal.SIGINT)  # companion: Ctrl-C, silent at once, exit 130
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if "XDG_CACHE_HOME" in env:
            stop_prepare(env)
    time.sleep(GAP_S)
    return launched


def answer_and_stop(cmd, env, listener, seen: str, typed: str) -> float:
    """Start `cmd`, type `typed` KEY_AFTER_S after `seen` shows on its stdout, stop it once it is
    heard; the time the answer was typed."""
    proc = Running(cmd, env=env, stdin=subprocess.PIPE, cwd=ROOT)
    typed_at = time.monotonic()
    try:
        proc.wait_for(seen, TIMEOUT_S)
        time.sleep(KEY_AFTER_S)
        typed_at = proc.write(typed)
        if not listener.wait_for_sound(typed_at, typed_at + TIMEOUT_S):
            print(f"  no sound within {TIMEOUT_S:.0f} s of the answer from {' '.join(map(str, cmd[:4]))}")
        time.sleep(HOLD_S)
    except AssertionError as e:
        print(f"  {' '.join(map(str, cmd[2:5]))}: {e}")
    finally:
        proc.proc.send_signal(signal.SIGINT)
        try:
            proc.finish(10)
        except (subprocess.TimeoutExpired, AssertionError):  # it did not end: finish killed it
            pass
        stop_prepare(env)
    time.sleep(GAP_S)
    return typed_at


def shipped_clip(name: str) -> str:
    """The package's clip of built-in `name`'s first line (what an empty home's `play NAME` starts with)."""
    from companion.voice import shipped

    [key] = [key for row_name, _, key, _ in shipped.rows() if row_name == name]
    return shipped.find(key)  # sequences that open with the same line share one file


def paired_ratio(raw: list[float | None], play: list[float | None]) -> float:
    """The median of play[i] / raw[i], the runs taken in pairs (a run unheard drops its pair)."""
    return median([p / r for r, p in zip(raw, play) if r and p])


def onset_after(segments, launched: float, before: float) -> float | None:
    """Seconds from `launched` to the first heard onset between `launched` and `before`."""
    for start, _end in segments:
        if launched <= start < before:
            return start - launched
    return None


def step_run(server, dirs: dict, tmp: Path, listener) -> tuple[float, list]:
    """One `companion play stay` under the timestamping wrapper: (launch time, [(time, step)])."""
    (tmp / "steps.py").write_text(STEPS)
    marks_file = tmp / "marks.json"
    marks_file.unlink(missing_ok=True)
    launched = launch_and_stop([sys.executable, str(tmp / "steps.py"), str(marks_file), str(ROOT)],
                               server.env | dirs, listener)
    return launched, json.loads(marks_file.read_text()) if marks_file.exists() else []


INDEX = """
from companion.config import load
from companion.first_line.sides import write
from companion.voice.clips import user_store
write(user_store(load().voices))  # the index `prepare` writes: each first line's clip, and the guide's key
"""


def index(env) -> None:
    """The cache's first-words index, as `companion prepare` leaves it (without rendering the whole library)."""
    done = subprocess.run([sys.executable, "-c", INDEX], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"writing the first-words index failed: {done.stderr.strip()}")


def main() -> None:
    print("== time to first sound (ms from launch, or from the answer typed, to the first onset heard on the monitor) ==")
    with SoundServer() as server, tempfile.TemporaryDirectory(prefix="companion-bench-",
                                                              ignore_cleanup_errors=True) as tmp_name:
        tmp = Path(tmp_name)
        warm_home = tmp / "warm"
        warm = user_dirs(warm_home)  # once: writing config.toml again would make the index stale
        plan = show_json("stay", server.env | warm)  # renders every clip: warm
        index(server.env | warm)
        first = next(e for e in plan["events"] if e["kind"] == "speech")
        (tmp / "raw_player.py").write_text(RAW_PLAYER)

        def empty(what, i):  # a fresh empty home: no config, cache, journal, remembered side or names
            return empty_home(tmp / f"empty-{what}-{i}")

        def launched(cmd, dirs):
            return lambda: launch_and_stop(cmd, server.env | dirs, listener)

        candidates = {
            "a  play stay, warm": lambda i: launched(companion_cmd("play", "stay"), warm),
            "b  play stay, cold": lambda i: launched(companion_cmd("play", "stay"), empty("play", i)),
            "c  bare sounddevice player": lambda i: launched([sys.executable, str(tmp / "raw_player.py"),
                                                              first["clip"]], {}),
            "d  espeak-ng": lambda i: launched(["espeak-ng", "-v", "gmw/en-us", "-s", "140", first["text"]], {}),
            # --rate (the default's value, so the same clips) sends it Click's way: the path before the fast one.
            "e  play --rate 140, warm": lambda i: launched(companion_cmd("play", "stay", "--rate", "140"), warm),
            "f  pause --leave, cold": lambda i: launched(companion_cmd("pause", "--leave"), empty("pause", i)),
            "g  daily, cold (Enter ->)": lambda i: lambda: answer_and_stop(
                companion_cmd("daily"), server.env | empty("daily", i), listener, "Today's practice", "5\n"),
            "h  together, cold (Enter ->)": lambda i: lambda: answer_and_stop(
                companion_cmd("together", "dancefloor", "--a", "Sam", "--b", "Alex"),
                server.env | empty("together", i), listener, "together: Sam", "5\n5\n"),
        }
        names = list(candidates)
        solo = builtin_solo()
        runs = []  # (name, launch time)
        rec = Recorder(server).start()
        listener = Listener(rec)
        try:
            for i in range(RUNS):
                for name in names[i % len(names):] + names[:i % len(names)]:  # rotate the order each round
                    runs.append((name, candidates[name](i)()))
            rough = {}  # sequence: [play over raw, as the listener saw them]

            def sweep(sequences, rounds, first_round=0):
                for i in range(first_round, first_round + rounds):  # each `play` cold, right after a raw run
                    for sequence in sequences:  # the raw player plays the same clip: first words begin more or less softly
                        runs.append((f"raw {sequence}", launched([sys.executable, str(tmp / "raw_player.py"),
                                                                  shipped_clip(sequence)], {})()))
                        raw_heard = listener.heard
                        runs.append((f"play {sequence}", launch_and_stop(companion_cmd("play", sequence),
                                                                          server.env | empty(sequence, i), listener)))
                        if raw_heard and listener.heard:
                            rough.setdefault(sequence, []).append(listener.heard / raw_heard)

            sweep(solo, SWEEP_RUNS)
            # A second look: a sequence over LOOK_AGAIN_X after its first runs (as the listener saw them) gets
            # as many runs again, and its figure is the median of all its pairs: the first runs, which put it
            # there, still count, so the second look can only pull an unlucky figure part of the way back.
            again = [name for name in solo if not rough.get(name) or median(rough[name]) > LOOK_AGAIN_X]
            sweep(again, SWEEP_RUNS, SWEEP_RUNS)
            steps = {}  # warm and cold, each timed step by step
            for name, dirs in (("warm", warm), ("cold", empty("steps", 0))):
                started, marks = step_run(server, dirs, tmp, listener)
                runs.append((f"steps {name}", started))
                steps[name] = (started, marks)
        finally:
            listener.close()
            rec.stop()
        segments = rec.segments(threshold=THRESHOLD)
        in_order = {name: [] for name, _ in runs}  # None where a run was not heard: the sweep's pairs stay aligned
        bounds = [t for _, t in runs[1:]] + [float("inf")]
        for (name, started), before in zip(runs, bounds):
            in_order[name].append(onset_after(segments, started, before))
        results = {name: [onset for onset in onsets if onset is not None] for name, onsets in in_order.items()}

    raw = median(results[names[2]])
    print(f'first line: "{first["text"]}"  ({RUNS} runs each, interleaved)')
    print(f"{'candidate':<32}{'median':>8}{'min':>8}{'max':>8}{'x raw':>7}   runs (ms)")
    for name in names:
        values = results[name]
        if not values:
            print(f"{name:<32}{'no sound heard':>24}")
            continue
        print(f"{name:<32}{ms(median(values)):>8}{ms(min(values)):>8}{ms(max(values)):>8}"
              f"{median(values) / raw:>7.2f}   " + " ".join(ms(v) for v in values))
    print("targets: a and b 1.3x the bare player (c) at most; g and h are timed from the answer, not the launch")
    cold = {name: median(results[f"play {name}"]) for name in solo if results[f"play {name}"]}
    unheard = [name for name in solo if name not in cold]
    if cold:
        # Each play run over the raw run just before it (the same clip, moments apart: the machine's
        # state then is shared), and the median of those: drift between rounds cancels out.
        ratios = sorted((paired_ratio(in_order[f"raw {name}"], in_order[f"play {name}"]), name) for name in cold)
        print(f"play NAME, cold, every built-in that play starts by itself ({len(cold)} of {len(solo)}, the "
              f"median of {SWEEP_RUNS} runs each, each run over the raw player of its first clip just before it): median "
              f"{ms(median(list(cold.values())))} ms, {median([r for r, _ in ratios]):.2f}x; {ratios[0][0]:.2f}x "
              f"({ratios[0][1]}) to {ratios[-1][0]:.2f}x ({ratios[-1][1]}); over 1.3x: "
              + (", ".join(f"{n} {r:.2f}x" for r, n in ratios if r > 1.3) or "none"))
        if again:
            print(f"  looked at again ({SWEEP_RUNS} more runs each, over {LOOK_AGAIN_X}x after the first "
                  f"{SWEEP_RUNS}; the figures above are the median of all {2 * SWEEP_RUNS}): "
                  + ", ".join(f"{n} {r:.2f}x" for r, n in ratios if n in again))
    if unheard:
        print(f"  no sound heard from: {', '.join(unheard)}")
    if rec.overflowed():
        print("(the recorder reported an overflow: onsets may be off by a block or more)")

    # Where companion's time goes: each step's time from launch, warm and cold.
    print("companion play stay by the ordinary path (Click), step by step (one run each, ms from launch; "
          "the wrapper pre-imports, adding a little):")
    print(f"{'':>6}{'warm':>7}{'cold':>7}")
    cold_steps = {what: t - steps["cold"][0] for t, what in steps["cold"][1]}
    for t, what in steps["warm"][1]:
        print(f"{'':>6}{ms(t - steps['warm'][0]):>7}{ms(cold_steps[what]) if what in cold_steps else '-':>7}  {what}")
    heard = [ms(results[f"steps {name}"][0]) if results[f"steps {name}"] else "-" for name in ("warm", "cold")]
    print(f"{'':>6}{heard[0]:>7}{heard[1]:>7}  heard on the monitor")


if __name__ == "__main__":
    main()
