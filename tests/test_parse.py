"""The script format: what parses, and one located error for what does not."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.script import Bell, Breathe, Pause, ScriptError, Sound, Speak, Turn, parse, parse_file
from companion.script.durations import DurationError, parse_duration

SOUNDS = frozenset({"waves"})
HEAD = '+++\ntitle = "T"\nfor = "pair"\n+++\n'


def body(text: str):
    return parse(HEAD + text, source="s.txt", sounds=SOUNDS)


def error(text: str) -> ScriptError:
    with pytest.raises(ScriptError) as info:
        parse(text, source="s.txt", sounds=SOUNDS)
    return info.value


def test_every_construct_parses():
    sequence = body(
        "# a comment\n"
        "You are here.\n"
        "\n"
        "[pause 1m 30s]\n"
        "[pause 500ms]\n"
        "[bell]\n"
        "[bell soft]\n"
        "[breathe in 4 hold 2 out 6 x4]\n"
        "[breathe in 3 out 5]\n"
        "A: I'm flooded. I'm not leaving you.\n"
        "B: I'm scared.\n"
        "[turn A up to 60s] Tell your partner one thing.\n"
        "[turn both up to 2m]\n"
        "[sound waves 2m]\n"
    )
    assert sequence.title == "T" and sequence.for_ == "pair" and sequence.id == "script"
    assert sequence.steps == (
        Speak(line=6, text="You are here."),
        Pause(line=7, seconds=1.2, natural=True),
        Pause(line=8, seconds=90),
        Pause(line=9, seconds=0.5),
        Bell(line=10),
        Bell(line=11, soft=True),
        Breathe(line=12, in_s=4, hold_s=2, out_s=6, cycles=4),
        Breathe(line=13, in_s=3, out_s=5),
        Speak(line=14, text="I'm flooded. I'm not leaving you.", role="A"),
        Speak(line=15, text="I'm scared.", role="B"),
        Turn(line=16, who="A", limit_s=60, prompt="Tell your partner one thing."),
        Turn(line=17, who="both", limit_s=120),
        Sound(line=18, name="waves", seconds=120),
    )


def test_front_matter_fields_and_trailing_blank_lines():
    sequence = parse('+++\ntitle = "Stay"\nfor = "leaving"\nmoment = "conflict"\nminutes = 6\n'
                     'summary = "For the moment."\n+++\nHello.\n\n\n', sounds=SOUNDS)
    assert (sequence.for_, sequence.moment, sequence.minutes, sequence.summary) == ("leaving", "conflict", 6, "For the moment.")
    assert len(sequence.steps) == 1  # trailing blank lines are not pauses


@pytest.mark.parametrize("text, seconds", [("4s", 4), ("1m 30s", 90), ("500ms", 0.5), ("1h", 3600), ("2.5s", 2.5),
                                           ("1m", 60), ("1m 0s 250ms", 60.25)])
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "-4s", "4", "4x", "0s", "30s 1m", "1m 1m", "s", "4 s", "1e3s"])
def test_bad_durations(text):
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize("script, line, column, found, expected", [
    (HEAD + "[pasue 4s]\n", 5, 2, "unknown directive '[pasue 4s]'", "one of [pause ...]"),
    (HEAD + "Hi.\n[pause 4x]\n", 6, 8, "'4x'", "a duration such as 4s"),
    (HEAD + "[pause -4s]\n", 5, 8, "a negative duration '-4s'", "a duration"),
    (HEAD + "[pause 0s]\n", 5, 8, "a zero duration", "a duration"),
    (HEAD + "[pause 3h]\n", 5, 8, "'3h'", "at most 2h"),
    ('+++\nfor = "both"\n+++\nHi.\n', 1, 1, "no title", "title ="),
    ('+++\ntitle = ""\n+++\nHi.\n', 2, 1, 'title = \'\'', "non-empty string"),
    ('+++\ntitle = "T"\nfor = "everyone"\n+++\nHi.\n', 3, 1, "for = 'everyone'", '"leaving", "reaching"'),
    ('+++\ntitle = "T"\ntitel = "x"\n+++\nHi.\n', 3, 1, "unknown key 'titel'", "one of for, minutes"),
    ('+++\ntitle = "T\n+++\nHi.\n', 2, 1, "invalid TOML", "key = value"),
    ("Hello.\n", 1, 1, "'Hello.'", "a first line '+++'"),
    ('+++\ntitle = "T"\nHi.\n', 4, 1, "the end of the file inside the front matter", "closing it"),
    (HEAD, 5, 1, "an empty body", "at least one line"),
    (HEAD + "# only a comment\n\n", 5, 1, "an empty body", "at least one line"),
    (HEAD + "[bell] ring\n", 5, 7, "text after [bell]", "a line of its own"),
    (HEAD + "[bell loud]\n", 5, 7, "'[bell loud]'", "[bell] or [bell soft]"),
    (HEAD + "[pause 4s\n", 5, 1, "no closing ']'", "a directive"),
    (HEAD + "[]\n", 5, 2, "an empty directive", "one of"),
    (HEAD + "[sound ../../etc/passwd 2m]\n", 5, 8, "a path", "bundled sound: waves"),
    (HEAD + "[sound rain 2m]\n", 5, 8, "an unknown sound 'rain'", "bundled sound: waves"),
    (HEAD + "[breathe in 4 out 60]\n", 5, 9, "out 60", "between 2 and 10"),
    (HEAD + "[breathe in 4]\n", 5, 9, "no 'out'", "[breathe in 4 hold 2 out 6 x4]"),
    (HEAD + "[breathe in four out 4]\n", 5, 13, "'four' after 'in'", "a number of seconds"),
    (HEAD + "[turn C up to 60s]\n", 5, 7, "'C'", "A, B or both"),
    (HEAD + "[turn A for 60s]\n", 5, 7, "'[turn A for 60s]'", "[turn A up to 60s]"),
    (HEAD + "A:\n", 5, 3, "nothing after the voice label", "words to speak"),
    (HEAD + "...\n", 5, 1, "'...'", "words to speak"),
    (HEAD + "Hi\x00there\n", 5, 3, "a control character U+0000", "plain text"),
])
def test_errors_name_file_line_column_found_and_expected(script, line, column, found, expected):
    e = error(script)
    assert (e.line, e.column) == (line, column), str(e)
    assert found in e.found and expected in e.expected, str(e)
    assert re.fullmatch(rf"s\.txt:{line}:{column}: found .+; expected .+", str(e))
    assert "\n" not in str(e)


def test_invalid_utf8_points_at_the_byte(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(HEAD.encode() + b"Hi.\nCaf\xe9 time.\n")
    with pytest.raises(ScriptError) as info:
        parse_file(path, sounds=SOUNDS)
    assert (info.value.line, info.value.column) == (6, 4)
    assert "invalid UTF-8 (byte 0xe9)" in str(info.value)


def test_file_over_one_megabyte(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text(HEAD + "Breathe.\n" * 120_000)
    with pytest.raises(ScriptError) as info:
        parse_file(path, sounds=SOUNDS)
    assert str(info.value).startswith(f"{path}:1:1: found a file of ") and "1 MB" in str(info.value)


def test_missing_file_is_a_script_error(tmp_path):
    with pytest.raises(ScriptError, match="cannot be read"):
        parse_file(tmp_path / "nope.txt", sounds=SOUNDS)


def test_crlf_and_bom_are_accepted():
    sequence = parse("\ufeff+++\r\ntitle = \"T\"\r\n+++\r\nHello.\r\n", sounds=SOUNDS)
    assert sequence.steps == (Speak(line=4, text="Hello."),)


LINE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["[pause 4s]", "[pause -1s]", "[bell]", "[bell soft]", "[breathe in 4 out 6 x2]", "[turn A up to 5s] Go.",
                     "[sound waves 3s]", "A: hi", "B:", "[", "]", "[turn", "# c", "", "+++", "[pause 1m 1m]", "[breathe x1 x2]"]),
)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_sequence_or_a_script_error(text):
    try:
        parse(text, sounds=SOUNDS)
    except ScriptError as e:
        assert e.line >= 1 and e.column >= 1


@settings(max_examples=400, deadline=None)
@given(st.lists(LINE, max_size=12))
def test_any_body_gives_a_sequence_or_a_script_error(lines):
    try:
        sequence = parse(HEAD + "\n".join(lines), sounds=SOUNDS)
    except ScriptError as e:
        assert e.line >= 1 and e.column >= 1
    else:
        for step in sequence.steps:
            if isinstance(step, Speak):
                assert step.text.strip()  # never empty text to espeak-ng


@settings(max_examples=300, deadline=None)
@given(st.lists(LINE, max_size=12))
def test_check_collects_what_parse_raises_first_and_never_raises(lines):
    from companion.script import ScriptErrors, check

    text = HEAD + "\n".join(lines)
    checked = check(text, source="s.txt", sounds=SOUNDS)
    assert [(e.line, e.column) for e in checked.errors] == sorted((e.line, e.column) for e in checked.errors)
    try:
        sequence = parse(text, source="s.txt", sounds=SOUNDS)
    except ScriptErrors as e:
        assert list(map(str, e.errors)) == list(map(str, checked.errors)) and str(e) == str(checked.errors[0])
    else:
        assert not checked.errors and sequence == checked.sequence


# -- [safety], placeholders and the You: voice (issue 9) ------------------------------------
def test_safety_directive_becomes_the_safety_line_from_the_data_file():
    from companion.lines import safety_text

    (step,) = parse(HEAD + "[safety]\n").steps
    assert step.safety and step.role == "guide" and step.text == safety_text()
    assert safety_text().startswith("Flooding is not danger.")


def test_placeholders_are_templates_and_braces_escape():
    plain, template = parse(HEAD + "A {{brace}} here.\nBack in {minutes} minutes, at {return_time}.\n").steps
    assert (plain.text, plain.template) == ("A {brace} here.", False)
    assert template.template and template.text == "Back in {minutes} minutes, at {return_time}."


@pytest.mark.parametrize("line, column, found", [
    ("Back in {minutes} {minute}.\n", 19, "an unknown placeholder '{minute}'"),
    ("  A { lone brace.\n", 5, "a lone '{'"),
    ("You: in {when}.\n", 9, "an unknown placeholder '{when}'"),
])
def test_a_bad_placeholder_is_an_error_at_its_column(line, column, found):
    with pytest.raises(ScriptError) as e:
        parse(HEAD + line, source="s.txt")
    assert str(e.value).startswith(f"s.txt:5:{column}: found {found}; expected ")


def test_spoken_fills_placeholders_and_says_the_safety_line_once():
    from datetime import datetime

    from companion.spoken import Help, Spoken

    steps = parse(HEAD + "[safety]\nYou: Back at {return_time}, in {minutes}. {{ok}} {A}\n[safety]\n").steps
    spoken = Spoken(minutes=30, now=lambda: datetime(2026, 11, 25, 21, 20, 5), help=Help("112"))
    said = list(spoken.steps(steps))
    assert [s.text for s in said[1:]] == ["Help: call 1 1 2.", "Back at 21:51, in 30. {ok} Partner A"]
    assert said[1].caption == "Help: call 112." and said[2].role == "you"
    assert list(spoken.steps(steps[:1])) == []  # said once in a session, never again


def test_the_default_help_names_the_local_emergency_number():
    from companion.spoken import Help

    assert Help(zone="Europe/Berlin").spoken.startswith("Help: call 1 1 2, the emergency number. Or a crisis line")
    assert Help(zone="America/Chicago").shown.startswith("Help: call 911, the emergency number. Or a crisis line")
    assert Help(zone="Europe/London").short.startswith("call 999, the emergency number")
    assert Help(zone="Australia/Sydney").short.startswith("call 000")
    assert Help(zone="Asia/Kolkata").short.startswith("call 112")
    assert Help(zone="Asia/Tokyo").short == "call your local emergency number"
    assert "config.toml" not in Help("Call 988").shown  # a configured one needs no advice


def test_you_label_is_the_listeners_voice_and_captioned_as_theirs():
    from companion.playback.player import Lengths
    from companion.playback.timeline import plan
    from tests.fakes import FakeClips

    (step,) = parse(HEAD + "You: I'm flooded. I'm not leaving you.\n").steps
    assert step.role == "you" and step.text == "I'm flooded. I'm not leaving you."
    (event,) = plan([step], Lengths(FakeClips())).events
    assert event.role == "you" and event.caption == 'You: "I\'m flooded. I\'m not leaving you."'
