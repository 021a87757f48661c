"""Where things live: the built-in data, and the user's private folders.

The built-in sequences and sounds sit at the top of the repository (scripts/,
audio/); a wheel carries them as companion/_data/. Look in the wheel's place
first, then the repository's.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "companion"
_PACKAGE = Path(__file__).resolve().parent


def builtin(name: str) -> Path:
    """The folder of built-in `scripts` or `audio`."""
    for root in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if root.is_dir():
            return root
    return _PACKAGE.parent / name


def _dirs():
    from platformdirs import PlatformDirs

    return PlatformDirs(APP, appauthor=False)


def cache_dir() -> Path:
    return Path(_dirs().user_cache_dir)


def data_dir() -> Path:
    return Path(_dirs().user_data_dir)


def config_dir() -> Path:
    return Path(_dirs().user_config_dir)


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by its owner alone (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
