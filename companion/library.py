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


def sources() -> dict[str, tuple[str, bool]]:
    """Each name's source ("builtin" or "user") and whether the user's script replaces a built-in one."""
    builtins, users = builtin_scripts(), user_scripts()
    return {name: ("user", name in builtins) if name in users else ("builtin", False)
            for name in builtins | users}


def looks_like_path(name: str) -> bool:
    return bool(Path(name).suffix) or "/" in name or "\\" in name


def names_completing(incomplete: str) -> list[str]:
    """The sequences' names (built-in and yours) that Tab may complete `incomplete` to: none for what looks
    like a path, or when the scripts folder cannot be read; never a name a shell could not take as one word
    (a space, a control character)."""
    if looks_like_path(incomplete) or incomplete.startswith(("~", ".")):
        return []
    try:
        names = all_scripts()
    except OSError:  # an unreadable scripts folder: the shell still completes file names
        return []
    return [name for name in names if name.startswith(incomplete) and name.isprintable()
            and not any(c.isspace() for c in name)]


def resolve(name: str) -> Path:
    """The script file for a name or a path; NotFound says what to do instead."""
    path = Path(name).expanduser()
    if looks_like_path(name):
        if path.is_file():
            return path
        raise NotFound(_not_a_script(name, path))
    scripts = all_scripts()
    found = scripts.get(name)
    if found is None:
        if path.exists():  # a folder or a device given by a bare name, e.g. `check scripts`
            raise NotFound(_not_a_script(name, path))
        raise NotFound(visible(_with_hint(f"no sequence named '{name}'", _did_you_mean(name, scripts),
                                          "run 'companion list' to see them, or give a file path")))
    return found


def _with_hint(what: str, hint: str, then: str) -> str:
    """ "what; then", or "what; did you mean X? Then" when there is a hint."""
    return f"{what}; {hint} {then[0].upper()}{then[1:]}" if hint else f"{what}; {then}"


def _did_you_mean(typed: str, candidates, shown=repr) -> str:
    """ "did you mean 'stay'?" for the nearest of `candidates`, or "" when none is near."""
    import difflib  # only on the way to an error: the pause never pays for it

    near = difflib.get_close_matches(typed, list(candidates), n=2, cutoff=0.7)
    return f"did you mean {' or '.join(shown(c) for c in near)}?" if near else ""


def _file_beside(name: str, path: Path) -> str:
    """ "did you mean DIR/my-script.txt?" for a file of a near name in the folder the path names."""
    import os

    try:
        with os.scandir(path.parent) as entries:  # a huge folder is not read whole for a hint
            files = [e.name for _, e in zip(range(2000), entries) if e.is_file()]
    except OSError:
        files = []
    prefix = name[: len(name) - len(path.name)] if name.endswith(path.name) else f"{path.parent}{os.sep}"
    # Stems against stems, so a shared ".txt" does not make every file look near.
    stems = {Path(f).stem: f for f in files if not path.suffix or Path(f).suffix == path.suffix}
    hint = _did_you_mean(path.stem, stems, shown=lambda stem: prefix + stems[stem])
    if not hint and path.suffix == SUFFIX and path.stem:  # `play stay.txt` for the sequence `stay`
        hint = _did_you_mean(path.stem, all_scripts())
        hint = hint and f"{hint[:-1]} (a sequence, by name)?"
    return hint


def _not_a_script(name: str, path: Path) -> str:
    """What is at `path` instead of a script file, and what to give instead."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return visible(_with_hint(f"no script file at {name}", _file_beside(name, path),
                                  "check the path, or run 'companion list' for the built-in ones"))
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
