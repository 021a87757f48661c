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


def banner(sentence: str, at: str, label: str) -> str:
    """A framed sentence and the time in block letters, for the terminal."""
    rows = [sentence, "", *big(at), "", label]
    width = max(len(r) for r in rows) + 4
    line = "═" * width
    body = "\n".join(f"║  {r:<{width - 4}}  ║" for r in rows)
    return f"╔{line}╗\n{body}\n╚{line}╝"
