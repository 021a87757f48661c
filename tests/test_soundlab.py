"""Self-tests of the audio harness: it hears real sound, with accurate timing."""

import subprocess
import sys

import numpy as np
import pytest

from tests.soundlab import (Recorder, SoundServer, block_frames, no_device_env, rms_blocks,
                            wav_segments, write_wav)

RATE = 22050  # what pyttsx3 writes, and 10 ms is not a whole number of frames at it

# A tiny player like the program's own: RawOutputStream, the program's device buffer, primed from the
# callback, a callback copying bytes, no numpy.  Prints time.monotonic() just before start(), and at its first
# callback (when the stream really began, however late on a loaded machine). With latency="low" (8.7 ms here)
# it underran in 5 runs of 5 with two busy loops (16-93 underflows a run), and this test's 5 attempts all
# failed once in a full run; with the program's buffer it did not in 8 runs, 4 of them with busy loops.
PLAYER = r"""
import sys, threading, time, wave
import sounddevice as sd
with wave.open(sys.argv[1]) as w:
    rate, ch, data = w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())
pos, underflows, done, first = 0, 0, threading.Event(), []
def callback(out, frames, time_info, status):
    global pos, underflows
    if not first:
        first.append(time.monotonic())
    underflows += status.output_underflow
    chunk = data[pos:pos + len(out)]
    pos += len(out)
    out[:len(chunk)] = chunk
    out[len(chunk):] = bytes(len(out) - len(chunk))
    if len(chunk) < len(out):
        raise sd.CallbackStop
stream = sd.RawOutputStream(samplerate=rate, channels=ch, dtype="int16", latency=float(sys.argv[2]),
                            callback=callback, finished_callback=done.set,
                            prime_output_buffers_using_stream_callback=True)
print("start", time.monotonic(), flush=True)
stream.start()
done.wait(30)
stream.close()
print("first", first[0])
print("underflows", underflows)
"""


def tone(seconds, rate=RATE, amplitude=0.3, hz=440.0):
    t = np.arange(round(seconds * rate)) / rate
    return amplitude * 32767 * np.sin(2 * np.pi * hz * t)


def silence(seconds, rate=RATE):
    return np.zeros(round(seconds * rate))


def two_tones(rate=RATE):
    """0.5 s silence, 0.6 s tone, 1.0 s silence, 0.6 s tone, 0.5 s silence."""
    return np.concatenate([silence(0.5, rate), tone(0.6, rate), silence(1.0, rate),
                           tone(0.6, rate), silence(0.5, rate)]).astype(np.int16)


def play(wav, env):
    """Run PLAYER on wav -> (time.monotonic() just before start() and at its first callback, underflow count)."""
    from companion.playback.outputs import DEVICE_LATENCY_S

    done = subprocess.run([sys.executable, "-c", PLAYER, str(wav), str(DEVICE_LATENCY_S)], env=env,
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    out = done.stdout.split()
    return (float(out[out.index("start") + 1]), float(out[out.index("first") + 1])), \
        int(out[out.index("underflows") + 1])


def test_hears_played_tones_with_accurate_timing(sound_server, recorder, tmp_path):
    wav = tmp_path / "tones.wav"
    write_wav(wav, two_tones(), RATE)
    # A player that underruns (CPU starved, e.g. by a parallel test run) really
    # plays late, and the recording faithfully shows it; a recorder that lost
    # input has a hole in it. Such a run says nothing about the harness, so try
    # again with a fresh recorder, up to 5 times.
    rec = recorder
    for attempt in range(5):
        if attempt:
            rec = Recorder(sound_server).start()
        (started, first), underflows = play(wav, sound_server.env)
        rec.stop()
        if underflows == 0 and not rec.overflowed():
            break
    else:
        pytest.fail("the player underran or the recorder lost input in 5 attempts (CPU starved?): timing not judged")
    segs = rec.segments()
    report = [(round(a - started, 4), round(b - a, 4)) for a, b in segs]
    assert len(segs) == 2, f"(onset after start, duration): {report}"
    # Within one recording, counted in samples: exact, whatever the callbacks' lateness.
    counted = rec.sample_segments()
    for a, b in counted:
        assert abs((b - a) - 0.6) < 0.03, counted
    assert abs((counted[1][0] - counted[0][0]) - 1.6) < 0.03, counted
    # On the shared monotonic clock (block times from the callbacks), the same within the
    # callbacks' lateness: 20 ms when fed, more only when the recorder itself was starved.
    assert abs((segs[1][0] - segs[0][0]) - 1.6) < 0.06, report
    # Cross-process clocks agree: the first tone is 0.5 s into the file, so it is heard 0.5 s after start()
    # plus the player's start-up and output latency: 0.5 s after its first callback plus the output latency.
    assert 0.48 < segs[0][0] - started and segs[0][0] - first < 0.6, (report, first - started)


def test_no_device_env_cannot_play():
    probe = (
        "import sounddevice as sd\n"
        "outs = [d for d in sd.query_devices() if d['max_output_channels'] > 0]\n"
        "print('outputs', len(outs))\n"
        "try:\n"
        "    sd.RawOutputStream(samplerate=22050, channels=1, dtype='int16')\n"
        "    print('opened')\n"
        "except sd.PortAudioError as e:\n"
        "    print('PortAudioError', e)\n")
    done = subprocess.run([sys.executable, "-c", probe], env=no_device_env(),
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert "outputs 0" in done.stdout and "PortAudioError" in done.stdout, done.stdout


def test_second_server_is_independent(sound_server):
    """Another server (e.g. a stray one) runs beside the session's without interfering."""
    with SoundServer() as other:
        assert other.env["XDG_RUNTIME_DIR"] != sound_server.env["XDG_RUNTIME_DIR"]
        assert other.sink_latency_s() < 0.05
    assert sound_server.sink_latency_s() < 0.05  # still answering


def test_wav_segments_counts_in_frames(tmp_path):
    # 14 s of silence first: converting 220-frame blocks as 10 ms would put the
    # onset 30 ms late; counting frames keeps it exact.
    x = np.concatenate([silence(14.0), tone(0.6), silence(0.2), tone(0.3), silence(0.5),
                        tone(0.02), silence(0.5)]).astype(np.int16)
    mono = tmp_path / "mono.wav"
    write_wav(mono, x, RATE)
    segs = wav_segments(mono)
    # 0.2 s gap < min_gap_s: merged; the 20 ms click < min_len_s: dropped.
    assert len(segs) == 1, segs
    assert abs(segs[0][0] - 14.0) < 0.001 and abs(segs[0][1] - 15.1) < 0.001, segs
    assert len(wav_segments(mono, min_gap_s=0.1, min_len_s=0.01)) == 3

    stereo = tmp_path / "stereo.wav"  # sound on the right channel only
    write_wav(stereo, np.stack([np.zeros_like(x), x], axis=1), RATE)
    assert wav_segments(stereo) == segs


def test_a_clip_measured_on_the_grid_of_the_file_it_sits_in(tmp_path):
    # A soft ending: a quiet block (RMS 300) after the tone. On the clip's own grid it fills one block and is
    # sound; in a file where the clip starts half a block into a block, it straddles two blocks of RMS 212 and
    # is not. Measured with at_frame, the clip's edges are the file's, to the frame.
    clip = np.concatenate([tone(0.3), silence(0.05), np.full(220, 300.0), silence(0.1)]).astype(np.int16)
    at = 44 * 220 + 110
    whole = np.concatenate([np.zeros(at), clip, silence(0.5)]).astype(np.int16)
    write_wav(tmp_path / "clip.wav", clip, RATE)
    write_wav(tmp_path / "whole.wav", whole, RATE)
    in_file = [(a - at / RATE, b - at / RATE) for a, b in wav_segments(tmp_path / "whole.wav")]
    alone = wav_segments(tmp_path / "clip.wav")
    assert abs(alone[0][1] - in_file[0][1]) > 0.04, (alone, in_file)  # the trap
    on_its_grid = wav_segments(tmp_path / "clip.wav", at_frame=at)
    assert len(on_its_grid) == len(in_file) == 1
    assert np.allclose(on_its_grid, in_file, atol=1e-9), (on_its_grid, in_file)


def test_rms_blocks_uses_true_block_length():
    assert block_frames(22050) == 220 and block_frames(16000) == 160
    x = np.concatenate([np.zeros(220), np.full(220, 1000), np.full(10, 300)])
    assert np.allclose(rms_blocks(x.astype(np.int16), 22050), [0, 1000, 300])


def test_missing_pulseaudio_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulseaudio on PATH
    with pytest.raises(RuntimeError, match="apt-get install pulseaudio"):
        SoundServer().start()
