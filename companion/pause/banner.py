"""Large text for the return time, big enough to show the partner across a room."""

from __future__ import annotations

GLYPHS = {
    "0": ["█████", "█   █", "█   █", "█   █", "█████"],
    "1": ["  █  ", " ██  ", "  █  ", "  █  ", " ███ "],
    "2": ["█████", "    █", "█████", "█    ", "█████"],
    "3": ["█████", "    █", " ████", "    █", "█████"],
    "4": ["█   █", "█   █", "█████", "    █", "    █"],
    "5": ["█████", "█    ", "█████", "    █", "█████"],
    "6": ["█████", "█    ", "█████", "█   █", "█████"],
    "7": ["█████", "    █", "   █ ", "  █  ", "  █  "],
    "8": ["█████", "█   █", "█████", "█   █", "█████"],
    "9": ["█████", "█   █", "█████", "    █", "█████"],
    ":": ["     ", "  █  ", "     ", "  █  ", "     "],
}


def big(text: str) -> list[str]:
    """`text` (digits and colons) as five rows of block letters."""
    return ["  ".join(GLYPHS[ch][row] for ch in text if ch in GLYPHS) for row in range(5)]


def banner(sentence: str, at: str, label: str, columns: int = 0) -> str:
    """A framed sentence, then `label` and the time in block letters, for the terminal.

    The sentence wraps to fit `columns` (0: the terminal's width).
    """
    import shutil
    import textwrap

    # The frame adds 6 columns, and a line as wide as the terminal would wrap (Screen.caption).
    usable = (columns or shutil.get_terminal_size((80, 24)).columns) - 7
    time_rows = [label, *big(at)]
    if max(len(r) for r in time_rows) > usable:  # too narrow for block letters: plain, but whole
        time_rows = [f"{label} {at}"]
    text_width = max(usable, max(len(r) for r in time_rows), 20)
    lines: list[str] = []
    for part in sentence.replace(". ", ".\n").splitlines():  # break between sentences where one must
        if lines and len(lines[-1]) + 1 + len(part) <= text_width:
            lines[-1] += " " + part
        else:
            lines += textwrap.wrap(part, text_width)
    rows = [*lines, "", *time_rows]
    width = max(len(r) for r in rows) + 4
    line = "═" * width
    body = "\n".join(f"║  {r:<{width - 4}}  ║" for r in rows)
    return f"╔{line}╗\n{body}\n╚{line}╝"
