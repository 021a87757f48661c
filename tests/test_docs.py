"""The README stays a newcomer's page, and the docs stay attached to the repository and the program.

Pure reading of files, plus one `companion --help`: no sound, no speech.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
FOLDER_READMES = [ROOT / "bench" / "README.md", ROOT / "audio" / "README.md"]
MAX_README_LINES = 300

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")  # [text](target), not images
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def prose(text: str) -> str:
    """The text without its fenced code blocks: a `[x](y)` inside a code sample is not a link."""
    return FENCE.sub("", text)


def links(path: Path) -> list[str]:
    return LINK.findall(prose(path.read_text(encoding="utf-8")))


def relative(target: str) -> bool:
    return not re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) and not target.startswith("//")


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for a Markdown file's headings: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    for line in prose(path.read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).lower()).replace(" ", "-")
            found.add(slug)
    return found


def test_the_readme_is_short_enough_to_read():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def test_the_readme_s_first_screen_speaks_to_a_person_not_of_internals():
    first_screen = "\n".join(README.read_text(encoding="utf-8").splitlines()[:50]).lower()
    internals = [word for word in ("msvcrt", "aiff", "pyttsx3", "portaudio", "onnxruntime", "sqlite", "pydantic")
                 if word in first_screen]
    assert not internals, f"README.md's first screen names {internals}; that belongs in docs/"


def test_the_docs_exist_and_the_readme_links_each():
    named = {"design.md", "voices.md", "scripts.md", "journal.md", "platforms.md", "testing.md"}
    assert named <= {p.name for p in DOCS}
    linked = {Path(t.split("#")[0]).name for t in links(README) if t.startswith("docs/")}
    assert named <= linked, f"README.md does not link {sorted(named - linked)}"


@pytest.mark.parametrize("page", [README, *DOCS, *FOLDER_READMES], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file_in_the_repository(page):
    broken = []
    for target in filter(relative, links(page)):
        file_part, _, anchor = target.partition("#")
        resolved = (page.parent / file_part).resolve() if file_part else page
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def command_table() -> list[str]:
    """The commands the README's table names: its first column, `companion NAME ...`."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("\n| command | what it does |"):]
    table = table[:table.index("\n\n")]
    return re.findall(r"^\| `companion ([a-z-]+)", table, re.MULTILINE)


def test_every_command_in_the_readme_table_is_one_the_program_has():
    help_text = subprocess.run([sys.executable, "-m", "companion", "--help"], capture_output=True, text=True,
                               timeout=60, cwd=ROOT, check=True).stdout
    commands = set(re.findall(r"^  ([a-z-]+)  ", help_text[help_text.index("Commands:"):], re.MULTILINE))
    named = command_table()
    assert len(named) >= 10, named  # the table was found and read
    assert set(named) <= commands, f"not in `companion --help`: {sorted(set(named) - commands)}"
    assert commands <= set(named), f"missing from the README's table: {sorted(commands - set(named))}"


def test_every_built_in_sequence_is_in_the_library_table_with_a_passage_of_the_essay():
    """docs/scripts.md traces each built-in sequence to the essay: a new one needs its row."""
    rows = {}
    for line in (ROOT / "docs" / "scripts.md").read_text(encoding="utf-8").splitlines():
        row = re.match(r"^\| `([a-z0-9-]+)` \|(.*)\|\s*$", line)
        if row:
            rows[row.group(1)] = row.group(2).split("|")[-1].strip()
    builtin = {p.stem for p in (ROOT / "scripts").glob("*.txt")}
    assert builtin - rows.keys() == set(), f"no row in docs/scripts.md for {sorted(builtin - rows.keys())}"
    unsourced = sorted(name for name in builtin if not (re.search(r'"[^"]+"', rows[name])
                                                         or "not from the essay" in rows[name]))
    assert not unsourced, f"no passage of the essay named for {unsourced}"
