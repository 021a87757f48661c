"""Every script, read as a flooded or despairing person hears it (issue 18, "Shown by").

These hold the whole library, the new scripts included, to what a reader found: nothing that a
person with thoughts of ending their life could hear as permission; where help is, wherever danger
is named; every paired sequence saying at once how to stop and that it is not for a relationship
with fear in it; nothing about the partner said as known; each partner voicing both sides.
A test cannot judge whether a hedge is honest: a reader does that. The lists below are kept here,
with the test, so a writer sees what counts.
"""

import re

import pytest

from companion.lines import raw
from companion.playback.player import Lengths
from companion.playback.timeline import RATE_HZ, iter_events
from companion.script import Speak, Turn
from companion.spoken import Help, Spoken
from tests.test_library import SEQUENCES, spoken
from tests.test_pairs import ALL_PAIRS, examples

# A mention of ending a life (one's own or anyone's).
ENDING_A_LIFE = re.compile(r"\b(end(ing)?|take|taking) (your|my|their|a) (own )?life\b|\bsuicid|\bkill (your|my)self\b",
                           re.IGNORECASE)
PERMISSION = re.compile(r"\b(you're|you are) allowed\b|\bit's (okay|ok|fine) to\b|\byou can have that\b", re.IGNORECASE)
# A line naming danger, or sending the listener for help.
DANGER = re.compile(r"\bdanger\b|\bget help\b|\bnot safe\b|\bunsafe\b", re.IGNORECASE)
# The paired sequences' first 30 seconds: how to stop (the key, said aloud), and the fear sentence.
STOP_KEY = re.compile(r"\bpress x\b", re.IGNORECASE)
FEAR = re.compile(r"\bafraid of the other\b.*\bstop here\b.*\bnot for that\b", re.IGNORECASE)
FIRST_S = 30
# A sentence is about the partner (or about both of you, as the dance) when it names them so.
PARTNER = re.compile(
    r"\b(they|they're|they've|they'll|them|their|theirs|your partner|your partner's|the other|the other's|"
    r"the quiet one|the reaching one|the one who (left|waited|pulls away|reaches|went|stayed)|neither of you|"
    r"you were both|you're both|you both|both of you|pulling away|the withdrawal|the reaching|their silence|"
    r"the flat face|following|one of you)\b", re.IGNORECASE)
# ... and says what is inside them: a feeling, a motive, what they are.
INNER = re.compile(
    r"\b(cold|coldness|car(e|es|ing)|blam\w*|accus\w*|fear\w*|afraid|scared|despair|overflow\w*|too (much|full)|"
    r"holding|drown\w*|flood\w*|fail\w*|wound\w*|child\w*|lov(e|es|ed|ing)|bad one|pressure|wants?|mean(s|t)?|"
    r"proof|hurt\w*|angry|anger|desperat\w*|gone|leav(e|es|ing)|lonely|guard\w*|learn\w*|protect\w*|tired|"
    r"trying|read|misread\w*|wrong|right|sure|certain\w*)\b", re.IGNORECASE)
# Words that say a sentence is a likelihood, a possibility, or a feeling, not a known fact.
HEDGES = re.compile(
    r"\b(may|might|maybe|perhaps|often|likely|probably|possibly|usually|tends?|can|could|common|commonly|"
    r"sometimes|seem|seems|seemed|unlikely|if|when|whether|as if|feel|feels|felt|sound|sounds|look|looks|looked|"
    r"land|lands|can't know|won't know|don't know|"
    # what was said or heard is reported, not claimed
    r"said|says|told|heard|named)\b", re.IGNORECASE)
# A sentence that asks or tells the listener to do something says nothing about the partner as fact.
INSTRUCTION = re.compile(
    r"^(Notice|Feel|Put|Place|Let|Press|Soften|Unclench|Drop|Look|Name|Say|Find|Rest|Open|Turn|Bring|Ask|"
    r"Move|Take|Listen|Stay|Sit|Lower|Relax|Count|Push|Keep|Hold|Tell|Imagine|Choose|Agree|Decide|Go|Give|"
    r"Face|Borrow|Thank|Then|Now|No|Not|Before|After|Check|Use|Send|Walk|Wait|Come|Start|Try|Speak|"
    r"Either|Each|Nobody|Nothing|Both of you,|You'll|You can|You don't have to|Don't|Do|Stop|Leave)\b")


def sentences_of(text):
    return [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if s.strip()]


def reads_the_partner(sentence):
    """A clause that names the partner and what is inside them, in a sentence with no hedge."""
    if HEDGES.search(sentence) or INSTRUCTION.match(sentence):
        return False
    return any(PARTNER.search(c) and INNER.search(c) for c in re.split(r",\s*(?:and |but |or )?|;", sentence))


def guide_lines(name):
    return [(s.line, s.text) for s in SEQUENCES[name].steps if isinstance(s, Speak) and s.role == "guide" and not s.safety]


def spoken_steps(name):
    """(line, text, is the safety line) of each spoken line and turn prompt, in order."""
    return [(s.line, s.text if isinstance(s, Speak) else s.prompt, isinstance(s, Speak) and s.safety)
            for s in SEQUENCES[name].steps if isinstance(s, Speak) or (isinstance(s, Turn) and s.prompt)]


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_nothing_after_a_mention_of_ending_a_life_sounds_like_permission(name):
    said = spoken_steps(name)
    for i, (line, text, _) in enumerate(said):
        if ENDING_A_LIFE.search(text):
            for after_line, after, _ in said[i:i + 4]:
                assert not PERMISSION.search(after), f"{name}:{after_line}: {after!r} follows a mention of ending a life"


def test_after_the_life_paragraph_in_boat_every_ending_names_the_relationship():
    said = spoken_steps("boat")
    first = next(i for i, (_, text, _) in enumerate(said) if ENDING_A_LIFE.search(text))
    for line, text, _ in said[first + 1:]:
        if re.search(r"\bend(s|ing)?\b", text, re.IGNORECASE) and not ENDING_A_LIFE.search(text):
            assert "relationship" in text, f"boat:{line}: {text!r}"
    words = " ".join(text for _, text, _ in said).lower()
    for phrase in ("can't do this anymore", "a way out", "cause gone"):
        assert phrase not in words, phrase


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_every_line_naming_danger_says_where_help_is(name):
    said = spoken_steps(name)
    for i, (line, text, safety) in enumerate(said):
        if safety or not DANGER.search(text):
            continue  # the safety line is followed by the help line, always
        follows = said[i + 1][1] if i + 1 < len(said) else ""
        assert "{help}" in text or "{help}" in follows, f"{name}:{line}: {text!r} names danger but not where help is"


def test_the_pause_s_own_lines_never_name_danger_without_help():
    from companion.lines import KEYS

    for key in KEYS:
        held = raw(key)
        for text in [held] if isinstance(held, str) else held:
            assert key == "safety" or not DANGER.search(text), (key, text)


@pytest.fixture(scope="module")
def openings(warm_clips):
    """Each paired sequence's events (espeak-ng guide, a long help line), up to its first minute."""
    found = {}
    for name in ALL_PAIRS:
        spoken = Spoken(minutes=20, help=Help(zone="Europe/Berlin"), hint=False)
        events = []
        for event in iter_events(spoken.steps(SEQUENCES[name].steps), Lengths(warm_clips)):
            if event.start_s > 60:
                break
            events.append(event)
        found[name] = events
    return found


@pytest.mark.parametrize("name", ALL_PAIRS)
def test_every_paired_sequence_says_how_to_stop_and_that_it_is_not_for_fear_within_30_s(openings, name):
    said = [e for e in openings[name] if e.kind == "speech"]
    for pattern, what in ((STOP_KEY, "the stop key, said aloud"), (FEAR, "the fear sentence")):
        event = next((e for e in said if pattern.search(e.text)), None)
        assert event is not None, f"{name}: {what} is not said in the first minute"
        assert event.end / RATE_HZ <= FIRST_S, f"{name}:{event.line}: {what} ends at {event.end / RATE_HZ:.1f} s"
        if pattern is FEAR:
            assert "emergency number" in event.text, f"{name}:{event.line}: the fear sentence says where help is"


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_nothing_about_the_partner_is_said_as_known(name):
    found = []
    for line, text in guide_lines(name):
        for sentence in sentences_of(text):
            if reads_the_partner(sentence):
                found.append(f"{name}:{line}: {sentence!r}")
    assert not found, "about the partner as fact; say what is likely or common (a hedge from HEDGES):\n" + \
        "\n".join(found)


def test_the_pause_s_own_lines_say_nothing_about_the_partner_as_known():
    from companion.lines import KEYS

    for key in KEYS:
        held = raw(key)
        for text in [held] if isinstance(held, str) else held:
            for sentence in sentences_of(text):
                assert key == "safety" or not reads_the_partner(sentence), (key, sentence)


@pytest.mark.parametrize("name", ALL_PAIRS)
def test_in_every_paired_sequence_each_partner_voices_both_sides(name):
    found = {(role, side) for role, side, _ in examples(name)}
    assert {("A", "leaving"), ("A", "reaching"), ("B", "leaving"), ("B", "reaching")} <= found, name


@pytest.mark.parametrize("name", ALL_PAIRS)
def test_partners_are_called_by_name_never_by_letter(name):
    for line, text, _ in spoken_steps(name):
        assert not re.search(r"\bwhich of you is\b|(?<![{\w])[AB](?![}\w])(,|'s| goes| first|\.)|"
                             r"\b(tell|Now|to) [AB](?![}\w])|(?<![{\w])B(?![}\w])", text), f"{name}:{line}: {text!r}: say {{A}} or {{B}}"


def test_followed_says_its_break_words_within_its_first_20_s(warm_clips):
    spoken = Spoken(minutes=20, help=Help(zone="Europe/Berlin"), hint=False)
    for event in iter_events(spoken.steps(SEQUENCES["followed"].steps), Lengths(warm_clips)):
        if event.kind == "speech" and event.role == "you" and "I'm flooded" in event.text:
            assert event.end / RATE_HZ <= 20, f"followed: the break's words end at {event.end / RATE_HZ:.1f} s"
            assert "I'll be back at" in event.text
            return
    pytest.fail("followed never says the break's words")


def test_boat_gives_its_break_a_return_and_the_reason_for_it():
    said = spoken_steps("boat")
    # A promise to return, with no time yet: in a pause the break's question comes next, and its spoken
    # line names the time chosen there (tests/test_pause.py), so boat never says a second, different one.
    yours = [text for _, text, _ in said if "I need a break" in text]
    assert yours and all("I'll be back" in text and "{return_time}" not in text for text in yours)
    reason = next(i for i, (_, text, _) in enumerate(said) if "inside the conversation" in text)
    assert reason < next(i for i, (_, text, _) in enumerate(said) if "I need a break" in text)


# -- the paired sequences, as a coach runs them ----------------------------------------------------------
def prompts(name):
    return [(s.who, s.prompt) for s in SEQUENCES[name].steps if isinstance(s, Turn)]


@pytest.mark.parametrize("name", ["dancefloor", "repair", "checkin", "soft-start"])
def test_after_a_mirror_a_line_of_validation(name):
    mirrors = [(who, p) for who, p in prompts(name) if re.search(r"\bsay back what you heard\b", p, re.IGNORECASE)]
    assert mirrors
    validated = {who for who, p in mirrors if "makes sense" in p}
    assert validated == {"A", "B"}, f"{name}: each partner validates after a mirror"


def test_repair_receives_each_regret_and_ends_with_a_plan_for_next_time():
    turns = prompts("repair")
    assert {who for who, p in turns if "thank you for telling me" in p.lower()} == {"A", "B"}
    who, last = turns[-1]
    assert who == "both" and "plan for next time" in last


def test_the_dancefloor_lets_each_say_what_they_need():
    assert {who for who, p in prompts("dancefloor") if re.search(r"\bneed\b", p)} == {"A", "B"}


def test_the_coach_lines_name_the_partners_when_names_are_known():
    """With --a Sam --b Alex, the guide says the names: "Sam, you go first", never "A, you go first"."""
    said = [s.text for s in Spoken(minutes=20, help=Help("112"), hint=False, names={"A": "Sam", "B": "Alex"})
            .steps(SEQUENCES["dancefloor"].steps) if isinstance(s, Speak)]
    assert "Sam, you go first. Alex, your only job is to listen." in said
    assert not [t for t in said if re.match(r"[AB],", t)]
