"""The sound device keeps playing while the program's own Python is busy elsewhere.

The player's callback is Python: it needs the interpreter lock. Importing the
natural voice's engine (onnxruntime) holds that lock in one stretch while its C
module starts: 97-113 ms measured on the loaded 2-core machine, and the player's
callbacks then came 64-167 ms apart (2-5 busy loops besides). With a 50 ms device
buffer 9 pauses of 10 with the natural guide underran there, in their first line: a
hole a person hears. The test holds the lock for 120 ms while a tone plays, and
listens.
"""

import subprocess
import sys

from tests.soundlab import Recorder

HOLD_S = 0.12
TONE_S = 2.0

PLAYER = f"""
import ctypes, math, sys, time
from array import array
from companion.playback import pcm
from companion.playback.outputs import DeviceOutput

tone = array("h", (round(8000 * math.sin(2 * math.pi * 440 * i / pcm.RATE_HZ))
                   for i in range(round({TONE_S} * pcm.RATE_HZ)))).tobytes()
out = DeviceOutput()
out.play_first_line(tone)
time.sleep(0.5)
ctypes.PyDLL(None).usleep(round({HOLD_S} * 1e6))  # a C call that keeps the interpreter lock, as that import does
time.sleep({TONE_S})
print("underruns", out.underruns, flush=True)
out.stop()
"""


def test_a_tone_plays_whole_while_the_interpreter_lock_is_held(sound_server):
    recorder = Recorder(sound_server).start()
    try:
        done = subprocess.run([sys.executable, "-c", PLAYER], env=sound_server.env, capture_output=True, text=True,
                              timeout=60)
    finally:
        recorder.stop()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["underruns", "0"], done.stdout  # PortAudio's own word: fed in time
    heard = recorder.sample_segments(min_gap_s=0.02)
    assert len(heard) == 1 and abs(heard[0][1] - heard[0][0] - TONE_S) < 0.03, heard  # and heard whole
