"""The caption file beside a rendered sequence (SubRip and WebVTT): pure text from the timeline."""

from companion.playback import captions
from companion.playback.pcm import RATE_HZ as RATE
from companion.playback.timeline import Event, Timeline


def timeline(*events):
    return Timeline([Event(*e) for e in events])


def test_only_spoken_lines_become_cues_at_their_first_and_last_frame():
    t = timeline(("speech", 0, RATE, "You are here.", 1, "guide", "You are here."),
                 ("silence", RATE, RATE * 30),
                 ("turn", RATE * 31, RATE * 3, "A: your turn to speak. Space or Enter when done."),
                 ("bell", RATE * 34, RATE, "(bell)"),
                 ("speech", RATE * 3600 + 11025, 2205, 'You: "I\'ll wait."', 2, "you", "I'll wait."))
    assert captions.srt(captions.cues(t)) == (
        "1\n00:00:00,000 --> 00:00:01,000\nYou are here.\n\n"
        "2\n01:00:00,500 --> 01:00:00,600\nYou: \"I'll wait.\"\n\n")
    assert captions.vtt(captions.cues(t)) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nYou are here.\n\n"
        "01:00:00.500 --> 01:00:00.600\nYou: \"I'll wait.\"\n\n")


def test_a_cue_is_one_line_that_cannot_end_itself_or_reach_the_terminal():
    text = "Stay <here> & breathe\n\n2\n00:00 --> 00:01\x1b[2J"
    found = [(0, RATE, text)]
    srt = captions.srt(found).split("\n")
    assert srt[2] == "Stay <here> & breathe 2 00:00 -> 00:01\\x1b[2J" and srt[3:] == ["", ""]
    vtt = captions.vtt(found).split("\n")
    assert vtt[3] == "Stay &lt;here&gt; &amp; breathe 2 00:00 -&gt; 00:01\\x1b[2J" and vtt[4:] == ["", ""]


def test_milliseconds_round_from_frames():
    assert captions.srt([(1, 22049, "x")]).split("\n")[1] == "00:00:00,000 --> 00:00:01,000"
    assert captions.srt([(11, 33075, "x")]).split("\n")[1] == "00:00:00,000 --> 00:00:01,500"
