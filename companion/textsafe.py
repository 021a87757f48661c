"""Text from a script, a config or a path, made safe to print and to speak.

A script's title or a bad line can hold terminal escape codes (ESC ]0; retitles
the window, ESC [2J clears it): everything that reaches the terminal from
outside the program goes through `visible`. Only the stdlib's builtins here:
the pause's hot path imports this module.
"""

# Longest a spoken line or a turn's prompt may be. The built-in scripts' longest is about
# 100 characters; espeak-ng segfaults on a line of about 45,000 bytes, and a long line is
# slow to render, so a line far beyond any real one is refused where `check` can say so.
MAX_SPOKEN_CHARS = 600
MAX_TITLE_CHARS = 120
MAX_SUMMARY_CHARS = 400
# An error line quotes at most this much of what it found.
MAX_FOUND_CHARS = 80

# C0 controls, DEL and C1 controls, as escapes a reader can see ("\x1b"); and the bidirectional
# overrides and isolates, which can make a line read differently from what it holds.
_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | \
    {code: f"\\u{code:04x}" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_ESCAPES_KEEP_NEWLINE = {code: text for code, text in _ESCAPES.items() if code != 0x0A}


def visible(text: str, newlines: bool = False) -> str:
    """`text` with every control character shown as an escape (`\\x1b`); `newlines` keeps line breaks.

    Bytes that were not UTF-8 (kept by Python as lone surrogates, e.g. in a
    file name) are shown as `\\xff` too, so printing never fails on them.
    """
    if text.isprintable():
        return text
    text = text.translate(_ESCAPES_KEEP_NEWLINE if newlines else _ESCAPES)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join(c if not 0xD800 <= ord(c) <= 0xDFFF else
                       f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else "\ufffd" for c in text)
    return text


def clip(text: str, width: int = MAX_FOUND_CHARS) -> str:
    """At most `width` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[: width - 1] + "…"

