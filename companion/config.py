"""The user's settings: config.toml in the user config dir.

    rate = 140                 # words a minute, every voice
    background_prepare = true  # after a session, render what the next one may need
    [voices]
    guide = "gmw/en-US"        # ids from `companion voices`
    A = "gmw/en-US+f3"
    B = "gmw/en-GB-x-rp+m3"
    [pause]
    flooded_bpm = 100          # 80 for a trained athlete
    minutes = 20               # the default break
"""

from __future__ import annotations

import re
from collections import namedtuple
from pathlib import Path

from .voice.clips import VoiceSettings

RATE_RANGE = (80, 400)


class ConfigError(ValueError):
    pass


class Config(namedtuple("Config", "voices path flooded_bpm break_minutes background_prepare",
                        defaults=(VoiceSettings(), None, 100, 20, True))):
    """The settings in force (immutable)."""

    __slots__ = ()

    def with_overrides(self, voice: str | None = None, rate_wpm: int | None = None) -> "Config":
        v = self.voices
        return self._replace(voices=VoiceSettings(voice or v.guide, v.A, v.B, rate_wpm or v.rate_wpm))


def default_path() -> Path:
    from .paths import config_dir

    return config_dir() / "config.toml"


def load(path: Path | None = None) -> Config:
    """The settings in `path` (default: the user's), or the defaults if absent."""
    path = path or default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path)  # the usual case, and on the pause's hot path: no TOML parser needed
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read it ({e}); fix or delete the file") from None
    import tomllib

    try:
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read it ({e}); fix or delete the file") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML ({e}); fix the line or delete the file") from None

    def bad(key: str, expected: str) -> ConfigError:
        line = _line_of(path, key.split(".")[-1])
        return ConfigError(f"{path}:{line}: {key} = {data_get(key)!r}; expected {expected}")

    def data_get(key: str):
        node = data
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    unknown = set(data) - {"rate", "voices", "pause", "background_prepare"}
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"{path}:{_line_of(path, key)}: unknown setting '{key}'; "
                          "expected rate, background_prepare, [voices] or [pause]")
    background = data.get("background_prepare", True)
    if not isinstance(background, bool):
        raise bad("background_prepare", "true or false")
    rate = data.get("rate", 140)
    if not isinstance(rate, int) or isinstance(rate, bool) or not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise bad("rate", f"a whole number of words a minute from {RATE_RANGE[0]} to {RATE_RANGE[1]}")
    voices = data.get("voices", {})
    if not isinstance(voices, dict):
        raise bad("voices", "a [voices] table")
    for role, value in voices.items():
        if role not in ("guide", "A", "B"):
            raise ConfigError(f"{path}:{_line_of(path, role)}: unknown voice role '{role}'; expected guide, A or B")
        if not isinstance(value, str) or not value.strip():
            raise bad(f"voices.{role}", "a voice id in quotes (see `companion voices`)")
    pause = data.get("pause", {})
    if not isinstance(pause, dict):
        raise bad("pause", "a [pause] table")
    for key in set(pause) - {"flooded_bpm", "minutes"}:
        raise ConfigError(f"{path}:{_line_of(path, key)}: unknown setting 'pause.{key}'; expected flooded_bpm or minutes")
    flooded = pause.get("flooded_bpm", 100)
    if not isinstance(flooded, int) or isinstance(flooded, bool) or not 40 <= flooded <= 200:
        raise bad("pause.flooded_bpm", "a whole number of beats a minute from 40 to 200 (100; 80 for an athlete)")
    minutes = pause.get("minutes", 20)
    if not isinstance(minutes, int | float) or isinstance(minutes, bool) or not 1 <= minutes <= 180:
        raise bad("pause.minutes", "a number of minutes from 1 to 180")
    return Config(VoiceSettings(voices.get("guide"), voices.get("A"), voices.get("B"), rate), path, flooded, minutes,
                  background)


def _line_of(path: Path, key: str) -> int:
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line) or line.strip() == f"[{key}]":
                return number
    except OSError:
        pass
    return 1
