"""Small things remembered between runs (the side chosen last time), private."""

from __future__ import annotations

import os

from .paths import data_dir, private_dir


def _path():
    return data_dir() / "state.json"


def load() -> dict:
    import json

    try:
        return json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save(**values) -> None:
    import json

    path = _path()
    try:
        private_dir(path.parent)  # made 0700; one the user made read-only is not made writable
        data = load() | values
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(temporary, path)
    except OSError:
        pass  # remembering the side is a convenience, never a reason to fail
