"""The rooms of companion/ and the stairs between them (issue 19): no circle of files, no arrow up.

The import graph is read from the source (ast), every import counted: at the top of a module or
inside a function, absolute or relative; `from x import y` counts as an arrow to x.y when y is a
module, else to x. The layers are written once, below, bottom to top: a module may import its
own layer and any layer below, never one above.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "companion"

# Bottom to top. A module's layer is that of the longest name here that it is, or is inside;
# "__init__" is companion/__init__.py (the version).
LAYERS = (
    ("__init__", "paths", "debug", "textsafe", "interrupt", "checked", "state", "config_model", "sounds", "options"),
    ("journal", "config", "partner"),  # partner: the link to a paired device (issue 21), beside the journal
    ("script", "lines", "spoken", "library"),  # the format, and the words a session speaks itself
    ("playback",),  # timeline -> cursor -> player -> outputs, on pcm
    ("voice",),  # speech rendered into playback's pcm, the player's clips
    ("lengths", "first_line"),  # first_line: a script's first line and its shipped clip, for the door and the pause
    ("prepare",),  # the library rendered ahead: after a session, by the moments and the CLI
    ("session",),  # the loop, its policies, keys, screen and journal row
    ("pause", "practice", "together", "record"),  # the moments
    ("doctor", "catalogue", "voice_table"),  # what `show`, `list` and `voices` print (show's times by session.screen.clock)
    ("cli",),
    ("startup", "__main__"),  # the front door: nothing imports it (tests/test_front_door.py)
)

# Arrows up that stay, each with why (at most 2).
EXCEPTIONS = {
    ("playback.assets", "voice.loudness"):
        "a bundled sound is brought to speech's level by the voice's own loudness measure (pure, no imports)",
}

# Arrows up and circles outside the session rooms, being removed on other branches of issue 19: the
# lead empties these as those branches merge (an entry that no longer happens fails, to be deleted).
KNOWN_UP: set = set()
KNOWN_SAME_NAMES: set = set()
KNOWN_CIRCLES: set = set()


def modules() -> dict[str, Path]:
    """Every module, by its name inside the package ("session.loop"; a package by its folder's name)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def arrows() -> dict[str, set[str]]:
    """Each module's imports of other modules of the package."""
    names = modules()
    graph = {}
    for name, path in names.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        if name == "__init__":
            package = ""
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".") if package else []
                    base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                    base = ["companion", *base, *([node.module] if node.module else [])]
                else:
                    base = (node.module or "").split(".")
                module = ".".join(base)
                targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}"[10:] in names else module
                           for alias in node.names]
            else:
                continue
            for target in targets:
                if target == "companion":
                    found.add("__init__")
                elif target.startswith("companion."):
                    found.add(target[len("companion."):])
        graph[name] = {t for t in found if t in names and t != name}
    return graph


def layer(name: str) -> int:
    best, level = "", None
    for n, names in enumerate(LAYERS):
        for room in names:
            if (name == room or name.startswith(room + ".")) and len(room) > len(best):
                best, level = room, n
    assert level is not None, f"companion/{name.replace('.', '/')}.py is in no layer: add it to LAYERS"
    return level


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan's, without recursion)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
    return found


def up_arrows(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(a, b) for a, targets in graph.items() for b in targets if layer(b) > layer(a)}


def test_the_graph_sees_imports_inside_functions_relative_and_from_a_package():
    graph = arrows()
    assert "session.keys_windows" in graph["session.keys"]  # inside a function, relative
    assert "session.loop" in graph["pause.flow"]  # `from ..session.loop import run`, inside a method
    assert "playback.pcm" in graph["session.loop"]  # `from ..playback import pcm`: the module, not the package
    assert "__init__" in graph["practice.report"]  # `from .. import __version__`


def test_every_module_is_in_a_layer():
    for name in modules():
        layer(name)


def test_no_circle_of_files():
    found = [c for c in circles(arrows()) if frozenset(c) not in KNOWN_CIRCLES]
    assert not found, "modules that import each other, counting imports inside functions: " + "; ".join(
        " <-> ".join(sorted(c)) for c in found)


def test_no_arrow_runs_up_a_layer():
    up = up_arrows(arrows()) - set(EXCEPTIONS) - KNOWN_UP
    assert not up, "imports from a lower layer to a higher one (see LAYERS): " + "; ".join(
        f"{a} -> {b}" for a, b in sorted(up))


def test_at_most_two_exceptions_each_still_needed():
    assert len(EXCEPTIONS) <= 2
    assert all(why for why in EXCEPTIONS.values())
    up = up_arrows(arrows())
    assert set(EXCEPTIONS) <= up, f"no longer imported, remove from EXCEPTIONS: {sorted(set(EXCEPTIONS) - up)}"


def test_the_known_violations_still_happen_so_the_list_shrinks_as_they_are_fixed():
    graph = arrows()
    gone = sorted(KNOWN_UP - up_arrows(graph))
    assert not gone, f"fixed: remove from KNOWN_UP in tests/test_layers.py: {gone}"
    still = {frozenset(c) for c in circles(graph)}
    gone = [sorted(c) for c in KNOWN_CIRCLES if c not in still]
    assert not gone, f"fixed: remove from KNOWN_CIRCLES in tests/test_layers.py: {gone}"


def test_the_session_rooms_have_no_known_violation():
    """The session machinery's own part of issue 19 is done: nothing in playback/ is about keys, the
    screen or the journal; together takes nothing from the pause; and nothing listed above as still
    to fix is in session/, script/, journal/ or together/."""
    graph = arrows()
    playback = {b for a, targets in graph.items() if a.startswith("playback") for b in targets}
    assert not {b for b in playback if b.split(".")[0] in ("session", "journal")}
    assert not [(a, b) for a, targets in graph.items() for b in targets
                if a.startswith("together") and b.startswith("pause")]  # the break is lent by the CLI
    rooms = ("session", "script", "journal", "together", "playback.player", "playback.timeline")
    assert not [(a, b) for a, b in KNOWN_UP if a.startswith(rooms)]
    assert not [c for c in KNOWN_CIRCLES if any(m.startswith(rooms) for m in c)]


def test_no_two_modules_share_a_file_name():
    """A name says which module it is without its folder (an errors.py per package aside)."""
    from collections import Counter

    names = Counter(path.name for path in PACKAGE.rglob("*.py"))
    twice = {name for name, n in names.items() if n > 1} - {"__init__.py", "errors.py"}
    assert twice - KNOWN_SAME_NAMES == set(), f"file names used twice: {sorted(twice - KNOWN_SAME_NAMES)}"
    assert KNOWN_SAME_NAMES <= twice, f"fixed: remove from KNOWN_SAME_NAMES: {sorted(KNOWN_SAME_NAMES - twice)}"


def test_every_cli_module_is_under_150_lines():
    """cli/ declares Click commands and turns errors into one line; the work is in the rooms below it."""
    long = {path.name: n for path in sorted((PACKAGE / "cli").glob("*.py"))
            if (n := len(path.read_text(encoding="utf-8").splitlines())) >= 150}
    assert not long, f"over 150 lines (move the work to the room that owns it): {long}"
