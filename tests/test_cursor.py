"""The cursor: the right samples at the right offsets; pause, skip, turn, stall."""

import pytest

from companion.playback import pcm
from companion.playback.cursor import Audio, Cursor
from companion.playback.outputs import ClockOutput
from companion.playback.timeline import Event
from tests.fakes import FakeClock

S = pcm.SAMPLE_BYTES


def tone(value, n):
    return value.to_bytes(2, "little", signed=True) * n


def timeline():
    return [Event("speech", 0, 100, "one", role="guide", text="one"),
            Event("silence", 100, 50),
            Event("turn", 150, 1000, "your turn", who="A"),
            Event("bell", 1150, 30, asset="bell"),
            Event("speech", 1180, 20, "two", role="guide", text="two")]


def ready_cursor(events=None):
    events = events or timeline()
    cursor = Cursor(events, fetch=lambda i, e: Audio(tone(i + 1, e.frames)))
    cursor.planned.set()
    return cursor


def test_reads_events_at_their_offsets_across_block_edges():
    cursor = ready_cursor()
    data = b"".join(cursor.read(64) for _ in range(20))[: 1200 * S]
    assert data[:100 * S] == tone(1, 100)
    assert data[100 * S:1150 * S] == bytes(1050 * S)  # silence and the turn
    assert data[1150 * S:1180 * S] == tone(4, 30)
    assert data[1180 * S:1200 * S] == tone(5, 20)
    assert cursor.finished and cursor.position == 1200


def test_pause_holds_the_position_and_plays_silence():
    cursor = ready_cursor()
    cursor.read(40)
    assert cursor.toggle_pause() is True
    assert cursor.read(30) == bytes(30 * S) and cursor.position == 40
    cursor.toggle_pause()
    assert cursor.read(10) == tone(1, 10) and cursor.position == 50


def test_end_turn_jumps_to_the_soft_bell_only_during_a_turn():
    cursor = ready_cursor()
    assert cursor.end_turn() is False
    cursor.read(200)
    assert cursor.current().kind == "turn"
    assert cursor.end_turn() is True
    assert cursor.position == 1150 and cursor.read(5) == tone(4, 5)


def test_skip_goes_to_the_next_spoken_line_then_the_end():
    cursor = ready_cursor()
    cursor.read(10)
    cursor.skip_line()
    assert cursor.position == 1180
    cursor.skip_line()
    cursor.read(1)
    assert cursor.finished


def test_missing_audio_is_a_stall_not_a_skip():
    cursor = Cursor(timeline())
    assert cursor.read(50) == bytes(50 * S)
    assert cursor.position == 0 and cursor.stalled == 50
    cursor.audio[0] = Audio(tone(7, 100))
    assert cursor.read(10) == tone(7, 10)


def test_an_unplanned_end_is_a_stall_until_planning_finishes():
    events = timeline()[:1]
    cursor = Cursor(events, fetch=lambda i, e: Audio(tone(1, e.frames)))
    cursor.read(150)
    assert not cursor.finished and cursor.position == 100
    cursor.planned.set()
    cursor.read(1)
    assert cursor.finished


def test_played_audio_is_released():
    cursor = ready_cursor()
    cursor.read(160)
    cursor.read(1)
    assert 0 not in cursor.audio


@pytest.mark.parametrize("offset, n", [(0, 700), (95, 20), (300, 410), (880, 120)])
def test_a_loop_fades_in_repeats_and_fades_out(offset, n):
    data = bytes(range(256)) * 2  # 256 frames of a recognisable pattern
    head, tail = tone(-1, 100), tone(-2, 100)
    audio = Audio(data, loop_frames=1000, head=head, tail=tail)
    whole = audio.read(0, 1000)
    assert whole[:100 * S] == head and whole[900 * S:] == tail
    assert whole[100 * S:356 * S] == data[100 * S:] + data[:100 * S]
    assert audio.read(offset, n) == whole[offset * S:(offset + n) * S] + bytes(max(0, offset + n - 1000) * S)


def test_clock_output_keeps_real_time_with_an_injected_clock():
    clock = FakeClock()
    events = [Event("silence", 0, pcm.frames_of(20 * 60))]  # a twenty-minute wait
    cursor = Cursor(events)
    cursor.planned.set()
    output = ClockOutput(clock=clock, sleep=clock.sleep, step_s=0.5)
    output.run(cursor)
    assert cursor.finished
    assert clock.now - 1000.0 == pytest.approx(20 * 60, abs=0.6)


def test_a_muted_cursor_keeps_time_and_the_bell_but_silences_and_uncaptions_speech():
    # A wait's quiet: the bell was promised for a time, so time must go on.
    cursor = ready_cursor()
    cursor.toggle_mute()
    data = b"".join(cursor.read(64) for _ in range(20))[: 1200 * S]
    assert cursor.position == 1200 and not cursor.paused
    assert data[:100 * S] == bytes(100 * S)  # "one", hushed
    assert data[1150 * S:1180 * S] == tone(4, 30)  # the bell still rings
    assert data[1180 * S:] == bytes(20 * S)  # "two", hushed
    assert 0 not in cursor.entered and 4 not in cursor.entered and 3 in cursor.entered


def test_skip_to_last_starts_the_last_event_now():
    cursor = ready_cursor()
    cursor.read(10)
    cursor.skip_to_last()
    assert cursor.position == 1180 and cursor.read(20) == tone(5, 20)


def test_space_pauses_the_first_line_even_while_it_plays_before_the_session():
    from types import SimpleNamespace

    from companion.playback.outputs import DeviceOutput

    cursor = ready_cursor()
    device = SimpleNamespace(_silent=False, cursor=cursor, _first_line=tone(9, 100), _first_line_at=0, _drained=0,
                             _drain_frames=10, done=None)
    out = bytearray(40 * S)
    DeviceOutput._callback(device, out, 40, None, None)
    assert bytes(out) == tone(9, 40)
    cursor.toggle_pause()
    DeviceOutput._callback(device, out, 40, None, None)
    assert bytes(out) == bytes(40 * S) and device._first_line_at == 40 * S  # silent, and the first line waits
    cursor.toggle_pause()
    DeviceOutput._callback(device, out, 40, None, None)
    assert bytes(out) == tone(9, 40)


def test_a_line_begun_in_the_quiet_stays_quiet_when_the_cues_come_back():
    cursor = ready_cursor()
    cursor.toggle_mute()
    first = cursor.read(50)
    cursor.toggle_mute()
    rest = cursor.read(50)
    assert first == rest == bytes(50 * S)  # no half a sentence without its caption
    cursor.read(1080)
    assert cursor.read(20) == tone(5, 20)  # the next line is heard again


def test_the_loader_drops_a_clip_the_cursor_skipped_while_it_was_fetched():
    # The loader fetches the first line; the test skips past it before the fetch returns. The clip
    # must not be kept: the cursor lets audio go only as it plays through, so it would stay for good.
    import threading

    from companion.playback.player import Player
    from companion.script import Speak
    from tests.fakes import FakeClips

    fetching, release = threading.Event(), threading.Event()

    class BlockingClips(FakeClips):
        def load(self, role, text):
            if text == "First line.":
                fetching.set()
                assert release.wait(30), "the test never released the fetch"
            return super().load(role, text)

    player = Player([Speak(line=1, text="First line."), Speak(line=2, text="Second line.")], BlockingClips())
    cursor = player.cursor
    player.start()
    try:
        assert fetching.wait(30)  # the loader is inside the first line's fetch
        assert cursor.planned.wait(30)  # both lines placed (their lengths need no fetch)
        second = next(i for i, e in enumerate(cursor.events) if e.text == "Second line.")
        cursor.skip_line()
        assert cursor.position == cursor.events[second].start
        release.set()
        with cursor.moved:  # the loader goes on to the line the cursor is at
            assert cursor.moved.wait_for(lambda: second in cursor.audio, timeout=30)
        assert list(cursor.audio) == [second] and player.error is None
    finally:
        release.set()
        player.stop()


def test_keep_holds_audio_only_for_an_event_not_yet_played_through():
    cursor = ready_cursor()
    assert cursor.keep(0, Audio(tone(1, 100))) and 0 in cursor.audio
    cursor.skip_line()  # to "two", at 1180
    assert not cursor.keep(2, Audio(b""))  # the turn, passed by the skip
    assert cursor.keep(4, Audio(tone(5, 20))) and set(cursor.audio) == {0, 4}
    cursor.read(1)  # playing moves past the first: it is let go
    assert set(cursor.audio) == {4}
