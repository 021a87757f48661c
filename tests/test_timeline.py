"""The pure timeline: every event placed at an absolute offset, nothing lost."""

from companion.script import parse
from companion.playback.timeline import LINE_GAP_S, iter_events, plan
from tests.fakes import FakeClips, frames

HEAD = '+++\ntitle = "T"\n+++\n'


class Lengths(FakeClips):
    def speech(self, role, text):
        return self.frames(role, text)

    def asset(self, name):
        return {"bell": 88200, "bell-soft": 66150}[name]


def events_of(body, lengths=None):
    return plan(parse(HEAD + body, sounds=frozenset({"waves"})).steps, lengths or Lengths()).events


def test_events_are_contiguous_from_zero_and_total_is_their_sum():
    events = events_of("One.\nTwo.\n[pause 4s]\n[bell]\nThree.\n[breathe in 4 hold 2 out 6 x2]\n[sound waves 1m]\n")
    assert events[0].start == 0
    for before, after in zip(events, events[1:]):
        assert after.start == before.end
    assert plan(parse(HEAD + "One.\n").steps, Lengths()).frames == 4000


def test_a_short_breath_separates_spoken_lines_but_not_a_pause():
    events = events_of("One.\nTwo.\n[pause 4s]\n")
    assert [(e.kind, e.frames) for e in events] == [
        ("speech", 4000), ("silence", frames(LINE_GAP_S)), ("speech", 4000), ("silence", frames(4))]


def test_speech_carries_role_text_caption_and_line():
    speech = [e for e in events_of("Hello there.\nA: I'm flooded.\n") if e.kind == "speech"]
    assert [(e.role, e.text, e.caption, e.line) for e in speech] == [
        ("guide", "Hello there.", "Hello there.", 4), ("A", "I'm flooded.", "For example, in Partner A's voice: \"I'm flooded.\"", 5)]


def test_breathing_cues_words_in_the_first_cycle_only():
    events = events_of("[breathe in 4 hold 2 out 6 x2]\n")
    assert [(e.asset, e.frames, e.text) for e in events] == [
        ("breath-in", frames(4), "Breathe in"), ("", frames(2), "Hold"), ("breath-out", frames(6), "Breathe out"),
        ("breath-in", frames(4), ""), ("", frames(2), ""), ("breath-out", frames(6), "")]
    assert events[3].caption == "Breathe in  2/2"


def test_a_turn_is_its_prompt_then_a_silent_wait_then_a_soft_bell():
    events = events_of("[turn B up to 1m] Say back what you heard.\n")
    assert [(e.kind, e.frames, e.who or e.asset or e.text) for e in events] == [
        ("speech", 1000 * len("Say back what you heard."), "Say back what you heard."),
        ("turn", frames(60), "B"), ("bell", 66150, "bell-soft")]


def test_sound_lasts_as_written():
    (event,) = events_of("[sound waves 1m 30s]\n")
    assert (event.kind, event.asset, event.frames) == ("sound", "waves", frames(90))


def test_lines_are_measured_lazily_in_order():
    lengths = Lengths()
    steps = parse(HEAD + "One.\nTwo.\nThree.\n").steps
    events = iter_events(steps, lengths)
    first = next(events)
    assert first.text == "One." and lengths.calls == [("guide", "One.")]  # the rest is not yet rendered
    list(events)
    assert [text for _, text in lengths.calls] == ["One.", "Two.", "Three."]


def test_an_hour_long_timeline_has_no_rounding_drift():
    events = events_of("[pause 1s]\nA.\n" * 1800)
    pauses = [e for e in events if e.kind == "silence" and e.frames == frames(1)]
    assert len(pauses) == 1800
    assert pauses[-1].start == 1799 * (frames(1) + 2000)  # no breath gap before a pause
