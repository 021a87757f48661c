"""Hear what the program under test plays, on a machine with no sound card.

Facts behind this module are in /work/shared/TESTING-AUDIO.md.  In short:

* ``SoundServer`` starts a private, headless PulseAudio server whose default sink
  is a null sink (``companion_test``) and whose default source is that sink's
  monitor, so everything played through it can be recorded.
* ``Recorder`` records the monitor in a subprocess and timestamps every 10 ms
  block with ``time.monotonic()`` (CLOCK_MONOTONIC is system-wide on Linux, so
  those times compare directly with ``time.monotonic()`` taken in any process).
* ``wav_segments`` / ``rms_blocks`` find sound in WAV files offline.

Units: times and durations in seconds (``*_s``), sample counts in frames,
rates in Hz, levels as RMS of int16 samples (full scale 32767).

Measured here (2 cores): onsets agree with "player's start() + position in
the file" to -2..+1 ms, tone durations to < 1 ms, onset gaps to < 2 ms.
Traps found on the way (beyond those in TESTING-AUDIO.md):

* A fresh null sink renders one 2 s block at start-up and keeps that timer
  even after the 10 ms keep-alive connects: nothing reaches the monitor for
  ~2 s and the first recording is ~0.7 s late.  SoundServer suspends and
  resumes the sink, then checks its latency (see _start_daemon).
* A started input stream may deliver its first block seconds later, so the
  recorder's settle time counts from its first block, not from start().
* Callbacks are not evenly late: they drift up to ~11 ms behind the sample
  clock and catch up in jumps, so block times count samples (block_starts).
* A CPU-starved player underruns and really plays late; the recording shows
  that faithfully, so judge timing only on runs without player underflows.

Run as a script only for the recorder subprocess:
``python tests/soundlab.py record OUTFILE``.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave

import numpy as np

SINK = "companion_test"
RATE_HZ = 16000  # recorder sample rate
BLOCK_FRAMES = 160  # recorder block: exactly 10 ms at 16 kHz
BLOCK_S = BLOCK_FRAMES / RATE_HZ
# One recorder record: callback time.monotonic() (float64), status flags
# (uint32, nonzero = PortAudio reported an overflow/underflow), 160 int16 samples.
_HEADER = struct.Struct("<dI")
_RECORD_BYTES = _HEADER.size + 2 * BLOCK_FRAMES
SETTLE_S = 1.0  # input stream settling time before "ready" (TESTING-AUDIO.md)
# Window for the sample-counting clock in Recorder.blocks(): callbacks delayed
# by less than this are corrected (block count; 2 s).
_ENVELOPE_BLOCKS = 200

_FIX_PULSE = "apt-get install pulseaudio pulseaudio-utils"


def _clean_env() -> dict:
    """os.environ without settings that could point clients at another server."""
    env = dict(os.environ)
    for key in ("PULSE_SERVER", "PULSE_SINK", "PULSE_SOURCE", "PULSE_RUNTIME_PATH",
                "PULSE_STATE_PATH", "PULSE_CLIENTCONFIG", "PULSE_COOKIE"):
        env.pop(key, None)
    return env


def no_device_env() -> dict:
    """Environment in which PortAudio finds no audio device (no sound server).

    PULSE_SERVER names a socket that does not exist, so the ALSA pulse plugin
    cannot connect (an explicit server also disables autospawn), and no other
    server is found through XDG_RUNTIME_DIR (a directory that is never
    created), X11 or the system socket.  On this
    sound-card-less machine ``sounddevice.query_devices()`` is then empty and
    opening a stream raises ``PortAudioError``.  (On a machine with a real
    sound card, PortAudio's ALSA backend would still list the hardware.)
    """
    missing = os.path.join(tempfile.gettempdir(), "companion-no-sound-server")
    env = _clean_env()
    env["XDG_RUNTIME_DIR"] = missing
    env["PULSE_SERVER"] = "unix:" + os.path.join(missing, "pulse", "native")
    return env


def _run(cmd, env, timeout_s=10.0):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout_s)


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


class SoundServer:
    """A private headless PulseAudio server with a null sink and its monitor.

    ``with SoundServer() as server: subprocess.run(cmd, env=server.env)``
    plays through it.  Raises RuntimeError (never skips) if it cannot start.
    """

    no_device_env = staticmethod(no_device_env)

    def __init__(self):
        self._dir = None
        self._env = None
        self._pacat = None

    @property
    def env(self) -> dict:
        """Full environment for subprocesses that should play or record here."""
        if self._env is None:
            raise RuntimeError("SoundServer is not started")
        return dict(self._env)

    def start(self) -> "SoundServer":
        for tool in ("pulseaudio", "pactl", "pacat"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} not found on PATH: {_FIX_PULSE}")
        # Each server lives in its own runtime dir (socket + pid file), so it
        # ignores (and is ignored by) any other pulseaudio on the machine.
        self._dir = tempfile.mkdtemp(prefix="companion-pulse-")  # mode 0700
        env = _clean_env()
        env["XDG_RUNTIME_DIR"] = self._dir
        # Explicit server for every client: no fallback to a stray server, no
        # autospawn.  Private state dir: nothing written to ~/.config/pulse.
        env["PULSE_SERVER"] = "unix:" + os.path.join(self._dir, "pulse", "native")
        env["PULSE_STATE_PATH"] = os.path.join(self._dir, "state")
        self._env = env
        try:
            self._start_daemon()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_daemon(self):
        env = self._env
        started = _run(["pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--disallow-exit",
                        "--load=module-native-protocol-unix auth-anonymous=1",
                        f"--load=module-null-sink sink_name={SINK}"], env)
        if started.returncode != 0:
            raise RuntimeError("pulseaudio -D failed: " + _last_line(started.stderr)
                               + f" (is it installed? {_FIX_PULSE})")
        deadline = time.monotonic() + 5.0
        while _run(["pactl", "info"], env).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("PulseAudio started but `pactl info` never answered "
                                   f"(runtime dir {self._dir}); check `pulseaudio -n -vvv`")
            time.sleep(0.02)
        for cmd in (["pactl", "set-default-sink", SINK],
                    ["pactl", "set-default-source", SINK + ".monitor"]):
            done = _run(cmd, env)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)} failed: {_last_line(done.stderr)}")
        # Keep-alive: while only high-latency streams are connected the null sink
        # mixes in big steps and onsets arrive up to ~0.5 s late; one 10 ms
        # stream of silence keeps it rendering in small steps (~10 ms accuracy).
        self._pacat = subprocess.Popen(
            ["pacat", "--playback", "--latency-msec=10", "--format=s16le",
             "--rate=16000", "--channels=1", "/dev/zero"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        # Wait until it is really connected, so the first recording is accurate.
        deadline = time.monotonic() + 5.0
        while not _run(["pactl", "list", "short", "sink-inputs"], env).stdout.strip():
            if self._pacat.poll() is not None:
                raise RuntimeError("keep-alive pacat exited: "
                                   + _last_line(self._pacat.stderr.read().decode()))
            if time.monotonic() > deadline:
                raise RuntimeError("keep-alive pacat never connected to the sound server")
            time.sleep(0.02)
        # Trap: at start-up the idle null sink renders one 2 s block, and it
        # keeps that timer even after pacat asks for 10 ms, so for ~2 s nothing
        # reaches the monitor and the first recording is ~0.7 s late.
        # Suspending and resuming the sink restarts it at the 10 ms latency.
        for flag in ("1", "0"):
            _run(["pactl", "suspend-sink", SINK, flag], env)
        deadline = time.monotonic() + 3.0
        while (lat := self.sink_latency_s()) is None or lat > 0.05:
            if time.monotonic() > deadline:
                raise RuntimeError(f"null sink latency stuck at {lat} s (expected ~0.01 s); "
                                   "the keep-alive stream is not taking effect")
            time.sleep(0.02)

    def sink_latency_s(self):
        """The null sink's current latency in seconds as `pactl list sinks` reports it."""
        out = _run(["pactl", "list", "sinks"], self._env).stdout
        m = re.search(r"Latency: (\d+) usec, configured", out)
        return int(m.group(1)) / 1e6 if m else None

    def stop(self):
        """Kill the keep-alive stream, stop the server, remove the runtime dir."""
        if self._pacat is not None:
            self._pacat.terminate()
            try:
                self._pacat.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._pacat.kill()
                self._pacat.wait()
            self._pacat.stderr.close()
            self._pacat = None
        if self._dir is not None:
            pid_file = os.path.join(self._dir, "pulse", "pid")
            if os.path.exists(pid_file):
                _run(["pulseaudio", "-k"], self._env)
                # The daemon removes its pid file as it exits; wait for that so
                # the directory is not deleted under a live server.
                deadline = time.monotonic() + 3.0
                while os.path.exists(pid_file) and time.monotonic() < deadline:
                    time.sleep(0.02)
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self._env = None

    def __enter__(self) -> "SoundServer":
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------
# Offline analysis


def block_frames(rate_hz: int, block_s: float = 0.01) -> int:
    """Frames in one analysis block: round(rate_hz * block_s) (220 at 22,050 Hz).

    Block i starts at i * block_frames / rate_hz seconds: always convert with
    this true length (9.977 ms at 22,050 Hz), never with block_s, or a 0.23%
    drift appears (30 ms over 14 s).
    """
    return max(1, round(rate_hz * block_s))


def rms_blocks(samples_int16, rate_hz: int, block_s: float = 0.01) -> np.ndarray:
    """RMS (int16 units) of consecutive blocks of block_frames(rate_hz, block_s) frames.

    samples_int16: shape (frames,) or (frames, channels); channels are pooled.
    A final partial block is included (its RMS is over the frames it has).
    """
    x = np.asarray(samples_int16, dtype=np.float64)
    x = x.reshape(len(x), -1)
    n = block_frames(rate_hz, block_s)
    sq = np.mean(x * x, axis=1)  # mean square per frame
    starts = np.arange(0, len(sq), n)
    sums = np.add.reduceat(sq, starts) if len(sq) else np.zeros(0)
    counts = np.minimum(n, len(sq) - starts)
    return np.sqrt(sums / counts)


def _segments(starts_s, rms, peaks, rate_hz, threshold, min_gap_s, min_len_s):
    """Runs of blocks with rms >= threshold -> [(start_s, end_s)].

    starts_s[i]: time of block i's first frame; peaks[i]: per-frame max |sample|
    of block i.  Edges are refined to the first/last frame in the edge blocks
    whose |sample| >= threshold, so they are not quantised to 10 ms.  Gaps
    shorter than min_gap_s are merged first, then segments shorter than
    min_len_s are dropped.
    """
    loud = np.flatnonzero(np.asarray(rms) >= threshold)
    runs = []  # [first_block, last_block]
    for i in loud:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    segs = []
    for first, last in runs:
        # RMS >= threshold implies some |sample| >= threshold, so these exist.
        start = starts_s[first] + np.flatnonzero(peaks[first] >= threshold)[0] / rate_hz
        end = starts_s[last] + (np.flatnonzero(peaks[last] >= threshold)[-1] + 1) / rate_hz
        if segs and start - segs[-1][1] < min_gap_s:
            segs[-1] = (segs[-1][0], end)
        else:
            segs.append((start, end))
    return [(float(a), float(b)) for a, b in segs if b - a >= min_len_s]


def read_wav(path):
    """(samples int16 of shape (frames, channels), rate_hz) of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: not 16-bit PCM")
        ch, rate = w.getnchannels(), w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data.reshape(-1, ch), rate


def write_wav(path, samples_int16, rate_hz: int):
    """Write int16 samples, shape (frames,) or (frames, channels), as a WAV."""
    x = np.asarray(samples_int16, dtype="<i2")
    x = x.reshape(len(x), -1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate_hz)
        w.writeframes(x.tobytes())


def wav_segments(path, threshold=250, min_gap_s=0.3, min_len_s=0.04, at_frame=0):
    """[(start_s, end_s)] of sound in a mono or stereo 16-bit WAV, from file start.

    Counted in frames with 10 ms analysis blocks of block_frames(rate) frames;
    a block is sound if its RMS >= threshold (int16 units).  See _segments.
    `at_frame`: where this file sits in a longer one (a clip on a render's
    timeline): it is measured on that file's block grid, so its edges are found
    exactly where they are found there. (On a grid shifted by part of a block,
    a soft ending's last block can fall on either side of the threshold: the same
    clip's end measured 12-16 ms apart.)
    """
    x, rate = read_wav(path)
    n = block_frames(rate)
    lead = at_frame % n
    if lead:
        x = np.concatenate([np.zeros((lead, x.shape[1]), dtype=x.dtype), x])
    rms = rms_blocks(x, rate)
    peak = np.abs(x.astype(np.int32)).max(axis=1) if x.size else np.zeros(0)
    peaks = [peak[i:i + n] for i in range(0, len(peak), n)]
    starts = (np.arange(len(rms)) * n - lead) / rate  # frame counts, exact block length
    return _segments(starts, rms, peaks, rate, threshold, min_gap_s, min_len_s)


# --------------------------------------------------------------------------
# Start-up of the program under test


def catches(pid: int, signum: int) -> bool:
    """Does process `pid` catch `signum` now? (The kernel's SigCgt mask, /proc/PID/status.)"""
    try:
        with open(f"/proc/{pid}/status") as f:
            mask = next(line for line in f if line.startswith("SigCgt:")).split()[1]
    except (OSError, StopIteration):  # gone already
        return False
    return bool(int(mask, 16) >> (signum - 1) & 1)


def wait_until_it_catches(proc: subprocess.Popen, signum: int = signal.SIGTERM, limit_s: float = 60.0) -> None:
    """Wait until `proc` has reached companion's own code: its signal handlers are in place.

    Python catches SIGINT from its start-up on, but only companion asks for
    SIGTERM (for a session: interrupt.catch_hangups), together with its own
    SIGINT handler. Before that point the process is still the interpreter's
    start-up (site, imports, compiling bytecode), which no program can handle.
    `limit_s` only keeps a broken start-up from hanging the test.
    """
    deadline = time.monotonic() + limit_s
    while not catches(proc.pid, signum):
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} before catching signal {signum}")
        if time.monotonic() > deadline:
            raise AssertionError(f"never caught signal {signum} in {limit_s} s")
        time.sleep(0.001)


class Running:
    """A program started with pipes, its output read as it comes, so a test can wait for a
    line it prints (a caption) rather than guess how long it takes to get there.

    ``run = Running([...], env=env)``; ``run.wait_for("You stopped.")``; then
    ``out, err = run.finish()`` (all of stdout and stderr, as communicate() gives them).
    """

    def __init__(self, args, env, stdin=subprocess.DEVNULL, **kwargs):
        # faulthandler: a program that hangs is sent SIGABRT by finish, and says where each thread was
        env = (env if env is not None else os.environ) | {"PYTHONFAULTHANDLER": "1"}
        self.proc = subprocess.Popen(args, env=env, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, **kwargs)
        self._text = {"out": [], "err": []}
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read, args=(stream, name), daemon=True)
                         for stream, name in ((self.proc.stdout, "out"), (self.proc.stderr, "err"))]
        for reader in self._readers:
            reader.start()

    def _read(self, stream, name):
        for line in iter(stream.readline, ""):
            with self._changed:
                self._text[name].append(line)
                self._changed.notify_all()
        with self._changed:
            self._text[name].append(None)  # the end
            self._changed.notify_all()

    def wait_for(self, text: str, limit_s: float = 60.0) -> float:
        """time.monotonic() once `text` has appeared on stdout. `limit_s` only keeps a hang from
        hanging the test: then, or if the output ends first, AssertionError with what it printed."""
        deadline = time.monotonic() + limit_s
        with self._changed:
            while True:
                lines = self._text["out"]
                if text in "".join(line for line in lines if line):
                    return time.monotonic()
                if (lines and lines[-1] is None) or not self._changed.wait(max(0.0, deadline - time.monotonic())):
                    raise AssertionError(f"{text!r} never appeared; stdout: {''.join(filter(None, lines))!r}; "
                                         f"stderr: {''.join(filter(None, self._text['err']))!r}")

    def write(self, text: str) -> float:
        """Type `text` on its stdin; the time it was sent."""
        self.proc.stdin.write(text)
        self.proc.stdin.flush()
        return time.monotonic()

    def finish(self, timeout_s: float = 30.0):
        """(stdout, stderr) once it has exited (killed, and TimeoutExpired, if it has not in `timeout_s`)."""
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack (see __init__)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            for reader in self._readers:
                reader.join(5)
            err = "".join(filter(None, self._text["err"]))
            raise AssertionError(f"{' '.join(map(str, self.proc.args[:5]))} did not exit within {timeout_s:.0f} s; "
                                 f"its stderr, ending with where each thread was:\n{err[-6000:]}") from None
        for reader in self._readers:
            reader.join(timeout_s)
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        return tuple("".join(filter(None, self._text[name])) for name in ("out", "err"))


# --------------------------------------------------------------------------
# Recording


class Recorder:
    """Records the server's monitor in a subprocess.

    ``with Recorder(server) as rec: <play>`` (or start()/stop()); after stop(),
    ``rec.blocks()`` and ``rec.segments()`` give sound in time.monotonic() seconds.

    Block times count samples: block k starts at t0 + k * 10 ms, where t0 comes
    from the callback times (see block_starts()), so jitter in callback delivery does
    not move onsets.
    """

    def __init__(self, server: SoundServer, ready_timeout_s: float = 10.0):
        self._server = server
        self._ready_timeout_s = ready_timeout_s
        self._proc = None
        self._dir = None
        self._cb_times = self._flags = self._pcm = None

    def start(self) -> "Recorder":
        self._dir = tempfile.mkdtemp(prefix="companion-rec-")
        out = os.path.join(self._dir, "blocks.bin")
        self._err = open(os.path.join(self._dir, "stderr.txt"), "w+b")
        self._proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "record", out],
            env=self._server.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=self._err, bufsize=0)
        self._out = out
        try:
            self._wait_ready()
        except BaseException:
            self._proc.kill()
            self._proc.wait()
            self._proc.stdout.close()
            self._proc = None
            self._cleanup()
            raise
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + self._ready_timeout_s
        got = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self._proc.stdout, selectors.EVENT_READ)
            while b"ready\n" not in got:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise RuntimeError(f"recorder not ready after {self._ready_timeout_s} s: "
                                       + self._stderr_tail())
                chunk = os.read(self._proc.stdout.fileno(), 4096)
                if not chunk:  # EOF: the recorder died
                    self._proc.wait()
                    raise RuntimeError(f"recorder exited {self._proc.returncode} before "
                                       "ready: " + self._stderr_tail())
                got += chunk

    def wait_until_heard(self, after: float = 0.0, threshold: int = 250, limit_s: float = 60.0) -> float:
        """Wait, while recording, for sound (a 10 ms block of RMS >= threshold) that began after
        time.monotonic() `after`; its time (the block's callback time, within a block or two).
        `limit_s` only keeps a silent program from hanging the test (then AssertionError)."""
        deadline = time.monotonic() + limit_s
        offset = 0
        while time.monotonic() < deadline:
            with open(self._out, "rb") as f:
                f.seek(offset)
                raw = f.read()
            raw = raw[: len(raw) - len(raw) % _RECORD_BYTES]
            offset += len(raw)
            rec = np.frombuffer(raw, dtype=np.dtype([("t", "<f8"), ("flags", "<u4"), ("pcm", "<i2", BLOCK_FRAMES)]))
            if len(rec):
                rms = np.sqrt((rec["pcm"].astype(np.float64) ** 2).mean(axis=1))
                loud = np.flatnonzero((rms >= threshold) & (rec["t"] - BLOCK_S > after))
                if len(loud):
                    return float(rec["t"][loud[0]])
            time.sleep(0.01)
        raise AssertionError(f"no sound heard within {limit_s} s")

    def _stderr_tail(self) -> str:
        self._err.seek(0)
        return _last_line(self._err.read().decode(errors="replace"))

    def stop(self):
        """Stop recording (SIGTERM), load the blocks, remove the temp files."""
        if self._proc is None:
            return
        proc, self._proc = self._proc, None
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        try:
            if proc.returncode != 0:
                raise RuntimeError(f"recorder exited {proc.returncode}: "
                                   + self._stderr_tail())
            self._load(self._out)
        finally:
            self._cleanup()

    def _cleanup(self):
        self._err.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def _load(self, path):
        with open(path, "rb") as f:
            raw = f.read()
        raw = raw[: len(raw) - len(raw) % _RECORD_BYTES]
        rec = np.frombuffer(raw, dtype=np.dtype([("t", "<f8"), ("flags", "<u4"),
                                                 ("pcm", "<i2", BLOCK_FRAMES)]))
        self._cb_times, self._flags, self._pcm = rec["t"], rec["flags"], rec["pcm"]

    def _need_data(self):
        if self._pcm is None:
            raise RuntimeError("call Recorder.stop() before reading its data")

    def block_starts(self) -> np.ndarray:
        """time.monotonic() (s) at which each block's first frame was played.

        A callback cannot run before its block's last frame exists, so
        ``cb[j] - (j - k + 1) * BLOCK_S`` is, for every j >= k, an upper bound
        on the start of block k (lost frames only make it later).  The smallest
        bound over the next ~2 s is taken: that counts samples from the
        least-delayed callback, ignores late/bunched callbacks, and re-anchors
        after any dropped input.  Measured here, callbacks arrive every 10 ms
        with < 0.2 ms jitter and PortAudio's own time_info says
        inputBufferAdcTime = currentTime - 10 ms, i.e. the same "callback time
        minus one block" (but on CLOCK_REALTIME, so it is not used directly).
        """
        self._need_data()
        cb = self._cb_times
        k = np.arange(len(cb))
        bound = cb - (k + 1) * BLOCK_S  # = block k's start minus k blocks
        padded = np.concatenate([bound, np.full(_ENVELOPE_BLOCKS - 1, np.inf)])
        window = np.lib.stride_tricks.sliding_window_view(padded, _ENVELOPE_BLOCKS)
        return window.min(axis=1) + k * BLOCK_S

    def samples(self) -> np.ndarray:
        """All recorded int16 samples (mono, RATE_HZ), e.g. for write_wav()."""
        self._need_data()
        return self._pcm.reshape(-1)

    def blocks(self):
        """[(t_monotonic_s, rms_int16)] per 10 ms block; t = block's first frame."""
        self._need_data()
        rms = rms_blocks(self.samples(), RATE_HZ, BLOCK_S)
        return list(zip(self.block_starts().tolist(), rms.tolist()))

    def segments(self, threshold=250, min_gap_s=0.3, min_len_s=0.04):
        """[(start_s, end_s)] in time.monotonic() seconds of sound (RMS >= threshold)."""
        self._need_data()
        rms = rms_blocks(self.samples(), RATE_HZ, BLOCK_S)
        peaks = np.abs(self._pcm.astype(np.int32))
        return _segments(self.block_starts(), rms, peaks, RATE_HZ,
                         threshold, min_gap_s, min_len_s)

    def sample_segments(self, threshold=250, min_gap_s=0.3, min_len_s=0.04):
        """[(start_s, end_s)] of sound, in seconds from the recording's first sample, counted in samples:
        exact whenever no input was lost (see overflowed), however late the callbacks came."""
        self._need_data()
        rms = rms_blocks(self.samples(), RATE_HZ, BLOCK_S)
        peaks = np.abs(self._pcm.astype(np.int32))
        return _segments(np.arange(len(rms)) * BLOCK_S, rms, peaks, RATE_HZ, threshold, min_gap_s, min_len_s)

    def overflowed(self) -> bool:
        """True if PortAudio flagged any input overflow/underflow while recording."""
        self._need_data()
        return bool(self._flags.any())

    def __enter__(self) -> "Recorder":
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _record_main(outfile: str) -> int:
    """Recorder subprocess: monitor -> outfile until SIGTERM; prints "ready"."""
    import queue
    import threading

    import sounddevice as sd  # only here: PortAudio must see the server's env

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    parent = os.getppid()
    blocks = queue.SimpleQueue()

    first_block = []

    def callback(indata, frames, time_info, status):
        # Timestamp first, and do nothing slow here: file I/O is in the main loop.
        now = time.monotonic()
        blocks.put((now, 1 if status else 0, bytes(indata)))
        if not first_block:
            first_block.append(now)

    def drain(f):
        while True:
            try:
                t, flags, pcm = blocks.get_nowait()
            except queue.Empty:
                break
            f.write(_HEADER.pack(t, flags) + pcm)
        f.flush()

    with open(outfile, "wb") as f, sd.RawInputStream(
            samplerate=RATE_HZ, channels=1, dtype="int16", blocksize=BLOCK_FRAMES,
            latency="low", callback=callback) as stream:
        said_ready = False
        while not stop.is_set():
            stop.wait(0.05)
            drain(f)
            # Settle counted from the first block, not from start(): a stream
            # can start long before any audio flows.
            if (not said_ready and first_block
                    and time.monotonic() >= first_block[0] + SETTLE_S):
                print("ready", flush=True)
                said_ready = True
            if os.getppid() != parent:  # parent died without stopping us
                break
        stream.stop()  # waits for the last callback
        drain(f)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "record":
        sys.exit(_record_main(sys.argv[2]))
    sys.exit("usage: python tests/soundlab.py record OUTFILE")
