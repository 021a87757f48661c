"""`companion record` end to end: a real terminal (tmux), the real sound server, whose null sink's
monitor is the microphone (the default source), and known speech (espeak-ng) played into the sink.

Nothing waits on a sleep: each step waits for what the screen shows.
"""

import json
import stat
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from companion.record import takes
from companion.voice import loudness
from tests.test_e2e import in_tmux, wait_for

LINE_1 = "Let your shoulders drop."
LINE_2 = "Feel your feet on the floor."
SCRIPT = f"""+++
title = "Recorded"
+++
{LINE_1}
You: I'm flooded.
{LINE_2}
Wait until {{return_time}}.
"""


@pytest.fixture
def home(tmp_path):
    (tmp_path / "config" / "companion").mkdir(parents=True)
    (tmp_path / "config" / "companion" / "config.toml").write_text("background_prepare = false\n")
    return {f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("CACHE", "DATA", "CONFIG")}


def spoken(text: str, path: Path) -> Path:
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    return path


def keys(tmux, session, *names):
    subprocess.run(tmux + ["send-keys", "-t", session, *names], check=True)


def test_a_take_said_into_the_microphone_is_kept_trimmed_at_the_one_level(sound_server, recorder, home, tmp_path):
    env = sound_server.env | home
    script = tmp_path / "recorded.txt"
    script.write_text(SCRIPT)
    said = spoken(LINE_1, tmp_path / "line1.wav")
    session = "record"
    tmux = in_tmux(env, ["record", str(script), "--as", "Tester"], session)
    try:
        screen = wait_for(tmux, session, "Space or Enter records")
        assert "'tester' has 0 of its 2 guide lines; 1 with a placeholder stay in the default voice." in screen
        assert f"say:    {LINE_1}" in screen and "line 1 of 2" in screen
        keys(tmux, session, "Space")  # a take with nothing said: named, and offered again
        wait_for(tmux, session, "Recording.")
        keys(tmux, session, "Space")
        wait_for(tmux, session, "That take was mostly silence")
        keys(tmux, session, "Enter")
        wait_for(tmux, session, "recording · ")  # the meter: the microphone is taking
        subprocess.run(["paplay", str(said)], env=env, check=True)
        wait_for(tmux, session, "Playing it back.")  # stopped by the quiet after the speech
        wait_for(tmux, session, "k or Enter keeps it")  # once it has been played back
        recorder.stop()
        keys(tmux, session, "k")
        screen = wait_for(tmux, session, f"say:    {LINE_2}")
        assert f"before: I'm flooded." in screen  # the line before it, whoever says it
        keys(tmux, session, "C-c")  # Ctrl-C: what was kept stays
        screen = wait_for(tmux, session, "EXIT=")
        assert "EXIT=130" in screen and "Stopped. 'tester' kept 1 new line." in screen
        assert "Traceback" not in screen
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)

    folder = Path(home["XDG_DATA_HOME"]) / "companion" / "voices" / "tester"
    index = json.loads((folder / "lines.json").read_text())
    (entry,) = index["lines"].values()
    assert entry["text"] == LINE_1
    take = folder / entry["file"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(take.stat().st_mode) == 0o600
    with wave.open(str(take)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22_050)
        pcm = w.readframes(w.getnframes())
    with wave.open(str(said)) as w:
        said_s = w.getnframes() / w.getframerate()
        said_pcm = w.readframes(w.getnframes())
    assert abs(loudness.loudness_dbfs(pcm) - loudness.TARGET_DBFS) < 0.5  # the one level
    from companion.playback.pcm import trim

    speech_s = len(trim(said_pcm)) / 2 / 22_050  # espeak-ng's speech without its own padding
    kept_s = len(pcm) / 2 / 22_050
    assert speech_s - 0.1 < kept_s < speech_s + 0.4 < said_s + 1.0  # trimmed at both ends
    heard = recorder.segments()  # the speech said into the microphone, then the take played back
    assert len(heard) == 2 and heard[1][0] > heard[0][1] + takes.STOP_SILENCE_S - 0.1
    assert abs((heard[1][1] - heard[1][0]) - (heard[0][1] - heard[0][0])) < 0.15  # as long: all of it

    again = subprocess.run([sys.executable, "-m", "companion", "record", str(script), "--as", "tester"], env=env,
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert "'tester' has 1 of its 2 guide lines" in again.stdout  # only the other line is left


def test_no_microphone_is_one_line_and_exit_1(sound_server, home, tmp_path):
    script = tmp_path / "recorded.txt"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, "-m", "companion", "record", str(script)],
                          env=sound_server.no_device_env() | home, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.PIPE)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("companion: no microphone could be opened")
    assert "companion doctor" in done.stderr


def test_doctor_names_the_microphone_and_says_whether_it_records(sound_server, home):
    code = "from companion.record.microphone import doctor_check; print(doctor_check())"
    found = subprocess.run([sys.executable, "-c", code], env=sound_server.env | home, capture_output=True,
                           text=True, timeout=60)
    assert found.stdout.startswith("(True, 'microphone', ") and "records at 22,050 Hz" in found.stdout, found.stderr
    missing = subprocess.run([sys.executable, "-c", code], env=sound_server.no_device_env() | home,
                             capture_output=True, text=True, timeout=60)
    assert missing.stdout.startswith("(False, 'microphone', 'none could be opened ("), missing.stderr


def companion(*args, env):
    return subprocess.run([sys.executable, "-m", "companion", *args], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_role_you_all_says_for_each_sequence_with_you_lines_how_many_the_voice_has(home, tmp_path):
    import os

    from companion.library import parsed_scripts
    from companion.record.asked import asked

    with_you = sorted(id for id, sequence in parsed_scripts(print).items() if asked(sequence.steps, "you").lines)
    done = companion("record", "--role", "you", "--all", "--as", "anna", env=dict(os.environ) | home)
    said = [line.split(":")[0] for line in done.stdout.splitlines()]
    assert said == with_you and len(with_you) >= 5
    assert all("'anna' has 0 of its" in line and "You: lines" in line for line in done.stdout.splitlines())
    # no terminal: nothing is asked, one line says why
    assert done.returncode == 2 and done.stderr == "companion: record needs keys to read: run it in a terminal\n"


@pytest.mark.parametrize("args, says", [
    ((), "which sequence? companion record NAME"),
    (("stay", "--all"), "give one sequence (companion record NAME) or --all, not both"),
    (("stay", "--as", "../x"), "--as: '../x' is not a voice name"),
    (("stay", "--as", "\x1b[2J"), "--as: '\\x1b[2J' is not a voice name"),
    (("nosuch",), "no sequence named 'nosuch'"),
    (("sit", "--role", "you"), "sit has no You: lines to record; try without --role"),
])
def test_bad_input_is_one_line_and_exit_2(home, args, says):
    import os

    done = companion("record", *args, env=dict(os.environ) | home)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "\x1b" not in done.stderr
    assert done.stderr.startswith(f"companion: {says}"), done.stderr
