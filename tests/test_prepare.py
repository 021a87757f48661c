"""`companion prepare`: several processes, its work shown, Ctrl-C keeps what it finished; `doctor` and `list` see it."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from companion import lengths
from companion.cli.app import cli
from companion.prepare import MAX_WORKERS, bar, render, workers
from companion.voice.clips import ClipStore, VoiceSettings
from tests.conftest import ESPEAK_GUIDE
from tests.test_cli import home  # noqa: F401  (the CLI tests' private folders, espeak-ng's guide)


def test_clips_are_rendered_in_several_processes_each_with_its_own_engine(tmp_path):
    clips = ClipStore(tmp_path / "clips", VoiceSettings(guide="gmw/en-us"))
    todo = [("guide", f"Feel your feet, {n}.") for n in range(6)] + [("A", "I feel tight."), ("B", "I hear you.")]
    seen = []
    render(clips, todo, lambda done, total: seen.append((done, total)), jobs=2)
    assert seen == [(n, len(todo)) for n in range(1, len(todo) + 1)]
    assert all(clips.path(role, text).stat().st_size > 1000 for role, text in todo)


def test_workers_use_the_cores_but_never_more_than_the_work():
    cores = min(len(os.sched_getaffinity(0)), MAX_WORKERS)
    assert workers(1) == 1 and workers(10_000) == cores and 1 <= workers(8) <= min(cores, 2)


def test_the_bar_says_clips_done_of_the_total_and_the_time_left():
    assert bar(340, 1180, 60.0, width=10) == "[██········] 340 of 1,180 clips, about 2 min left"
    assert bar(1, 4, 2.0, width=4) == "[█···] 1 of 4 clips, about 6 s left"
    assert bar(4, 4, 9.0, width=4) == "[████] 4 of 4 clips"


def progress(clips_dir) -> int:
    try:
        return json.loads((clips_dir / lengths.PROGRESS).read_text())["done"]
    except (OSError, ValueError, KeyError):
        return 0


def test_prepare_without_a_terminal_says_each_stage_once_stops_on_ctrl_c_and_goes_on_from_there(tmp_path):
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    (tmp_path / "config" / "companion").mkdir(parents=True)
    (tmp_path / "config" / "companion" / "config.toml").write_text(ESPEAK_GUIDE)
    clips_dir = tmp_path / "cache" / "companion" / "clips"
    command = [sys.executable, "-m", "companion", "prepare"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 600  # a bound for a broken prepare, not a speed: it waits for the file
    while progress(clips_dir) < 20 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, first.communicate()
    os.killpg(first.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole group
    out, err = first.communicate(timeout=120)
    assert first.returncode == 130, err
    kept = list(clips_dir.rglob("*.wav"))
    lines = out.splitlines()
    assert lines[0] == "Checking the voices." and lines[1].startswith("Rendering ") and "processes" in lines[1]
    assert lines[2].startswith("Stopped; every clip finished so far is kept") and len(lines) == 3
    assert len(kept) >= 20 and not (clips_dir / lengths.PROGRESS).exists()
    assert not [clip for clip in kept if clip.name.startswith("tmp")]  # nothing half-made

    second = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1800)
    assert second.returncode == 0, second.stderr
    lines = second.stdout.splitlines()
    todo, total = (int(n.replace(",", "")) for n in lines[1].split()[1:4:2])
    assert todo <= total - len(kept) and lines[2:] == ["Writing the index.", f"The cache is ready ({todo} clips "
                                                                             "rendered now)."]
    assert all(clip.exists() for clip in kept)


def test_a_cache_still_filling_is_information_in_doctor_with_a_running_prepares_progress(home):
    from companion import doctor

    ok, name, detail = doctor._cache()
    assert (ok, name) == (True, "speech cache") and "not rendered yet" in detail and "companion prepare" in detail
    clips_dir = home / "cache" / "companion" / "clips"
    clips_dir.mkdir(parents=True)
    lengths.write_progress(clips_dir, 340, 1180)  # this process stands for the running prepare
    ok, _, detail = doctor._cache()
    assert ok and "voices: 340 of 1,180 lines ready" in detail
    listed = CliRunner().invoke(cli, ["list"]).output
    assert listed.splitlines()[-1] == "voices: 340 of 1,180 lines ready (a prepare is running)"


def test_a_full_cache_without_its_index_is_ready_in_doctor_and_says_what_writes_the_index(home, monkeypatch):
    from companion import doctor, prepare

    monkeypatch.setattr(prepare, "missing", lambda clips: [])  # every clip rendered
    monkeypatch.setattr(prepare, "is_ready", lambda clips: False)  # ... by sessions: no prepare has stamped it
    ok, name, detail = doctor._cache()
    assert (ok, name) == (True, "speech cache") and " is ready: " in detail and "100%" in detail
    assert detail.endswith("the index that starts first words sooner is written after your next session, "
                           "or by 'companion prepare' now")
    monkeypatch.setattr(prepare, "is_ready", lambda clips: True)
    ok, _, detail = doctor._cache()
    assert ok and " is ready: " in detail and "first words" not in detail


def test_the_stamp_changes_with_every_roles_voice_so_a_new_one_is_prepared_again(tmp_path):
    from companion.config import ROLES
    from companion.prepare import fingerprint

    def stamp(**voices):
        return fingerprint(ClipStore(tmp_path / "clips", VoiceSettings(**voices)))

    base = stamp(guide="gmw/en-us")
    for role in ROLES:  # "you" speaks 26 prepared lines: a new voice for them must not wait for the session
        if role != "guide":
            assert stamp(guide="gmw/en-us", **{role: "gmw/en-gb-x-rp"}) != base, role
    assert stamp(guide="gmw/en-us") == base
