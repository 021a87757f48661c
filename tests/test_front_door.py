"""The front door (companion/startup/): __main__ calls it, and nothing else in companion imports it."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "companion"


def imported(path: Path) -> set[str]:
    """Every companion module `path` imports, at the top or inside a function, as an absolute name."""
    here = ["companion", *path.relative_to(PACKAGE).parent.parts]  # relative imports start from the package
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("companion")}


def test_nothing_in_companion_imports_the_start_up_path_but_main():
    importers = {str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                 if "startup" not in path.relative_to(PACKAGE).parts
                 and any(name == "companion.startup" or name.startswith("companion.startup.")
                         for name in imported(path))}
    assert importers == {"__main__.py"}
