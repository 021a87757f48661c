"""Playing a recorded voice: its takes where it has them, the role's default voice elsewhere, said once."""

import json
import os
import subprocess
import sys
import wave
from array import array
from types import SimpleNamespace

import pytest

from companion.voice import recorded
from companion.voice.clips import user_store
from companion.config import VoiceSettings
from tests.conftest import ESPEAK_GUIDE

TINY = '+++\ntitle = "Tiny"\nfor = "both"\n+++\nYou are here.\nBreathe out slowly.\n'
TAKE = array("h", [6000 if (i // 25) % 2 else -6000 for i in range(11025)]).tobytes()  # 0.5 s, 441 Hz square


@pytest.fixture
def home(tmp_path, monkeypatch):
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    (tmp_path / "config" / "companion").mkdir(parents=True)
    (tmp_path / "config" / "companion" / "config.toml").write_text(ESPEAK_GUIDE)
    (tmp_path / "mine.txt").write_text(TINY)
    recorded.save("me", "You are here.", TAKE)
    return env


def companion(*args, env, cwd):
    return subprocess.run([sys.executable, "-m", "companion", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_show_json_names_the_take_for_a_recorded_line_and_a_clip_for_the_rest(home, tmp_path):
    result = companion("show", "mine.txt", "--json", "--voice", "Me", env=home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    spoken = [e for e in json.loads(result.stdout)["events"] if e["text"]]
    assert [e["text"] for e in spoken] == ["You are here.", "Breathe out slowly."]
    assert spoken[0]["clip"] == str(recorded.path_for("me", "You are here."))
    assert spoken[0]["seconds"] == 0.5
    assert spoken[1]["clip"].startswith(str(tmp_path / "cache" / "companion" / "clips"))
    assert not os.path.exists(spoken[1]["clip"]) and spoken[1]["seconds"] > 0.5  # show renders nothing: estimated


def test_render_plays_the_takes_samples_and_the_default_voice_elsewhere(home, tmp_path):
    shown = companion("show", "mine.txt", "--json", "--voice", "me", env=home, cwd=tmp_path)
    events = [e for e in json.loads(shown.stdout)["events"] if e["text"]]
    result = companion("render", "mine.txt", "-o", "out.wav", "--captions", "none", "--voice", "me", env=home,
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with wave.open(str(tmp_path / "out.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (22050, 1, 2)
        audio = w.readframes(w.getnframes())
    start = events[0]["start"] * 2
    assert audio[start:start + len(TAKE)] == TAKE  # the take itself, sample for sample
    with wave.open(events[1]["clip"]) as w:
        other = w.readframes(w.getnframes())
    start = events[1]["start"] * 2
    assert audio[start:start + len(other)] == other  # the default voice's clip for the line without a take
    assert TAKE[:2000] not in audio[len(TAKE) + events[0]["start"] * 2:]


def test_the_config_may_name_a_recorded_voice_for_a_role(home, tmp_path):
    (tmp_path / "config" / "companion" / "config.toml").write_text(
        ESPEAK_GUIDE.replace('guide = "gmw/en-us"', 'guide = "me"'))
    result = companion("show", "mine.txt", "--json", env=home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    spoken = [e for e in json.loads(result.stdout)["events"] if e["text"]]
    assert spoken[0]["clip"] == str(recorded.path_for("me", "You are here."))
    assert "UNKNOWN" not in companion("voices", env=home, cwd=tmp_path).stdout


def test_a_session_says_once_how_many_lines_were_filled_in(home, tmp_path):
    result = companion("play", "mine.txt", "--text", "--voice", "me", env=home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "filled in" in line]
    assert said == ["companion: 1 of 2 lines filled in by the default voice (the recorded voice me has no "
                    "take of them)"]


def test_a_whole_recorded_sequence_says_nothing_of_filling_in(home, tmp_path):
    recorded.save("me", "Breathe out slowly.", TAKE)
    result = companion("play", "mine.txt", "--text", "--voice", "me", env=home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "filled in" not in result.stderr


def test_a_line_with_a_placeholder_is_always_filled_in(home):
    recorded.save("me", "Come back at {return_time}.", TAKE)
    clips = user_store(VoiceSettings(guide="me"))
    steps = [SimpleNamespace(kind="speak", role="guide", text="You are here.", template=False),
             SimpleNamespace(kind="speak", role="guide", text="Come back at {return_time}.", template=True),
             SimpleNamespace(kind="speak", role="A", text="You are here.", template=False),
             SimpleNamespace(kind="bell")]
    assert clips.filled_in(steps) == ("me", 1, 2)
    assert user_store(VoiceSettings(guide="gmw/en-us")).filled_in(steps) is None


def test_an_unknown_voice_name_is_still_refused(home, tmp_path):
    result = companion("show", "mine.txt", "--voice", "nobody-here", env=home, cwd=tmp_path)
    assert result.returncode == 2 and "no such voice" in result.stderr and "Traceback" not in result.stderr


def test_voices_lists_each_recorded_voice_with_how_complete_it_is(home, tmp_path):
    from companion.prepare import library_lines

    lines = library_lines()
    recorded.save("me", lines[0], TAKE)
    recorded.save("coach", lines[1], TAKE)
    recorded.save("coach", lines[2], TAKE)
    result = companion("voices", env=home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = {line.split()[0]: line for line in result.stdout.splitlines() if "recorded:" in line}
    assert set(shown) == {"me", "coach"}
    assert f"recorded: 1 of the library's {len(lines)} lines" in shown["me"]
    assert f"recorded: 2 of the library's {len(lines)} lines" in shown["coach"]
    assert not any("{" in line for line in lines) and len(lines) > 100


WITH_YOU = ('+++\ntitle = "Yours"\nfor = "both"\n+++\nYou are here.\nYou: I need a break.\n'
            'If they did not, wait until {return_time}.\n')


def test_voice_speaks_your_words_too_and_a_placeholder_line_is_the_default_voices(home, tmp_path):
    (tmp_path / "yours.txt").write_text(WITH_YOU)
    recorded.save("me", "I need a break.", TAKE)
    recorded.save("me", "If they did not, wait until {return_time}.", TAKE)  # never matches what is said
    result = companion("show", "yours.txt", "--json", "--voice", "me", env=home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    spoken = [e for e in json.loads(result.stdout)["events"] if e["text"]]
    assert [e["role"] for e in spoken] == ["guide", "you", "guide"]
    assert spoken[1]["clip"] == str(recorded.path_for("me", "I need a break."))
    assert "{" not in spoken[2]["text"] and spoken[2]["clip"].startswith(str(tmp_path / "cache"))
    played = companion("play", "yours.txt", "--text", "--voice", "me", env=home, cwd=tmp_path)
    assert played.returncode == 0, played.stderr
    assert [line for line in played.stderr.splitlines() if "filled in" in line] == [
        "companion: 1 of 3 lines filled in by the default voice (the recorded voice me has no take of them)"]


def test_doctor_takes_a_recorded_voice_in_the_config_as_known(home, tmp_path):
    (tmp_path / "config" / "companion" / "config.toml").write_text(
        ESPEAK_GUIDE.replace('guide = "gmw/en-us"', 'guide = "me"'))
    result = companion("doctor", env=home, cwd=tmp_path)
    voices = [line for line in result.stdout.splitlines() if " voices:" in line]
    assert len(voices) == 1 and voices[0].startswith("ok ") and "'me'" in voices[0], result.stdout


def test_the_first_line_index_of_a_recorded_guide_depends_on_its_takes(home):
    """A take kept after `prepare` wrote the pause's first-word rows makes them stale (lines.json changes)."""
    from companion.first_line.index import stat, voice_dependencies

    paths = voice_dependencies(user_store(VoiceSettings(guide="me")))
    index = str(recorded.voice_dir("me") / "lines.json")
    assert index in paths
    before = stat(index)
    recorded.save("me", "Breathe out slowly.", TAKE)
    assert stat(index) != before
    assert index not in voice_dependencies(user_store(VoiceSettings(guide="gmw/en-us")))


def test_a_pause_says_at_its_end_how_many_lines_were_filled_in(home, tmp_path):
    import signal

    config = tmp_path / "config" / "companion" / "config.toml"
    config.write_text(ESPEAK_GUIDE.replace('guide = "gmw/en-us"', 'guide = "me"'))
    process = subprocess.Popen([sys.executable, "-m", "companion", "pause", "--leave", "--text"], env=home,
                               cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip()  # the first caption: the pause has begun
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    said = [line for line in err.splitlines() if "filled in" in line]
    assert len(said) == 1 and said[0].endswith("lines filled in by the default voice (the recorded voice me has no "
                                               "take of them)"), err


@pytest.mark.parametrize("damage", [b"RIFFjunkjunk", "stereo", "cut short"])
def test_a_damaged_take_is_said_once_and_the_default_voice_speaks_its_line(home, tmp_path, damage):
    take = recorded.path_for("me", "You are here.")
    if damage == "stereo":
        with wave.open(str(take), "wb") as w:
            w.setnchannels(2), w.setsampwidth(2), w.setframerate(44100), w.writeframes(TAKE)
    elif damage == "cut short":  # as a disk that filled up while it was copied in would leave it
        take.write_bytes(take.read_bytes()[:-100])
    else:
        take.write_bytes(damage)
    for args in (["play", "mine.txt", "--text"], ["render", "mine.txt", "-o", "out.wav", "--force"]):
        result = companion(*args, "--voice", "me", env=home, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        said = [line for line in result.stderr.splitlines() if "not a usable take" in line]
        assert len(said) == 1 and said[0].endswith("record it again with companion record"), result.stderr
        assert "Traceback" not in result.stderr


def test_a_voice_index_nested_too_deep_is_one_line(home, tmp_path):
    (recorded.voice_dir("me") / "lines.json").write_text("[" * 100000 + "]" * 100000)
    result = companion("play", "mine.txt", "--text", "--voice", "me", env=home, cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "not a readable voice index (RecursionError)" in result.stderr
