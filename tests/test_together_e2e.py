"""`companion together` end to end: a real terminal (tmux), real voices on the sound server's monitor,
a turn ended early by a key, one journal row with both partners' ratings."""

import os
import re
import subprocess
import sys
import time

import numpy as np

from tests.soundlab import BLOCK_FRAMES, RATE_HZ
from tests.test_e2e import DATA, home, in_tmux, journal_rows, timeline, wait_for  # noqa: F401  (home: a fixture)
from tests.voicelab import median_pitch_hz

SCRIPT = DATA / "together.txt"


def keys(tmux, session, *typed):
    subprocess.run(tmux + ["send-keys", "-t", session, *typed], check=True)


def test_together_in_a_terminal_names_both_rates_both_and_a_key_ends_a_turn(sound_server, recorder, home):
    env = sound_server.env | home
    planned = timeline(SCRIPT, env)  # renders the clips first, so the session is warm
    session = "together"
    tmux = in_tmux(env, ["together", str(SCRIPT), "--a", "Sam", "--b", "Alex"], session)
    try:
        wait_for(tmux, session, "Sam, how much distress")
        keys(tmux, session, "6", "Enter")
        wait_for(tmux, session, "Alex, how much distress")
        keys(tmux, session, "7", "Enter")
        rated = time.monotonic()
        screen = wait_for(tmux, session, "Sam: your turn to speak")
        assert "Hello Sam and Alex." in screen and "For example, in Sam's voice: \"My chest goes tight.\"" in screen
        turn_seen = time.monotonic()
        wait_for(tmux, session, "left · space or Enter: done")  # the turn policy's countdown
        keys(tmux, session, "Space")
        pressed = time.monotonic()
        wait_for(tmux, session, "For example, in Alex's voice: \"I hear you.\"")
        wait_for(tmux, session, "Sam, and now")
        ended = time.monotonic()
        keys(tmux, session, "3", "Enter")
        wait_for(tmux, session, "Alex, and now")
        keys(tmux, session, "4", "Enter")
        screen = wait_for(tmux, session, "EXIT=")
        assert "EXIT=0" in screen and "Sam: distress 6 before, 3 after." in screen
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
    recorder.stop()
    heard = recorder.segments()
    before_turn = [s for s in heard if rated < s[0] and s[1] < turn_seen]
    after_key = [s for s in heard if pressed < s[0] and s[1] < ended]
    assert len(before_turn) >= 2, heard  # the guide, then A's line in A's voice
    assert len(after_key) >= 2, heard  # the soft bell, then B's line in B's voice (then the guide)
    # The guide's three lines: the first sound, the prompt (the last before the turn) and "That is all." (the last);
    # A's and B's lines are cut by the planned timeline from the second before each (a bell ringing
    # out, or a short gap, may join or split the segments around them).
    speech = [e for e in planned["events"] if e["kind"] == "speech"]
    a_s, b_s = (next(e["seconds"] for e in speech if e["role"] == role) for role in ("A", "B"))
    guide = [heard_samples(recorder, segment) for segment in (before_turn[0], before_turn[-1], after_key[-1])]
    a_line = heard_samples(recorder, (before_turn[-1][0] - 1.0 - a_s, before_turn[-1][0] - 1.0))
    b_line = heard_samples(recorder, (after_key[-1][0] - 1.0 - b_s, after_key[-1][0] - 1.0))
    pitch = {who: median_pitch_hz(lines, RATE_HZ) for who, lines in (("guide", guide), ("A", [a_line]), ("B", [b_line]))}
    for one, other in (("A", "B"), ("A", "guide"), ("B", "guide")):  # three voices, told apart by their pitch
        assert max(pitch[one], pitch[other]) / min(pitch[one], pitch[other]) > 1.15, pitch
    turn_s = next(e["seconds"] for e in planned["events"] if e["kind"] == "turn")
    assert after_key[0][0] - before_turn[-1][1] < turn_s  # the turn ended on the key, not at its 20 s
    (row,) = journal_rows(home)
    import json

    assert row["mode"] == "together" and row["flooded"] == 0 and row["end_reason"] == "completed"
    assert json.loads(row["partners"]) == [{"name": "Sam", "distress_before": 6, "distress_after": 3},
                                           {"name": "Alex", "distress_before": 7, "distress_after": 4}]


def heard_samples(recorder, segment) -> bytes:
    """The monitor's samples of one segment of sound, (start, end) in time.monotonic() seconds."""
    starts = recorder.block_starts()
    first, last = int(np.searchsorted(starts, segment[0])), int(np.searchsorted(starts, segment[1]))
    return recorder.samples()[first * BLOCK_FRAMES:last * BLOCK_FRAMES].astype("<i2").tobytes()


def test_im_flooded_in_a_terminal_speaks_a_grounding_line_and_ends_for_a_break(sound_server, recorder, home):
    env = sound_server.env | home
    timeline(SCRIPT, env)
    session = "flooded"
    tmux = in_tmux(env, ["together", str(SCRIPT), "--a", "Sam", "--b", "Alex", "--no-rating"], session)
    try:
        wait_for(tmux, session, "left · space or Enter: done")  # in the turn: silence
        keys(tmux, session, "x")
        pressed = time.monotonic()
        wait_for(tmux, session, "Which of you is flooded? a: Sam · b: Alex")
        recorder.wait_until_heard(after=pressed)  # the grounding line, in the guide's voice, in the silent turn
        keys(tmux, session, "b")
        wait_for(tmux, session, "Alex: Enter to go on")
        keys(tmux, session, "p")
        screen = wait_for(tmux, session, "EXIT=")
        assert "EXIT=0" in screen and "companion pause --leave" in screen
        assert 'For example, in Alex\'s voice: "I hear you."' not in screen
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
    (row,) = journal_rows(home)
    assert (row["flooded"], row["stage"], row["end_reason"]) == (1, "flooded", "stopped")


def test_the_menu_in_a_terminal_takes_one_key_and_enter_keeps_the_remembered_names(home):
    first = subprocess.run([sys.executable, "-m", "companion", "together", str(SCRIPT), "--a", "Sam", "--b", "Alex",
                            "--text", "--no-rating"], env=dict(os.environ, **home), input=b"q", capture_output=True,
                           timeout=120)
    assert first.returncode == 0, first.stderr  # q at once: the names are remembered all the same
    session = "menu"
    tmux = in_tmux(home, ["together", "--text"], session)
    try:
        screen = wait_for(tmux, session, "1-7, Enter for")
        assert re.search(r"4  dancefloor, about \d+ min", screen) and "(suggested)" in screen  # as `list` says
        keys(tmux, session, "4")  # one key, no Enter
        wait_for(tmux, session, "Partner A's name (Enter: Sam)")
        keys(tmux, session, "Enter")
        wait_for(tmux, session, "Partner B's name (Enter: Alex)")
        keys(tmux, session, "Enter")
        wait_for(tmux, session, "Sam, how much distress")
        keys(tmux, session, "Enter")
        wait_for(tmux, session, "Alex, how much distress")
        keys(tmux, session, "Enter")
        # dancefloor's first line, as a caption (its fifth comes 50 s later: --text holds each as long as it is said)
        wait_for(tmux, session, "If either of you floods, press x.")
        keys(tmux, session, "q")
        wait_for(tmux, session, "Sam, and now")
        keys(tmux, session, "Enter")
        wait_for(tmux, session, "Alex, and now")
        keys(tmux, session, "Enter")
        screen = wait_for(tmux, session, "EXIT=")
        assert "EXIT=0" in screen
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
    rows = journal_rows(home)
    assert [r["sequence"] for r in rows] == ["together", "dancefloor"] and rows[1]["end_reason"] == "stopped"


def level_db(samples: bytes) -> float:
    """Mean power of the voiced 50 ms windows (within 20 dB of the loudest), in dBFS."""
    x = np.frombuffer(samples, dtype="<i2").astype(np.float64)
    size = RATE_HZ // 20
    power = (x[: len(x) // size * size].reshape(-1, size) ** 2).mean(axis=1) / 32768.0 ** 2
    return float(10 * np.log10(power[power > power.max() / 100].mean()))


def test_a_turns_time_warning_is_heard_softly_in_the_silent_turn(sound_server, recorder, home, tmp_path):
    env = sound_server.env | home
    script = tmp_path / "together.txt"  # a 10 s turn: the warning is the same, half the wait for it
    script.write_text(SCRIPT.read_text().replace("[turn A up to 20s]", "[turn A up to 10s]"))
    timeline(script, env)
    session = "warning"
    tmux = in_tmux(env, ["together", str(script), "--a", "Sam", "--b", "Alex", "--no-rating"], session)
    try:
        wait_for(tmux, session, "left · space or Enter: done")  # the turn has begun: silence, held
        turn_seen = time.monotonic()
        wait_for(tmux, session, "about 2 seconds left")  # a fifth of its 10 s before the limit
        warned = recorder.wait_until_heard(after=turn_seen + 1.0)  # said, not only shown
        wait_for(tmux, session, "finish your sentence")
        keys(tmux, session, "Space")  # done: not the 5 s of grace after the limit
        screen = wait_for(tmux, session, "EXIT=")
        assert "EXIT=0" in screen
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
    recorder.stop()
    heard = recorder.segments()
    warning = next(s for s in heard if s[0] >= warned - 0.05)
    guide = heard[0]  # "Hello Sam and Alex."
    assert warning[1] - warning[0] > 0.5, heard  # words, not a click
    soft, full = level_db(heard_samples(recorder, warning)), level_db(heard_samples(recorder, guide))
    assert soft < full - 5, (soft, full)  # the guide's voice, well under the guide
