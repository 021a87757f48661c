"""Finding sequences by name: the user's own first, then the built-in ones."""

from __future__ import annotations

from pathlib import Path

from .paths import builtin, config_dir
from .textsafe import visible

DEFAULT = "stay"
SUFFIX = ".txt"


class NotFound(LookupError):
    pass


def builtin_scripts() -> dict[str, Path]:
    return {p.stem: p for p in sorted(builtin("scripts").glob(f"*{SUFFIX}"))}


def user_scripts() -> dict[str, Path]:
    folder = config_dir() / "scripts"
    return {p.stem: p for p in sorted(folder.glob(f"*{SUFFIX}"))} if folder.is_dir() else {}


def all_scripts() -> dict[str, Path]:
    return builtin_scripts() | user_scripts()


def parsed_scripts(warn) -> dict:
    """Every sequence that parses, by id; each one that does not is skipped with one line saying why."""
    from .script import ScriptError, parse_file

    found = {}
    for script_id, path in all_scripts().items():
        try:
            found[script_id] = parse_file(path)
        except ScriptError as e:
            warn(f"skipping {e}")
    return found


def resolve(name: str) -> Path:
    """The script file for a name or a path; NotFound says what to do instead."""
    path = Path(name).expanduser()
    if path.suffix or "/" in name or "\\" in name:
        if path.is_file():
            return path
        raise NotFound(_not_a_script(name, path))
    found = all_scripts().get(name)
    if found is None:
        if path.exists():  # a folder or a device given by a bare name, e.g. `check scripts`
            raise NotFound(_not_a_script(name, path))
        raise NotFound(visible(f"no sequence named '{name}'; run 'companion list' to see them, or give a file path"))
    return found


def _not_a_script(name: str, path: Path) -> str:
    """What is at `path` instead of a script file, and what to give instead."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return visible(f"no script file at {name}; check the path, or run 'companion list' for the built-in ones")
    if stat.S_ISDIR(mode):
        what = "a folder"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        what = "a device"
    elif stat.S_ISFIFO(mode):
        what = "a pipe"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    else:
        what = "not a regular file"
    return visible(f"{name} is {what}, not a script file; expected a plain text file such as my-script{SUFFIX}")
