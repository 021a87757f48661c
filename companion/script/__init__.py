"""Script files: the format a coach writes, parsed into validated models."""

from .errors import ScriptError, ScriptErrors, ScriptWarning
from .model import Bell, Breathe, Pause, Sequence, Sound, Speak, Step, Turn
from .parse import Checked, check, check_file, parse, parse_file

__all__ = ["ScriptError", "ScriptErrors", "ScriptWarning", "Checked", "check", "check_file", "Sequence", "Step",
           "Speak", "Pause", "Bell", "Breathe", "Turn", "Sound", "parse", "parse_file"]
