"""`companion together`: names, the menu, ratings, the journal row for the pair, log and progress."""

import json
import os
import select
import subprocess
import sys
import time

import pytest

from companion.journal.schema import partners_text
from companion.journal.store import Journal
from companion.journal.transfer import check_session
from companion.practice import report as practice
from companion.practice.history import together_words
from companion.together.menu import menu_lines, shown_menu, suggested
from companion.script.parse import parse
from companion.spoken import Spoken, check_names
from tests.test_cli import home, invoke  # noqa: F401  (the fixture)

PAIR = ('+++\ntitle = "Tiny pair"\nfor = "pair"\nmoment = "together"\nsummary = "Two of you, briefly."\n+++\n'
        "Hello {A} and {B}.\nA: I feel tight.\n[turn A up to 30s]\nB: I hear you.\nThat is all.\n")


def pair_script(home, text=PAIR, name="pair.txt"):
    path = home / name
    path.write_text(text)
    return str(path)


# -- names ------------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b, said", [
    ("", "Alex", "A's name is empty"), ("Sam", "  ", "B's name is empty"), ("S" * 31, "Alex", "longer than 30"),
    ("Sam\x1b", "Alex", "control character"), ("Sam", "sam", "the same"), ("{A}", "Alex", "brace"),
])
def test_bad_names_are_refused_with_the_reason(a, b, said):
    with pytest.raises(ValueError, match=said):
        check_names(a, b)


def test_names_are_stripped():
    assert check_names(" Sam ", "Alex") == {"A": "Sam", "B": "Alex"}


def test_names_fill_placeholders_and_name_the_speaker_in_captions():
    from companion.playback.timeline import iter_events

    class Fixed:
        def speech(self, role, text):
            return 100

        def asset(self, name):
            return 100

    sequence = parse(PAIR)
    steps = list(Spoken(names={"A": "Sam", "B": "Alex"}).steps(sequence.steps))
    captions = [e.caption for e in iter_events(steps, Fixed())]
    texts = [getattr(s, "text", "") for s in steps]
    assert "Hello Sam and Alex." in texts
    assert 'For example, in Sam\'s voice: "I feel tight."' in captions  # an example, not what Sam said
    assert 'For example, in Alex\'s voice: "I hear you."' in captions
    assert "Sam: your turn to speak. Space or Enter when done." in captions
    plain = [e.caption for e in iter_events(list(Spoken().steps(sequence.steps)), Fixed())]
    assert "For example, in Partner A's voice: \"I feel tight.\"" in plain and "Hello Partner A and Partner B." in plain


# -- the menu ---------------------------------------------------------------------------------
def test_the_suggestion_is_one_never_done_else_the_oldest():
    ids = ["agreement", "checkin", "dancefloor"]
    assert suggested(ids, {"agreement": "2026-11-01"}) == "checkin"
    assert suggested(ids, {"agreement": "2026-11-03", "checkin": "2026-11-01", "dancefloor": "2026-11-02"}) == "checkin"


def test_the_menu_has_a_key_summary_and_minutes_each(home):
    result = invoke("together")  # CliRunner's stdin holds nothing: the menu, then one line
    assert result.exit_code == 2 and "no sequence chosen" in result.output
    names = ["agreement", "both-flooded", "checkin", "dancefloor", "repair", "reunion", "soft-start"]
    for number, name in enumerate(names, 1):
        assert f"  {number}  {name}, about " in result.output
    assert "(suggested)" in result.output.splitlines()[1]


def test_a_sequence_for_mid_fight_is_never_the_suggestion(home):
    from companion.journal.store import Journal

    journal = Journal()  # the user's
    journal.start("agreement", "Agreement", "together", "captions")  # done once: the next never done is next
    journal.close()
    result = invoke("together")
    suggested_row = next(row for row in result.output.splitlines() if "(suggested)" in row)
    assert "checkin" in suggested_row and "both-flooded" not in suggested_row


def test_a_sequence_not_for_a_pair_is_refused(home):
    result = invoke("together", "stay", "--a", "Sam", "--b", "Alex")
    assert result.exit_code == 2 and "not a sequence for a pair" in result.output


# -- the journal ------------------------------------------------------------------------------
def test_partners_and_flooded_are_kept_and_read_back_as_a_list(home):
    j = Journal()
    sid = j.start("dancefloor", "The dance floor", "together", "captions")
    people = [{"name": "Sam", "distress_before": 6, "distress_after": 3},
              {"name": "Alex", "distress_before": 7, "distress_after": None}]
    j.add(sid, partners=partners_text(people), flooded=1)
    row = j.recent(1)[0]
    j.close()
    assert row["partners"] == people and row["flooded"] == 1
    assert together_words(row) == "together · Sam 6 → 3 · Alex 7 → ? · flooded 1×"
    assert together_words(dict(row, stage="break", break_minutes=20)) == \
        "together · Sam 6 → 3 · Alex 7 → ? · flooded 1× · a break of 20 min"
    assert together_words(dict(row, stage="break > flooded", break_minutes=20)).endswith(
        "flooded 1× · a break of 20 min · ended for a break")


def test_an_export_with_partners_imports_again():
    row = {"uid": "00000000-0000-4000-8000-000000000000", "sequence": "x", "title": "x", "mode": "together",
           "output": "captions", "started_at": "2026-11-01T10:00:00+00:00", "planned_s": 1, "played_s": 1,
           "position_s": 1, "completed": True, "end_reason": "completed", "flooded": 2,
           "partners": [{"name": "Sam", "distress_before": 6, "distress_after": 3},
                        {"name": "Alex", "distress_before": None, "distress_after": 4}]}
    checked = check_session(row)
    assert json.loads(checked["partners"])[1]["name"] == "Alex" and checked["flooded"] == 2
    with pytest.raises(ValueError, match="a list of two partners"):
        check_session(dict(row, partners=[{"name": "Sam"}]))


def test_each_partners_average_change():
    rows = [json.dumps([{"name": "Sam", "distress_before": 6, "distress_after": 3},
                        {"name": "Alex", "distress_before": 7, "distress_after": 4}]),
            json.dumps([{"name": "Sam", "distress_before": 4, "distress_after": 3},
                        {"name": "Alex", "distress_before": None, "distress_after": 4}]), "not json"]
    assert practice.partner_changes(rows) == [
        {"name": "Sam", "sessions": 2, "rated": 2, "change_avg": -2.0},
        {"name": "Alex", "sessions": 2, "rated": 1, "change_avg": -3.0}]
    lines = practice.together_lines({"together": {"sessions": 2, "partners": practice.partner_changes(rows)}})
    assert lines[0] == "Together: 2 sessions." and "Sam: distress -2.0 on average over 2 rated sessions." in lines[1]


# -- the whole command, over pipes ------------------------------------------------------------
class Piped:
    """`companion ...` with stdin and stdout pipes; waits tied to what it printed."""

    def __init__(self, home, *args):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen([sys.executable, "-m", "companion", *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        self.seen = ""

    def wait_for(self, text: str, limit_s: float = 60) -> None:
        deadline = time.monotonic() + limit_s  # a limit only so a broken program fails the test
        while text not in self.seen:
            assert time.monotonic() < deadline, f"never printed {text!r}; printed:\n{self.seen}"
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                data = os.read(self.process.stdout.fileno(), 4096)
                assert data or text in self.seen, f"ended before {text!r}; printed:\n{self.seen}"
                self.seen += data.decode("utf-8", "replace")

    def send(self, text: str) -> None:
        self.process.stdin.write(text.encode())
        self.process.stdin.flush()

    def finish(self) -> int:
        self.process.stdin.close()
        rest = self.process.stdout.read()
        self.seen += rest.decode("utf-8", "replace")
        return self.process.wait(timeout=60)


def test_together_over_pipes_names_ratings_a_turn_ended_by_a_key_and_one_row(home):
    run = Piped(home, "together", pair_script(home), "--text")
    run.wait_for("Partner A's name: ")
    run.send("Sam\n")
    run.wait_for("Partner B's name: ")
    run.send("Alex\n")
    run.wait_for("Sam, how much distress")
    run.send("6\n")
    run.wait_for("Alex, how much distress")
    run.send("7\n")
    run.wait_for("Sam: your turn to speak")
    run.send(" ")  # ends the 30 s turn early
    run.wait_for("For example, in Alex's voice: \"I hear you.\"")
    run.wait_for("Sam, and now")
    run.send("3\n")
    run.wait_for("Alex, and now")
    run.send("4\n")
    assert run.finish() == 0, run.seen
    assert "Hello Sam and Alex." in run.seen and "For example, in Sam's voice: \"I feel tight.\"" in run.seen
    rows = json.loads(invoke("log", "--json").output)
    assert len(rows) == 1 and rows[0]["mode"] == "together" and rows[0]["flooded"] == 0
    assert rows[0]["partners"] == [{"name": "Sam", "distress_before": 6, "distress_after": 3},
                                   {"name": "Alex", "distress_before": 7, "distress_after": 4}]
    from datetime import datetime

    took = datetime.fromisoformat(rows[0]["ended_at"]) - datetime.fromisoformat(rows[0]["started_at"])
    assert took.total_seconds() < 30  # the turn ended on the key, not at its limit
    assert "together · Sam 6 → 3 · Alex 7 → 4" in invoke("log").output
    progress = invoke("progress").output
    assert "Together: 1 session." in progress and "Sam: distress -3.0 on average" in progress
    # remembered: Enter keeps them
    again = Piped(home, "together", pair_script(home), "--text", "--no-rating")
    again.wait_for("Partner A's name (Enter: Sam): ")
    again.send("\n")
    again.wait_for("Partner B's name (Enter: Alex): ")
    again.send("\n")
    again.wait_for("Sam: your turn to speak")
    again.send("x")  # I'm flooded
    again.wait_for("Which of you is flooded?")
    again.send("b")
    again.wait_for("Alex: Enter to go on")
    again.send("p")
    assert again.finish() == 0, again.seen
    assert "companion pause --leave" in again.seen
    row = json.loads(invoke("log", "--json", "-n", "1").output)[0]
    assert row["flooded"] == 1 and row["stage"] == "flooded" and row["end_reason"] == "stopped"


def test_play_of_a_pair_script_asks_the_names(home):
    result = subprocess.run([sys.executable, "-m", "companion", "play", pair_script(home), "--text"],
                            input=b"", capture_output=True, timeout=60)
    assert result.returncode == 2 and b"Partner A's name" in result.stdout
    assert b"no name for partner A" in result.stderr


def test_render_and_show_with_names(home):
    shown = invoke("show", pair_script(home), "--a", "Sam", "--b", "Alex")
    assert shown.exit_code == 0 and "Hello Sam and Alex." in shown.output
    assert 'For example, in Sam\'s voice: "I feel tight."' in shown.output
    assert "For example, in Alex's voice: \"I hear you.\"" in shown.output
    bad = invoke("show", pair_script(home), "--a", "Sam")
    assert bad.exit_code == 2 and "give both names" in bad.output
    out = home / "x.wav"
    rendered = invoke("render", "dancefloor", "--a", "Sam", "--b", "Alex", "-o", str(out))
    assert rendered.exit_code == 0, rendered.output
    assert out.stat().st_size > 44
    as_json = json.loads(invoke("show", "dancefloor", "--a", "Sam", "--b", "Alex", "--json").output)
    assert any(e["caption"].startswith("For example, in Sam's voice: ") for e in as_json["events"] if e["caption"])


@pytest.mark.parametrize("name", ["all.json", "all.csv"])
def test_a_together_row_exports_and_imports_again(home, name):
    j = Journal()
    sid = j.start("dancefloor", "The dance floor", "together", "captions")
    people = [{"name": "Sam, \"S\"", "distress_before": 6, "distress_after": 3},
              {"name": "Alex", "distress_before": None, "distress_after": 4}]
    j.add(sid, partners=partners_text(people), flooded=2)
    j.close()
    out = home / name
    assert invoke("export", str(out)).exit_code == 0
    assert invoke("forget", "--all", "--yes").exit_code == 0
    result = invoke("import", str(out))
    assert result.exit_code == 0, result.output
    (row,) = json.loads(invoke("log", "--json").output)
    assert row["partners"] == people and row["flooded"] == 2


@pytest.mark.parametrize("columns", [40, 80, 120])
def test_the_menu_wraps_between_words_at_any_width(home, columns, monkeypatch):
    from companion.together.menu import pair_sequences

    pairs = pair_sequences(print)
    suggest = suggested(list(pairs), {})  # as on a new home
    whole = menu_lines(pairs, suggest)
    rows = shown_menu(pairs, suggest, columns - 1)
    assert all(len(row) <= columns - 1 for row in rows), [r for r in rows if len(r) > columns - 1]
    assert " ".join(rows).split() == " ".join(whole).split()  # every word whole, in order
    assert [r for r in rows if r.lstrip()[:1].isdigit()] == [r for r in rows if r.startswith("  ") and
                                                             r[2].isdigit()]  # a new entry only at its number
    assert len(rows) > len(whole)  # it did wrap (the longest entry is over 200 characters)
    monkeypatch.setenv("COLUMNS", str(columns))
    shown = invoke("together").output  # as the terminal gets it
    menu = shown[:shown.index("companion: no sequence chosen")].splitlines()
    assert all(len(row) < columns for row in menu) and " ".join(menu).split() == " ".join(whole).split()


def test_a_turns_prompt_says_the_names_when_they_are_known():
    from companion.playback.timeline import iter_events

    class Fixed:
        def speech(self, role, text):
            return 100

        def asset(self, name):
            return 100

    sequence = parse(PAIR.replace("[turn A up to 30s]", "[turn A up to 30s] {A}, you go first. {B}, listen."))
    named = [e.text for e in iter_events(Spoken(names={"A": "Sam", "B": "Alex"}).steps(sequence.steps), Fixed())
             if e.kind == "speech" and e.role == "guide"]
    assert "Sam, you go first. Alex, listen." in named
    plain = [e.text for e in iter_events(Spoken().steps(sequence.steps), Fixed()) if e.kind == "speech"]
    assert "Partner A, you go first. Partner B, listen." in plain  # no names (show, render): the labels, in words
