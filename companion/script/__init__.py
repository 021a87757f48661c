"""Script files: the format a coach writes, parsed into validated models."""

from .errors import ScriptError
from .model import Bell, Breathe, Pause, Sequence, Sound, Speak, Step, Turn
from .parse import parse, parse_file

__all__ = ["ScriptError", "Sequence", "Step", "Speak", "Pause", "Bell", "Breathe", "Turn", "Sound", "parse", "parse_file"]
