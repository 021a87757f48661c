"""The bundled sounds in audio/: bells, breath tones and ambient sounds.

Scripts name a sound, never a path: `[sound waves 2m]` means audio/waves.wav (the names: sounds.py).

Each sound is brought, as it is loaded, to a fixed level under speech
(every spoken clip is at loudness.TARGET_DBFS, -20 dBFS, the natural voice
0.8 dB above it), by the same gated-RMS measure, so nothing startles. As
made by audio/make.py the bell measured -21.0, within 2 dB of speech.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from . import pcm
from ..paths import builtin
from ..sounds import BELL, BELL_SOFT, BREATH_IN, BREATH_OUT

# dBFS by loudness.loudness_dbfs; speech is at -20. Any other (ambient) sound: AMBIENT_DBFS.
LEVELS_DBFS = {BELL: -24.0, BELL_SOFT: -26.0, BREATH_IN: -26.0, BREATH_OUT: -26.0}
AMBIENT_DBFS = -28.0


def path(name: str) -> Path:
    return builtin("audio") / f"{name}.wav"


@cache
def frames(name: str) -> int:
    return pcm.wav_frames(path(name))


@cache
def load(name: str) -> bytes:
    """The samples of a bundled sound at its level (small files, so kept once loaded)."""
    from ..voice.loudness import normalize

    return normalize(pcm.read_wav(path(name)), level_dbfs(name))


def level_dbfs(name: str) -> float:
    return LEVELS_DBFS.get(name, AMBIENT_DBFS)
