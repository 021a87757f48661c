"""The turn policy on an injected clock: nothing here waits for real time."""

import pytest

from companion.together.turns import CUE_LEAD_S, EXTEND_S, GRACE_S, MAX_EXTENSIONS, Together
from tests.fakes import FakeClock


def kinds(actions):
    return [a.kind for a in actions]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def pair(clock):
    return Together(clock)


def test_the_soft_cue_comes_15_s_before_the_limit_and_only_once(pair, clock):
    pair.begin_turn("A", 90)
    clock.sleep(74.9)
    assert pair.tick() == []
    clock.sleep(0.2)
    (cue,) = pair.tick()
    assert (cue.kind, cue.who, cue.at) == ("cue", "A", 1000 + 90 - CUE_LEAD_S)
    clock.sleep(1)
    assert pair.tick() == []


@pytest.mark.parametrize("limit, cue_at", [(15, 12), (60, 48)])
def test_a_shorter_turn_is_cued_a_fifth_of_its_length_before_the_end(pair, clock, limit, cue_at):
    pair.begin_turn("B", limit)
    clock.sleep(cue_at - 0.1)
    assert pair.tick() == []
    clock.sleep(0.2)
    assert kinds(pair.tick()) == ["cue"]


def test_at_the_limit_the_speaker_finishes_the_sentence_then_the_turn_ends(pair, clock):
    turn = pair.begin_turn("A", 60)
    clock.sleep(60)
    assert kinds(pair.tick()) == ["cue", "wrap"]
    assert not turn.ended and turn.state == "wrapping"
    clock.sleep(GRACE_S - 0.1)
    assert pair.tick() == []
    clock.sleep(0.1)
    (end,) = pair.tick()
    assert (end.kind, end.reason, end.at) == ("end", "time", 1000 + 60 + GRACE_S)
    assert turn.ended


@pytest.mark.parametrize("key", [" ", "\n", "\r"])
def test_space_or_enter_ends_the_turn_at_once(pair, clock, key):
    turn = pair.begin_turn("B", 60)
    clock.sleep(20)
    (end,) = pair.key(key)
    assert (end.kind, end.who, end.reason, end.at) == ("end", "B", "key", 1020)
    assert turn.ended


def test_is_there_more_gives_another_stretch_and_a_new_cue(pair, clock):
    turn = pair.begin_turn("A", 60)
    clock.sleep(50)
    assert kinds(pair.tick()) == ["cue"]
    (more,) = pair.key("m")
    assert (more.kind, more.limit) == ("extend", 60 + EXTEND_S)
    clock.sleep(10)  # the old limit passes: nothing happens
    assert pair.tick() == [] and turn.state == "speaking"
    clock.sleep(21.9)  # the stretch from the key was 40 s: cued a fifth of it, 8 s, before its end (82 s)
    assert pair.tick() == []
    clock.sleep(0.2)
    assert kinds(pair.tick()) == ["cue"]


def test_is_there_more_while_wrapping_gives_a_full_stretch_from_now(pair, clock):
    turn = pair.begin_turn("A", 60)
    clock.sleep(62)
    assert kinds(pair.tick()) == ["cue", "wrap"]
    (more,) = pair.key("M")
    assert more.limit == 62 + EXTEND_S and turn.state == "speaking"
    clock.sleep(EXTEND_S)
    assert kinds(pair.tick()) == ["cue", "wrap"]


def test_more_is_capped(pair, clock):
    turn = pair.begin_turn("B", 60)
    for _ in range(MAX_EXTENSIONS):
        assert kinds(pair.key("m")) == ["extend"]
    assert pair.key("m") == []
    assert turn.extensions == MAX_EXTENSIONS
    clock.sleep(60 + MAX_EXTENSIONS * EXTEND_S + GRACE_S)
    assert kinds(pair.tick()) == ["cue", "wrap", "end"]


def test_a_late_tick_reports_what_came_due_in_order_with_its_times(pair, clock):
    pair.begin_turn("A", 30)
    clock.sleep(100)
    actions = pair.tick()
    assert kinds(actions) == ["cue", "wrap", "end"]
    assert [a.at for a in actions] == [1024, 1030, 1030 + GRACE_S]


@pytest.mark.parametrize("key", ["x", "X", "!"])
def test_flooded_at_any_moment_in_a_turn_stops_its_clock(pair, clock, key):
    turn = pair.begin_turn("A", 60)
    clock.sleep(20)
    (flooded,) = pair.key(key)
    assert (flooded.kind, flooded.count, flooded.who, flooded.at) == ("flooded", 1, "", 1020)
    assert pair.paused
    clock.sleep(600)  # a ten minute break
    assert pair.tick() == [] and turn.remaining() == 40
    assert pair.key(" ") == [] and pair.key("m") == []  # keys answer the program's question now
    pair.resume()
    assert not pair.paused and turn.remaining() == 40
    clock.sleep(27.9)  # the cue was due at 48 s of the turn's own time
    assert pair.tick() == []
    clock.sleep(0.2)
    assert kinds(pair.tick()) == ["cue"]


def test_flooded_between_turns_and_after_a_turn_ended(pair, clock):
    assert kinds(pair.key("x")) == ["flooded"]  # before any turn
    pair.resume()
    pair.begin_turn("B", 10)
    pair.key("\n")
    (flooded,) = pair.key("!")  # after the turn ended: still the sequence pauses
    assert flooded.count == 2


def test_flooded_is_counted_once_a_flood(pair, clock):
    pair.begin_turn("A", 60)
    assert kinds(pair.key("x")) == ["flooded"]
    assert pair.key("x") == [] and pair.key("!") == []
    pair.resume()
    clock.sleep(5)
    (again,) = pair.key("x")
    assert again.count == 2 and pair.flooded == 2


def test_what_was_due_before_a_flood_is_still_said_first(pair, clock):
    pair.begin_turn("A", 60)
    clock.sleep(50)
    assert kinds(pair.key("x")) == ["cue", "flooded"]


def test_a_both_turn_is_one_shared_stretch(pair, clock):
    turn = pair.begin_turn("both", 60)
    assert pair.key("m") == []  # nobody to ask "is there more?"
    clock.sleep(48)
    (cue,) = pair.tick()
    assert (cue.kind, cue.who) == ("cue", "both")
    clock.sleep(12)
    (end,) = pair.tick()  # no sentence to finish: it ends at the limit
    assert (end.kind, end.reason, end.at) == ("end", "time", 1060)
    assert turn.ended


def test_a_both_turn_ends_for_both_on_one_key(pair, clock):
    turn = pair.begin_turn("both", 60)
    assert kinds(pair.key(" ")) == ["end"] and turn.ended


def test_keys_and_ticks_after_the_end_do_nothing(pair, clock):
    turn = pair.begin_turn("A", 60)
    pair.key(" ")
    for key in (" ", "\n", "m", "q", "a"):
        assert pair.key(key) == []
    clock.sleep(200)
    assert pair.tick() == [] and turn.ended and turn.extensions == 0


def test_other_keys_mean_nothing_to_the_turn(pair, clock):
    turn = pair.begin_turn("A", 60)
    for key in ("a", "b", "n", "q", "1"):
        assert pair.key(key) == []
    assert turn.state == "speaking"


def test_a_new_turn_replaces_the_last(pair, clock):
    pair.begin_turn("A", 60)
    pair.key(" ")
    turn = pair.begin_turn("B", 20)
    clock.sleep(16)
    (cue,) = pair.tick()
    assert cue.who == "B" and not turn.ended


@pytest.mark.parametrize("who, limit", [("C", 60), ("A", 0), ("B", -5)])
def test_a_turn_that_cannot_be_is_refused(pair, who, limit):
    with pytest.raises(ValueError):
        pair.begin_turn(who, limit)


def test_a_turn_begun_a_moment_ago_counts_from_when_it_began(pair, clock):
    turn = pair.begin_turn("A", 60, elapsed_s=10)  # the sound was 10 s into it when the policy took it
    assert turn.remaining() == 50
    clock.sleep(37.9)
    assert pair.tick() == []
    clock.sleep(0.2)
    (cue,) = pair.tick()
    assert cue.at == 1000 - 10 + 60 - 12  # a fifth of the whole turn before its limit
