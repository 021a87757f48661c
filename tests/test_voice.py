"""The real speech engine (pyttsx3 over espeak-ng): each clip is spoken as asked."""

import wave

from companion.voice.engine import shared_engine


def frames(path):
    with wave.open(str(path)) as w:
        return w.getnframes()


def test_alternating_rates_and_voices_are_each_applied_to_their_own_line(tmp_path):
    # pyttsx3 queues property changes and espeak-ng applies them asynchronously;
    # unsynchronised, a line came out at the previous line's rate or voice.
    engine = shared_engine()
    lengths: dict[tuple, set] = {}
    settings = [(200, "gmw/en-us"), (100, "gmw/en-us"), (140, "gmw/en-gb-x-rp"), (140, "gmw/en-us+f3")]
    for i in range(24):
        rate, voice = settings[i % len(settings)]
        out = tmp_path / f"{i}.wav"
        engine.render("You are here.", out, voice, rate)
        lengths.setdefault((rate, voice), []).append(frames(out))
    # The same line at the same rate and voice, within a few frames (a line at the previous line's rate or
    # voice was 40-100% off); not to the frame, which a rounding of espeak-ng's own may move.
    assert all(max(found) <= 1.03 * min(found) for found in lengths.values()), lengths
    assert min(lengths[(100, "gmw/en-us")]) > 2 * max(lengths[(200, "gmw/en-us")])


def median_f0(samples, rate=22050):
    """Median fundamental frequency (Hz) of the loud 40 ms frames, by autocorrelation."""
    import numpy as np

    size, found = int(0.04 * rate), []
    low, high = rate // 400, rate // 60
    for start in range(0, len(samples) - size, size):
        frame = samples[start:start + size] - samples[start:start + size].mean()
        if np.sqrt((frame ** 2).mean()) < 1500:
            continue
        ac = np.correlate(frame, frame, "full")[size - 1:]
        lag = low + int(ac[low:high].argmax())
        if ac[lag] > 0.3 * ac[0]:
            found.append(rate / lag)
    return float(np.median(found))


def test_the_three_roles_sound_different(tmp_path):
    import numpy as np

    from companion.voice.clips import ClipStore, VoiceSettings

    clips = ClipStore(tmp_path, VoiceSettings())
    f0 = {role: median_f0(np.frombuffer(clips.load(role, "I am here with you, and I am staying."), "<i2").astype(float))
          for role in ("guide", "A", "B")}
    assert len({clips.voice(r) for r in f0}) == 3
    # three pitch ranges, each at least a third apart: the guide low, B above it, A above both
    assert f0["B"] > 1.3 * f0["guide"] and f0["A"] > 1.3 * f0["B"], f0


RENDER_TWO = """
import sys
from pathlib import Path
from companion.voice import espeak_direct
from companion.voice.engine import ESPEAK_DEFAULTS, shared_engine
engine = shared_engine()
engine.direct_first = sys.argv[1] == "direct"
engine.render("You stopped. You're still here.", Path(sys.argv[2]), ESPEAK_DEFAULTS["guide"], 140, "guide")
print("pyttsx3 started after the first:", engine._engine is not None)
engine.render("Feel your feet on the floor.", Path(sys.argv[3]), ESPEAK_DEFAULTS["B"], 160, "B")
print("direct:", espeak_direct.started() if "companion.voice.espeak_direct" in sys.modules else False)
"""


def test_a_first_line_rendered_without_pyttsx3_is_the_same_and_pyttsx3_takes_over(tmp_path):
    # A cold pause renders its first line straight through libespeak-ng (espeak_direct); it must
    # be the very clip pyttsx3 would have made, and pyttsx3 must carry on on the same library.
    import subprocess
    import sys

    runs = {}
    for way in ("direct", "pyttsx3"):
        first, second = tmp_path / f"{way}-1.wav", tmp_path / f"{way}-2.wav"
        done = subprocess.run([sys.executable, "-c", RENDER_TWO, way, str(first), str(second)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        runs[way] = done.stdout.splitlines(), [wave.open(str(p)).readframes(10 ** 7) for p in (first, second)]
    assert runs["direct"][0] == ["pyttsx3 started after the first: False", "direct: True"]
    assert runs["pyttsx3"][0] == ["pyttsx3 started after the first: True", "direct: False"]
    (direct_first, direct_second), (plain_first, plain_second) = runs["direct"][1], runs["pyttsx3"][1]
    assert len(direct_first) > 22050 and direct_first == plain_first
    assert len(direct_second) > 22050 and direct_second == plain_second


# An unknown voice never stops a session: the role's default speaks, with one line naming the file and the id.

import json
import os
import signal
import subprocess
import sys

import pytest

from companion.voice import clips as clips_module
from companion.voice.engine import ESPEAK_DEFAULTS, EngineError, Pyttsx3Engine, UnknownVoice


@pytest.fixture
def fresh_voices(monkeypatch):
    """No voice found unknown yet in this process (the line is said once a process)."""
    monkeypatch.setattr(clips_module, "_unknown", set())
    monkeypatch.setattr(clips_module, "_told", set())


def config_file(tmp_path, text='background_prepare = false\n[voices]\nguide = "gmw/en-uss"\n'):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_an_unknown_voice_falls_back_to_the_default_and_the_clip_is_keyed_by_the_default(tmp_path, fresh_voices):
    from companion.voice.clips import ClipStore, VoiceSettings

    source = config_file(tmp_path)
    said = []
    clips = ClipStore(tmp_path / "clips", VoiceSettings("gmw/en-uss", source=str(source)), warn=said.append)
    assert len(clips.load("guide", "You are here.")) > 10000
    assert said == [f"companion: {source}:3: voices.guide = 'gmw/en-uss' is not a voice of the speech engine; "
                    "the guide speaks with the default voice instead (choose one from `companion voices`)"]
    default = ClipStore(tmp_path / "clips", VoiceSettings())
    assert clips.voice("guide") == default.voice("guide") == "natural" and clips.wanted("guide") == "gmw/en-uss"
    assert list((tmp_path / "clips").rglob("*.wav")) == [default.path("guide", "You are here.")]


def test_the_line_is_said_once_a_process_and_no_store_tries_the_bad_voice_again(tmp_path, fresh_voices):
    from companion.voice.clips import ClipStore, VoiceSettings

    settings = VoiceSettings(None, "nope/nope", source=str(config_file(tmp_path)))
    said = []
    ClipStore(tmp_path / "clips", settings, warn=said.append).load("A", "Feel your feet.")
    engine = Pyttsx3Engine()  # a second store on an engine not started: a cached line needs no start-up
    second = ClipStore(tmp_path / "clips", settings, engine=engine, warn=said.append)
    second.load("A", "Feel your feet.")
    assert len(said) == 1 and "voices.A = 'nope/nope'" in said[0] and engine._engine is None


def test_a_cached_clip_of_a_chosen_voice_is_played_without_listing_voices(tmp_path, fresh_voices):
    from companion.voice.clips import ClipStore, VoiceSettings

    settings = VoiceSettings("gmw/en-gb-x-rp")
    ClipStore(tmp_path, settings).load("guide", "You are here.")
    engine = Pyttsx3Engine()
    assert ClipStore(tmp_path, settings, engine=engine).load("guide", "You are here.")
    assert engine._engine is None and engine._known is None  # neither started nor asked for its voices


def test_the_default_voices_are_known_without_starting_the_engine():
    engine = Pyttsx3Engine()
    assert all(engine.has_voice(v) for v in ESPEAK_DEFAULTS.values()) and engine._engine is None
    assert engine.has_voice("gmw/en-gb-x-rp") and engine.has_voice("gmw/en-GB-x-rp+m3")
    assert not engine.has_voice("gmw/en-uss") and not engine.has_voice("\x1b[2J")


class FakeEngine:
    """Speaks only `voices`; anything else is unknown, as the real engine says."""

    name, driver = "fake", "espeak"

    def __init__(self, voices):
        self.voices, self.spoken = set(voices), []

    def default_voice(self, role):
        return ESPEAK_DEFAULTS[role]

    def has_voice(self, voice):
        return voice in self.voices

    def render(self, text, out, voice, rate_wpm, role="guide"):
        if voice not in self.voices:
            raise UnknownVoice(voice)
        from companion.playback import pcm

        self.spoken.append(voice)
        pcm.write_wav(out, b"\x00\x10" * 2000)


def test_check_voices_finds_every_unknown_voice_before_any_render(tmp_path, fresh_voices):
    from companion.voice.clips import ClipStore, VoiceSettings

    engine, said = FakeEngine(ESPEAK_DEFAULTS.values()), []
    clips = ClipStore(tmp_path, VoiceSettings("bad-guide", "gmw/en-us+f3", "bad-b"), engine=engine, warn=said.append)
    assert clips.check_voices() == ["guide", "B"] and len(said) == 2 and engine.spoken == []
    clips.load("B", "Hello.")
    assert engine.spoken == [ESPEAK_DEFAULTS["B"]]


def test_an_unknown_default_is_an_error_not_a_loop(tmp_path, fresh_voices):
    from companion.voice.clips import ClipStore, VoiceSettings

    # A's default is the engine's own (the guide's is the natural voice, which speaks anyway).
    said = []
    clips = ClipStore(tmp_path, VoiceSettings(A="bad-A"), engine=FakeEngine([]), warn=said.append)
    with pytest.raises(EngineError):
        clips.ensure("A", "Hello.")
    # A session shows the line instead (any failure of the engine is captions, with one line).
    assert clips.load("A", "Hello.") == bytes(len(clips.load("A", "Hello.")))
    assert len([line for line in said if "no voice" in line or "not spoken" in line]) == 1


def env_with(tmp_path, config_text):
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    (tmp_path / "config" / "companion").mkdir(parents=True)
    (tmp_path / "config" / "companion" / "config.toml").write_text(config_text)
    return env


BAD_GUIDE = 'background_prepare = false\n[voices]\nguide = "gmw/en-uss"\nA = "gmw/en-uss"\n'


def test_a_cold_first_word_with_an_unknown_voice_is_spoken_in_the_default(tmp_path):
    env = env_with(tmp_path, BAD_GUIDE)
    code = "import sys; from companion.first_line.sides import render; print(len(render('leaving')))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert int(done.stdout) > 22050
    config = tmp_path / "config" / "companion" / "config.toml"
    assert done.stderr.count("\n") == 1 and f"{config}:3: voices.guide = 'gmw/en-uss'" in done.stderr
    # The pause says it once PortAudio has started (meanwhile stderr is /dev/null): its own `warn`.
    code = ("from companion.first_line.sides import render; said = []\n"
            "print(len(render('leaving', warn=said.append)) > 22050, said)")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.stderr == "" and done.stdout.startswith("True [") and "voices.guide = 'gmw/en-uss'" in done.stdout


def until_spoken_then_ctrl_c(args, env, lines, tmp_path):
    """Run companion until it has printed `lines` lines (a spoken caption), then Ctrl-C: (exit code, stdout, stderr)."""
    errors = tmp_path / "stderr"  # a file: a long traceback must not block the child
    with open(errors, "w") as err:
        process = subprocess.Popen([sys.executable, "-m", "companion", *args], env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=err, text=True)
    out = []
    try:
        for line in process.stdout:
            out.append(line)
            if len(out) == lines:
                process.send_signal(signal.SIGINT)
                break
        out.append(process.communicate(timeout=120)[0])
    finally:
        process.kill()
    return process.returncode, "".join(out), errors.read_text()


@pytest.mark.parametrize("args, lines, spoken", [
    (["pause", "--leave", "--text"], 1, "You stopped. You're still here."),
    (["play", "--text", "return"], 2, "The break is over."),  # the title, then the first line
    (["daily", "--text", "--no-rating", "--any"], 3, "Today's practice"),  # what it is, the title, the first line
])
def test_an_unknown_voice_in_the_config_never_stops_a_session(tmp_path, args, lines, spoken):
    env = env_with(tmp_path, BAD_GUIDE)
    code, out, err = until_spoken_then_ctrl_c(args, env, lines, tmp_path)
    config = tmp_path / "config" / "companion" / "config.toml"
    assert spoken in out and len(out.splitlines()) >= lines and code == 130, (out, err)
    unknown = [line for line in err.splitlines() if "gmw/en-uss" in line]
    assert len(unknown) == 1 and unknown[0].startswith(f"companion: {config}:3: voices.guide = 'gmw/en-uss'")
    assert "Traceback" not in err
    log = subprocess.run([sys.executable, "-m", "companion", "log", "--json"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert [row["end_reason"] for row in json.loads(log.stdout)] == ["interrupted"]


@pytest.fixture
def home(tmp_path, monkeypatch, fresh_voices):
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    (tmp_path / "config" / "companion").mkdir(parents=True)
    config = tmp_path / "config" / "companion" / "config.toml"
    config.write_text('background_prepare = false\n[voices]\nA = "gmw/en-uss"\nguide = "gmw/en-us"\n')
    return config


TINY = '+++\ntitle = "Tiny"\nfor = "pair"\n+++\nYou are here.\nA: I feel my feet.\n'


def invoke(*args):
    from click.testing import CliRunner

    from companion.cli.app import cli

    return CliRunner().invoke(cli, list(args))


def test_an_unknown_voice_for_a_leaves_list_whole(home):
    result = invoke("list", "--json")
    assert result.exit_code == 0 and {"stay", "dancefloor"} <= {row["id"] for row in json.loads(result.stdout)}
    # list renders nothing, so it never starts the engine that would find the voice unknown (render says it)
    assert result.stderr.count("gmw/en-uss") <= 1


def test_show_and_render_speak_a_with_the_default(home, tmp_path):
    script = tmp_path / "tiny.txt"
    script.write_text(TINY)
    shown = invoke("show", "--json", str(script))
    assert shown.exit_code == 0 and json.loads(shown.stdout)["estimated"] is True  # nothing rendered: estimated
    rendered = invoke("render", str(script), "-o", str(tmp_path / "tiny.wav"))
    assert rendered.exit_code == 0 and (tmp_path / "tiny.wav").stat().st_size > 20000, rendered.output
    assert "voices.A = 'gmw/en-uss'" in rendered.stderr


def test_voices_marks_an_unknown_id_with_the_fix(home):
    result = invoke("voices")
    (line,) = [line for line in result.stdout.splitlines() if "gmw/en-uss" in line]
    assert result.exit_code == 0 and "UNKNOWN" in line and f"voices.A in {home}:3" in line


def test_doctor_names_the_unknown_voice_and_where(home):
    result = invoke("doctor")
    (line,) = [line for line in result.stdout.splitlines() if "voices:" in line]
    assert line.startswith("PROBLEM") and f"{home}:3: voices.A = 'gmw/en-uss'" in line
    assert "Traceback" not in result.output


def test_a_typo_in_voice_is_refused_before_anything_plays(home, tmp_path):
    script = tmp_path / "tiny.txt"
    script.write_text(TINY)
    for command in (["play", "--text"], ["show"], ["render", "-o", str(tmp_path / "x.wav")]):
        result = invoke(*command, "--voice", "gmw/en-uss", str(script))
        assert result.exit_code == 2 and result.output == (
            "companion: --voice 'gmw/en-uss': the speech engine has no such voice; choose one from "
            "`companion voices`\n"), result.output
    assert not (tmp_path / "x.wav").exists() and json.loads(invoke("log", "--json").stdout) == []
