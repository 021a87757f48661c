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


def test_a_file_that_cannot_be_opened_leaves_no_half_made_writer(tmp_path):
    # wave.open(path) failing once left a Wave_write whose __del__ printed "Exception ignored" at exit
    code = "import sys\nfrom companion.playback.render import write\n" \
           "try: write(None, 10, sys.argv[1], {})\nexcept OSError as e: print(type(e).__name__)\n"
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "none" / "x.flac")], capture_output=True,
                          text=True, timeout=60)
    assert done.stdout == "FileNotFoundError\n" and done.stderr == ""


# -- formats, tags and captions (issue 20: take a sequence with you) ----------------------------------------

WALK = """+++
title = "A walk with a wait"
for = "pair"
+++
You are here.
[pause 1s]
A: I'm flooded.
You: I'm scared, and I'll wait.
[turn A up to 3s] Speak now.
Thank you.
"""
FORMATS = {"wav": 22050, "flac": 22050, "ogg": 22050, "opus": 48000, "mp3": 22050}
LOSSLESS = ("wav", "flac")


def companion(*args, env, cwd):
    done = subprocess.run([sys.executable, "-m", "companion", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    """WALK rendered once in every format (with .srt beside each, and one .vtt), and its `show --json`."""
    import json

    root = tmp_path_factory.mktemp("walk")
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"XDG_{name}_HOME"] = str(root / name.lower())
    (root / "config" / "companion").mkdir(parents=True)
    (root / "config" / "companion" / "config.toml").write_text(ESPEAK_GUIDE)
    (root / "walk.txt").write_text(WALK)
    for ext in FORMATS:
        shown = companion("render", "walk.txt", "-o", f"walk.{ext}", "--force", env=env, cwd=root).stdout
        assert shown == f"Wrote walk.{ext} and walk.srt ({shown.split('(')[1]}"
    companion("render", "walk.txt", "-o", "cues.wav", "--captions", "vtt", env=env, cwd=root)
    # show renders nothing: its lengths are measured once the clips are in the cache, as they are now
    plan = json.loads(companion("show", "walk.txt", "--json", env=env, cwd=root).stdout)
    assert not plan.get("estimated"), plan
    return root, plan


class Read:
    """What soundfile reads back from a file: its samples (float), rate, channels and tags."""

    def __init__(self, path):
        import soundfile

        with soundfile.SoundFile(path) as f:
            self.samples = f.read(dtype="float64")
            self.samplerate, self.channels = f.samplerate, f.channels
            self.title, self.album, self.artist = f.title, f.album, f.artist


def read(path):
    found = Read(path)
    return found, found.samples


def level_db(samples):
    import numpy as np

    return 10 * np.log10(np.mean(samples ** 2))


@pytest.mark.parametrize("ext", FORMATS)
def test_each_format_reads_back_at_the_planned_length_with_its_tags(walk, ext):
    root, plan = walk
    f, samples = read(root / f"walk.{ext}")
    assert f.samplerate == FORMATS[ext] and f.channels == 1
    last = plan["events"][-1]
    planned_s = (last["start"] + last["frames"]) / 22050  # exact: plan["seconds"] is rounded to the ms
    assert abs(len(samples) - planned_s * f.samplerate) <= max(1.0, planned_s)  # within a frame a second
    assert (f.title, f.album, f.artist) == ("A walk with a wait", "walk", "companion")
    assert os.stat(root / f"walk.{ext}").st_mode & 0o777 == 0o600


@pytest.mark.parametrize("ext", FORMATS)
def test_encoding_keeps_the_speech_level_of_the_wav(walk, ext):
    root, _ = walk
    _, wav = read(root / "walk.wav")
    _, other = read(root / f"walk.{ext}")
    if ext in LOSSLESS:
        assert (other == wav).all()  # the very samples
    assert abs(level_db(other) - level_db(wav)) < 1.0, ext


@pytest.mark.parametrize("ext", FORMATS)
def test_a_partners_turn_is_silence_of_its_planned_length(walk, ext):
    root, plan = walk
    (turn,) = [e for e in plan["events"] if e["kind"] == "turn"]
    f, samples = read(root / f"walk.{ext}")
    start, end = (round(frame * f.samplerate / 22050) for frame in (turn["start"], turn["start"] + turn["frames"]))
    assert level_db(samples[start - f.samplerate // 2:start]) > -50  # the prompt just before it is heard
    if ext in LOSSLESS:
        assert not samples[start:end].any()
    else:  # a lossy codec's edges may ring a little; the middle is silence
        middle = samples[start + f.samplerate // 10:end - f.samplerate // 10]
        assert len(middle) > 2 * f.samplerate and level_db(middle + 1e-12) < -70


def cues(text, separator):
    """(start, end, text) of every cue in an SRT (separator ",") or WebVTT (".") file."""
    found = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        timing = next(i for i, line in enumerate(lines) if " --> " in line)
        start, end = (seconds(stamp, separator) for stamp in lines[timing].split(" --> "))
        found.append((start, end, "\n".join(lines[timing + 1:])))
    return found


def seconds(stamp, separator):
    hms, ms = stamp.split(separator)
    h, m, s = hms.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


@pytest.mark.parametrize("kind", ["srt", "vtt"])
def test_the_caption_file_has_a_cue_at_each_spoken_lines_start_and_end(walk, kind):
    root, plan = walk
    path = root / ("walk.srt" if kind == "srt" else "cues.vtt")
    text = path.read_text()
    assert text.startswith("1\n" if kind == "srt" else "WEBVTT\n\n")
    spoken = [e for e in plan["events"] if e["kind"] == "speech"]
    found = cues(text.removeprefix("WEBVTT\n\n"), "," if kind == "srt" else ".")
    assert len(found) == len(spoken) == 5  # four lines and the turn's prompt
    for (start, end, caption), event in zip(found, spoken):
        assert start == pytest.approx(event["start_s"], abs=0.0011)
        assert end == pytest.approx(event["start_s"] + event["seconds"], abs=0.0011)
        assert caption == event["caption"]
    assert found[2][2] == 'You: "I\'m scared, and I\'ll wait."'
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_captions_none_writes_the_audio_alone(home, tmp_path):
    result = render("mine.txt", "-o", "mine.ogg", "--captions", "none")
    assert result.exit_code == 0 and result.output.startswith("Wrote mine.ogg (")
    assert sorted(p.name for p in tmp_path.glob("mine.*")) == ["mine.ogg", "mine.txt"]


def test_an_existing_caption_file_is_asked_about_like_the_audio(home, tmp_path):
    (tmp_path / "mine.srt").write_text("precious")
    result = render("mine.txt", "-o", "mine.wav")
    assert result.exit_code == 2 and result.output == \
        "companion: mine.srt exists; add --force to overwrite it, or choose another path with -o\n"
    assert not (tmp_path / "mine.wav").exists() and (tmp_path / "mine.srt").read_text() == "precious"


@pytest.mark.parametrize("name", ["mine.m4a", "mine", "mine.wav.bak"])
def test_an_unknown_extension_is_one_line_naming_the_formats_and_nothing_is_written(home, tmp_path, name):
    def beside():  # the folder -o names, not the program's own cache (its config's check is kept there)
        return sorted(p for p in tmp_path.iterdir() if p.name not in ("cache", "config", "data"))

    before = beside()
    done = subprocess.run([sys.executable, "-m", "companion", "render", "mine.txt", "-o", name], env=home,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"companion: cannot write {name}: render writes .wav, .flac, .ogg (Vorbis), .opus or " \
                          ".mp3; end the -o file's name with one of them\n"
    assert beside() == before


def test_the_first_word_paths_load_no_audio_file_library(home):
    probe = """
import importlib, pkgutil, sys
import companion.first_line, companion.pause, companion.startup
for package in (companion.startup, companion.first_line, companion.pause):
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
print(sorted(m for m in ("soundfile", "numpy", "cffi") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == "[]\n", done.stderr


def test_overwriting_with_force_leaves_both_files_private(home, tmp_path):
    for name in ("notes.mp3", "notes.srt"):
        (tmp_path / name).write_text("old")
        os.chmod(tmp_path / name, 0o644)
    assert render("mine.txt", "-o", "notes.mp3", "--force").exit_code == 0
    for name in ("notes.mp3", "notes.srt"):
        assert os.stat(tmp_path / name).st_mode & 0o777 == 0o600 and (tmp_path / name).read_bytes() != b"old"


def test_a_render_stopped_half_way_leaves_the_file_as_it_was_and_nothing_beside_it(tmp_path):
    from companion.playback.cursor import Audio, Cursor
    from companion.playback.render import write
    from companion.playback.timeline import Event

    events = [Event("bell", 0, 30000), Event("bell", 30000, 30000)]

    def fetch(index, event):
        if index == 1:
            raise KeyboardInterrupt  # Ctrl-C while the second half is prepared
        return Audio(b"\x10\x00" * event.frames)

    cursor = Cursor(events, fetch=fetch)
    cursor.planned.set()
    (tmp_path / "out.flac").write_text("precious")
    with pytest.raises(KeyboardInterrupt):
        write(cursor, 60000, tmp_path / "out.flac", {"title": "x"}, block=4096)
    assert cursor.position > 4096  # it had begun writing
    assert [p.name for p in tmp_path.iterdir()] == ["out.flac"] and (tmp_path / "out.flac").read_text() == "precious"


def test_renders_targets_ask_before_overwriting_and_refuse_when_nobody_can_answer(tmp_path):
    """playback/audio_file.targets, with the question passed in (cli/common.ask_at_terminal gives Click's)."""
    from companion.playback.audio_file import targets
    from companion.playback.errors import NotWritten

    out, script = tmp_path / "x.wav", tmp_path / "mine.txt"
    out.write_bytes(b"old")
    script.write_text("---\ntitle: t\n---\nHello.\n")
    asked = []
    with pytest.raises(NotWritten) as refused:
        targets(out, "none", script, False, lambda question: asked.append(question) or False)
    assert asked == [f"{out} exists. Overwrite it?"] and refused.value.exit_code == 1
    assert out.read_bytes() == b"old"
    assert targets(out, "srt", script, False, lambda question: True) == (out, out.with_suffix(".srt"))
    with pytest.raises(NotWritten) as nobody:
        targets(out, "none", script, False, None)
    assert nobody.value.exit_code == 2 and "add --force" in nobody.value.message
    named = tmp_path / "named.wav"  # a script whose own name ends in .wav: --force never writes over it
    named.write_text("Hello.\n")
    with pytest.raises(NotWritten) as same:
        targets(named, "none", named, True, None)
    assert "is the script being rendered" in same.value.message
