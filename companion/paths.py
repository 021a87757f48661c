"""Where things live: the built-in data, and the user's private folders.

The built-in sequences and sounds sit at the top of the repository (scripts/,
audio/); a wheel carries them as companion/_data/. Look in the wheel's place
first, then the repository's.
"""

from __future__ import annotations

import os
import sys

# typing.TYPE_CHECKING's meaning without importing typing, which brings re and enum: 14-16 ms of CPU on the
# first word's path (lower quartile of 25 runs, 2 shared cores; the whole warm path is about 40 ms). Type
# checkers read a module's own TYPE_CHECKING = False as true, as they do typing's. The modules on that path
# (paths, pcm, outputs, first_line, piper_engine, recorded) say it this way; others import typing's.
TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only: pathlib (with urllib, ipaddress) costs 11-15 ms of CPU there
    from pathlib import Path

APP = "companion"
_XDG = {"cache": ("XDG_CACHE_HOME", "~/.cache"), "data": ("XDG_DATA_HOME", "~/.local/share"),
        "config": ("XDG_CONFIG_HOME", "~/.config")}


def builtin_folder(name: str) -> str:
    """The folder of built-in `scripts` or `audio`, found with `os.path` alone (the start-up path's)."""
    package = os.path.dirname(os.path.realpath(__file__))
    for root in (os.path.join(package, "_data", name), os.path.join(os.path.dirname(package), name)):
        if os.path.isdir(root):
            return root
    return os.path.join(os.path.dirname(package), name)


def builtin(name: str) -> Path:
    """The folder of built-in `scripts` or `audio`, as a Path."""
    from pathlib import Path

    return Path(builtin_folder(name))


def user_dir(kind: str) -> str:
    """The user's `cache`, `data` or `config` folder for companion: platformdirs' answer.

    On Linux it is the XDG rule, computed here: importing platformdirs costs
    about 6 ms of a cold pause's first word (tests/test_paths.py keeps the two
    in step).
    """
    if sys.platform.startswith("linux"):
        variable, default = _XDG[kind]
        base = os.environ.get(variable, "").strip() or os.path.expanduser(default)
        return os.path.join(base, APP)
    from platformdirs import PlatformDirs

    return getattr(PlatformDirs(APP, appauthor=False), f"user_{kind}_dir")


def cache_dir() -> Path:
    from pathlib import Path

    return Path(user_dir("cache"))


def data_dir() -> Path:
    from pathlib import Path

    return Path(user_dir("data"))


def config_dir() -> Path:
    from pathlib import Path

    return Path(user_dir("config"))


def private_dir(path: Path) -> Path:
    """Create `path` (and any missing parents) readable by its owner alone (0700), whatever the umask.

    Each new folder is private from the moment it exists (mkdir's mode is masked by the umask, so
    chmod follows). One that exists only loses group's and others' access: it is never chmodded
    to gain any, so a folder the user made read-only stays so. NotADirectoryError if it is not a
    folder."""
    import stat

    missing, place = [], path
    while not os.path.lexists(place) and place != place.parent:
        missing.append(place)
        place = place.parent
    for new in reversed(missing):
        try:
            os.mkdir(new, 0o700)
        except FileExistsError:  # another process made it a moment ago
            continue
        os.chmod(new, 0o700)
    info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode):
        import errno

        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(path))
    tighten(path, stat.S_IMODE(info.st_mode))
    return path


def tighten(path, mode: int) -> None:
    """Take away group's and others' access to `path` (whose mode is `mode`); keep the owner's as it is."""
    if mode & 0o077:
        try:
            os.chmod(path, mode & 0o700)
        except OSError:  # not ours to change: it is still readable, and doctor says so
            pass


def write_private(path: Path, text: str) -> None:
    """Replace the file `path` with `text`: 0600 from its first byte, and never seen half-written."""
    with replacing(path) as f:
        f.write(text.encode("utf-8"))


class replacing:
    """`with replacing(path) as f:` writes (bytes) to a private file beside `path` (0600 from its first
    byte, whatever the umask) and moves it over `path` once the block ends; on any failure, or Ctrl-C,
    `path` is as it was and nothing is left beside it. The file reaches the disk before the move, and the
    move before the block is left, so a crash just after never leaves `path` empty."""

    def __init__(self, path, suffix: str = ""):
        self.path, self.suffix = path, suffix

    def __enter__(self):
        import tempfile

        fd, self.temporary = tempfile.mkstemp(prefix=".tmp", suffix=self.suffix,
                                              dir=os.path.dirname(os.path.abspath(self.path)))  # mkstemp: 0600
        self.file = os.fdopen(fd, "wb")
        return self.file

    def __exit__(self, kind, value, traceback) -> None:
        try:
            try:
                if kind is None:
                    self.file.flush()
                    os.fsync(self.file.fileno())
            finally:
                self.file.close()
            if kind is None:
                os.replace(self.temporary, self.path)
                sync_folder(os.path.dirname(os.path.abspath(self.path)))
                return
        except BaseException:
            kind = True
            raise
        finally:
            if kind is not None:
                try:
                    os.unlink(self.temporary)
                except OSError:
                    pass


def sync_folder(folder: str) -> None:
    """Bring a folder's entries (a file moved or linked in) to the disk, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot sync a folder: the file itself is on the disk
        pass
    finally:
        os.close(fd)
