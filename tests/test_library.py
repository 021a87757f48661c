"""The built-in sequences: what the program speaks is held to the brief.

Every figure is computed from the parsed scripts, never kept by hand.
"""

import re

import pytest

from companion.library import builtin_scripts
from companion.playback.player import Lengths
from companion.script import Breathe, Pause, Sound, Speak, Turn, parse_file
from companion.playback.timeline import plan

SAFETY = ("Flooding is not danger. Danger is violence or threats. Or thoughts of hurting yourself, or ending your "
          "life. Or thoughts of hurting someone. Or fear of your partner. If so, get safe and get help now.")
SEQUENCES = {name: parse_file(path) for name, path in builtin_scripts().items()}
# What a person is asked to do or notice: the line must be followed by time to do it.
INSTRUCTION = re.compile(r"^(Notice|Feel|Put|Place|Let|Press|Soften|Unclench|Drop|Look|Name|Say|Find|Rest|Open|Turn|"
                         r"Bring|Ask|Move|Take|Listen|Stay|Sit|Lower|Relax|Count|Wiggle|Push|Keep|Hold|Tell|Imagine)\b")
JARGON = re.compile(r"\b(avoidant|anxious|narcissis\w*|attachment style|trauma\w*|nervous system|dysregulat\w*|"
                    r"co-?regulat\w*|diagnos\w*|disorder)\b", re.IGNORECASE)
# The table: (for, moment, minimum and maximum measured minutes).
BRIEF = {
    "stay": ("leaving", "conflict", 4, 8), "sit": ("reaching", "conflict", 4, 8),
    "soften-reaching": ("leaving", "conflict", 3, 6), "soften-leaving": ("reaching", "conflict", 3, 6),
    "underneath": ("both", None, 5, 8), "boat": ("leaving", "conflict", 3, 6), "return": ("both", None, 2, 4),
    "dancefloor": ("pair", "together", 8, 13),
    "night": ("both", "conflict", 2, 6), "next-day": ("both", "conflict", 2, 6),
    "before-talk": ("both", "conflict", 2, 6), "followed": ("leaving", "conflict", 2, 6),
    "not-back": ("reaching", "conflict", 2, 6), "texting": ("both", "conflict", 2, 6),
    # issue 18's four moments still without a sequence
    "threatened": ("reaching", "conflict", 2, 6), "coming-back": ("leaving", "conflict", 2, 6),
    "regret": ("both", "conflict", 2, 6), "both-flooded": ("pair", "conflict", 2, 6),
}


def spoken(sequence):
    return [s.text if isinstance(s, Speak) else s.prompt for s in sequence.steps
            if isinstance(s, Speak) or (isinstance(s, Turn) and s.prompt)]


def sentences(sequence):
    return [part for text in spoken(sequence) for part in re.split(r"[.?!;]+", text) if part.strip()]


def words_per_sentence(sequences):
    found = [len(s.split()) for seq in sequences for s in sentences(seq)]
    return sum(found) / len(found)


def test_the_library_has_every_sequence_of_the_brief():
    for name, (for_, moment, _, _) in BRIEF.items():
        assert SEQUENCES[name].for_ == for_
        assert moment is None or SEQUENCES[name].moment == moment
    daily = [s for s in SEQUENCES.values() if s.moment == "daily" and s.id.startswith("daily-")]
    assert {s.for_ for s in daily} >= {"leaving", "reaching", "both"}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_every_sequence_says_who_and_when(name):
    sequence = SEQUENCES[name]
    assert sequence.moment in ("conflict", "daily", "together") and sequence.summary


@pytest.mark.parametrize("name", sorted(n for n, s in SEQUENCES.items() if s.moment in ("conflict", "together")))
def test_conflict_and_pair_sequences_say_the_safety_line_early_and_once(name):
    steps = [s for s in SEQUENCES[name].steps if isinstance(s, Speak)]
    marked = [s for s in steps if s.safety]
    assert len(marked) == 1 and marked[0].text == SAFETY  # the [safety] directive, its words from _spoken.toml
    assert steps.index(marked[0]) < 3
    assert spoken(SEQUENCES[name]).count(SAFETY) == 1  # never also written out by hand


def test_the_safety_line_is_written_once_in_the_library():
    from companion.paths import builtin

    texts = [p.read_text(encoding="utf-8") for p in builtin("scripts").glob("*.txt")]
    assert not [t for t in texts if "Flooding is not danger." in t]
    assert SAFETY in (builtin("scripts") / "_spoken.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_every_placeholder_is_one_the_session_fills(name):
    from companion.spoken import PLACEHOLDERS, Spoken

    for step in SEQUENCES[name].steps:
        if isinstance(step, Speak) and step.template:
            assert set(re.findall(r"\{(\w+)\}", step.text)) <= set(PLACEHOLDERS)
    filled = [s.text for s in Spoken(minutes=30).steps(SEQUENCES[name].steps) if isinstance(s, Speak)]
    assert not [t for t in filled if "{" in t or "}" in t]


def test_stay_and_sit_never_name_a_break_length_of_their_own():
    for name in ("stay", "sit"):
        assert not [t for t in spoken(SEQUENCES[name]) if re.search(r"\btwenty\b|\b20\b", t)], name
    assert any("{return_time}" in t for t in spoken(SEQUENCES["sit"]))


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_words_modelled_for_the_listener_are_in_their_own_voice(name):
    """A line the listener is to say to a partner is not the guide's: it has the `you` voice."""
    for step in SEQUENCES[name].steps:
        if isinstance(step, Speak) and step.role == "guide":
            assert not re.match(r"(I'm flooded|I'm scared|I'm not leaving you|I need a)", step.text), step.text
            assert not re.match(r"(Something like|It might be|Or|Maybe), \w", step.text), step.text


def test_sentences_are_short_across_the_library():
    assert words_per_sentence(SEQUENCES.values()) <= 12


@pytest.mark.parametrize("name", sorted(n for n, s in SEQUENCES.items() if s.moment == "conflict"))
def test_sentences_are_shorter_still_in_a_conflict(name):
    assert words_per_sentence([SEQUENCES[name]]) <= 10


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_every_instruction_is_followed_by_time_to_do_it(name):
    # The words an instruction models (the `you` voice) belong to it: the time comes after them.
    steps = tuple(s for s in SEQUENCES[name].steps if not (isinstance(s, Speak) and s.role == "you"))
    for step, after in zip(steps, steps[1:] + (None,)):
        if isinstance(step, Speak) and step.role == "guide" and INSTRUCTION.match(step.text):
            enough = (isinstance(after, Pause) and not after.natural and after.seconds >= 3) or \
                isinstance(after, (Breathe, Turn, Sound))
            assert enough, f"{name}:{step.line}: {step.text!r} needs at least 3 s after it"


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_no_labels_or_jargon(name):
    for text in spoken(SEQUENCES[name]):
        assert not JARGON.search(text), f"{name}: {text!r}"


def test_the_pair_sequence_uses_both_voices_and_real_turns():
    steps = SEQUENCES["dancefloor"].steps
    assert {s.role for s in steps if isinstance(s, Speak)} >= {"A", "B"}
    assert {s.who for s in steps if isinstance(s, Turn)} >= {"A", "B"}


def test_measured_lengths_are_those_of_the_brief(warm_clips):
    for name, sequence in SEQUENCES.items():
        minutes = plan(sequence.steps, Lengths(warm_clips)).seconds / 60
        low, high = BRIEF[name][2:] if name in BRIEF else (4, 12) if sequence.for_ == "pair" else (2, 4)
        assert low <= minutes <= high, f"{name}: {minutes:.1f} min, expected {low}-{high}"
