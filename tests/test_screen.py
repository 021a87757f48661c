"""The terminal's captions and progress line, on a stand-in terminal."""

import io

import pytest

from companion.session.screen import Screen


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

    from companion.session.keys import Keys

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


def raw_controls(text):
    return [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0]


def test_a_caption_shows_a_scripts_escape_codes_instead_of_sending_them():
    out = io.StringIO()
    Screen(out).caption("\x1b]0;pwned\x07\x1b[2JHello\x9b31m\nsecond line")
    assert out.getvalue() == "\\x1b]0;pwned\\x07\\x1b[2JHello\\x9b31m\nsecond line\n"


def test_on_a_terminal_only_the_screens_own_codes_are_sent(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    out = Terminal()
    screen = Screen(out)
    screen.status(1, 10, note="\x1b[2J back at 21:40")
    screen.caption("Hi\x1b[31m")
    screen.close()
    written = out.getvalue().replace("\r\033[K", "")  # the screen's own: return and erase the line
    assert not raw_controls(written) and "\\x1b[2J back at 21:40" in written and "Hi\\x1b[31m\n" in written


class BrokenPipe(io.StringIO):
    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_is_gone_and_written_to_no_more():
    screen = Screen(BrokenPipe())
    assert not screen.gone
    screen.caption("Hello.")
    assert screen.gone
    screen.caption("Still here.")  # raises nothing


def _session_to_a_closed_pipe(tmp_path, output_name, pause):
    from companion.journal.store import Journal
    from companion.playback.outputs import ClockOutput
    from companion.playback.player import Player
    from companion.script import parse
    from companion.session.journal_row import Record
    from companion.session.loop import run
    from tests.fakes import FakeClips, FakeClock

    class Keys:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

        def read(self, timeout_s):
            import time

            time.sleep(0.002)

    steps = parse(f'+++\ntitle = "T"\n+++\nHello.\n[pause {pause}]\nStill here.\n[pause {pause}]\nGoodbye.\n').steps
    clock = FakeClock()
    output = ClockOutput(clock=clock, sleep=lambda s: (clock.sleep(s), __import__("time").sleep(0.001)), step_s=0.5)
    output.name = output_name  # stands for the sound device: the session must not care how it is played
    journal = Journal(tmp_path / "j.sqlite3")
    outcome = run(Player(steps, FakeClips()), output, screen=Screen(BrokenPipe()), keys=Keys(),
                  record=Record(lambda: journal, "t", "T", "play"))
    return outcome, journal.recent()[0]


def test_a_captions_only_session_whose_pipe_closed_ends_as_stopped(tmp_path):
    outcome, row = _session_to_a_closed_pipe(tmp_path, "captions", "1h")
    assert outcome.reason == "stopped" and outcome.exit_code == 0
    assert row["end_reason"] == "stopped" and row["played_s"] < 3600  # it stopped in the first hour's wait


def test_a_session_with_sound_goes_on_when_only_its_captions_pipe_closed(tmp_path):
    outcome, row = _session_to_a_closed_pipe(tmp_path, "device", "5m")
    assert outcome.reason == "completed" and row["played_s"] > 600


def test_a_line_from_a_pipe_is_echoed_with_its_escape_codes_shown(capsys):
    import os

    from companion.session.keys import Keys

    read_end, write_end = os.pipe()
    os.write(write_end, b"\x1b[2J7\n")
    os.close(write_end)
    with open(read_end, encoding="latin-1") as stream:
        assert Keys(stream).line("rate? ") == "\x1b[2J7"
    assert capsys.readouterr().out == "rate? \\x1b[2J7\n"
