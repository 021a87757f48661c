"""`companion render -o`: never the script it reads, another file only when asked, one line when it cannot."""

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from companion.cli.app import cli
from tests.conftest import ESPEAK_GUIDE


TINY = '+++\ntitle = "Tiny"\nfor = "both"\n+++\nYou are here.\n'


@pytest.fixture
def home(tmp_path, monkeypatch):
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    (tmp_path / "config" / "companion").mkdir(parents=True)
    (tmp_path / "config" / "companion" / "config.toml").write_text(ESPEAK_GUIDE)
    (tmp_path / "mine.txt").write_text(TINY)
    monkeypatch.chdir(tmp_path)
    return env


def render(*args):
    return CliRunner().invoke(cli, ["render", *args])


def test_render_writes_a_wav(home, tmp_path):
    result = render("mine.txt", "-o", "mine.wav")
    assert result.exit_code == 0 and (tmp_path / "mine.wav").read_bytes()[:4] == b"RIFF"


@pytest.mark.parametrize("target", ["mine.txt", "./mine.txt", "link.txt", "hard.txt"])
def test_render_never_overwrites_the_script_it_reads(home, tmp_path, target):
    os.symlink(tmp_path / "mine.txt", tmp_path / "link.txt")
    os.link(tmp_path / "mine.txt", tmp_path / "hard.txt")
    for force in ([], ["--force"]):
        result = render("mine.txt", "-o", target, *force)
        assert result.exit_code == 2 and result.output == \
            f"companion: {os.path.normpath(target)} is the script being rendered; choose another file with -o\n"
    assert (tmp_path / "mine.txt").read_text() == TINY


def test_render_without_a_terminal_refuses_to_overwrite_another_file_without_force(home, tmp_path):
    (tmp_path / "notes.wav").write_text("precious")
    result = render("mine.txt", "-o", "notes.wav")
    assert result.exit_code == 2 and result.output == \
        "companion: notes.wav exists; add --force to overwrite it, or choose another path with -o\n"
    assert (tmp_path / "notes.wav").read_text() == "precious"
    assert render("mine.txt", "-o", "notes.wav", "--force").exit_code == 0
    assert (tmp_path / "notes.wav").read_bytes()[:4] == b"RIFF"


def in_a_terminal(env, cwd, args, answer):
    """Run companion on a pseudo-terminal; answer its question with `answer`: (exit code, what it showed)."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "companion", *args], env=env, cwd=cwd, stdin=follower,
                               stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    shown = b""
    try:
        while b"Overwrite it? [y/N]: " not in shown:  # the question is on screen
            chunk = os.read(leader, 1024)
            assert chunk, shown
            shown += chunk
        os.write(leader, answer)
        while True:
            try:
                chunk = os.read(leader, 1024)
            except OSError:  # EIO: the program has ended and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        return process.wait(timeout=120), shown.decode()
    finally:
        process.kill()
        os.close(leader)


def test_render_in_a_terminal_asks_before_overwriting(home, tmp_path):
    (tmp_path / "notes.wav").write_text("precious")
    code, shown = in_a_terminal(home, tmp_path, ["render", "mine.txt", "-o", "notes.wav"], b"n\n")
    assert code == 1 and "companion: notes.wav was left as it was" in shown
    assert (tmp_path / "notes.wav").read_text() == "precious"
    code, shown = in_a_terminal(home, tmp_path, ["render", "mine.txt", "-o", "notes.wav"], b"y\n")
    assert code == 0 and "Wrote notes.wav" in shown and (tmp_path / "notes.wav").read_bytes()[:4] == b"RIFF"


def test_render_into_a_missing_folder_is_one_line_and_nothing_more(home, tmp_path):
    done = subprocess.run([sys.executable, "-m", "companion", "render", "mine.txt", "-o", "nowhere/out.wav"],
                          env=home, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "companion: cannot write nowhere/out.wav: there is no folder nowhere; create it, " \
                          "or choose another path with -o\n"


def test_render_wav_that_cannot_open_its_file_leaves_no_half_made_writer(tmp_path):
    # wave.open(path) failing left a Wave_write whose __del__ printed "Exception ignored" at exit
    code = "import sys\nfrom companion.playback.outputs import render_wav\n" \
           "try: render_wav(None, 10, sys.argv[1])\nexcept OSError as e: print(type(e).__name__)\n"
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "none" / "x.wav")], capture_output=True,
                          text=True, timeout=60)
    assert done.stdout == "FileNotFoundError\n" and done.stderr == ""
