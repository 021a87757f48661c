"""The answer a pydantic model gave for a file a person wrote, kept until the file or the code changes.

config.toml and the break agreement are checked by their models (config_model.py,
together/agreement_model.py). The pause and `progress` read them before their first word, where
importing pydantic costs about 50 ms (more than all of `companion --version`): so each is checked
once a change, and what the model answered is kept here, in the cache folder, with what was
checked (`key`) and a stamp of the code that checked it.
"""

from __future__ import annotations

import os

PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _stamp(code: tuple[str, ...]) -> list:
    """The checking code's files (relative to the package), as (mtime, size): an upgrade checks again."""
    return [[info.st_mtime_ns, info.st_size] for info in (os.stat(os.path.join(PACKAGE, name)) for name in code)]


def _where(name: str) -> str:
    from .paths import user_dir

    return os.path.join(user_dir("cache"), f"checked-{name}.json")


def recall(name: str, key, code: tuple[str, ...]):
    """The answer kept for `key` by the same code, or None (never kept, another key, or unreadable)."""
    import json

    try:
        with open(_where(name), encoding="utf-8") as f:
            kept = json.load(f)
        if kept["key"] == key and kept["code"] == _stamp(code):
            return kept["answer"]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # none yet, or damaged: checked again
    return None


def keep(name: str, key, code: tuple[str, ...], answer) -> None:
    """Kept privately (0600 in a 0700 folder); a cache that cannot be written is checked again next time."""
    import json

    from .paths import cache_dir, private_dir, write_private

    try:
        private_dir(cache_dir())
        write_private(_where(name), json.dumps({"key": key, "code": _stamp(code), "answer": answer},
                                               ensure_ascii=False))
    except OSError:
        pass


def first_problem(error, top: str) -> tuple[str, str]:
    """A pydantic ValidationError's first problem, for a one-line message: where (the dotted path to the
    field, or `top` for the whole document) and what pydantic said of it."""
    problem = error.errors()[0]
    return ".".join(str(part) for part in problem["loc"]) or top, problem["msg"]
