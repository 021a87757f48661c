"""The lines a session speaks itself, as data (scripts/_spoken.toml): the shipped file is valid, a
broken one is located at file:line:column, a user's own replaces keys and falls back in one line,
and neither prepare nor the pause's first word needs to know more than the data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from companion import lines
from companion.script import check_file
from tests.test_cli import home, invoke  # noqa: F401  (home: the CLI tests' private folders)

SHIPPED = Path(__file__).resolve().parent.parent / "scripts" / "_spoken.toml"


def test_the_shipped_file_is_the_one_read_and_holds_every_key_valid():
    assert lines.shipped_path().resolve() == SHIPPED
    checked = check_file(SHIPPED)
    assert checked.errors == [] and checked.warnings == []
    found, problems = lines.check_text(SHIPPED.read_text(encoding="utf-8"))
    assert problems == [] and set(found) == set(lines.KEYS)
    count = sum(1 if isinstance(held, str) else len(held) for held in found.values())
    assert len(checked.sequence.steps) == count  # every line, shown and playable with example values
    assert all("{" not in step.text for step in checked.sequence.steps)


def test_the_words_are_those_the_pause_has_always_said():
    from companion.pause import pulse, waits
    from companion.pause.flow import staying

    assert staying()[0] == "You're staying. Keep your feet on the floor."
    assert waits.announcement("leaving", "21:40", 20) == [
        "I'm flooded. I'm not leaving you. I'll be back at 21:40.", "A break of 20 minutes.",
        "Go somewhere you can be alone. Walk, sit, drink some water.",
        "You don't have to think about the fight. I'll ring a bell when it's time."]
    assert waits.announcement("reaching", "21:40") == [
        "You're holding off until 21:40. No texts or calls to them. No following. Calling for help is always fine.",
        "Stay with your own body for now. I'll ring a bell when it's time."]
    assert waits.back_to_the_break("21:40")[0] == "Back to your break. The bell still rings at 21:40."
    assert len(waits.cues("reaching")) >= 1 and len(waits.cues("leaving")) == 4
    assert pulse.verdict(112, break_minutes=2.5) == [
        "About 112 beats a minute. That's over the flooding line. If your chest hurts, or you feel faint, call the emergency number.",
        "A flooded body rarely listens well. Yours likely can't, right now.",
        "Take a break before you talk again. 2.5 minutes is a good start."]
    assert pulse.verdict(60)[0] == "About 60 beats a minute. That's under the flooding line."
    spoken = [s.text for s in pulse.count_steps() if s.kind == "speak"]
    assert spoken == list(pulse.instructions()) and spoken[1].startswith("Put two fingers")
    assert [s.seconds for s in pulse.count_steps() if s.kind == "pause"][:3] == [5, 5, 3]


def test_a_line_naming_a_value_not_given_is_left_out():
    assert lines.said("pause.break.announcement", minutes="30")[0] == "A break of 30 minutes."
    assert not any("minutes" in line for line in lines.said("pause.break.announcement"))
    assert lines.said("pause.break.yours") == []  # it names the return time


def shipped_with(old: str, new: str) -> str:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def row_of(text: str, part: str) -> int:
    return next(n for n, row in enumerate(text.split("\n"), 1) if part in row)


@pytest.mark.parametrize("old, new, at, found, expected", [
    ("until {return_time}.", "until {at}.", "until {at}", "an unknown placeholder '{at}' in 'pause.hold-off.announcement'",
     "one of {return_time}, {minutes}"),
    ("Feet on the ground.", "Feet on the {minutes}.", "Feet on the {minutes}",
     "an unknown placeholder '{minutes}' in 'pause.break.cues'", "no placeholder in this line"),
    ("in your head, notice it.", "in your head { notice it.", "in your head {", "a lone '{' in 'pause.break.cues'",
     "'{{' or '}}' for a brace"),
    ("\n[pause.pulse]\n", "\n[pause.pulse\n", "[pause.pulse", "invalid TOML", 'key = "words"'),
    ('"Press gently until you feel the beat.",\n', "", "instructions = [", "3 lines in 'pause.pulse.instructions'",
     "exactly 4"),
    ("cues = [\n", "cuess = [\n", "cuess = [", "an unknown key 'pause.break.cuess'", "'pause.break.cues'"),
    ('"Hold", ', "", "cues = [", "2 lines in 'breathe.cues'", "exactly 3"),
    ("Let your hands rest.", "Let your hands rest.\\u001b[2J", "Let your hands rest.",
     "a control character or a line break in 'pause.hold-off.cues'", "one line of plain words"),
    ('staying = [\n', 'staying = [\n    "' + "w" * 601 + '",\n', "w" * 601,
     "a line of 601 characters in 'pause.staying'", "at most 600"),
    ('staying = [\n', 'staying = [\n    20,\n', "staying = [", "a number in 'pause.staying'", "a line in quotes"),
    ('"You\'re staying. Keep your feet on the floor.",\n    "Let the out-breath be the long one. You can still ask for a '
     'break later.",\n', "", "staying = [", "an empty list in 'pause.staying'", "a list of lines in quotes"),
])
def test_each_problem_is_one_located_line(home, old, new, at, found, expected):
    text = shipped_with(old, new)
    path = home / "_spoken.toml"
    path.write_text(text, encoding="utf-8")
    result = invoke("check", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    (said,) = result.stderr.splitlines()  # one mistake, one line
    assert said.startswith(f"{path}:{row_of(text, at)}:") and f"found {found}" in said and expected in said
    assert "\x1b" not in said


def test_the_column_points_at_the_bad_placeholder():
    text = shipped_with("until {return_time}.", "until {at}.")
    (problem,) = lines.check_text(text)[1]
    row = text.split("\n")[problem[0] - 1]
    assert row[problem[1] - 1:].startswith("{at}")


def test_the_shipped_file_must_hold_every_key_a_users_may_hold_some(home):
    import re

    text = re.sub(r"\ncues = \[\n.*?\]\n", "\n", SHIPPED.read_text(encoding="utf-8"), count=1, flags=re.S)
    found, problems = lines.check_text(text)
    assert [p[2] for p in problems] == ["no 'pause.break.cues'"]
    assert problems[0][0] == row_of(text, "[pause.break]")  # where it belongs
    assert lines.check_text(text, partial=True)[1] == []
    mine = home / "config" / "companion" / "scripts"
    mine.mkdir(parents=True)
    (mine / "_spoken.toml").write_text('[pause]\nstaying = ["Stay. Feet down."]\n', encoding="utf-8")
    result = invoke("check", str(mine / "_spoken.toml"))
    assert result.exit_code == 0 and "ok ('Lines a session speaks itself', 1 step)" in result.stdout


def test_a_users_own_lines_replace_the_built_in_ones_and_a_broken_file_falls_back_in_one_line(home):
    from companion.pause.flow import staying

    built_in = staying()
    mine = home / "config" / "companion" / "scripts"
    mine.mkdir(parents=True)
    (mine / "_spoken.toml").write_text('[pause]\nstaying = ["Stay. Feet down."]\n', encoding="utf-8")
    assert lines.said("pause.staying") == ["Stay. Feet down."]
    assert lines.said("pause.break.cues")[0] == "Still on your break. Let the out-breath be the long one."
    (mine / "_spoken.toml").write_text('[pause]\nstaying = ["Stay {here}."]\n', encoding="utf-8")
    said = []
    assert tuple(lines.lines(warn=said.append)["pause.staying"]) == built_in
    (message,) = said
    assert message.startswith(f"companion: {mine / '_spoken.toml'}:2:") and "'{here}'" in message
    assert message.endswith("; speaking the built-in lines instead")
    lines.lines(warn=said.append)
    assert len(said) == 1  # said once, not at every line


def test_prepare_renders_every_line_it_can_from_the_data_alone(home):
    code = ("import sys\n"
            "from companion.prepare import _utterances\n"
            "texts = {text for _, text in _utterances()}\n"
            "assert not [m for m in sys.modules if m.startswith('companion.pause')], 'prepare knows the pause'\n"
            "print('\\n'.join(sorted(texts)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                          cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert done.returncode == 0, done.stderr
    texts = set(done.stdout.splitlines())
    for key in lines.KEYS:
        for line in lines.said(key, minutes="20"):  # the configured break (20 by default) filled in
            assert line in texts, (key, line)
    assert "A break of 20 minutes." in texts and "A flooded body rarely listens well. Yours likely can't, right now." in texts
    assert not any("{" in text for text in texts)


def test_the_first_line_path_does_not_read_the_data(home):
    code = ("import sys\n"
            "from companion.pause import moment\nfrom companion.first_line import scan, sides\n"
            "sides.read('leaving')\n"
            "print(sorted(m for m in sys.modules if m.startswith('companion')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                          cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "'companion.pause.moment'" in done.stdout and "companion.lines" not in done.stdout


@pytest.mark.parametrize("make, found", [
    (lambda p: p.mkdir(), "a folder, a device or a pipe"),
    (lambda p: os.mkfifo(p), "a folder, a device or a pipe"),  # never read: it would wait for ever
    (lambda p: p.write_bytes(b'[pause]\nstaying = ["\xff"]\n'), "a file that cannot be read"),
    (lambda p: p.write_text("# " + "x" * 100_001), "a file over 100,000 characters"),
])
def test_a_users_file_that_cannot_be_read_falls_back_too(home, make, found):
    mine = home / "config" / "companion" / "scripts"
    mine.mkdir(parents=True)
    make(mine / "_spoken.toml")
    said = []
    assert lines.lines(warn=said.append)["pause.staying"][0] == "You're staying. Keep your feet on the floor."
    (message,) = said
    assert f"_spoken.toml:1:1: found {found}" in message


HEAD = '+++\ntitle = "T"\n+++\n'


def test_a_breath_says_the_words_of_the_data(home):
    from companion.playback.player import Lengths
    from companion.playback.timeline import plan
    from companion.script import parse
    from tests.fakes import FakeClips

    mine = home / "config" / "companion" / "scripts"
    mine.mkdir(parents=True)
    (mine / "_spoken.toml").write_text('[breathe]\ncues = ["In now", "Wait", "Out slowly"]\n', encoding="utf-8")
    steps = parse(HEAD + "[breathe in 4 hold 2 out 6 x2]\n", sounds=frozenset()).steps
    events = plan(steps, Lengths(FakeClips())).events
    assert [e.text for e in events] == ["In now", "Wait", "Out slowly", "", "", ""]  # said in the first cycle
    assert events[3].caption == "In now  2/2"


def test_a_built_in_file_that_cannot_be_read_is_an_error_where_a_script_needs_it(home, monkeypatch, tmp_path):
    from companion.script import check

    broken = tmp_path / "_spoken.toml"
    broken.write_text(shipped_with("Hold", "Hold {"), encoding="utf-8")
    monkeypatch.setattr(lines, "shipped_path", lambda: broken)
    monkeypatch.setattr(lines, "_shipped", {})
    monkeypatch.setattr(lines, "_cache", {})
    checked = check(HEAD + "Hello.\n[breathe in 4 out 6]\n[safety]\n", sounds=frozenset())
    assert [(e.line, e.column) for e in checked.errors] == [(5, 2), (6, 2)]
    assert all(f"{broken}:" in e.found and "a lone '{'" in e.found for e in checked.errors)


def test_a_break_of_one_minute_is_said_in_the_singular():
    from companion.spoken import fill

    said = [fill(text, {"minutes": m}) for text, m in [("A break of {minutes} minutes.", "1"),
                                                       ("A break lasts {minutes} minutes.", "11"),
                                                       ("{minutes} minutes is a good start.", "0.1")]]
    assert said == ["A break of 1 minute.", "A break lasts 11 minutes.", "0.1 minutes is a good start."]
