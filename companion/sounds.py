"""The bundled sounds by name (audio/NAME.wav): the words a script may use in [sound NAME ...].

Below script/ and playback/ both: the parse checks a script's names against these, and
playback/assets.py loads their samples, so the format never imports playback.
"""

from __future__ import annotations

from functools import cache

from .paths import builtin

BELL, BELL_SOFT = "bell", "bell-soft"
BREATH_IN, BREATH_OUT = "breath-in", "breath-out"
_NOT_AMBIENT = {BELL, BELL_SOFT, BREATH_IN, BREATH_OUT}


@cache
def ambient_names() -> frozenset[str]:
    """Names a script may use in [sound NAME ...]."""
    return frozenset(p.stem for p in builtin("audio").glob("*.wav") if p.stem not in _NOT_AMBIENT)
