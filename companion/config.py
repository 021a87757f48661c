"""The user's settings: config.toml in the user config dir.

    rate = 140                 # words a minute, every voice
    background_prepare = true  # after a session, render what the next one may need
    day_ends = "04:00"         # a practice before this hour counts for the day before
    show_streaks = true        # false hides streaks everywhere
    help = "Call 112"          # where help is: a number or a sentence, said after the safety line
    [voices]
    guide = "gmw/en-US"        # ids from `companion voices`
    A = "gmw/en-US+f3"
    B = "gmw/en-GB-x-rp+m3"
    you = "gmw/en-us+m3"       # the words modelled for you to say to your partner
    partner = "gmw/en-us+f3"   # your partner's own words, arriving from their device (docs/partner.md)
    [pause]
    flooded_bpm = 100          # 80 for a trained athlete
    minutes = 20               # the default break
"""

from __future__ import annotations

import os
import re
import stat
from collections import namedtuple
from pathlib import Path

from .textsafe import visible


# Every voice role: the guide, partners A and B (together), words modelled for you to say, and your
# partner's own words as their device sends them (a break's promise, more time).
ROLES = ("guide", "A", "B", "you", "partner")


class VoiceSettings(namedtuple("VoiceSettings", "guide A B rate_wpm source you partner",
                               defaults=(None, None, None, 140, None, None, None))):
    """Which voice speaks each role (ROLES), and how fast (immutable); `source`: the config file they were
    read from, named when one of them turns out to be unknown."""

    __slots__ = ()

    def voice(self, role: str) -> str | None:
        return getattr(self, role)


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
    """The settings in `path` (default: the user's), or the defaults if absent; ConfigError if the
    file is wrong. The model (config_model.ConfigFile) checks the file; the user's own, once a
    change (checked.py): the pause and `progress` read it without pydantic or tomllib."""
    own = path is None
    path = path or default_path()
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return Config(path=path)  # the usual case, and on the pause's hot path: nothing to read
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
    key, code = {"path": str(path), "text": text}, ("config.py", "config_model.py")
    if own:
        from . import checked

        kept = checked.recall("config", key, code)
        if kept is not None:
            try:
                return _answered(path, kept)
            except ConfigError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError):
                pass  # a kept answer damaged: checked again
    from .config_model import Problem, check

    try:
        answer = {"settings": check(text)}
    except Problem as p:  # said here, where the file is known
        where = f"{path}:{line_of(path, p.key)}" if p.key else str(path)
        answer = {"error": str(ConfigError(f"{where}: " + p.said.replace("{value}", shown(p.value))))}
    if own:
        checked.keep("config", key, code, answer)
    return _answered(path, answer)


def _answered(path: Path, answer: dict) -> Config:
    if "error" in answer:
        raise ConfigError(answer["error"])
    return _settings(path, answer["settings"])


def _settings(path: Path, values: dict) -> Config:
    """The settings in force, from ConfigFile's values (checked now, or kept from the last check)."""
    voices, pause = values["voices"], values["pause"]
    hours, minutes = values["day_ends"].split(":")
    return Config(VoiceSettings(voices["guide"], voices["A"], voices["B"], values["rate"], str(path), voices["you"],
                                voices["partner"]),
                  path, pause["flooded_bpm"], pause["minutes"], values["background_prepare"],
                  int(hours) * 60 + int(minutes), values["show_streaks"], values["help"])


def line_of(path: Path | str, key: str) -> int:
    """The line of `path` that sets `key` (1 if none is found): error lines point at it."""
    try:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
            if re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line) or line.strip() == f"[{key}]":
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return 1
