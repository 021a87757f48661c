"""The paired sequences (issue 12) held to the library's standards, and to what a pair needs.

Who leaves and who reaches: each A/B example line in these scripts is marked by
the writer with a `# side: leaving|reaching|neither` comment on the line before
it. The tests hold the marks to a balance (both partners voice both sides, and
the leaving side opens with A in some sequences and with B in others); they
cannot judge whether a mark is true of its line: a reader does that.
"""

import re

import pytest

from companion.library import builtin_scripts
from companion.playback.player import Lengths
from companion.script import Breathe, Pause, Sound, Speak, Turn
from companion.playback.timeline import plan
from tests.test_library import INSTRUCTION, JARGON, SAFETY, SEQUENCES, sentences, spoken, words_per_sentence

PAIRS = ("agreement", "repair", "reunion", "checkin", "soft-start")
ALL_PAIRS = sorted(name for name, s in SEQUENCES.items() if s.for_ == "pair")
SIDE = re.compile(r"^#\s*side:\s*(leaving|reaching|neither)\s*$")
SAY_BACK = re.compile(r"\bsay\b.*\bback\b", re.IGNORECASE)
MINUTES = (4, 12)


def examples(name):
    """(role, side, text) for each A/B line, the side from the comment just above it."""
    lines = builtin_scripts()[name].read_text(encoding="utf-8").splitlines()
    found = []
    for step in SEQUENCES[name].steps:
        if isinstance(step, Speak) and step.role in ("A", "B"):
            mark = SIDE.match(lines[step.line - 2]) if step.line >= 2 else None
            found.append((step.role, mark.group(1) if mark else None, step.text))
    return found


def turns(name):
    return [s for s in SEQUENCES[name].steps if isinstance(s, Turn)]


def test_the_paired_sequences_of_the_issue_are_there():
    assert set(PAIRS) <= set(ALL_PAIRS)
    for name in PAIRS:
        assert (SEQUENCES[name].for_, SEQUENCES[name].moment) == ("pair", "together")
        assert SEQUENCES[name].summary and SEQUENCES[name].title


@pytest.mark.parametrize("name", PAIRS)
def test_the_safety_line_comes_early_and_once(name):
    lines = spoken(SEQUENCES[name])
    assert lines.count(SAFETY) == 1 and lines.index(SAFETY) < 3


@pytest.mark.parametrize("name", PAIRS)
def test_sentences_are_as_short_as_in_a_conflict(name):
    assert words_per_sentence([SEQUENCES[name]]) <= 10
    longest = max(sentences(SEQUENCES[name]), key=lambda s: len(s.split()))
    assert len(longest.split()) <= 20, longest


@pytest.mark.parametrize("name", PAIRS)
def test_every_instruction_is_followed_by_time_to_do_it(name):
    steps = SEQUENCES[name].steps
    for step, after in zip(steps, steps[1:] + (None,)):
        if isinstance(step, Speak) and step.role == "guide" and INSTRUCTION.match(step.text):
            enough = (isinstance(after, Pause) and not after.natural and after.seconds >= 3) or \
                isinstance(after, (Breathe, Turn, Sound))
            assert enough, f"{name}:{step.line}: {step.text!r} needs at least 3 s after it"


@pytest.mark.parametrize("name", PAIRS)
def test_no_labels_or_jargon_even_in_the_partners_mouths(name):
    for text in spoken(SEQUENCES[name]):
        assert not JARGON.search(text), f"{name}: {text!r}"


@pytest.mark.parametrize("name", ALL_PAIRS)
def test_every_pair_sequence_has_real_turns_and_example_lines_for_a_and_b(name):
    steps = SEQUENCES[name].steps
    assert {s.role for s in steps if isinstance(s, Speak)} >= {"A", "B"}
    assert {t.who for t in turns(name)} >= {"A", "B"}


@pytest.mark.parametrize("name", PAIRS)
def test_every_turn_says_what_to_do_and_gives_real_time(name):
    for turn in turns(name):
        assert turn.prompt, f"{name}:{turn.line}: a turn with nothing asked"
        assert 15 <= turn.limit_s <= 90, f"{name}:{turn.line}: {turn.limit_s} s"


@pytest.mark.parametrize("name", ["agreement", "repair", "checkin", "soft-start"])
def test_each_partner_says_back_what_the_other_said(name):
    assert {t.who for t in turns(name) if SAY_BACK.search(t.prompt)} == {"A", "B"}


def test_the_agreement_ends_with_each_saying_it_back():
    last = turns("agreement")[-2:]
    assert {t.who for t in last} == {"A", "B"}
    assert all(SAY_BACK.search(t.prompt) and "agreement" in t.prompt for t in last)


@pytest.mark.parametrize("name", ALL_PAIRS)
def test_every_example_line_is_marked_with_its_side(name):
    found = examples(name)
    assert found
    for role, side, text in found:
        assert side is not None, f"{name}: {role}: {text!r} has no '# side:' line above it"


@pytest.mark.parametrize("name", ALL_PAIRS)
def test_each_sequence_voices_both_sides_of_the_dance(name):
    sides = {side for _, side, _ in examples(name)}
    assert {"leaving", "reaching"} <= sides


def test_a_is_not_always_the_one_who_leaves():
    found = [(role, side) for name in ALL_PAIRS for role, side, _ in examples(name)]
    for role in ("A", "B"):
        assert (role, "leaving") in found and (role, "reaching") in found, role
    first_to_leave = {next(role for role, side, _ in examples(name) if side == "leaving") for name in ALL_PAIRS}
    assert first_to_leave == {"A", "B"}


def test_in_the_dancefloor_each_partner_voices_both_sides():
    found = {(role, side) for role, side, _ in examples("dancefloor")}
    assert {("A", "leaving"), ("A", "reaching"), ("B", "leaving"), ("B", "reaching")} <= found


def test_measured_lengths_leave_time_for_two(warm_clips):
    low, high = MINUTES
    for name in PAIRS:
        minutes = plan(SEQUENCES[name].steps, Lengths(warm_clips)).seconds / 60
        assert low <= minutes <= high, f"{name}: {minutes:.1f} min, expected {low}-{high}"
