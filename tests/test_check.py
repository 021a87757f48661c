"""`companion check` and what a script may hold: every error at once, limits, and nothing raw on the terminal."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from companion.script import ScriptError, ScriptErrors, check, parse
from companion.textsafe import MAX_SPOKEN_CHARS, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS, visible
from tests.test_cli import home, invoke  # noqa: F401  (home: the CLI tests' private folders)

SOUNDS = frozenset({"waves"})
HEAD = '+++\ntitle = "T"\n+++\n'
SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def write(home, text, name="s.txt"):
    path = home / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(path)


def raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on: C0 (but the newline), DEL and C1."""
    return [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0]


MANY = ('+++\ntitle = "T"\ntitel = "x"\n+++\n'
        "Hello.\n[pause 4 s]\n[wait 2s]\nFine.\n[bell loud]\n[breathe in 4]\nB:\n")


def test_check_reports_every_error_in_one_pass_in_file_order(home):
    path = write(home, MANY)
    result = invoke("check", path)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert [line.split(": found")[0] for line in lines] == [
        f"{path}:3:1", f"{path}:6:8", f"{path}:7:2", f"{path}:9:7", f"{path}:10:9", f"{path}:11:3"]
    assert all("; expected " in line for line in lines)


def test_play_and_parse_still_give_the_first_error_alone(home):
    with pytest.raises(ScriptErrors) as info:
        parse(MANY, source="s.txt", sounds=SOUNDS)
    assert len(info.value.errors) == 6 and isinstance(info.value, ScriptError)
    assert (info.value.line, info.value.column) == (3, 1) and str(info.value) == str(info.value.errors[0])
    result = invoke("play", "--text", write(home, MANY))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and ":3:1: found unknown key 'titel'" in result.stderr


def test_a_bad_front_matter_value_does_not_hide_the_body_errors():
    errors = check('+++\ntitle = 3\nfor = "all"\n+++\n[pause 0s]\nHi.\n', "s.txt", sounds=SOUNDS).errors
    assert [(e.line, e.column) for e in errors] == [(2, 1), (3, 1), (5, 8)]


def test_lines_that_are_all_bad_are_not_also_called_an_empty_body():
    errors = check(HEAD + "[wait]\n[pause]\n", "s.txt", sounds=SOUNDS).errors
    assert len(errors) == 2 and not any("empty body" in e.found for e in errors)


def test_a_lowercase_label_is_a_warning_and_still_ok(home):
    result = invoke("check", write(home, HEAD + "a: hi\nB: there.\n"))
    assert result.exit_code == 0 and ": ok ('T', 2 steps)" in result.stdout
    assert result.stderr.count("\n") == 1
    assert ":4:1: warning: found 'a:' in lower case, which the guide speaks as words; expected 'A:'" in result.stderr


def test_a_warning_beside_an_error_still_exits_2(home):
    result = invoke("check", write(home, HEAD + "b: hi\n[pause 0s]\n"))
    assert result.exit_code == 2 and ":4:1: warning: " in result.stderr and ":5:8: found a zero" in result.stderr


@pytest.mark.parametrize("directive, column, found, expected", [
    ("[pause 4 s]", 8, "'4 s' with a space between the number and its unit", "'4s', with no space"),
    ("[pause 1m 30 s]", 11, "'30 s' with a space", "'30s'"),
    ("[pause 4]", 8, "'4' with no unit", "4s, 4m or 4ms"),
    ("[turn A up to 60 s] Go.", 15, "'60 s' with a space", "'60s'"),
])
def test_a_duration_says_what_is_wrong_with_it(directive, column, found, expected):
    (error,) = check(HEAD + directive + "\n", "s.txt", sounds=SOUNDS).errors
    assert error.column == column and found in error.found and expected in error.expected, str(error)


def test_the_built_in_scripts_are_far_inside_the_limits():
    for path in SCRIPTS.glob("*.txt"):
        sequence = parse(path.read_text(), source=str(path), sounds=SOUNDS)
        assert len(sequence.title) <= MAX_TITLE_CHARS / 2 and len(sequence.summary) <= MAX_SUMMARY_CHARS / 2
        for step in sequence.steps:
            assert len(getattr(step, "text", "") or getattr(step, "prompt", "")) <= MAX_SPOKEN_CHARS / 3, path


@pytest.mark.parametrize("line, column, found", [
    ("w" * MAX_SPOKEN_CHARS + "x", 1, f"a spoken line of {MAX_SPOKEN_CHARS + 1} characters"),
    ("A: " + "w" * 45_000, 4, "a spoken line of 45,000 characters"),
    ("[turn A up to 5s] " + "w" * 700, 19, "a prompt of 700 characters"),
])
def test_an_over_long_line_is_located(line, column, found):
    (error,) = check(HEAD + "Hi.\n" + line + "\n", "s.txt", sounds=SOUNDS).errors
    assert (error.line, error.column) == (5, column) and error.found == found
    assert f"at most {MAX_SPOKEN_CHARS} characters" in error.expected
    assert len(str(error)) < 200


def test_a_line_at_the_limit_is_spoken():
    sequence = parse(HEAD + "w" * MAX_SPOKEN_CHARS + "\n[turn B up to 5s] " + "p" * MAX_SPOKEN_CHARS + "\n", sounds=SOUNDS)
    assert len(sequence.steps) == 2


@pytest.mark.parametrize("front, line, found", [
    (f'title = "{"t" * (MAX_TITLE_CHARS + 1)}"', 2, f"a title of {MAX_TITLE_CHARS + 1} characters"),
    (f'title = "T"\nsummary = "{"s" * (MAX_SUMMARY_CHARS + 1)}"', 3, f"a summary of {MAX_SUMMARY_CHARS + 1} characters"),
    ('title = "\\u001b]0;pwned\\u0007\\u001b[2J"', 2, "a control character U+001B in the title"),
    ('title = "T"\nsummary = "one\\u009btwo"', 3, "a control character U+009B in the summary"),
    ('title = """two\nlines"""', 2, "a control character U+000A in the title"),
])
def test_the_title_and_summary_are_one_bounded_plain_line(front, line, found):
    (error,) = check(f"+++\n{front}\n+++\nHi.\n", "s.txt", sounds=SOUNDS).errors
    assert (error.line, error.column) == (line, 1) and error.found == found, str(error)


def test_front_matter_nested_hundreds_deep_is_a_located_error_not_a_traceback(home):
    deep = '+++\ntitle = "T"\nx = ' + "[" * 600 + "]" * 600 + "\n+++\nHi.\n"
    (error,) = check(deep, "s.txt", sounds=SOUNDS).errors
    assert (error.line, error.column) == (3, 1) and "nested too deeply" in error.found
    result = invoke("check", write(home, deep))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "nested too deeply" in result.stderr
    scripts = home / "config" / "companion" / "scripts"
    scripts.mkdir()
    (scripts / "deep.txt").write_text(deep)
    result = invoke("list")
    assert result.exit_code == 0 and "skipping " in result.stderr and "nested too deeply" in result.stderr


@pytest.mark.parametrize("command", [["check"], ["play", "--text"], ["show"]])
@pytest.mark.parametrize("target, what", [(".", "a folder"), ("/dev/null", "a device"), ("/tmp", "a folder")])
def test_a_path_that_is_not_a_file_is_named_for_what_it_is(home, monkeypatch, command, target, what):
    monkeypatch.chdir(home)
    result = invoke(*command, target)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"companion: {target} is {what}, not a script file; expected ")


def test_a_missing_path_is_still_said_to_be_missing(home):
    result = invoke("check", str(home / "nope.txt"))
    assert result.exit_code == 2 and "no script file at " in result.stderr


def test_an_error_quoting_a_bad_line_shows_its_escape_codes_and_is_bounded(home):
    path = write(home, HEAD + "[\x1b]0;pwned\x07\x1b[2J" + "x" * 50_000 + "]\nHi \x1b[31mthere\n\x9b\n")
    result = invoke("check", path)
    assert result.exit_code == 2 and not raw_controls(result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 3 and all(len(line) < 300 for line in lines)
    assert "U+001B" in lines[0] and "U+001B" in lines[1] and "U+009B" in lines[2]


def test_an_error_naming_a_file_with_escape_codes_in_its_name_shows_them(home):
    path = write(home, HEAD + "[pause 0s]\n", name="\x1b]0;pwned\x07.txt")
    result = invoke("check", path)
    assert result.exit_code == 2 and not raw_controls(result.stderr) and "\\x1b]0;pwned\\x07.txt:4:8" in result.stderr


def test_list_shows_a_user_script_named_with_escape_codes_without_sending_them(home):
    scripts = home / "config" / "companion" / "scripts"
    scripts.mkdir()
    (scripts / "\x1b[2Jmine.txt").write_text(HEAD + "Hi.\n")
    result = invoke("list")
    assert result.exit_code == 0 and "\\x1b[2Jmine" in result.stdout
    assert not raw_controls(result.stdout + result.stderr)


@pytest.mark.parametrize("text, shown", [
    ("\x1b]0;pwned\x07\x1b[2J", "\\x1b]0;pwned\\x07\\x1b[2J"),
    ("tab\there", "tab\\x09here"),
    ("del\x7f c1\x85\x9b", "del\\x7f c1\\x85\\x9b"),
    ("café — 日本語 🙂", "café — 日本語 🙂"),
    ("two\nlines", "two\\x0alines"),
    ("bad byte \udcff", "bad byte \\xff"),
])
def test_visible_shows_every_control_character(text, shown):
    assert visible(text) == shown
    assert not raw_controls(visible(text)) and visible(text).encode("utf-8")


def test_visible_keeps_line_breaks_only_when_asked():
    assert visible("a\nb\x1b", newlines=True) == "a\nb\\x1b"


def test_the_engine_refuses_a_line_longer_than_a_script_may_hold(tmp_path):
    from companion.voice.engine import EngineError
    from companion.voice.engine import Pyttsx3Engine

    with pytest.raises(EngineError, match="at most 600"):
        Pyttsx3Engine().render("w" * (MAX_SPOKEN_CHARS + 1), tmp_path / "x.wav", None, 140)
    assert not (tmp_path / "x.wav").exists()


def test_a_closed_caption_pipe_ends_a_text_session_as_stopped(home):
    """`companion play --text return | head -2`: it stops when head has gone, and the journal says so."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    # espeak-ng's guide: every line's length is known at once (a cold natural voice is still rendering
    # the second line when head leaves, and planned_s is what was planned by then).
    play = subprocess.Popen([sys.executable, "-m", "companion", "play", "--text", "--voice", "gmw/en-us", "return"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-2"], stdin=play.stdout, stdout=subprocess.PIPE)
    play.stdout.close()  # head alone reads it: when head exits, the pipe is closed
    shown, _ = head.communicate(timeout=120)
    stderr = play.communicate(timeout=120)[1].decode()
    assert shown.decode().splitlines()[0] == "Coming back with one true sentence"
    assert play.returncode == 0 and stderr == ""  # no "Exception ignored ... BrokenPipeError" either
    log = subprocess.run([sys.executable, "-m", "companion", "log", "--json"], env=env, capture_output=True, check=True)
    (row,) = json.loads(log.stdout)
    assert row["sequence"] == "return" and row["end_reason"] == "stopped" and row["completed"] is False
    assert row["played_s"] < row["planned_s"] / 2


def test_the_pauses_quick_scan_leaves_an_over_long_first_line_to_the_parser():
    from companion.first_line.scan import first_spoken_line

    assert first_spoken_line(HEAD + "w" * MAX_SPOKEN_CHARS + "\n").text == "w" * MAX_SPOKEN_CHARS
    assert first_spoken_line(HEAD + "w" * (MAX_SPOKEN_CHARS + 1) + "\n") is None


def test_a_pipe_among_the_users_scripts_is_skipped_not_waited_on(home):
    scripts = home / "config" / "companion" / "scripts"
    scripts.mkdir()
    os.mkfifo(scripts / "pipe.txt")
    (scripts / "folder.txt").mkdir()
    result = invoke("list")
    assert result.exit_code == 0
    assert "pipe.txt:1:1: found not a regular file" in result.stderr and "folder.txt:1:1: found a folder" in result.stderr


def test_check_errors_on_an_unknown_placeholder_at_file_line_column(home):
    path = write(home, HEAD + "[safety]\nYou: I'll be back in {minuts} minutes.\nAt {return_time}, {{literally}}.\n")
    result = invoke("check", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"{path}:5:22: found an unknown placeholder '{{minuts}}'; expected one of "
                                     "{minutes}, {return_time}, {help}, {A}, {B}")
    fixed = write(home, HEAD + "[safety]\nYou: I'll be back in {minutes} minutes.\n")
    assert invoke("check", fixed).exit_code == 0


def test_list_shows_the_new_moments(home):
    result = invoke("list")
    assert result.exit_code == 0
    for name in ("night", "next-day", "before-talk", "followed", "not-back", "texting", "boat"):
        assert f"{name} " in result.stdout or f"{name}\n" in result.stdout, name


def test_a_script_of_one_step_is_one_step(home):
    result = invoke("check", write(home, HEAD + "Hi.\n"))
    assert result.exit_code == 0 and ": ok ('T', 1 step)" in result.stdout
