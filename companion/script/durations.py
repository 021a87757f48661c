"""Durations as a writer types them: `4s`, `1m 30s`, `500ms`, `1h`, `2.5s`."""

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?$")
_ORDER = ("h", "m", "s", "ms")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
EXAMPLES = "a duration such as 4s, 1m 30s or 500ms"


class DurationError(ValueError):
    """`offset` is the character index, within the parsed text, of the bad part."""

    def __init__(self, found: str, offset: int, expected: str = EXAMPLES):
        super().__init__(found)
        self.found, self.offset, self.expected = found, offset, expected


def parse_duration(text: str) -> float:
    """Seconds in `text`; raises DurationError on anything else, zero included."""
    total, last_unit, offset = 0.0, -1, 0
    parts = text.split(" ")
    if not text.strip():
        raise DurationError("no duration", 0)
    for index, part in enumerate(parts):
        if not part:
            offset += 1
            continue
        if part.startswith("-"):
            raise DurationError(f"a negative duration '{text.strip()}'", offset)
        match = _PART.match(part)
        if not match and _NUMBER.match(part):
            unit = next((p for p in parts[index + 1:] if p), "")
            if unit in _SECONDS:
                raise DurationError(f"'{part} {unit}' with a space between the number and its unit", offset,
                                    f"'{part}{unit}', with no space")
            raise DurationError(f"'{part}' with no unit", offset, f"a unit after the number: {part}s, {part}m or {part}ms")
        if not match:
            raise DurationError(f"'{part}'", offset)
        unit = _ORDER.index(match.group(2))
        if unit <= last_unit:
            raise DurationError(f"'{part}' out of order or repeated", offset)
        last_unit = unit
        total += float(match.group(1)) * _SECONDS[match.group(2)]
        offset += len(part) + 1
    if total <= 0:
        raise DurationError(f"a zero duration '{text.strip()}'", len(text) - len(text.lstrip()))
    return total
