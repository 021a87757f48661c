"""The command line: one clear line for bad input, never a traceback."""

import json
import os
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from companion.cli.app import cli
from tests.conftest import ESPEAK_GUIDE


GOOD = '+++\ntitle = "Tiny"\nfor = "both"\n+++\nYou are here.\n[pause 1s]\nFeel your feet.\n'


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    (tmp_path / "config" / "companion").mkdir(parents=True)
    (tmp_path / "config" / "companion" / "config.toml").write_text(ESPEAK_GUIDE)
    return tmp_path


def invoke(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def script(home, text=GOOD, name="tiny.txt"):
    path = home / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def test_check_accepts_a_good_file(home):
    result = invoke("check", script(home))
    assert result.exit_code == 0 and "ok ('Tiny', 3 steps)" in result.output


@pytest.mark.parametrize("text, where", [
    (GOOD.replace("[pause 1s]", "[pause -1s]"), ":6:8: found a negative duration"),
    (GOOD.replace("[pause 1s]", "[wait 1s]"), ":6:2: found unknown directive '[wait 1s]'"),
    (GOOD.replace('title = "Tiny"\n', ""), ":1:1: found no title"),
    ('+++\ntitle = "T"\n+++\n', ":4:1: found an empty body"),
    (b'+++\ntitle = "T"\n+++\n\xff\n', ":4:1: found invalid UTF-8"),
])
def test_check_gives_one_located_line_and_exit_2(home, text, where):
    result = invoke("check", script(home, text))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and where in lines[0] and "expected" in lines[0]
    assert "Traceback" not in result.output


def test_check_reports_every_bad_file_and_still_exits_2(home):
    bad = script(home, GOOD.replace("[pause 1s]", "[pause 1x]"), "bad.txt")
    result = invoke("check", script(home), bad)
    assert result.exit_code == 2 and "ok (" in result.output and "bad.txt:6:" in result.output


@pytest.mark.parametrize("args", [["play", "no-such-sequence"], ["play", "missing/file.txt"], ["show", "nope"],
                                  ["render", "nope", "-o", "x.wav"]])
def test_unknown_sequence_is_one_line_exit_2(home, args):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("companion: no ")


def test_play_of_a_bad_script_plays_nothing_and_writes_no_journal(home):
    result = invoke("play", "--text", script(home, GOOD.replace("[pause 1s]", "[pause")))
    assert result.exit_code == 2 and ":6:1:" in result.output
    assert not (home / "data").exists()


def test_show_lists_captions_with_times(home):
    result = invoke("show", script(home))
    lines = result.output.splitlines()
    assert result.exit_code == 0 and lines[0].startswith("Tiny")
    assert lines[1] == "  0:00  You are here." and lines[-2].endswith("Feel your feet.")


def test_show_json_gives_events_with_seconds(home):
    data = json.loads(invoke("show", "--json", script(home)).output)
    kinds = [e["kind"] for e in data["events"]]
    assert kinds == ["speech", "silence", "speech"]
    assert data["events"][1]["seconds"] == 1.0
    assert data["seconds"] == pytest.approx(sum(e["seconds"] for e in data["events"]), abs=0.01)


def test_clips_are_cached_so_a_second_run_renders_nothing(home):
    invoke("render", script(home), "-o", os.devnull)
    clips = sorted((home / "cache").rglob("*.wav"))
    assert len(clips) == 2
    mtimes = [c.stat().st_mtime_ns for c in clips]
    invoke("render", script(home), "-o", os.devnull)
    assert sorted((home / "cache").rglob("*.wav")) == clips
    assert [c.stat().st_mtime_ns for c in clips] == mtimes


def test_a_different_rate_renders_different_clips(home):
    invoke("render", script(home), "-o", os.devnull)
    invoke("render", "--rate", "180", script(home), "-o", os.devnull)
    assert len(list((home / "cache").rglob("*.wav"))) == 4


def test_bad_config_is_one_line_with_the_place(home):
    (home / "config" / "companion" / "config.toml").write_text('rate = 140\n[voices]\nguide = 3\n')
    result = invoke("show", script(home))
    assert result.exit_code == 2 and "config.toml:3: voices.guide = 3; expected a voice id" in result.output


def test_config_sets_voice_and_rate(home):
    (home / "config" / "companion" / "config.toml").write_text('rate = 200\n[voices]\nguide = "gmw/en-GB-x-rp"\n')
    fast = json.loads(invoke("show", "--json", script(home)).output)["seconds"]
    slow = json.loads(invoke("show", "--json", "--rate", "100", script(home)).output)["seconds"]
    assert slow > fast + 1.0


def test_an_unknown_voice_is_one_line_not_a_traceback(home):
    result = invoke("show", "--voice", "no-such-voice", script(home))
    assert result.exit_code == 2 and result.output.startswith("companion: --voice 'no-such-voice': the speech engine "
                                                              "has no such voice")


def test_log_json_has_the_promised_keys(home):
    assert invoke("play", "--text", script(home, GOOD.replace("[pause 1s]\n", ""))).exit_code == 0
    (entry,) = json.loads(invoke("log", "--json").output)
    for key in ("id", "sequence", "title", "mode", "started_at", "ended_at", "planned_s", "played_s", "completed"):
        assert key in entry
    assert entry["completed"] is True and entry["sequence"] == "tiny" and entry["mode"] == "play"
    journal = home / "data" / "companion" / "journal.sqlite3"
    assert stat.S_IMODE(os.stat(journal).st_mode) == 0o600


def test_log_without_sessions(home):
    assert "No sessions yet" in invoke("log").output


def test_voices_lists_the_engines_voices_and_marks_the_roles(home):
    result = invoke("voices")
    assert result.exit_code == 0 and "gmw/en-us" in result.output.lower() and "<- guide" in result.output


def test_python_dash_m_and_version():
    result = subprocess.run([sys.executable, "-m", "companion", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "companion, version" in result.stdout


def test_list_groups_by_moment_and_whom_with_measured_minutes(home):
    rows = json.loads(invoke("list", "--json").output)
    stay = next(r for r in rows if r["id"] == "stay")
    assert stay["moment"] == "conflict" and stay["for"] == "leaving" and 4 <= stay["minutes"] <= 8
    text = invoke("list").output
    assert text.index("In a conflict") < text.index("Daily practice") < text.index("Together")
    assert text.index("for the one who wants to leave") < text.index("stay")


def test_after_a_session_the_cache_is_prepared_in_the_background_sweeping_half_made_renders(home):
    # One whole render of the library serves these checks (each one is 15 s of both cores here);
    # a foreground `prepare` from a cold cache, and its output, is test_prepare.py's.
    import time

    assert "not rendered yet" in invoke("doctor").output
    folder = home / "cache" / "companion" / "clips" / "ab"
    folder.mkdir(parents=True)
    old, fresh = folder / "tmpold.wav", folder / "tmpnew.wav"  # half-made renders: a killed one, and one under way
    old.write_bytes(b"")
    fresh.write_bytes(b"")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    # espeak-ng's guide: the natural voice's whole library takes minutes here (test_voices_heard prepares it).
    (home / "config" / "companion" / "config.toml").write_text('background_prepare = true\n[voices]\nguide = "gmw/en-us"\n')
    assert invoke("play", "--text", script(home, GOOD.replace("[pause 1s]\n", ""))).exit_code == 0
    stamp = home / "cache" / "companion" / "clips" / "prepared.json"
    deadline = time.monotonic() + 600  # a bound for a broken prepare, not a speed: it waits for the file
    while not stamp.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stamp.exists()
    assert len(list((home / "cache").rglob("*.wav"))) > 300
    assert not old.exists() and fresh.exists()
    assert "already ready" in invoke("prepare").output
    doctor = invoke("doctor").output  # once: each loads the natural voice's model
    assert "speech cache:" in doctor and " is ready" in doctor


@pytest.mark.parametrize("text, message", [
    ("[pause]\nflooded_bpm = 300\n", "pause.flooded_bpm = 300; expected a whole number of beats"),
    ("[pause]\nminutes = 0\n", "pause.minutes = 0; expected a number of minutes"),
    ("[pause]\nsnooze = 1\n", "unknown setting 'pause.snooze'"),
    ("background_prepare = 1\n", "background_prepare = 1; expected true or false"),
])
def test_pause_settings_are_checked(home, text, message):
    (home / "config" / "companion" / "config.toml").write_text(text)
    result = invoke("show", script(home))
    assert result.exit_code == 2 and message in result.output


def test_pause_without_a_terminal_needs_a_side(home):
    result = subprocess.run([sys.executable, "-m", "companion", "pause", "--text"], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, env=os.environ.copy(), timeout=30)
    assert result.returncode == 2 and "use --leave or --reach" in result.stderr


def test_pause_bad_option_is_one_line_exit_2(home):
    result = subprocess.run([sys.executable, "-m", "companion", "pause", "--minutes", "lots"], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, env=os.environ.copy(), timeout=30)
    assert result.returncode == 2 and result.stderr.strip() == "companion: --minutes needs a number of minutes, not 'lots'"


def test_log_says_what_a_pause_did(home):
    from companion.journal.store import Journal

    journal = Journal()
    row = journal.start("pause", "A guided pause", "pause", "device")
    journal.finish(row, reason="completed", planned_s=1500, played_s=1500, position_s=1500, side="leaving",
                   pulse_bpm=112, break_minutes=20, returned=True, stage="done")
    row = journal.start("pause", "A guided pause", "pause", "device")
    journal.finish(row, reason="interrupted", planned_s=1500, played_s=400, position_s=400, side="reaching",
                   break_minutes=20, returned=False, stage="hold-off", wait_s=185)
    journal.close()
    lines = invoke("log").output.splitlines()
    assert lines[0].endswith("interrupted · reaching · hold-off 20 min (3:05 of it) · ended at: hold-off")
    assert lines[1].endswith("completed · leaving · pulse 112 · break 20 min · bell reached")


def daily_run(home, keys, *args):
    env = os.environ | {f"XDG_{n}_HOME": str(home / n.lower()) for n in ("CACHE", "DATA", "CONFIG")}
    return subprocess.run([sys.executable, "-m", "companion", "daily", "--text", *args], input=keys, env=env,
                          capture_output=True, text=True, timeout=60)


def test_daily_asks_distress_before_and_after_and_journals_both(home):
    result = daily_run(home, "6\nq3\n")  # 6 before; q ends the practice; 3 after
    assert result.returncode == 0, result.stderr
    assert "Today's practice: " in result.stdout and "Distress 6 before, 3 after: 3 lower." in result.stdout
    (entry,) = json.loads(invoke("log", "--json").output)
    assert (entry["mode"], entry["distress_before"], entry["distress_after"]) == ("daily", 6, 3)
    assert entry["sequence"].startswith("daily-") or entry["sequence"] == "underneath"
    assert "distress 6 → 3" in invoke("log").output


def test_a_wrong_rating_is_asked_again_in_one_line_and_enter_skips(home):
    result = daily_run(home, "eleven\n\nq\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "'eleven' is not a rating; type a whole number from 0 to 10, or press Enter to skip" in result.stderr
    (entry,) = json.loads(invoke("log", "--json").output)
    assert (entry["distress_before"], entry["distress_after"]) == (None, None)


def test_daily_follows_the_side_and_the_same_day_gives_the_same_practice(home):
    first = daily_run(home, "q", "--leave", "--no-rating")
    second = daily_run(home, "q", "--leave", "--no-rating")
    entries = json.loads(invoke("log", "--json").output)
    assert first.returncode == second.returncode == 0
    assert entries[0]["sequence"] == entries[1]["sequence"]
    assert entries[0]["sequence"].startswith(("daily-leaving-", "daily-both-")) or entries[0]["sequence"] == "underneath"


def test_progress_shows_streaks_and_the_weeks(home):
    from datetime import date, timedelta

    from companion.journal.store import Journal

    journal = Journal()
    today = date.today()
    for days_ago, before, after in ((15, 8, 6), (14, 7, 5), (2, 5, 3), (1, 4, 3), (0, 4, 2)):
        row = journal.start("daily-both-scan", "Scan", "daily", "captions")
        journal.finish(row, reason="completed", planned_s=160, played_s=160, position_s=160, distress_before=before,
                       distress_after=after)
        started = (today - timedelta(days=days_ago)).isoformat() + "T08:00:00+00:00"
        journal.db.execute("UPDATE sessions SET started_at = ? WHERE id = ?", (started, row))
    journal.close()
    report = json.loads(invoke("progress", "--json").output)
    assert (report["completed"], report["days"], report["streak_days"], report["longest_streak_days"]) == (5, 5, 3, 3)
    assert sum(w["sessions"] for w in report["weeks"]) == 5 and report["weeks"][0]["change"] == -2.0
    text = invoke("progress").output
    assert "Streak: 3 days (longest 3)." in text and text.count("\n20") == len(report["weeks"])


def test_progress_with_no_practice_says_how_to_start(home):
    assert "Start today's with: companion daily" in invoke("progress").output


# A face people already know how to use: examples, completion, did-you-mean, marks in `list`.

def env_for(home, **extra):
    return os.environ | {f"XDG_{n}_HOME": str(home / n.lower()) for n in ("CACHE", "DATA", "CONFIG")} | extra


def user_script(home, name, title="Mine"):
    folder = home / "config" / "companion" / "scripts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(GOOD.replace("Tiny", title))


@pytest.mark.parametrize("command", ["play", "show", "render"])
def test_a_typo_in_a_name_asks_did_you_mean(home, command):
    args = [command, "stya"] + (["-o", str(home / "x.wav")] if command == "render" else [])
    result = invoke(*args)
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert result.output.startswith("companion: no sequence named 'stya'; did you mean 'stay'?")


def test_did_you_mean_offers_a_users_own_script_and_nothing_when_nothing_is_close(home):
    user_script(home, "my-evening")
    assert "did you mean 'my-evening'?" in invoke("play", "my-evning").output
    far = invoke("play", "zzzzqqq")
    assert far.exit_code == 2 and "did you mean" not in far.output and "companion list" in far.output


def test_check_of_a_typo_suggests_the_name_too(home):
    result = invoke("check", "stya")
    assert result.exit_code == 2 and "did you mean 'stay'?" in result.output


def test_a_typo_in_a_file_path_suggests_the_file_beside_it(home):
    script(home, name="my-script.txt")
    result = invoke("play", "--text", str(home / "my-scirpt.txt"))
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert f"did you mean {home / 'my-script.txt'}?" in result.output


def test_a_builtin_name_given_as_a_file_suggests_the_name(home, monkeypatch):
    monkeypatch.chdir(home)
    result = invoke("play", "--text", "stay.txt")
    assert result.exit_code == 2 and "did you mean 'stay' (a sequence, by name)?" in result.output


def complete(home, line):
    """Click's bash protocol, as the shell runs it: the offered values, as (type, value)."""
    words = line.split(" ")
    result = subprocess.run([sys.executable, "-m", "companion"], capture_output=True, text=True, timeout=30,
                            env=env_for(home, _COMPANION_COMPLETE="bash_complete", COMP_WORDS=line,
                                        COMP_CWORD=str(len(words) - 1)))
    assert result.returncode == 0, result.stderr
    return [tuple(row.split(",", 1)) for row in result.stdout.splitlines()]


@pytest.mark.parametrize("command", ["play", "show", "render", "check"])
def test_completion_offers_sequence_names_and_files(home, command):
    offered = complete(home, f"companion {command} st")
    assert ("plain", "stay") in offered and ("plain", "sit") not in offered
    assert ("file", "st") in offered  # the shell falls back to file names when no name matches


def test_completion_offers_a_users_own_script_by_name(home):
    user_script(home, "my-evening")
    assert ("plain", "my-evening") in complete(home, "companion play my")


def test_completion_of_a_path_offers_files_only(home):
    assert complete(home, "companion play ./st") == [("file", "./st")]


def test_completion_of_the_commands_still_works(home):
    assert ("plain", "pause") in complete(home, "companion pa")


def test_list_marks_a_users_own_script_and_one_replacing_a_builtin(home):
    user_script(home, "my-evening", "My evening")
    user_script(home, "stay", "My own stay")
    text = invoke("list").output
    assert "My evening  (yours)" in text and "My own stay  (yours, replaces the built-in)" in text
    assert "sit" in text and "(yours" not in next(line for line in text.splitlines() if " sit " in line)
    rows = {r["id"]: r for r in json.loads(invoke("list", "--json").output)}
    assert (rows["my-evening"]["source"], rows["my-evening"]["replaces_builtin"]) == ("user", False)
    assert (rows["stay"]["source"], rows["stay"]["replaces_builtin"]) == ("user", True)
    assert (rows["sit"]["source"], rows["sit"]["replaces_builtin"]) == ("builtin", False)


def test_bare_companion_prints_the_help_with_examples_and_exits_0(home):
    result = subprocess.run([sys.executable, "-m", "companion"], capture_output=True, text=True, timeout=30,
                            env=env_for(home), stdin=subprocess.DEVNULL)
    assert result.returncode == 0 and result.stderr == ""
    assert "Usage: companion" in result.stdout and "Examples:" in result.stdout
    assert "companion pause" in result.stdout.split("Commands:")[0]


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_commands_help_has_examples(command):
    result = CliRunner().invoke(cli, [command, "--help"], prog_name="companion")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() in ("Example:", "Examples:"))
    example = next(line for line in lines[at + 1:] if line.strip())
    assert example.strip().startswith(f"companion {command}")
