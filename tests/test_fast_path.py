"""`companion play NAME` by the fast path: a built-in's first line from the cache (the index's guide row),
before Click, pydantic or numpy; anything unusual the ordinary way; the session after it as play's."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ESPEAK_GUIDE

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "pydantic", "click", "sqlite3", "pathlib", "tomllib", "re", "platformdirs", "pyttsx3",
         "cryptography", "spake2", "zeroconf", "companion.partner")


@pytest.fixture
def home(tmp_path, monkeypatch):
    env = {f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("CACHE", "DATA", "CONFIG")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "config" / "companion").mkdir(parents=True)
    (tmp_path / "config" / "companion" / "config.toml").write_text(ESPEAK_GUIDE)
    return env


def first_text(name: str) -> str:
    from companion.first_line.scan import first_spoken_line
    from companion.library import resolve

    return first_spoken_line(resolve(name).read_text(encoding="utf-8")).text


def indexed(names=("stay",)):
    """The cache as `prepare` leaves it, for these sequences' first lines: their clips and the index."""
    from companion.config import load
    from companion.first_line import sides
    from companion.voice.clips import user_store

    clips = user_store(load().voices)
    for name in names:
        clips.ensure("guide", first_text(name))
    sides.write(clips)
    return clips


TEXTS = ["You stopped. You're still here.", "It's \"quoted\" and 'single', a back\\slash, ünïcödé, 21:40.", "x"]


def test_the_index_gives_the_clip_stores_own_keys_in_espeak_ngs_voice(home):
    from companion.config import load
    from companion.first_line.index import key, key_prefix
    from companion.voice.clips import user_store

    clips = user_store(load().voices)
    prefix = key_prefix(clips)
    assert prefix is not None and "gmw/en-us" in prefix
    assert [key(prefix, text) for text in TEXTS] == [clips.key("guide", text) for text in TEXTS]


def test_the_index_gives_the_clip_stores_own_keys_in_the_natural_voice(home):
    from companion.first_line.index import key, key_prefix
    from companion.paths import cache_dir
    from companion.voice.clips import ClipStore, VoiceSettings
    from companion.voice.piper_engine import NATURAL

    clips = ClipStore(cache_dir() / "clips", VoiceSettings())
    assert clips.voice("guide") == NATURAL
    prefix = key_prefix(clips)
    assert prefix is not None and "piper" in prefix
    assert [key(prefix, text) for text in TEXTS] == [clips.key("guide", text) for text in TEXTS]


def test_play_finds_a_builtins_first_line_in_the_cache(home):
    from companion.startup import play
    from companion.playback import pcm

    clips = indexed(["stay", "sit"])
    for argv, name in ((["stay"], "stay"), ([], "stay"), (["sit"], "sit")):
        found = play.plan(argv)
        assert found is not None and found.name == name
        assert found.samples == pcm.read_wav(clips.path("guide", first_text(name)))


@pytest.mark.parametrize("argv", [
    ["stay", "--text"], ["stay", "--voice", "gmw/en-us"], ["stay", "--rate", "140"], ["--help"], ["stay", "-h"],
    ["stay", "--nope"], ["stay", "sit"], ["--rate"], ["./stay.txt"], [str(ROOT / "scripts" / "stay.txt")],
    ["stya"], ["dancefloor"], ["stay.txt"], ["~/stay"], [""],
])
def test_anything_unusual_goes_the_ordinary_way(home, argv):
    from companion.startup import play

    indexed(["stay", "dancefloor"])  # every first line there is cached: what sends it Click's way is the argument
    assert play.plan(["stay"]) is not None
    assert play.plan(argv) is None


def test_next_day_takes_the_fast_path_and_a_paired_sequence_does_not(home):
    # next-day's title is "The day after, before you repair": the letters "pair", not for = "pair".
    from companion.startup import play

    indexed(["next-day", "dancefloor"])
    found = play.plan(["next-day"])
    assert found is not None and found.name == "next-day" and found.samples
    assert play.plan(["dancefloor"]) is None  # for = "pair": names and ratings come first


def test_companion_play_next_day_goes_through_the_front_door_the_fast_way(home):
    # The whole door (startup.main), not plan alone: the first line is found and played before Click.
    indexed(["next-day"])
    probe = """
import sys
from companion.startup import play
def run(first_line, early):
    print("fast:", first_line.name, len(first_line.samples) > 0, "click" in sys.modules, flush=True)
    return 0
play.run = run
sys.argv = ["companion", "play", "next-day"]
from companion.__main__ import main
main()
"""
    done = subprocess.run([sys.executable, "-c", probe], env=dict(home, PATH="/usr/bin:/bin"), cwd=ROOT,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["fast: next-day True False"], done.stdout


@pytest.mark.parametrize("front, whom", [
    ('for = "pair"', "pair"), ("for='pair'", "pair"), ('"for" = "pair" # two of you', "pair"),
    ('for = "leaving"', "leaving"), ('title = "Despair, for = pair"\nfor = "both"', "both"),
    ('title = "x"', "both"), ('# for = "pair"\nfor = "reaching"', "reaching"),
    ('"f\\u006fr" = "pair"', None), ('summary = """\nfor = "both"\n"""\nfor = "pair"', None),
    ('for = "both"\nfor = "pair"', None), ("for = pair", None), ('for = "pair" x', None),
])
def test_whom_a_script_is_for_is_read_from_its_for_key_or_left_to_the_parser(front, whom):
    from companion.first_line.scan import for_whom

    assert for_whom(f"+++\n{front}\n+++\nYou stopped.\n") == whom


MINE = '+++\ntitle = "Mine"\n+++\nYou stopped. You\'re still here.\n[pause 1s]\nMine.\n'


def test_your_own_script_plays_its_first_line_early_once_prepare_has_seen_it_parse(home):
    from companion.startup import play

    scripts = Path(home["XDG_CONFIG_HOME"]) / "companion" / "scripts"
    scripts.mkdir()
    mine = scripts / "stay.txt"  # yours first, as always: it replaces the built-in
    mine.write_text(MINE.replace("[pause 1s]", "[pause 1x]"))
    indexed()  # the first line is the built-in's, so its clip is cached
    assert play.plan(["stay"]) is None  # it does not parse: play must say so and play nothing
    mine.write_text(MINE)
    assert play.plan(["stay"]) is None  # changed since prepare looked: not known to parse
    indexed()
    found = play.plan(["stay"])
    assert found is not None and found.script == str(mine)
    mine.write_text(MINE.replace("[pause 1s]", "[pause 1x]") + "\n")  # an edit, even one that breaks it
    assert play.plan(["stay"]) is None


def test_a_changed_config_or_no_index_means_no_early_first_line(home):
    from companion.startup import play

    assert play.plan(["stay"]) is None  # no index yet
    indexed()
    assert play.plan(["stay"]) is not None
    config = Path(home["XDG_CONFIG_HOME"]) / "companion" / "config.toml"
    config.write_text(ESPEAK_GUIDE + "rate = 120\n")  # another pace: another clip
    assert play.plan(["stay"]) is None


def test_the_index_is_ignored_once_the_code_that_makes_clips_changes(home, monkeypatch, tmp_path):
    from companion.first_line import index
    from companion.startup import play

    engine = tmp_path / "engine.py"
    engine.write_text("FORMAT = 5\n")
    monkeypatch.setattr(index, "ENGINE_FILES", [str(engine)])
    indexed()
    assert play.plan(["stay"]) is not None
    engine.write_text("FORMAT = 6\n")  # a new release: clips are made another way
    assert play.plan(["stay"]) is None


def test_the_first_line_path_imports_nothing_heavy(home):
    indexed()
    probe = f"""
import sys
from companion import interrupt
from companion.playback import early
from companion.startup import play
found = play.plan(["stay"])
print(len(found.samples) > 0)
print(sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["True", "[]"]


@pytest.mark.parametrize("debug", ["", "1"])
def test_a_bug_in_the_fast_path_costs_nothing_and_shows_with_companion_debug(home, debug):
    probe = """
import sys
from companion.startup import play
def broken(argv):
    raise RuntimeError("a bug in the fast path")
play.plan = broken
sys.argv = ["companion", "play", "stya"]
from companion.__main__ import main
main()
"""
    env = dict(home, PATH="/usr/bin:/bin", COMPANION_DEBUG=debug)
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    said = "companion: no sequence named 'stya'; did you mean 'stay'?"  # Click's way answered
    assert done.returncode == 2 and done.stderr.splitlines()[-1].startswith(said), done.stderr
    if debug:
        assert "companion: debug: the fast path of play" in done.stderr and "RuntimeError: a bug" in done.stderr
    else:
        assert len(done.stderr.splitlines()) == 1


# -- end to end ------------------------------------------------------------------------------------------
def test_play_begins_with_its_first_line_at_once_and_goes_on_as_play_does(sound_server, recorder, home):
    from tests.test_e2e import assert_boundaries, journal_rows, sounding, timeline

    env = sound_server.env | home
    plan = timeline("stay", env)  # renders stay's clips
    indexed()
    from companion.startup import play

    assert play.plan(["stay"]) is not None  # this run takes the fast path
    launched = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "companion", "play", "stay"], env=env, cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(max(0.0, recorder.wait_until_heard(after=launched) + 6.3 - time.monotonic()))  # its first 6 s
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    recorder.stop()
    assert (proc.returncode, err) == (130, "Stopped.\n")
    assert out.startswith("Staying when your body says leave\nYou stopped. You're still here.\n")
    heard = recorder.segments()
    planned = [span for span in sounding(plan["events"]) if span[1] < 6.0]
    offset = heard[0][0] - planned[0][0]  # how soon it began is bench/first_sound.py's figure, not a test's
    # the first line, played ahead of the player, is heard once, and the lines after it on the planned timeline
    assert_boundaries([(a - offset, b - offset) for a, b in heard][: len(planned)], planned)
    (row,) = journal_rows(home)
    assert (row["sequence"], row["mode"], row["output"], row["end_reason"]) == ("stay", "play", "device", "interrupted")
    assert 5.0 < row["played_s"] < 10.0


def test_daily_opens_the_device_while_the_rating_is_asked_and_its_session_plays_on_it(sound_server, recorder, home):
    from tests.soundlab import Running
    from tests.test_e2e import journal_rows

    env = sound_server.env | home
    proc = Running([sys.executable, "-m", "companion", "daily", "--any"], env=env, stdin=subprocess.PIPE, cwd=ROOT)
    proc.wait_for("Today's practice")
    sent = proc.write("5\n")
    recorder.wait_until_heard(after=sent)
    proc.proc.send_signal(signal.SIGINT)
    out, err = proc.finish()
    assert proc.proc.returncode == 130 and err == "Stopped.\n", err
    (row,) = journal_rows(home)
    assert (row["mode"], row["output"], row["distress_before"], row["end_reason"]) == ("daily", "device", 5, "interrupted")


class OpenedEarly:
    """Stands in for playback.early.EarlyOutput: the device the start-up path began opening."""

    def __init__(self, output):
        self.output, self.opened = output, 0

    def open(self):
        self.opened += 1


def test_the_early_device_is_handed_through_click_to_the_first_session_only():
    import inspect

    import click

    from companion.cli import app
    from companion.cli.sessions import early_device

    got = []

    @click.command()
    def probe():
        got.extend([early_device(), early_device()])  # the session, then say_back's own (together)

    early = OpenedEarly("the device")
    probe.main([], standalone_mode=False, obj={"early": early})
    assert got == [early, None]
    probe.main([], standalone_mode=False)  # Click's way without the door (a test's CliRunner): none
    assert got[2:] == [None, None]
    assert "early" in inspect.signature(app.main).parameters  # the door hands it over (startup/main.py)


def test_a_session_plays_on_the_early_device_and_opens_its_own_only_without_one(monkeypatch):
    from companion.playback import outputs

    said = []
    early = OpenedEarly(object())
    assert outputs.open_output(False, said.append, early) is early.output and early.opened == 1
    assert isinstance(outputs.open_output(True, said.append, early), outputs.ClockOutput)  # --text: captions

    class NoDevice(outputs.NoDevice):
        pass

    def refuse():
        raise NoDevice("no device here")

    monkeypatch.setattr(outputs, "DeviceOutput", refuse)
    assert isinstance(outputs.open_output(False, said.append, OpenedEarly(None)), outputs.ClockOutput)
    assert said == ["No sound device could be opened (no device here); going on with captions only."]


def test_what_daily_says_as_it_starts_is_not_lost_while_portaudio_starts(sound_server, home):
    # sounddevice points stderr at /dev/null while PortAudio starts, in the thread opening the device.
    Path(home["XDG_DATA_HOME"]).write_text("a file where the data folder goes")
    from tests.soundlab import Running

    proc = Running([sys.executable, "-m", "companion", "daily", "--any"], env=sound_server.env | home,
                   stdin=subprocess.PIPE, cwd=ROOT)
    proc.wait_for("Today's practice")
    proc.proc.send_signal(signal.SIGINT)
    out, err = proc.finish()
    assert err.startswith("companion: this session will not be recorded"), err


def test_ctrl_c_as_the_first_line_sounds_silences_it_at_once_and_is_journalled(sound_server, recorder, home):
    # The press comes as the first line plays, while the session is still loading (Click, pydantic): it is
    # held, silences the line, and the session ends at once as interrupted, in the journal.
    from tests.test_e2e import journal_rows, timeline

    env = sound_server.env | home
    timeline("stay", env)
    indexed()
    launched = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "companion", "play", "stay"], env=env, cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    recorder.wait_until_heard(after=launched)
    pressed = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    time.sleep(0.5)
    recorder.stop()
    assert (proc.returncode, err) == (130, "Stopped.\n"), err
    # However short: the press follows the first block heard, and stop drops what was buffered
    heard = [(a, b) for a, b in recorder.segments(min_len_s=0) if b > launched]
    assert heard and heard[-1][1] < pressed + 0.3, heard  # silent within a few callbacks of the press
    (row,) = journal_rows(home)
    assert (row["sequence"], row["mode"], row["end_reason"]) == ("stay", "play", "interrupted")
    assert row["played_s"] < 5.0  # the first line at most (the first line counts as played once begun)


# -- an empty home: the package's own first lines (voice/shipped.py) ------------------------------------
@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    """Empty XDG dirs: the default voices (the natural guide), no cache, no journal, no index."""
    env = {f"XDG_{name}_HOME": str(tmp_path / name.lower()) for name in ("CACHE", "DATA", "CONFIG")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_on_an_empty_home_play_begins_every_built_in_with_its_shipped_first_line(empty_home):
    from companion.startup import play
    from companion.first_line.scan import for_whom
    from companion.library import builtin_scripts
    from companion.playback import pcm
    from companion.voice import shipped

    clips = {text: key for _, _, key, text in shipped.rows()}
    for name, path in builtin_scripts().items():
        found = play.plan([name])
        if for_whom(path.read_text(encoding="utf-8")) == "pair":
            assert found is None, name  # names and ratings first: together's way
            continue
        assert found is not None and found.name == name, name
        assert found.samples == pcm.read_wav(Path(shipped.find(clips[first_text(name)]))), name
    assert not Path(empty_home["XDG_CACHE_HOME"]).exists()  # found, not yet copied: the session does that


def test_on_an_empty_home_the_shipped_line_is_found_without_anything_heavy(empty_home):
    probe = f"""
import sys
from companion.startup import play
found = play.plan(["next-day"])
print(len(found.samples) > 0)
print(sorted(m for m in {("numpy", "pydantic", "click", "sqlite3", "piper", "onnxruntime", "pyttsx3")!r}
             if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["True", "[]"]


@pytest.mark.parametrize("config", [
    "rate = 120\n",  # another pace: another clip
    '[voices]\nguide = "gmw/en-us"\n',  # another voice
    "rate = 12000\n",  # a bad config: the session says so before anything sounds
    "background_prepare = false\n[voices]\nguide = \"natural\"\n",  # the default, said: still the shipped clip
])
def test_on_an_empty_home_only_the_default_voice_and_rate_play_the_shipped_line(empty_home, config):
    from companion.startup import play

    folder = Path(empty_home["XDG_CONFIG_HOME"]) / "companion"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(config)
    found = play.plan(["stay"])
    assert (found is not None) == config.endswith('"natural"\n')


def test_on_an_empty_home_play_begins_with_the_shipped_line_and_goes_on_as_play_does(sound_server, recorder,
                                                                                      empty_home):
    from companion.startup import play
    from companion.voice import shipped
    from companion.voice.clips import ClipStore, VoiceSettings
    from tests.soundlab import wav_segments
    from tests.test_e2e import TOLERANCE_S, journal_rows

    folder = Path(empty_home["XDG_CONFIG_HOME"]) / "companion"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text("background_prepare = false\n")  # else a whole-library prepare follows
    env = sound_server.env | empty_home
    assert play.plan(["stay"]) is not None  # this run takes the fast path
    launched = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "companion", "play", "stay"], env=env, cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(max(0.0, recorder.wait_until_heard(after=launched) + 6.3 - time.monotonic()))  # its first 6 s
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    recorder.stop()
    assert (proc.returncode, err) == (130, "Stopped.\n")
    # The shipped clip is in the cache now, under its key, private: the session planned with it, rendered none.
    clips = ClipStore(Path(empty_home["XDG_CACHE_HOME"]) / "companion" / "clips", VoiceSettings())
    cached = clips.path("guide", first_text("stay"))
    assert cached.read_bytes() == Path(shipped.find(cached.stem)).read_bytes()
    assert cached.stat().st_mode & 0o777 == 0o600
    # The first line heard is the shipped clip's sound; the session went on after it. (Not timed further:
    # the next lines wait on the model loading, as fast as this machine is.)
    heard = [(a, b) for a, b in recorder.segments() if b > launched]
    inside = wav_segments(cached)
    assert abs((heard[0][1] - heard[0][0]) - (inside[0][1] - inside[0][0])) <= TOLERANCE_S, (heard, inside)
    assert len(heard) >= 2 and "You stopped. You're still here.\n" in out
    (row,) = journal_rows(empty_home)
    assert (row["sequence"], row["mode"], row["output"], row["end_reason"]) == ("stay", "play", "device", "interrupted")
