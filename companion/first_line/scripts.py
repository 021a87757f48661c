"""Which script a plain name plays, and its text, found with `os` alone (no pathlib, no parser).

As library.resolve: your own scripts first, then the built-in ones; yours only once the last
`prepare` saw them parse (index.checked), since play must not sound the first line of a script the
parser refuses. None means: the ordinary path decides (and says what is wrong).
"""

from __future__ import annotations

import os

from ..paths import builtin_folder, user_dir

MAX_SCRIPT_BYTES = 1 << 20  # as the parser's limit: a bigger file is the parser's to refuse


def builtin_script(name: str) -> str | None:
    """The built-in script `name`, as paths.builtin finds it."""
    path = os.path.join(builtin_folder("scripts"), name + ".txt")
    return path if os.path.isfile(path) else None


def script_for(name: str) -> str | None:
    """The script a plain `name` plays (yours first), or None: a path, no such sequence, or a script of
    yours that the last `prepare` did not see parse (it may not, and then nothing may sound)."""
    if not name or any(c in name for c in "./\\~") or name.startswith("-") or not name.isprintable():
        return None
    yours = os.path.join(user_dir("config"), "scripts", name + ".txt")
    if os.path.lexists(yours):
        from .index import checked

        return yours if os.path.isfile(yours) and checked(yours) else None
    return builtin_script(name)


def text_of(script: str) -> str | None:
    """The script's text, or None if it is too big or unreadable (the parser says so, later)."""
    try:
        if os.path.getsize(script) > MAX_SCRIPT_BYTES:
            return None
        with open(script, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None
