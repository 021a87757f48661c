"""Where help is (issue 18): the safety line names what danger means, and right after it the help
line names the emergency number and, where the table knows one, a national crisis line. The table
is data (scripts/_help.toml) a person can correct; an unknown time zone says how to set one, once."""

import re
import time
import tomllib
from pathlib import Path

import pytest

from companion.playback import outputs
from companion.script import parse
from companion.lines import safety_text
from companion.spoken import HELP_FILE, HOW_TO_SET, Help, Spoken, country_of, help_table
from tests.test_cli import home, invoke  # noqa: F401  (home: the CLI tests' private folders)

TABLE = Path(__file__).resolve().parent.parent / "scripts" / HELP_FILE
ONE_LINE = '+++\ntitle = "Tiny"\nfor = "both"\n+++\nYou are here.\n[safety]\nFeel your feet.\n[pause 1s]\n'


def said(help, hint=False):
    steps = parse(ONE_LINE).steps
    return [s.text for s in Spoken(minutes=20, help=help, hint=hint).steps(steps) if s.kind == "speak"]


def test_the_safety_line_names_what_danger_means_in_short_sentences():
    line = safety_text()
    for named in ("violence", "threats", "hurting yourself", "ending your life", "hurting someone", "fear of your partner",
                  "get help now"):
        assert named in line, named
    for sentence in re.split(r"(?<=[.!?])\s+", line):
        assert len(sentence.split()) <= 12, sentence


def test_the_table_is_the_shipped_file_and_every_line_in_it_says_where_it_came_from():
    assert help_table() == tomllib.loads(TABLE.read_text(encoding="utf-8"))["country"]
    crisis = [c for c in help_table() if "crisis" in c]
    assert len(crisis) >= 10
    for country in help_table():
        assert country["zones"] and re.fullmatch(r"\d{3}", country["emergency"]), country["name"]
    for country in crisis:
        assert re.fullmatch(r"[\d ]{3,}", country["crisis"]), country["name"]
        assert country["source"].startswith("https://") and re.fullmatch(r"\d{4}-\d\d-\d\d", country["checked"])
    assert "no number was\n# dialled or looked up online" in TABLE.read_text(encoding="utf-8")  # how they were checked


@pytest.mark.parametrize("zone, emergency, crisis", [
    ("Europe/London", "9 9 9", "1 1 6 1 2 3"), ("America/Chicago", "9 1 1", "9 8 8"),
    ("America/Toronto", "9 1 1", "9 8 8"), ("Europe/Berlin", "1 1 2", "0 8 0 0 1 1 1 0 1 1 1"),
    ("Australia/Sydney", "0 0 0", "13 11 14"), ("Pacific/Auckland", "1 1 1", "1 7 3 7"),
    ("Asia/Kolkata", "1 1 2", "1 4 4 1 6"), ("Europe/Paris", "1 1 2", "3 1 1 4")])
def test_a_known_zone_says_the_safety_line_then_its_emergency_number_and_crisis_line(zone, emergency, crisis):
    lines = said(Help(zone=zone), hint=None)
    assert lines[1] == safety_text()
    assert lines[2].startswith(f"Help: call {emergency}, the emergency number. Or a crisis line")
    assert lines[2].endswith(f"{crisis}.")
    assert lines[3] == "Feel your feet."  # no advice on setting one: the table knows this zone


def test_a_zone_the_table_knows_only_by_its_region_says_the_emergency_number_alone():
    assert Help(zone="Europe/Rome").spoken == "Help: call 1 1 2, the emergency number."
    assert Help(zone="America/Mexico_City").short == "call 911, the emergency number"
    assert Help(zone="America/Lima").short == "call your local emergency number"  # not 911: Peru has its own
    assert country_of("Europe/Dublin")["crisis"] == "116 123"  # an exact zone wins over "Europe/"


def test_an_unknown_zone_says_the_local_emergency_number_and_how_to_set_a_crisis_line():
    lines = said(Help(zone="Asia/Tokyo"), hint=True)
    assert lines[1:4] == [safety_text(), "Help: call your local emergency number.", HOW_TO_SET]
    assert said(Help(zone="Asia/Tokyo"), hint=False)[3] == "Feel your feet."


def test_how_to_set_one_is_said_once_on_the_first_run_only(home):
    first = said(Help(zone="Asia/Tokyo"), hint=None)
    again = said(Help(zone="Asia/Tokyo"), hint=None)
    assert HOW_TO_SET in first and HOW_TO_SET not in again


def test_a_help_setting_replaces_the_table(home):
    assert said(Help("Call 988"), hint=None)[2:] == ["Help: Call 9 8 8.", "Feel your feet."]


def test_a_table_that_cannot_be_read_still_says_where_help_is(monkeypatch):
    import companion.paths

    monkeypatch.setattr(companion.paths, "builtin", lambda name: Path("/nonexistent"))
    assert Help(zone="Europe/London").spoken == "Help: call your local emergency number."


@pytest.mark.parametrize("zone, expected", [
    ("Europe/London", ["999", "116 123", "Samaritans", "https://www.samaritans.org", "checked 2026-12-07", HELP_FILE]),
    ("Asia/Tokyo", ["not set; after the safety line: call your local emergency number", "Asia/Tokyo, not in",
                    HELP_FILE, 'To name a crisis line near you, set help = "..." in']),
])
def test_doctor_says_where_help_is_and_how_to_set_one(home, monkeypatch, zone, expected):
    monkeypatch.setenv("TZ", zone)
    out = invoke("doctor").output
    line = next(row for row in out.splitlines() if "help" in row and ("safety line" in row))
    for part in expected:
        assert part in line, (part, line)


class FastCaptions(outputs.ClockOutput):
    """Captions only, on a clock 20 times as fast as real time: a test of what is said, not when."""

    def __init__(self):
        start = time.monotonic()
        super().__init__(clock=lambda: start + (time.monotonic() - start) * 20)


@pytest.mark.parametrize("zone, heard", [("Europe/London", "Or a crisis line, Samaritans: 116 123."),
                                         ("Asia/Tokyo", HOW_TO_SET)])
def test_a_session_shows_the_safety_line_and_where_help_is(home, monkeypatch, zone, heard):
    monkeypatch.setenv("TZ", zone)
    path = home / "tiny.txt"
    path.write_text(ONE_LINE, encoding="utf-8")
    # --text keeps each caption up as long as it would be heard (10 s a run in real time); the fastest rate
    # keeps the clips short to render
    monkeypatch.setattr(outputs, "ClockOutput", FastCaptions)
    out = invoke("play", str(path), "--text", "--rate", "400").output
    assert "Or fear of your partner." in out and heard in out
    assert out.index("get help now") < out.index(heard) < out.index("Feel your feet.")
    if zone == "Asia/Tokyo":
        assert HOW_TO_SET not in invoke("play", str(path), "--text", "--rate", "400").output  # once, on the first run
