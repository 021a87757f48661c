"""Lengths known without rendering: `list` and `show` on an empty home, the shipped table, the session's total."""

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

from companion import lengths
from companion.library import builtin_scripts
from companion.voice.clips import ClipStore, VoiceSettings
from tests.conftest import ESPEAK_GUIDE
from tests.test_cli import home  # noqa: F401  (the CLI tests' private folders, espeak-ng's guide)

ENGINES = {"pyttsx3", "piper", "onnxruntime"}  # the speech engines' own packages (not companion's wrappers)
STALE = "audio/lengths.json is stale; run: .venv/bin/python audio/make_lengths.py"


def empty_home(tmp_path, config: str | None = ESPEAK_GUIDE) -> dict:
    env = dict(os.environ, TZ="UTC")
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    if config is not None:
        (tmp_path / "config" / "companion").mkdir(parents=True)
        (tmp_path / "config" / "companion" / "config.toml").write_text(config)
    return env


def companion(env, *args) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the real CLI; also the top-level packages it imported (from -X importtime)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "companion", *args], env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    imported = {line.rsplit("|", 1)[1].strip().split(".")[0] for line in done.stderr.splitlines()
                if line.startswith("import time:") and line.count("|") == 2}
    done.stderr = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("import time:"))
    return done, imported


def clips_in(tmp_path) -> list[Path]:
    return list((tmp_path / "cache").rglob("*.wav"))


def test_list_json_on_an_empty_home_gives_every_builtin_estimated_and_renders_nothing(tmp_path):
    env = empty_home(tmp_path)  # espeak-ng's guide: not the voices the shipped lengths were measured in
    done, imported = companion(env, "list", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["id"]: row for row in json.loads(done.stdout)}
    assert set(builtin_scripts()) <= set(rows)
    assert all(rows[name]["estimated"] is True and rows[name]["minutes"] > 1 for name in builtin_scripts())
    assert clips_in(tmp_path) == [] and not imported & ENGINES, imported & ENGINES
    text, _ = companion(env, "list")
    assert re.search(r" ~\d+\.\d min ", next(line for line in text.stdout.splitlines() if " stay " in line))
    assert "~ estimated" in text.stdout


def test_list_in_the_default_voices_gives_the_shipped_lengths_without_parsing_a_script(tmp_path):
    env = empty_home(tmp_path, config=None)  # no config: the natural guide, as shipped
    done, imported = companion(env, "list", "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["id"]: row for row in json.loads(done.stdout)}
    shipped = lengths.shipped()["sequences"]
    for name in builtin_scripts():
        assert rows[name]["estimated"] is False, STALE
        assert rows[name]["minutes"] == round(shipped[name]["seconds"] / 60, 1)
    assert clips_in(tmp_path) == [] and not imported & (ENGINES | {"pydantic", "numpy"}), imported


def test_show_on_an_empty_home_gives_estimated_times_and_renders_nothing(tmp_path):
    env = empty_home(tmp_path)
    done, imported = companion(env, "show", "stay", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    guide = [e for e in shown["events"] if e["kind"] == "speech" and e["role"] == "guide"]
    assert shown["estimated"] is True and guide and all(e["estimated"] for e in guide)  # not the shipped voice
    assert shown["seconds"] > 60 and clips_in(tmp_path) == [] and not imported & ENGINES, imported & ENGINES
    text, _ = companion(env, "show", "stay")
    lines = text.stdout.splitlines()
    assert "~ estimated" in lines[0] and lines[1].startswith("  0:00") and lines[-1].strip().startswith("~")


def test_show_is_measured_once_the_clips_are_in_the_cache(tmp_path):
    env = empty_home(tmp_path)
    script = tmp_path / "tiny.txt"
    script.write_text('+++\ntitle = "Tiny"\nfor = "both"\n+++\nYou are here.\n[pause 1s]\nFeel your feet.\n')
    before = json.loads(companion(env, "show", str(script), "--json")[0].stdout)
    rendered, _ = companion(env, "render", str(script), "-o", os.devnull)
    assert rendered.returncode == 0, rendered.stderr
    after = json.loads(companion(env, "show", str(script), "--json")[0].stdout)
    assert before["estimated"] is True and after["estimated"] is False
    assert not any(e["estimated"] for e in after["events"]) and len(clips_in(tmp_path)) == 2


def test_the_shipped_lengths_are_those_of_the_builtin_scripts_in_the_default_voices(tmp_path, monkeypatch):
    """Fails when a script, a spoken line, a voice or the clip format changed since audio/make_lengths.py ran."""
    from companion.prepare import _utterances

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # the default settings
    monkeypatch.setenv("TZ", "UTC")
    clips = ClipStore(tmp_path / "clips", VoiceSettings(), warn=lambda line: None)
    table = lengths.shipped()["clips"]
    missing = [text for role, text in _utterances() if clips.key(role, text) not in table]
    assert not missing, f"{STALE} ({len(missing)} lines unmeasured, e.g. {missing[0]!r})"
    context = lengths.context(clips)
    for name, path in builtin_scripts().items():
        assert lengths._shipped_row(name, path, clips, context) is not None, f"{name}: {STALE}"


def test_a_line_is_measured_from_the_cache_else_the_table_else_estimated_from_its_words(tmp_path, monkeypatch):
    from companion.playback import pcm

    clips = ClipStore(tmp_path / "clips", VoiceSettings(guide="gmw/en-us"), warn=lambda line: None)
    measured = lengths.Measured(clips)
    short, long = measured.speech("guide", "You are here."), measured.speech("guide", "You are here. " * 8)
    assert long > 4 * short and measured.estimated == {("guide", "You are here."), ("guide", "You are here. " * 8)}
    monkeypatch.setattr(lengths, "_shipped", {"clips": {clips.key("guide", "From the table."): 12345}})
    pcm.write_wav(_made(clips.path("guide", "From the cache.")), pcm.silence(4321))
    measured = lengths.Measured(clips)
    assert measured.speech("guide", "From the table.") == 12345 and measured.speech("guide", "From the cache.") == 4321
    assert measured.estimated == set()


def _made(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_a_session_not_yet_planned_shows_and_journals_its_expected_total(monkeypatch):
    from types import SimpleNamespace

    from companion.session.loop import _planned_s
    from tests.test_screen import Terminal

    from companion.session.screen import Screen

    monkeypatch.setenv("COLUMNS", "120")
    out = Terminal()
    Screen(out).status(1, 430, estimated=True)
    assert "0:01 / ~7:10" in out.getvalue() and "…" not in out.getvalue()
    cursor = SimpleNamespace(position=33 * 22050)
    unplanned = SimpleNamespace(planned_frames=None, expected=lengths.Length(430.0, True), cursor=cursor)
    assert _planned_s(unplanned) == 430.0  # never the 33 s rendered so far
    planned = SimpleNamespace(planned_frames=431 * 22050, expected=lengths.Length(430.0, True), cursor=cursor)
    assert _planned_s(planned) == 431.0


def test_a_running_prepare_is_seen_by_its_progress_file_and_a_finished_one_is_not(tmp_path):
    lengths.write_progress(tmp_path, 340, 1180)
    assert lengths.progress_line(tmp_path) == "voices: 340 of 1,180 lines ready (a prepare is running)"
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / lengths.PROGRESS).write_text(json.dumps({"pid": int(ended.stdout), "done": 1, "total": 2}))
    assert lengths.progress_line(tmp_path) is None


def test_the_together_menu_says_the_length_list_says(home):
    from click.testing import CliRunner

    from companion.cli.app import cli
    from companion.together.menu import menu_lines, pair_sequences

    pairs = pair_sequences(print)
    listed = {row["id"]: row for row in json.loads(CliRunner().invoke(cli, ["list", "--json"]).output)}
    menu = menu_lines(pairs, next(iter(pairs)))
    for name in pairs:
        line = next(line for line in menu if f"  {name}, about " in line)
        said = int(line.split(", about ")[1].split(" min")[0])
        assert abs(said - listed[name]["minutes"]) <= 0.55, line
    assert clips_in(home) == []


def test_a_session_stopped_early_journals_the_sequences_whole_length_not_what_was_rendered(tmp_path):
    """`play --text stay | head -2` on an empty home, in the default voices (the natural guide renders a line
    in about its own length here, so the plan is far from done): stopped some 3 s in (the second caption), its
    planned length is the one `list` gives (7 min), not the few seconds rendered by then."""
    env = empty_home(tmp_path, config="background_prepare = false\n")
    play = subprocess.Popen([sys.executable, "-m", "companion", "play", "--text", "stay"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    head = subprocess.run(["head", "-2"], stdin=play.stdout, capture_output=True, timeout=300)
    play.stdout.close()
    play.communicate(timeout=120)
    assert len(head.stdout.splitlines()) == 2
    (row,) = json.loads(companion(env, "log", "--json")[0].stdout)
    listed = {r["id"]: r for r in json.loads(companion(env, "list", "--json")[0].stdout)}
    assert row["end_reason"] == "stopped" and row["played_s"] < 60
    assert row["planned_s"] == pytest.approx(listed["stay"]["minutes"] * 60, abs=20)
