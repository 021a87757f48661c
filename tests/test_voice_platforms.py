"""The voice layer where couples are: macOS's AIFF, engines that fail, system voices, pyttsx3's internals.

The platforms' parts are faked at their edges here (AIFF files made by sox and by a writer below,
pyttsx3.init replaced, voice lists shaped like macOS's and Windows's); nothing here has run on a Mac or
a Windows machine.
"""

import math
import os
import struct
import subprocess
import sys
import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyttsx3
import pytest

from companion.playback import pcm
from companion.voice import audiofile
from companion.voice.clips import ClipStore, VoiceSettings
from companion.voice.clips import _as_player_format
from companion.voice.engine import Pyttsx3Engine, pick_system_voices


def tone(frames: int, channels: int = 1, seed: int = 1) -> np.ndarray:
    """A loud tone with noise on it (every sample differs), frames x channels, int16."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)
    columns = [8000 * np.sin(2 * np.pi * (220 + 110 * c) * t / 22050) + rng.integers(-3000, 3000, frames)
               for c in range(channels)]
    return np.stack(columns, axis=1).astype(np.int16)


def write_wav(path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def extended_bytes(value: float) -> bytes:
    """An 80-bit extended float, as AIFF stores its rate (the test's own writer, not the reader's inverse)."""
    if value == 0:
        return bytes(10)
    mantissa, exponent = math.frexp(value)  # value = mantissa * 2**exponent, 0.5 <= mantissa < 1
    return struct.pack(">HQ", exponent - 1 + 16383, int(mantissa * 2 ** 64))


def chunk(name: bytes, body: bytes) -> bytes:
    return name + struct.pack(">I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def write_aiff(path, samples: np.ndarray, rate: int, compression: bytes | None = None, extra: bytes = b"") -> None:
    """AIFF (compression None) or AIFF-C with `compression`; `extra` chunks before COMM."""
    channels = samples.shape[1]
    order = "<i2" if compression == b"sowt" else ">i2"
    comm = struct.pack(">hIh", channels, len(samples), 16) + extended_bytes(rate)
    if compression is not None:
        comm += compression + b"\x0enot compressed\x00"
    body = extra + chunk(b"COMM", comm) + chunk(b"SSND", struct.pack(">II", 0, 0) + samples.astype(order).tobytes())
    if compression is not None:
        body = chunk(b"FVER", struct.pack(">I", 0xA2805140)) + body
    form = b"AIFC" if compression is not None else b"AIFF"
    path.write_bytes(b"FORM" + struct.pack(">I", 4 + len(body)) + form + body)


def sox(source, target, *args) -> None:
    subprocess.run(["sox", str(source), *args, str(target)], check=True, capture_output=True, timeout=60)


# --- reading AIFF as WAV is read ---

@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 44100, 48000, 96000])
def test_the_80_bit_rate_reads_back(rate):
    assert audiofile.extended(extended_bytes(rate)) == rate
    assert audiofile.extended(bytes.fromhex("400dac44000000000000")) == 22050  # as sox writes it


@pytest.mark.parametrize("suffix, channels, rate", [
    (".aiff", 1, 22050), (".aiff", 2, 22050), (".aiff", 1, 44100), (".aiff", 2, 48000), (".aifc", 1, 22050),
    (".aifc", 2, 16000)])
def test_an_aiff_made_by_sox_plays_as_the_wav_of_the_same_audio(tmp_path, suffix, channels, rate):
    wav = tmp_path / "same.wav"
    write_wav(wav, tone(rate // 2, channels), rate)
    made = tmp_path / f"made{suffix}"
    sox(wav, made)
    assert audiofile.kind(made.read_bytes()[:12]) == "aiff"
    as_aiff, as_wav = _as_player_format(made), _as_player_format(wav)
    assert len(as_wav) == 2 * round(rate // 2 * 22050 / rate) and as_aiff == as_wav
    assert audiofile.frame_count(made) == rate // 2


@pytest.mark.parametrize("compression", [None, b"NONE", b"twos", b"sowt"])
@pytest.mark.parametrize("channels, rate", [(1, 22050), (2, 22050), (2, 44100), (1, 11025)])
def test_an_aiff_of_our_own_writer_plays_as_the_wav(tmp_path, compression, channels, rate):
    samples = tone(5000, channels, seed=channels)
    wav, aiff = tmp_path / "same.wav", tmp_path / "made.aiff"
    write_wav(wav, samples, rate)
    write_aiff(aiff, samples, rate, compression, extra=chunk(b"NAME", b"odd"))  # an odd chunk: padded
    found = audiofile.read(aiff)
    assert (found.channels, found.width, found.rate) == (channels, 2, rate)
    assert found.data == samples.astype("<i2").tobytes()
    assert _as_player_format(aiff) == _as_player_format(wav)


def test_the_file_is_known_by_its_bytes_not_its_name(tmp_path):
    samples = tone(3000)
    named_wav = tmp_path / "clip.wav"  # what nsss does: AIFF under the name it was given
    write_aiff(named_wav, samples, 22050)
    assert _as_player_format(named_wav) == samples.astype("<i2").tobytes()
    named_aiff = tmp_path / "clip.aiff"
    write_wav(named_aiff, samples, 22050)
    assert audiofile.frame_count(named_aiff) == 3000 and audiofile.read(named_aiff).data == pcm.silence(0) + \
        samples.astype("<i2").tobytes()


@pytest.mark.parametrize("content", [
    b"", b"garbage, not audio at all", b"FORM\0\0\0\x04AIFF", b"RIFF\0\0\0\x04WAVEfmt ",
    "compressed", "truncated format"])
def test_what_is_not_readable_audio_is_a_format_error(tmp_path, content):
    path = tmp_path / "clip.wav"
    if content == "compressed":
        write_aiff(path, tone(100), 22050, b"ulaw")
    elif content == "truncated format":
        write_aiff(path, tone(100), 22050)
        data = path.read_bytes()
        path.write_bytes(data[:data.index(b"COMM") + 12])
    else:
        path.write_bytes(content)
    with pytest.raises(audiofile.AudioFormatError):
        audiofile.read(path)
    with pytest.raises(audiofile.AudioFormatError):
        audiofile.frame_count(path)


def test_an_aiff_cut_short_gives_the_whole_frames_it_holds(tmp_path):
    path = tmp_path / "clip.aiff"
    write_aiff(path, tone(1000, 2), 22050)
    path.write_bytes(path.read_bytes()[:-7])  # the last frame and a half gone
    found = audiofile.read(path)
    assert len(found.data) == 998 * 4


def test_a_24_bit_aiff_by_sox_plays_as_its_16_bit_wav_to_within_one_step(tmp_path):
    wav, aiff = tmp_path / "same.wav", tmp_path / "made.aiff"
    write_wav(wav, tone(4000, 2), 44100)
    sox(wav, aiff, "-b", "24")
    assert audiofile.read(aiff).width == 3
    heard = np.frombuffer(_as_player_format(aiff), "<i2").astype(int)
    assert np.abs(heard - np.frombuffer(_as_player_format(wav), "<i2")).max() <= 1


# --- every failure of the engine falls back to captions, with one line ---

def mac_voice(identifier, name, locale, gender):
    return SimpleNamespace(id=identifier, name=name, languages=[locale], gender=f"VoiceGender{gender}", age=35)


MAC_VOICES = [  # as pyttsx3's nsss driver lists them (NSSpeechSynthesizer's attributes)
    mac_voice("com.apple.speech.synthesis.voice.Albert", "Albert", "en_US", "Neuter"),
    mac_voice("com.apple.voice.compact.ar-001.Maged", "Majed", "ar_001", "Male"),
    mac_voice("com.apple.speech.synthesis.voice.BadNews", "Bad News", "en_US", "Neuter"),
    mac_voice("com.apple.speech.synthesis.voice.Bells", "Bells", "en_US", "Neuter"),
    mac_voice("com.apple.voice.compact.en-AU.Karen", "Karen", "en_AU", "Female"),
    mac_voice("com.apple.voice.compact.en-GB.Daniel", "Daniel", "en_GB", "Male"),
    mac_voice("com.apple.voice.compact.fr-FR.Thomas", "Thomas", "fr_FR", "Male"),
    mac_voice("com.apple.eloquence.en-US.Reed", "Reed (English (US))", "en_US", "Male"),
    mac_voice("com.apple.voice.compact.en-US.Samantha", "Samantha", "en_US", "Female"),
    mac_voice("com.apple.speech.synthesis.voice.Zarvox", "Zarvox", "en_US", "Neuter"),
]

TOKENS = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Speech\\Voices\\Tokens\\"
WINDOWS_VOICES = [  # as pyttsx3's sapi5 driver lists them (Windows 10, English (US) and a German pack)
    SimpleNamespace(id=TOKENS + "TTS_MS_DE-DE_HEDDA_11.0", name="Microsoft Hedda Desktop - German",
                    languages=["de-DE"], gender="Female", age="Adult"),
    SimpleNamespace(id=TOKENS + "TTS_MS_EN-US_DAVID_11.0", name="Microsoft David Desktop - English (United States)",
                    languages=["en-US"], gender="Male", age="Adult"),
    SimpleNamespace(id=TOKENS + "TTS_MS_EN-US_ZIRA_11.0", name="Microsoft Zira Desktop - English (United States)",
                    languages=["en-US"], gender="Female", age="Adult"),
]


def test_on_macos_five_roles_get_the_four_english_voices_and_no_novelty_one():
    picked = pick_system_voices(MAC_VOICES)
    assert set(picked) == {"guide", "A", "B", "you", "partner"} and len(set(picked.values())) == 4
    assert picked["partner"] != picked["guide"]  # a fifth role shares a voice, never the guide's
    english = {v.id for v in MAC_VOICES if v.languages[0].startswith("en_")} - {
        "com.apple.speech.synthesis.voice.Albert", "com.apple.speech.synthesis.voice.BadNews",
        "com.apple.speech.synthesis.voice.Bells", "com.apple.speech.synthesis.voice.Zarvox"}
    assert set(picked.values()) == english
    assert picked["guide"].split(".")[-2] == "en-US"  # the guide: a US voice, as espeak-ng's
    gender = {v.id: v.gender for v in MAC_VOICES}
    assert gender[picked["A"]] != gender[picked["guide"]] and gender[picked["B"]] != gender[picked["A"]]
    assert gender[picked["partner"]] != gender[picked["guide"]]  # the partner's words: heard apart from the guide


def test_on_windows_guide_a_and_b_are_distinct_where_two_english_voices_exist():
    picked = pick_system_voices(WINDOWS_VOICES)
    assert picked["guide"] != picked["A"] and picked["B"] != picked["A"]
    assert {picked["guide"], picked["A"]} == {TOKENS + "TTS_MS_EN-US_DAVID_11.0", TOKENS + "TTS_MS_EN-US_ZIRA_11.0"}
    assert all("HEDDA" not in v for v in picked.values())  # English first, while English voices last


def test_one_voice_speaks_every_role_and_none_gives_the_engines_own():
    only = WINDOWS_VOICES[1:2]
    assert set(pick_system_voices(only).values()) == {only[0].id}
    assert pick_system_voices([]) == {"guide": None, "A": None, "B": None, "you": None, "partner": None}
    german = pick_system_voices(WINDOWS_VOICES[:1])  # no English voice: still a voice, not none
    assert set(german.values()) == {WINDOWS_VOICES[0].id}


def test_voices_without_languages_are_known_by_their_ids():
    bare = [SimpleNamespace(id=v.id, name=v.name, languages=[], gender=None) for v in WINDOWS_VOICES]
    picked = pick_system_voices(bare)
    assert "HEDDA" not in picked["guide"] and picked["guide"] != picked["A"]


class FakeSystemEngine:
    """What pyttsx3.init() gives on a Mac, faked: lists MAC_VOICES; save_to_file + runAndWait call `writes`."""

    def __init__(self, writes, voices=MAC_VOICES):
        self.writes, self.voices, self.props, self.spoken = writes, voices, {}, []

    def getProperty(self, name):
        if name == "voices":
            return self.voices
        return self.props.get(name)

    def setProperty(self, name, value):
        self.props[name] = value

    def connect(self, topic, callback):
        pass

    def save_to_file(self, text, filename):
        self.pending = text, filename

    def runAndWait(self):
        text, filename = self.pending
        self.spoken.append((self.props.get("voice"), text))
        self.writes(filename)


def speech_aiff(path):
    """What nsss writes for a line: AIFF (under the .wav name it was given), mono 16-bit 22,050 Hz."""
    write_aiff(Path(path), tone(11025), 22050)


@pytest.fixture
def mac(monkeypatch):
    """pyttsx3.init gives the fake engine given to it; the engine is the macOS one (driver nsss)."""
    from companion.voice import clips as clips_module

    monkeypatch.setattr(clips_module, "_unknown", set())
    monkeypatch.setattr(clips_module, "_told", set())
    monkeypatch.setattr(clips_module, "_lines_told", set())
    monkeypatch.setattr(clips_module.piper_engine, "natural_installed", lambda: False)  # pyttsx3 speaks every role

    def with_init(init):
        monkeypatch.setattr(pyttsx3, "init", init)
        engine = Pyttsx3Engine()
        engine.driver = "nsss"
        return engine
    return with_init


def test_on_a_mac_an_aiff_clip_is_spoken_and_each_role_in_its_own_voice(tmp_path, mac):
    fake = FakeSystemEngine(speech_aiff)
    said = []
    clips = ClipStore(tmp_path, VoiceSettings(guide="com.apple.voice.compact.en-US.Samantha"), engine=mac(lambda: fake),
                      warn=said.append)
    for role in ("guide", "A", "B", "you"):
        assert len(clips.load(role, f"Line for {role}.")) > 10000
    assert clips.unavailable is None and said == []
    voices = [voice for voice, _text in fake.spoken]
    assert voices[0] == "com.apple.voice.compact.en-US.Samantha" and len(set(voices[1:])) == 3


@pytest.mark.parametrize("init", [
    "raises OSError", "raises an unexpected type", "writes nothing", "writes garbage", "writes compressed AIFF",
    "fails in runAndWait", "cannot list voices"])
def test_any_failure_of_the_engine_is_captions_with_one_line(tmp_path, mac, init):
    def fake_init():
        if init == "raises OSError":
            raise OSError("libespeak-ng.so.1: cannot open shared object file")
        if init == "raises an unexpected type":
            raise AttributeError("'NoneType' object has no attribute 'NSSpeechSynthesizer'")
        writes = {"writes nothing": lambda path: None,
                  "writes garbage": lambda path: open(path, "wb").write(b"\x07 not audio " * 100),
                  "writes compressed AIFF": lambda path: write_aiff(Path(path), tone(500),
                                                                    22050, b"ulaw"),
                  "fails in runAndWait": lambda path: 1 / 0}.get(init, speech_aiff)
        fake = FakeSystemEngine(writes)
        if init == "cannot list voices":
            fake.voices = None  # iterating it raises TypeError
        return fake

    calls = []
    engine = mac(lambda: calls.append(1) or fake_init())
    said = []
    clips = ClipStore(tmp_path, VoiceSettings(), engine=engine, warn=said.append)
    heard = [clips.load(role, "Feel your feet on the floor.") for role in ("A", "B", "A")]
    assert all(h == pcm.silence(len(heard[0]) // 2) and len(h) > 22050 for h in heard)
    assert clips.frames("B", "And breathe out.") > 22050
    assert clips.unavailable and "\n" not in clips.unavailable and said == []
    assert len(calls) == 1  # an engine that failed is not started again for every line
    assert list(tmp_path.rglob("*.wav")) == []  # nothing cached in its place


def test_without_pyttsx3_the_fix_is_installing_companion_not_espeak_ng(tmp_path, mac, monkeypatch):
    """A checkout run by a Python that lacks the packages (python3 -m companion outside .venv)."""
    monkeypatch.setitem(sys.modules, "pyttsx3", None)  # `import pyttsx3` raises ModuleNotFoundError
    engine = Pyttsx3Engine()
    engine.driver = "espeak"
    clips = ClipStore(tmp_path, VoiceSettings(), engine=engine, warn=lambda line: None)
    clips.load("A", "Hello.")
    assert "ModuleNotFoundError" in clips.unavailable and sys.executable in clips.unavailable
    assert "make run" in clips.unavailable and "apt-get" not in clips.unavailable


def test_with_companion_debug_the_traceback_is_shown(tmp_path, mac, monkeypatch, capsys):
    def broken():
        raise AttributeError("objc has no attribute NSSpeechSynthesizer")

    clips = ClipStore(tmp_path, VoiceSettings(), engine=mac(broken))
    clips.load("A", "Hello.")
    quiet = capsys.readouterr().err
    monkeypatch.setenv("COMPANION_DEBUG", "1")
    clips = ClipStore(tmp_path, VoiceSettings(), engine=mac(broken))
    clips.load("A", "Hello.")
    loud = capsys.readouterr().err
    assert quiet == "" and "Traceback (most recent call last)" in loud and "NSSpeechSynthesizer" in loud


def test_a_line_the_engine_cannot_speak_after_others_is_one_line_and_the_rest_speaks(tmp_path, mac):
    def writes(path):
        if "silent" not in fake.pending[0]:
            speech_aiff(path)

    fake = FakeSystemEngine(writes)
    said = []
    clips = ClipStore(tmp_path, VoiceSettings(), engine=mac(lambda: fake), warn=said.append)
    assert len(clips.load("A", "Spoken.")) > 10000
    assert clips.load("A", "A silent line.") == pcm.silence(len(clips.load("A", "A silent line.")) // 2)
    assert len(clips.load("B", "Spoken again.")) > 10000 and clips.unavailable is None
    assert len(said) == 1 and "wrote no audio for 'A silent line.'" in said[0]


BROKEN_PLAY = """
import sys
import pyttsx3
from types import SimpleNamespace
from companion.voice.engine import shared_engine

how = sys.argv[1]

class Garbage:  # a Mac's engine whose file cannot be read
    def getProperty(self, name):
        return [SimpleNamespace(id="com.apple.voice.compact.en-US.Samantha", name="Samantha", languages=["en_US"],
                                gender="VoiceGenderFemale")]
    def setProperty(self, name, value):
        pass
    def save_to_file(self, text, path):
        self.path = path
    def runAndWait(self):
        open(self.path, "wb").write(b"FORM not quite AIFF" * 50)

def init(*args, **kwargs):
    if how == "raises":
        raise OSError("no speech here")
    return Garbage()

pyttsx3.init = init
shared_engine().driver = sys.argv[2]
from companion.__main__ import main
sys.argv = ["companion", *sys.argv[3:]]
main()
"""


@pytest.mark.parametrize("how, driver, guide, told", [
    ("raises", "espeak", "gmw/en-us", "no speech here"),
    ("garbage", "nsss", "com.apple.voice.compact.en-US.Samantha", "cannot be read")])
def test_a_session_whose_engine_fails_plays_its_captions_and_exits_0(tmp_path, how, driver, guide, told):
    script = tmp_path / "tiny.txt"
    script.write_text("+++\ntitle = \"Tiny\"\n+++\nYou are here.\nFeel your feet.\n")
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    (tmp_path / "config" / "companion").mkdir(parents=True)
    (tmp_path / "config" / "companion" / "config.toml").write_text(
        f'background_prepare = false\n[voices]\nguide = "{guide}"\n')
    done = subprocess.run([sys.executable, "-c", BROKEN_PLAY, how, driver, "play", "--text", str(script)], env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "You are here." in done.stdout and "Feel your feet." in done.stdout
    lines = (done.stdout + done.stderr).splitlines()
    assert len([line for line in lines if told in line]) == 1, lines
    assert len([line for line in lines if "captions only" in line]) == 1, lines


# --- pyttsx3's private internals, which engine.py and espeak_direct.py reach into ---

def names_used(module) -> set[str]:
    """Every global or attribute name the module's code (functions, methods, nested) refers to."""
    import types

    found, codes = set(), [compile(open(module.__file__, encoding="utf-8").read(), module.__file__, "exec")]
    while codes:
        code = codes.pop()
        found.update(code.co_names)
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return found


def test_every_private_internal_of_pyttsx3_the_voice_uses_is_still_there():
    """An upgrade of pyttsx3 that moves one of these fails here, by name: pin it (pyproject.toml) or follow it."""
    import pyttsx3.drivers._espeak as _espeak
    import pyttsx3.drivers.espeak as espeak_driver

    from companion.voice import espeak_direct
    from companion.voice.engine import shared_engine

    missing = []

    def needs(what: str, ok) -> None:
        try:
            if not ok():
                missing.append(what)
        except Exception as e:  # AttributeError, ImportError...: moved
            missing.append(f"{what} ({e.__class__.__name__}: {e})")

    # engine.py: pyttsx3 picks the same driver as Pyttsx3Engine.driver does, per platform
    import pyttsx3.engine
    picked = {"darwin": "nsss", "win32": "sapi5", "linux": "espeak"}
    for platform, driver in picked.items():
        needs(f"pyttsx3.engine._engines_by_sys_platform[{platform!r}][0] == {driver!r}",
              lambda: pyttsx3.engine._engines_by_sys_platform.get(platform, ("espeak",))[0] == driver)
    # engine.py, _init: the espeak driver module's globals `print` (its "Audio saved to" line) and `time`
    # (its 10 ms sleeps), replaced by ours
    needs("pyttsx3.drivers.espeak: a module global `time` (the time module, or ours once started)",
          lambda: "\nimport time\n" in open(espeak_driver.__file__).read() and callable(espeak_driver.time.sleep))
    needs("pyttsx3.drivers.espeak calls time.sleep", lambda: "sleep" in names_used(espeak_driver))
    needs("pyttsx3.drivers.espeak calls print", lambda: "print" in names_used(espeak_driver))
    # engine.py, _set: the engine's proxy, the proxy's driver, its own setProperty; _espeak.Synchronize
    engine = shared_engine()._init()
    needs("pyttsx3.Engine.proxy", lambda: hasattr(engine, "proxy"))
    needs("pyttsx3.driver.DriverProxy._driver", lambda: isinstance(engine.proxy._driver, espeak_driver.EspeakDriver))
    needs("pyttsx3.drivers.espeak.EspeakDriver.setProperty", lambda: callable(espeak_driver.EspeakDriver.setProperty))
    needs("pyttsx3.drivers._espeak.Synchronize", lambda: callable(_espeak.Synchronize))
    # espeak_direct.adopt: the driver's class flags that say espeak-ng is initialised, and its voice
    needs("pyttsx3.drivers.espeak.EspeakDriver._moduleInitialized",
          lambda: isinstance(espeak_driver.EspeakDriver.__dict__["_moduleInitialized"], bool))
    needs("pyttsx3.drivers.espeak.EspeakDriver._defaultVoice",
          lambda: isinstance(espeak_driver.EspeakDriver.__dict__["_defaultVoice"], str))
    # espeak_direct: espeak-ng driven as the driver drives it (its constants, and its buffer of 1000 ms)
    for name in ("AUDIO_OUTPUT_RETRIEVAL", "RATE", "VOLUME", "PITCH", "POS_CHARACTER", "CHARS_UTF8", "ENDPAUSE",
                 "EVENT_LIST_TERMINATED", "EVENT_MSG_TERMINATED"):
        needs(f"pyttsx3.drivers._espeak.{name} == espeak_direct.{name}",
              lambda name=name: getattr(_espeak, name) == getattr(espeak_direct, name))
    needs("pyttsx3.drivers.espeak initialises espeak-ng with a 1000 ms buffer",
          lambda: "Initialize(_espeak.AUDIO_OUTPUT_RETRIEVAL, 1000)" in open(espeak_driver.__file__).read())
    # engine.voices(): what a listed voice carries
    voice = engine.getProperty("voices")[0]
    for name in ("id", "name", "languages", "gender"):
        needs(f"pyttsx3.voice.Voice.{name}", lambda name=name: hasattr(voice, name))
    assert missing == [], f"pyttsx3 {version('pyttsx3')} moved what companion.voice relies on: {missing}"


def version(package: str) -> str:
    from importlib.metadata import version as found

    return found(package)


def test_pyttsx3_is_pinned_to_the_version_tested():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert f"pyttsx3=={version('pyttsx3')}" in project["project"]["dependencies"]


def test_every_broad_except_reports_with_companion_debug():
    """Each `except Exception` in companion keeps its one line for users and calls debug.report."""
    import re
    from pathlib import Path

    import companion

    unreported = []
    root = Path(companion.__file__).parent
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            if re.search(r"except (Exception|BaseException)\b", line):
                block = "\n".join(lines[number + 1:number + 7])
                if "report(" not in block and not re.search(r"^\s*raise\s*$", block, re.M):  # not a clean-up
                    unreported.append(f"{path.relative_to(root)}:{number + 1}")
    assert unreported == []


def test_debug_report_is_silent_unless_asked(monkeypatch, capsys):
    from companion import debug

    try:
        raise ValueError("the bug")
    except ValueError as e:
        caught = e
    monkeypatch.delenv("COMPANION_DEBUG", raising=False)
    debug.report(caught)
    monkeypatch.setenv("COMPANION_DEBUG", "0")
    debug.report(caught)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("COMPANION_DEBUG", "1")
    debug.report(caught, "while testing")
    err = capsys.readouterr().err
    assert err.startswith("companion: debug: while testing:\nTraceback") and "ValueError: the bug" in err


def test_a_voice_the_config_names_is_not_picked_for_another_role():
    samantha = "com.apple.voice.compact.en-US.Samantha"
    picked = pick_system_voices(MAC_VOICES, {"guide": samantha})
    assert picked["guide"] == samantha and samantha not in (picked["A"], picked["B"], picked["you"])
    assert len({picked["A"], picked["B"], picked["you"]}) == 3
    gender = {v.id: v.gender for v in MAC_VOICES}
    assert gender[picked["A"]] != gender[samantha]  # told from the guide, as when it is picked
    by_name = pick_system_voices(WINDOWS_VOICES, {"A": "Microsoft Zira Desktop - English (United States)"})
    assert by_name["A"] == TOKENS + "TTS_MS_EN-US_ZIRA_11.0" and by_name["guide"] == TOKENS + "TTS_MS_EN-US_DAVID_11.0"


def test_on_a_mac_the_voices_of_unnamed_roles_avoid_the_named_and_their_clips_follow_the_config(tmp_path, mac):
    samantha = "com.apple.voice.compact.en-US.Samantha"
    fake = FakeSystemEngine(speech_aiff)
    engine = mac(lambda: fake)
    named = ClipStore(tmp_path, VoiceSettings(A=samantha), engine=engine)
    for role in ("guide", "A", "B", "you"):
        named.load(role, f"Line for {role}.")
    voices = {text.split()[-1].rstrip("."): voice for voice, text in fake.spoken}
    assert voices["A"] == samantha and len(set(voices.values())) == 4
    plain = ClipStore(tmp_path, VoiceSettings(), engine=engine)
    assert plain.key("B", "Hello.") != named.key("B", "Hello.")  # B's pick may differ: not the same clip
    assert plain.key("B", "Hello.") == ClipStore(tmp_path, VoiceSettings(), engine=engine).key("B", "Hello.")
