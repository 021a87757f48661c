"""The pure core of `companion record` on synthetic takes: where speech is, trimming, the one level,
what is wrong with a take, when a take stops, and which lines are asked for."""

import numpy as np
import pytest

from companion.record import takes
from companion.record.asked import Line, asked, missing
from companion.script import parse
from companion.voice import loudness

RATE = 22_050
OVERLAP_S = (takes.WINDOW_FRAMES - takes.HOP_FRAMES) / RATE  # a 50 ms window reaching 40 ms into speech is speech


def pcm(*parts) -> bytes:
    return np.concatenate(parts).astype("<i2").tobytes()


def quiet(seconds, noise_dbfs=-65.0, seed=0):
    """A room: white noise at `noise_dbfs` RMS (or digital silence for None)."""
    n = round(seconds * RATE)
    if noise_dbfs is None:
        return np.zeros(n)
    return np.random.default_rng(seed).normal(0, 32768 * 10 ** (noise_dbfs / 20), n)


def speech(seconds, dbfs=-25.0, seed=1):
    """Speech-like: a 180 Hz voice with harmonics, its loudness rising and falling 4 times a second."""
    t = np.arange(round(seconds * RATE)) / RATE
    voice = sum(np.sin(2 * np.pi * 180 * k * t) / k for k in (1, 2, 3, 4))
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t - np.pi / 2)
    wave = voice * envelope
    return wave / np.sqrt(np.mean(wave ** 2)) * 32768 * 10 ** (dbfs / 20)


def test_trim_keeps_the_speech_and_a_short_margin_only():
    take = pcm(quiet(1.0), speech(2.0), quiet(1.5))
    trimmed = takes.trim(take)
    seconds = len(trimmed) / 2 / RATE
    assert 2.0 - 0.1 < seconds < 2.0 + takes.MARGIN_BEFORE_S + takes.MARGIN_AFTER_S + 2 * OVERLAP_S + 0.02
    start = takes.speech_span(take)[0] / RATE
    assert 1.0 - takes.MARGIN_BEFORE_S - OVERLAP_S - 0.01 < start < 1.0


def test_trim_fades_both_ends_and_leaves_nothing_of_silence():
    trimmed = np.frombuffer(takes.trim(pcm(quiet(0.5), speech(1.0, -15), quiet(0.5))), "<i2")
    assert trimmed[0] == 0 and abs(int(trimmed[-1])) <= 1
    assert takes.trim(pcm(quiet(2.0))) == b""
    assert takes.trim(pcm(quiet(2.0, None))) == b""


def test_trim_finds_speech_when_the_input_was_digital_silence_around_it():
    take = pcm(quiet(0.7, None), speech(1.2), quiet(1.5, None))
    start, end = takes.speech_span(take)
    assert 0.7 - takes.MARGIN_BEFORE_S - OVERLAP_S - 0.01 < start / RATE <= 0.7 - takes.MARGIN_BEFORE_S
    assert 1.9 + takes.MARGIN_AFTER_S <= end / RATE < 1.9 + takes.MARGIN_AFTER_S + OVERLAP_S + 0.01


@pytest.mark.parametrize("dbfs", [-38.0, -30.0, -12.0])
def test_a_kept_take_is_at_the_one_speech_level(dbfs):
    kept = takes.ready(pcm(quiet(0.8), speech(1.5, dbfs), quiet(1.5)))
    assert abs(loudness.loudness_dbfs(kept) - loudness.TARGET_DBFS) < 0.5
    assert loudness.peak_dbfs(kept) <= loudness.CEILING_DBFS + 0.01


def test_a_good_take_has_no_verdict():
    assert takes.verdict(pcm(quiet(0.6), speech(1.5, -24), quiet(1.5))) is None


def test_a_clipped_take_is_named_clipped():
    loud = np.clip(speech(1.5, -3) * 2, -32768, 32767)
    name, advice = takes.verdict(pcm(quiet(0.5), loud, quiet(1.5)))
    assert name == "clipped" and "microphone" in advice


def test_a_too_quiet_take_is_named_too_quiet():
    name, advice = takes.verdict(pcm(quiet(0.5, -80), speech(1.5, -50), quiet(1.5, -80)))
    assert name == "too quiet" and "closer" in advice


@pytest.mark.parametrize("take", [
    pcm(quiet(3.0)),  # nothing said
    pcm(quiet(3.0, None)),  # a muted input
    pcm(quiet(1.0), speech(0.12, -20), quiet(2.0)),  # a click, a cough
])
def test_a_take_of_mostly_silence_is_named_so(take):
    assert takes.verdict(take)[0] == "mostly silence"


def stop_after(take: bytes, block_frames=441) -> float | None:
    """Seconds of `take` fed (in blocks, as the microphone gives them) when the detector said stop."""
    detector = takes.SilenceStop()
    for start in range(0, len(take), block_frames * 2):
        if detector.feed(take[start:start + block_frames * 2]):
            return (start + block_frames * 2) / 2 / RATE
    return None


def test_a_take_stops_after_a_second_and_a_half_of_quiet_that_follows_speech():
    stopped = stop_after(pcm(quiet(0.5), speech(2.0), quiet(5.0)))
    assert 2.5 + takes.STOP_SILENCE_S - 0.1 < stopped < 2.5 + takes.STOP_SILENCE_S + 0.15


def test_a_pause_between_sentences_shorter_than_that_does_not_stop_it():
    take = pcm(quiet(0.5), speech(1.0), quiet(1.2), speech(1.0, seed=3), quiet(3.0))
    assert stop_after(take) > 3.7 + takes.STOP_SILENCE_S - 0.1


def test_quiet_before_any_speech_does_not_stop_it_until_the_no_speech_limit():
    assert stop_after(pcm(quiet(3.0), speech(1.0), quiet(3.0))) > 4.0
    assert abs(stop_after(pcm(quiet(20.0, None))) - takes.NO_SPEECH_S) < 0.1
    assert stop_after(pcm(quiet(0.5), speech(0.05, -20), quiet(5.0))) is None  # a click does not arm it


def test_the_meter_runs_from_the_floor_to_full_scale():
    assert takes.meter(float("-inf")) == 0 and takes.meter(-80) == 0
    assert takes.meter(0) == 1 and takes.meter(-30) == pytest.approx(0.5)


SCRIPT = """+++
title = "Test"
+++
Let your shoulders drop.
You: I'm flooded.
Let   your shoulders   drop.
I'll be back at {return_time}.
You: I'll be back at {return_time}.
You: I'm not leaving you.
[bell]
Feel your feet.
"""


def test_without_a_role_the_guides_lines_are_asked_once_each_without_placeholders():
    found = asked(parse(SCRIPT).steps)
    assert [line.text for line in found.lines] == ["Let your shoulders drop.", "Feel your feet."]
    assert found.filled == 1
    assert found.lines[1].before == "I'm not leaving you."  # the line before, whoever says it


def test_role_you_asks_for_the_you_lines_with_the_line_before_for_context():
    found = asked(parse(SCRIPT).steps, "you")
    assert found.lines == (Line("I'm flooded.", "Let your shoulders drop."),
                           Line("I'm not leaving you.", "I'll be back at {return_time}."))
    assert found.filled == 1


def test_lines_are_kept_by_text_so_an_edited_line_is_asked_again():
    have = {"Let your shoulders drop."}
    edited = SCRIPT.replace("Feel your feet.", "Feel both feet.")
    todo = missing(asked(parse(edited).steps).lines, have.__contains__)
    assert [line.text for line in todo] == ["Feel both feet."]


class FakeMic:
    """Each take: a little room, a second of speech, then the room until the take stops."""

    def start(self):
        self.take = pcm(quiet(0.3), speech(1.0), quiet(3.0))
        self.at = 0

    def stop(self):
        pass

    def read(self, timeout_s):
        chunk = self.take[self.at:self.at + 2205]
        self.at += 2205
        assert chunk, "the take never stopped on the quiet after speech"
        return chunk


class FakeKeys:
    active = True

    def __init__(self, presses):
        self.presses = list(presses)

    def read(self, timeout_s):
        if timeout_s == 0:  # while recording: no key, so the quiet stops the take
            return None
        assert self.presses, "asked for a key the test did not press"
        return self.presses.pop(0)


class FakeScreen:
    def __init__(self):
        self.shown = []

    def caption(self, text):
        self.shown.append(text)

    def status(self, *args, **kwargs):
        pass

    def close(self):
        pass


def test_the_conversation_keeps_redoes_goes_back_and_skips():
    from companion.record.session import Tally, record

    lines = [Line("One."), Line("Two.", "One."), Line("Three.", "Two.")]
    saved, played = [], []
    presses = [" ", "k",  # One: kept
               " ", "r", " ", "b",  # Two: again, then back to One
               "s",  # One: skipped this time (its take stays)
               " ", "\r",  # Two: kept with Enter
               "s"]  # Three: skipped
    tally = record("T", lines, mic=FakeMic(), keys=FakeKeys(presses), screen=FakeScreen(),
                   save=lambda text, take: saved.append((text, take)), play_back=lambda take: played.append(take),
                   tally=Tally())
    assert [text for text, _ in saved] == ["One.", "Two."] and tally.kept == ["One.", "Two."]
    assert tally.skipped == 2 and len(played) == 4  # each good take heard back
    assert all(abs(loudness.loudness_dbfs(take) - loudness.TARGET_DBFS) < 0.5 for _, take in saved)
    assert all(len(take) / 2 / RATE < 1.0 + 0.4 for _, take in saved)  # the room trimmed off


def test_a_bad_take_is_named_and_the_line_offered_again():
    from companion.record.session import Tally, record

    class SilentMic(FakeMic):
        def start(self):
            super().start()
            self.take = pcm(quiet(20.0)) if not hasattr(self, "once") else self.take
            self.once = True

    screen, saved = FakeScreen(), []
    record("T", [Line("One.")], mic=SilentMic(), keys=FakeKeys([" ", " ", "k"]), screen=screen,
           save=lambda text, take: saved.append(text), play_back=lambda take: None, tally=Tally())
    assert any(text.startswith("That take was mostly silence") for text in screen.shown)
    assert saved == ["One."]


def test_the_plan_says_what_each_sequence_has_and_asks_a_shared_line_once():
    from companion.record.asked import plan

    one = parse(SCRIPT, id="one")
    two = parse(SCRIPT.replace("Feel your feet.", "Feel both feet.").replace("Test", "Two"), id="two")
    none = parse('+++\ntitle = "None"\n+++\nYou: Only mine.\n', id="none")
    have = {"Let your shoulders drop."}
    parts = plan([one, none, two], "guide", have.__contains__)
    assert [(p.id, p.have, p.of, p.filled) for p in parts] == [("one", 1, 2, 1), ("two", 1, 2, 1)]
    assert [line.text for line in parts[0].todo] == ["Feel your feet."]
    assert [line.text for line in parts[1].todo] == ["Feel both feet."]
    again = plan([one, one], "you", set().__contains__)
    assert len(again[0].todo) == 2 and again[1].todo == ()  # asked once, counted in both
