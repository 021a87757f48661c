"""The break agreement: its fields and checks, the words said back, kept privately; typed at the end
of `companion together agreement` (over pipes), shown by `together --agreement`, kept to by a pause."""

import json
import os
import signal
import stat

import pytest

import companion.cli  # noqa: F401  (first: the commands import one another through it)
from companion.together import agreement as kept
from companion.together.agreement import Agreement, AgreementError, check_field, check_minutes
from tests.test_cli import home, invoke  # noqa: F401  (the fixture)

NAMES = {"A": "Sam", "B": "Alex"}
FIELDS = dict(word="Anchor", minutes=30, place_A="the park", place_B="the kitchen",
              sentence_A="I'm flooded. I'm not leaving you", sentence_B="I need air, I'll be back",
              way_back="We sit quietly for a minute first")


def made(**changes):
    return Agreement(NAMES, made="2026-11-30", **(FIELDS | changes))


# -- the fields ---------------------------------------------------------------------------------
@pytest.mark.parametrize("key, value, said", [
    ("word", "   ", "the signal word is empty; type a few words"),
    ("word", "W" * 31, "the signal word is longer than 30 characters"),
    ("word", "Anc\x1bhor", "the signal word holds a control character"),
    ("place_B", "the \u202ekitchen", "where Alex goes holds a control character"),
    ("sentence_A", "x" * 161, "Sam's sentence is longer than 160"),
    ("way_back", "", "the way back is empty"),
    ("minutes", "soon", "'soon' is not a whole number of minutes; type one from 5 to 180"),
    ("minutes", "", "no number of minutes was typed"),
    ("minutes", "4", "4 minutes is outside 5 to 180"),
    ("minutes", "181", "181 minutes is outside 5 to 180"),
    ("minutes", "2.5", "not a whole number"),
    ("minutes", "\x1b[A", "that is not a whole number"),  # an arrow key's bytes are not shown raw
    ("minutes", True, "not a whole number"),
])
def test_each_field_is_refused_with_one_clear_line(key, value, said):
    with pytest.raises(ValueError, match=said.replace("(", r"\(")) as caught:
        check_field(key, value, NAMES)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)


def test_good_answers_are_cleaned():
    assert [check_minutes(v) for v in ("30", " 45 min ", "20 minutes", 60, "5", "180")] == [30, 45, 20, 60, 5, 180]
    assert check_field("place_A", "  the   park \t", NAMES) == "the park"


def test_an_agreement_round_trips_and_a_wrong_one_is_refused():
    agreement = made()
    data = agreement.to_dict()
    assert data["places"] == {"A": "the park", "B": "the kitchen"} and data["minutes"] == 30
    assert Agreement.from_dict(json.loads(json.dumps(data))) == agreement
    for broken, said in ((data | {"minutes": 500}, "outside 5 to 180"), ({**data, "places": {"A": "x"}}, "lacks"),
                         (data | {"names": {"A": "Sam", "B": "sam"}}, "the same"), ([1, 2], "not an agreement"),
                         (data | {"word": None}, "the signal word is empty")):
        with pytest.raises(AgreementError, match=said):
            Agreement.from_dict(broken)


# -- said back, and in a pause -------------------------------------------------------------------
def test_said_back_names_both_partners_and_every_part():
    lines = kept.said_back(made())
    spoken = [text for text, _ in lines]
    assert spoken[:5] == ["You agreed on this, on a calm day.", "Your signal word: Anchor.", "A break lasts 30 minutes.",
                          "Sam goes to: the park.", "Alex goes to: the kitchen."]
    assert "Sam says: I'm flooded. I'm not leaving you." in spoken and "Alex says: I need air, I'll be back." in spoken
    assert "The way back: We sit quietly for a minute first." in spoken
    captions = [caption for _, caption in lines]
    assert 'Sam says: "I\'m flooded. I\'m not leaving you."' in captions  # shown as the words to say
    assert not any(text.endswith("..") or text.endswith("!.") for text in spoken)
    assert "Your signal word: Stop!" in [t for t, _ in kept.said_back(made(word="Stop!"))]


def test_the_same_sentence_is_said_once_for_both():
    lines = kept.said_back(made(sentence_B="i'm flooded, i'm not leaving you."))
    assert [t for t, _ in lines if " say" in t] == ["You both say: I'm flooded. I'm not leaving you."]


def test_a_pause_says_the_word_and_both_sentences_with_the_said_backs_own_lines():
    back = {text for text, _ in kept.said_back(made())}
    pause = [text for text, _ in kept.pause_lines(made())]
    assert pause[:2] == ["You agreed on this, on a calm day.", "Your signal word: Anchor."]
    assert pause[2:4] == ["Sam says: I'm flooded. I'm not leaving you.", "Alex says: I need air, I'll be back."]
    assert pause[-1].startswith("Face your partner.")
    assert set(pause[:-1]) <= back  # rendered when said back: in the speech cache before the pause needs them
    steps = kept.steps(kept.pause_lines(made()))
    assert all(s.kind == "speak" and s.role == "guide" for s in steps) and steps[2].caption.startswith('Sam says: "')


def test_the_wording_lives_beside_the_safety_line():
    from companion.lines import shipped_path
    from companion.lines import safety_text

    text = shipped_path().read_text(encoding="utf-8")
    assert "[agreement]" in text and 'same_sentence = "You both say: {sentence}"' in text
    assert safety_text().startswith("Flooding is not danger.")  # the table after it leaves it whole
    assert set(kept.words()) >= {"agreed", "word", "sentence", "pause", "kept"}


# -- kept, privately -----------------------------------------------------------------------------
@pytest.fixture
def xdg(tmp_path, monkeypatch):
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / "xdg" / name.lower()))
    return tmp_path / "xdg"


def test_kept_private_whatever_the_umask_and_replaced_whole(xdg):
    old = os.umask(0o000)
    try:
        assert kept.load() is None
        kept.save(made())
        kept.save(made(minutes=45))
    finally:
        os.umask(old)
    path = kept.path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert kept.load() == made(minutes=45)
    assert os.listdir(path.parent) == ["agreement.json"]  # no temporary file left beside it


@pytest.mark.parametrize("content, said", [("{not json", "it is not JSON"), ('{"word": "x"}', "lacks"),
                                           (b"\xff\xfe", "cannot be read")])
def test_a_damaged_file_is_one_line_and_treated_as_none(xdg, content, said):
    path = kept.path()
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(AgreementError, match=said) as caught:
        kept.load()
    assert str(path) in str(caught.value) and "companion together agreement" in str(caught.value)
    said_lines = []
    assert kept.for_pause(said_lines.append) is None and len(said_lines) == 1 and "\n" not in said_lines[0]


# -- together --agreement ---------------------------------------------------------------------------
def test_together_agreement_shows_none_then_the_kept_one(home):
    result = invoke("together", "--agreement")
    assert result.exit_code == 0
    assert result.output == "No break agreement is kept yet; make one together: companion together agreement\n"
    assert invoke("together", "--agreement", "--json").output.strip() == "null"
    kept.save(made())
    shown = invoke("together", "--agreement")
    assert shown.exit_code == 0 and shown.output.splitlines()[0] == "Your break agreement, Sam and Alex (made 2026-11-30):"
    assert '  Sam says:     "I\'m flooded. I\'m not leaving you"' in shown.output
    assert "a break of 30 minutes" in shown.output
    data = json.loads(invoke("together", "--agreement", "--json").output)
    assert data["sentences"]["B"] == "I need air, I'll be back" and data["names"] == NAMES
    alone = invoke("together", "--json")
    assert alone.exit_code == 2 and "--json goes with --agreement" in alone.output


def test_together_agreement_with_a_damaged_file_says_so_in_one_line(home):
    kept.path().parent.mkdir(parents=True)
    kept.path().write_text("{")
    result = invoke("together", "--agreement")
    assert result.exit_code == 0 and "is damaged (it is not JSON)" in result.output
    assert "No break agreement is kept yet" in result.output and "Traceback" not in result.output


# -- typed at the end of the sequence, over pipes -------------------------------------------------------
TINY = ('+++\ntitle = "Tiny agreement"\nfor = "pair"\nmoment = "together"\n+++\n'
        "Hello {A} and {B}.\n[turn A up to 30s] Say it back.\n")


def tiny_agreement(home):
    """A script of the user's own named agreement: the built-in's ending, in seconds."""
    folder = home / "config" / "companion" / "scripts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agreement.txt").write_text(TINY)


def start(home, *args, before=()):
    from tests.test_together import Piped

    run = Piped(home, "together", "agreement", "--text", "--a", "Sam", "--b", "Alex", *args)
    answer(run, before)
    run.wait_for("Sam: your turn")
    run.send(" ")  # the last turn ends: then the typing
    run.wait_for("Type your agreement")
    return run


def answer(run, pairs):
    for prompt, typed in pairs:
        run.wait_for(prompt)
        run.send(typed + "\n")


def test_typed_said_back_kept_then_rated_and_enter_keeps_last_times(home):
    tiny_agreement(home)
    run = start(home, before=[("Sam, how much", "6"), ("Alex, how much", "7")])
    answer(run, [("The signal word for I'm flooded: ", "Anchor"), ("How long a break lasts, in minutes (5-180): ", "soon"),
                 ("type one from 5 to 180", "30"), ("Where Sam goes for a break: ", "the park"),
                 ("Where Alex goes for a break: ", "the kitchen"), ("What Sam says before going: ", "I'm flooded"),
                 ("What Alex says before going: ", "I need air"), ("The way back", "We sit first")])
    said = kept.said_back(Agreement(NAMES, word="Anchor", minutes=30, place_A="the park", place_B="the kitchen",
                                    sentence_A="I'm flooded", sentence_B="I need air", way_back="We sit first"))
    for _, caption in said:  # each line shown, then skipped: not waited for in real time
        run.wait_for(caption)
        run.send("n")
    answer(run, [("Sam, and now", "3"), ("Alex, and now", "4")])
    assert run.finish() == 0, run.seen
    out = run.seen
    assert "companion: 'soon' is not a whole number of minutes; type one from 5 to 180, such as 20" in out
    assert out.count("How long a break lasts") == 2  # asked again
    assert out.index("Alex says: \"I need air.\"") < out.index("It's kept.") < out.index("Sam, and now")
    assert kept.load() == Agreement(NAMES, word="Anchor", minutes=30, place_A="the park", place_B="the kitchen",
                                    sentence_A="I'm flooded", sentence_B="I need air", way_back="We sit first")
    assert stat.S_IMODE(kept.path().stat().st_mode) == 0o600
    row = json.loads(invoke("log", "--json").output)[0]
    assert row["completed"] and row["partners"][0]["distress_after"] == 3  # the ratings after, as ever
    # again: Enter keeps each answer, a new one replaces it
    again = start(home, "--no-rating")
    answer(again, [("(Enter: Anchor): ", ""), ("(Enter: 30): ", "45"), ("(Enter: the park): ", ""),
                   ("(Enter: the kitchen): ", ""), ("(Enter: I'm flooded): ", ""), ("(Enter: I need air): ", ""),
                   ("(Enter: We sit first): ", "")])
    again.wait_for("You agreed on this, on a calm day.")
    again.send("q")  # the said-back stopped: the agreement was kept before it began
    assert again.finish() == 0, again.seen
    assert kept.load().minutes == 45 and kept.load().place_B == "the kitchen"


def test_ctrl_c_while_typing_keeps_nothing_and_changes_nothing(home):
    tiny_agreement(home)
    kept.save(made())
    before = kept.path().read_bytes()
    run = start(home, "--no-rating")
    answer(run, [("(Enter: Anchor): ", "Harbour"), ("(Enter: 30): ", "")])
    run.wait_for("Where Sam goes")
    run.process.send_signal(signal.SIGINT)
    assert run.finish() == 130, run.seen
    assert "The agreement is not kept; nothing was changed." in run.seen and "Traceback" not in run.seen
    assert kept.path().read_bytes() == before
    assert os.listdir(kept.path().parent).count("agreement.json") == 1
    assert not [n for n in os.listdir(kept.path().parent) if n.startswith(".tmp")]


def test_the_end_of_the_input_with_nothing_kept_is_one_line_and_no_file(home):
    tiny_agreement(home)
    run = start(home, "--no-rating")
    answer(run, [("The signal word", "Anchor")])
    run.wait_for("How long a break lasts")
    assert run.finish() == 2
    assert "companion: nothing was typed for the break's length, so the agreement is not kept" in run.seen
    assert not kept.path().exists() and "Traceback" not in run.seen


# -- the guided pause keeps to it ------------------------------------------------------------------
def run_pause(tmp_path, keys_plan, **kwargs):
    from tests.test_pause import pause_flow

    return pause_flow(tmp_path, keys_plan, **kwargs)


def test_a_pause_on_the_leaving_side_takes_the_agreed_length_and_says_the_words(xdg, tmp_path, capsys):
    kept.save(made())
    code, (row,), _ = run_pause(tmp_path, {"question": ["l"], "choice": ["\n"]})
    out = capsys.readouterr().out
    assert code == 0 and row["break_minutes"] == 30 and row["stage"] == "done"
    assert "Enter: 30 minutes" in out  # the break's question offers the agreed length
    words = out.index('Sam says: "I\'m flooded. I\'m not leaving you."')
    assert out.index("Your signal word: Anchor.") < words < out.index('Alex says: "I need air, I\'ll be back."')
    assert words < out.index("I'll be back at 21:50.\"")  # before the break is announced, with the agreed time
    assert out.index("║  back at") < words  # (its box is on screen at once, before any of it is said)


def test_minutes_given_win_and_the_words_are_still_said(xdg, tmp_path, capsys):
    kept.save(made())
    code, (row,), _ = run_pause(tmp_path, {}, side="leaving", minutes=20)
    out = capsys.readouterr().out
    assert row["break_minutes"] == 20 and "I'll be back at 21:40." in out and "Your signal word: Anchor." in out


def test_the_hold_off_waits_the_agreed_length_without_the_leaving_words(xdg, tmp_path, capsys):
    kept.save(made(minutes=45))
    code, (row,), _ = run_pause(tmp_path, {}, side="reaching")
    out = capsys.readouterr().out
    assert code == 0 and row["break_minutes"] == 45 and "Holding off until 22:05" in out
    assert "Your signal word" not in out


def test_no_agreement_and_a_damaged_one_leave_the_pause_as_it_was(xdg, tmp_path, capsys):
    code, (row,), _ = run_pause(tmp_path, {"choice": ["\n"]}, side="leaving")
    assert row["break_minutes"] == 20 and "Your signal word" not in capsys.readouterr().out
    kept.path().write_text("{")
    code, (row, _), _ = run_pause(tmp_path, {"choice": ["\n"]}, side="leaving")
    out = capsys.readouterr().out
    assert code == 0 and row["break_minutes"] == 20 and row["stage"] == "done"
    assert out.count("is damaged (it is not JSON)") == 1


def test_q_while_the_words_are_said_is_journalled_there(xdg, tmp_path):
    kept.save(made())
    code, (row,), _ = run_pause(tmp_path, {"choice": ["\n"], "agreement": [(1, "q")]}, side="leaving")
    assert code == 0 and (row["stage"], row["end_reason"], row["break_minutes"]) == ("agreement", "stopped", 30)
