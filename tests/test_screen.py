"""The terminal's captions and progress line, on a stand-in terminal."""

import io

import pytest

from companion.screen import Screen


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_long_caption_wraps_between_words_on_a_narrow_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    out = Terminal()
    Screen(out).caption("If you or anyone is in danger, leave now and get help. This is a practice.")
    lines = out.getvalue().splitlines()
    assert all(len(line) < 40 for line in lines) and len(lines) == 2
    assert " ".join(lines) == "If you or anyone is in danger, leave now and get help. This is a practice."


def test_captions_to_a_pipe_stay_whole_lines(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()
    Screen(out).caption("If you or anyone is in danger, leave now and get help. This is a practice.")
    assert out.getvalue().count("\n") == 1


def test_a_wait_shows_its_own_countdown_instead_of_the_sequence_times(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    out = Terminal()
    Screen(out).status(8, 63, note="back at 21:40 · 0:52 left · space quiet · q end", times=False)
    assert "back at 21:40 · 0:52 left" in out.getvalue() and "1:03" not in out.getvalue()


class ClosedTerminal(Terminal):
    def write(self, text):
        raise OSError(5, "Input/output error")


def test_a_terminal_that_has_gone_is_written_to_no_more_and_raises_nothing():
    screen = Screen(ClosedTerminal())
    screen.status(1, 10)
    screen.caption("Still here.")
    screen.close()
    assert screen.out is None


def test_a_line_from_a_pipe_leaves_the_keys_after_it_unread():
    import os

    from companion.screen import Keys

    read_end, write_end = os.pipe()
    os.write(write_end, b"7\nnq")
    os.close(write_end)
    with open(read_end, encoding="latin-1") as stream:
        keys = Keys(stream)
        assert keys.line("rate? ") == "7"
        assert keys.read(0.1) == "n" and keys.read(0.1) == "q"
        assert keys.read(0.1) is None and not keys.active
        with pytest.raises(EOFError):
            keys.line("again? ")
