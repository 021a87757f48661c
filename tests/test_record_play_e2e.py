"""A voice recorded with `companion record`, then played: `play --voice` speaks the take where its line is
(found in what the monitor heard by cross-correlation), and the lines it has no take of in the default voice.

Needs the `voicestore` branch's playback (play --voice VOICE with a recorded voice)."""

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from tests.conftest import ESPEAK_GUIDE
from tests.soundlab import RATE_HZ, Recorder, rms_blocks
from tests.test_e2e import in_tmux, wait_for
from tests.test_record_e2e import LINE_1, LINE_2, SCRIPT, home, keys, spoken  # noqa: F401 (home: a fixture)


def normalized_correlation(heard: np.ndarray, take: np.ndarray) -> np.ndarray:
    """For each lag, the correlation of `take` with the stretch of `heard` at it (1.0: the same shape)."""
    size = 1 << int(np.ceil(np.log2(len(heard) + len(take))))
    raw = np.fft.irfft(np.fft.rfft(heard, size) * np.conj(np.fft.rfft(take, size)), size)[:len(heard) - len(take) + 1]
    energy = np.concatenate([[0.0], np.cumsum(heard ** 2)])
    window = np.sqrt(np.maximum(energy[len(take):] - energy[:-len(take)], 1e-9))
    return raw / (window * np.linalg.norm(take))


def test_play_speaks_the_recorded_take_where_its_line_is_and_the_default_voice_elsewhere(sound_server, home,
                                                                                         tmp_path):
    env = sound_server.env | home
    (Path(home["XDG_CONFIG_HOME"]) / "companion" / "config.toml").write_text(ESPEAK_GUIDE)
    script = tmp_path / "recorded.txt"
    script.write_text(SCRIPT)
    said = spoken(LINE_1, tmp_path / "line1.wav")
    session = "record-play"
    tmux = in_tmux(env, ["record", str(script), "--as", "tester"], session)
    try:
        wait_for(tmux, session, "Space or Enter records")
        keys(tmux, session, "Space")
        wait_for(tmux, session, "recording · ")
        subprocess.run(["paplay", str(said)], env=env, check=True)
        wait_for(tmux, session, "k or Enter keeps it")
        keys(tmux, session, "k")
        wait_for(tmux, session, f"say:    {LINE_2}")
        keys(tmux, session, "C-c")
        assert "EXIT=130" in wait_for(tmux, session, "EXIT=")
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
    folder = Path(home["XDG_DATA_HOME"]) / "companion" / "voices" / "tester"
    (entry,) = json.loads((folder / "lines.json").read_text())["lines"].values()
    with wave.open(str(folder / entry["file"])) as w:
        take = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(float)

    shown = subprocess.run([sys.executable, "-m", "companion", "show", "--json", str(script), "--voice", "tester"],
                           env=env, capture_output=True, text=True, timeout=300)
    events = [e for e in json.loads(shown.stdout)["events"] if e["text"]]
    assert events[0]["text"] == LINE_1 and events[0]["clip"] == str(folder / entry["file"])
    recorder = Recorder(sound_server).start()
    try:
        played = subprocess.run([sys.executable, "-m", "companion", "play", str(script), "--voice", "tester"],
                                env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    finally:
        recorder.stop()
    assert played.returncode == 0, played.stderr
    assert "lines filled in by the default voice" in played.stderr

    heard = recorder.samples().astype(float)
    take16 = np.interp(np.arange(0, len(take) / 22_050, 1 / RATE_HZ), np.arange(len(take)) / 22_050, take)
    match = normalized_correlation(heard, take16)
    lag = int(np.argmax(match))
    assert match[lag] > 0.7  # the take itself was heard
    take_onset = np.argmax(rms_blocks(take16.astype(np.int16), RATE_HZ) >= 250) * 0.01
    segments = recorder.sample_segments()
    assert abs(lag / RATE_HZ + take_onset - segments[0][0]) < 0.02  # where the first line was heard
    later = int((segments[1][0]) * RATE_HZ)  # the next line: the default voice, not the take
    assert segments[1][0] > lag / RATE_HZ + len(take16) / RATE_HZ - 0.05
    assert match[max(0, later - RATE_HZ // 2):later + RATE_HZ].max() < 0.5
