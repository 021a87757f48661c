"""Which voice speaks each role: the settings alone, so reading config.toml loads no engine."""

from __future__ import annotations

from collections import namedtuple


class VoiceSettings(namedtuple("VoiceSettings", "guide A B rate_wpm source you", defaults=(None, None, None, 140, None, None))):
    """Which voice speaks each role (guide, A, B, you: words modelled for the listener), and how fast (immutable); `source`: the
    config file they were read from, named when one of them turns out to be unknown."""

    __slots__ = ()

    def voice(self, role: str) -> str | None:
        return getattr(self, role)
