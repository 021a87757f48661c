"""The bundled sounds in audio/: bells, breath tones and ambient sounds.

Scripts name a sound, never a path: `[sound waves 2m]` means audio/waves.wav.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from . import pcm
from .paths import builtin

BELL, BELL_SOFT = "bell", "bell-soft"
BREATH_IN, BREATH_OUT = "breath-in", "breath-out"
_NOT_AMBIENT = {BELL, BELL_SOFT, BREATH_IN, BREATH_OUT}


def path(name: str) -> Path:
    return builtin("audio") / f"{name}.wav"


@cache
def ambient_names() -> frozenset[str]:
    """Names a script may use in [sound NAME ...]."""
    return frozenset(p.stem for p in builtin("audio").glob("*.wav") if p.stem not in _NOT_AMBIENT)


@cache
def frames(name: str) -> int:
    return pcm.wav_frames(path(name))


@cache
def load(name: str) -> bytes:
    """The samples of a bundled sound (small files, so kept once loaded)."""
    return pcm.read_wav(path(name))
