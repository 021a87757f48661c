"""The user's settings: config.toml in the user config dir.

    rate = 140                 # words a minute, every voice
    background_prepare = true  # after a session, render what the next one may need
    day_ends = "04:00"         # a practice before this hour counts for the day before
    show_streaks = true        # false hides streaks everywhere
    [voices]
    guide = "gmw/en-US"        # ids from `companion voices`
    A = "gmw/en-US+f3"
    B = "gmw/en-GB-x-rp+m3"
    you = "gmw/en-us+m3"       # the words modelled for you to say to your partner
    [pause]
    flooded_bpm = 100          # 80 for a trained athlete
    minutes = 20               # the default break
    help = "Call 112"          # where help is: a number or a sentence, said after the safety line
"""

from __future__ import annotations

import os
import re
import stat
from collections import namedtuple
from pathlib import Path

from .textsafe import visible
from .voice.settings import VoiceSettings

RATE_RANGE = (80, 400)
MAX_BYTES = 1 << 20  # a real config is a few hundred bytes; more is not a config
SHOWN_CHARS = 60  # of a value echoed in an error line


class ConfigError(ValueError):
    """One line saying what is wrong where; control characters made visible, whatever the file holds."""

    def __init__(self, message: str):
        super().__init__(visible(message))


def shown(value) -> str:
    """A config value as an error line echoes it: repr (quoted, escaped), bounded in length."""
    text = visible(repr(value))
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


class Config(namedtuple("Config", "voices path flooded_bpm break_minutes background_prepare day_ends_min show_streaks help",
                        defaults=(VoiceSettings(), None, 100, 20, True, 240, True, None))):
    """The settings in force (immutable)."""

    __slots__ = ()

    def with_overrides(self, voice: str | None = None, rate_wpm: int | None = None) -> "Config":
        v = self.voices
        return self._replace(voices=v._replace(guide=voice or v.guide, rate_wpm=rate_wpm or v.rate_wpm))


def default_path() -> Path:
    from .paths import config_dir

    return config_dir() / "config.toml"


def load(path: Path | None = None) -> Config:
    """The settings in `path` (default: the user's), or the defaults if absent."""
    path = path or default_path()
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return Config(path=path)  # the usual case, and on the pause's hot path: no TOML parser needed
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it ({e.strerror or e}); fix or delete the file") from None
    if not stat.S_ISREG(info.st_mode):  # a folder, or a pipe that would never end
        raise ConfigError(f"{path}: is not a file; delete it, or write the settings in a file of that name")
    if info.st_size > MAX_BYTES:
        raise ConfigError(f"{path}: {info.st_size:,} bytes is too large for settings; fix or delete the file")
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: an editor may have saved a byte-order mark
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read it ({e}); fix or delete the file") from None
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML ({e}); fix the line or delete the file") from None
    except ValueError as e:  # a number too long to convert
        raise ConfigError(f"{path}: invalid TOML ({str(e).split(':')[0]}); fix the line or delete the file") from None
    except RecursionError:  # tables or arrays nested hundreds deep
        raise ConfigError(f"{path}: invalid TOML (nested too deeply); fix the file or delete it") from None

    def bad(key: str, expected: str) -> ConfigError:
        line = line_of(path, key.split(".")[-1])
        return ConfigError(f"{path}:{line}: {key} = {shown(data_get(key))}; expected {expected}")

    def data_get(key: str):
        node = data
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    unknown = set(data) - {"rate", "voices", "pause", "background_prepare", "help"} - set(PRACTICE_KEYS)
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"{path}:{line_of(path, key)}: unknown setting {shown(key)}; "
                          "expected rate, background_prepare, help, day_ends, show_streaks, [voices] or [pause]")
    # help: where help is (a crisis line, an emergency number), shown and said after the safety line.
    help_setting = data.get("help")
    if help_setting is not None and not (
            (isinstance(help_setting, int) and not isinstance(help_setting, bool) and help_setting >= 0)
            or (isinstance(help_setting, str) and re.search(r"\w", help_setting) and len(help_setting) <= 200
                and help_setting.isprintable() and not re.search(r"[{}]", help_setting))):
        raise bad("help", 'a number or a sentence of up to 200 characters, e.g. help = "Call 988, the crisis line"')
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
        if role not in ("guide", "A", "B", "you"):
            raise ConfigError(f"{path}:{line_of(path, role)}: unknown voice role {shown(role)}; expected guide, A, B or you")
        if not isinstance(value, str) or not value.strip():
            raise bad(f"voices.{role}", "a voice id in quotes (see `companion voices`)")
    pause = data.get("pause", {})
    if not isinstance(pause, dict):
        raise bad("pause", "a [pause] table")
    for key in set(pause) - {"flooded_bpm", "minutes"}:
        raise ConfigError(f"{path}:{line_of(path, key)}: unknown setting {shown('pause.' + key)}; "
                          "expected flooded_bpm or minutes")
    flooded = pause.get("flooded_bpm", 100)
    if not isinstance(flooded, int) or isinstance(flooded, bool) or not 40 <= flooded <= 200:
        raise bad("pause.flooded_bpm", "a whole number of beats a minute from 40 to 200 (100; 80 for an athlete)")
    minutes = pause.get("minutes", 20)
    if not isinstance(minutes, int | float) or isinstance(minutes, bool) or not 1 <= minutes <= 180:
        raise bad("pause.minutes", "a number of minutes from 1 to 180")
    return Config(VoiceSettings(voices.get("guide"), voices.get("A"), voices.get("B"), rate, str(path),
                                voices.get("you")),
                  path, flooded, minutes, background, *practice_keys(data, bad), help_setting)


# -- daily practice: when the day ends, and whether streaks are shown --------------------------------
PRACTICE_KEYS = ("day_ends", "show_streaks")  # day_ends = "04:00": a practice at 00:30 counts for the evening


def practice_keys(data: dict, bad) -> tuple[int, bool]:
    """(minutes after midnight the day ends, show streaks?) from the top level of config.toml."""
    ends = data.get("day_ends", "04:00")
    found = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", ends) if isinstance(ends, str) else None
    if not found:
        raise bad("day_ends", 'a time of day "HH:MM", e.g. "04:00" (a practice before it counts for the day before)')
    show = data.get("show_streaks", True)
    if not isinstance(show, bool):
        raise bad("show_streaks", "true or false")
    return int(found[1]) * 60 + int(found[2]), show
# -- end of daily practice's keys --------------------------------------------------------------------


def line_of(path: Path | str, key: str) -> int:
    """The line of `path` that sets `key` (1 if none is found): error lines point at it."""
    try:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
            if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line) or line.strip() == f"[{key}]":
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return 1
