"""The partner's voice (issue 21): [voices] partner in config.toml, and the promise that comes from the
partner's device said in it, after the guide says whose message it is."""

import datetime
import time

import pytest

from companion import config
from companion.config import ConfigError, load
from companion.voice import clips as clips_module
from companion.voice.engine import ESPEAK_DEFAULTS, ESPEAK_PITCH


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


@pytest.fixture
def fresh_voices(monkeypatch):
    """No voice found unknown yet in this process (the line is said once a process)."""
    monkeypatch.setattr(clips_module, "_unknown", set())
    monkeypatch.setattr(clips_module, "_told", set())


def test_partner_is_a_voice_role_of_config_toml(tmp_path):
    cfg = load(write(tmp_path, '[voices]\nguide = "gmw/en-us"\npartner = "gmw/en-gb-x-rp+m3"\n'))
    assert cfg.voices.voice("partner") == "gmw/en-gb-x-rp+m3" and cfg.voices.voice("guide") == "gmw/en-us"
    assert "partner" in config.ROLES and load(write(tmp_path, "rate = 140\n")).voices.voice("partner") is None


def test_a_partner_voice_that_is_not_a_string_or_a_misspelt_role_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"config.toml:2: voices.partner = 3; expected a voice id in quotes"):
        load(write(tmp_path, "[voices]\npartner = 3\n"))
    with pytest.raises(ConfigError) as e:
        load(write(tmp_path, '[voices]\npartnr = "gmw/en-us"\n'))
    assert "unknown voice role 'partnr'; expected guide, A, B, you or partner" in str(e.value)


def test_the_partners_default_is_a_voice_heard_apart_from_the_guide():
    # A's voice: tests/test_voices_heard.py and test_together_e2e.py hear it apart from the guide's.
    assert ESPEAK_DEFAULTS["partner"] == ESPEAK_DEFAULTS["A"] != ESPEAK_DEFAULTS["guide"]
    assert ESPEAK_PITCH["partner"] == ESPEAK_PITCH["A"]
    store = clips_module.ClipStore(__import__("pathlib").Path("/nonexistent"), config.VoiceSettings())
    assert store.wanted("partner") == ESPEAK_DEFAULTS["A"]
    assert store.key("partner", "I'll be back.") != store.key("guide", "I'll be back.")


def test_an_unknown_partner_voice_falls_back_to_its_default_with_one_line(tmp_path, fresh_voices):
    source = write(tmp_path, '[voices]\npartner = "gmw/en-nope"\n')
    said = []
    settings = config.VoiceSettings(partner="gmw/en-nope", source=str(source))
    store = clips_module.ClipStore(tmp_path / "clips", settings, warn=said.append)
    assert len(store.load("partner", "I'm flooded.")) > 10000  # spoken, by the default
    store.load("partner", "I'm not leaving you.")
    assert said == [f"companion: {source}:2: voices.partner = 'gmw/en-nope' is not a voice of the speech engine; "
                    "your partner's device speaks with the default voice instead (choose one from `companion voices`)"]
    assert store.voice("partner") == ESPEAK_DEFAULTS["partner"]


def promised(name="Alex"):
    """A reaching side's link with a promise come: Alex's bell 20 minutes from now."""
    from companion.pause.both_devices import Partner

    partner = Partner("reaching")
    partner.name, partner.promise_id, partner.minutes = name, "p1", 20
    partner.deadline = time.monotonic() + 20 * 60
    return partner


def test_the_promise_that_comes_is_introduced_by_the_guide_and_said_in_the_partners_voice():
    from companion.pause import waits
    from companion.pause.both_devices import opening_lines

    partner = promised()
    end = datetime.datetime(2026, 12, 7, 21, 40).astimezone()
    at, opening, voices = opening_lines(partner, "reaching", waits.announcement("reaching", "21:40", 20), "21:40",
                                        end, waits.roles("reaching"))
    steps = waits.wait_steps(opening, (), 20, _Lengths(), True, voices, partner.name)
    spoken = [(s.role, s.speaker, s.text) for s in steps if s.kind == "speak"]
    assert spoken[:2] == [("guide", "", "A message from Alex's device."),
                          ("partner", "Alex", "I'm flooded. I'm not leaving you. I'll be back at 21:40.")]
    assert {role for role, _, _ in spoken[2:]} == {"guide"}  # the hold-off's own words: the guide's
    assert at == "21:40" and partner.shown == "p1"


def test_more_time_from_the_partners_device_is_said_in_their_voice(monkeypatch):
    from types import SimpleNamespace

    partner = promised("Sam")
    flow = SimpleNamespace(spoken=SimpleNamespace(at=None), screen=SimpleNamespace(caption=print))
    opening, end, at, voices = partner.moved("extended", flow, "reaching")
    assert list(zip(voices, opening)) == [("guide", "A message from Sam's device."),
                                          ("partner", f"I need ten more minutes. I'll be back at {at}.")]
    opening, end, at, voices = partner.moved("promised", flow, "reaching")
    assert voices == ("guide", "partner") and opening[1].startswith("I'm flooded.") and len(opening) > 2


def test_the_partners_words_are_captioned_as_theirs():
    from companion.playback.timeline import _raw
    from companion.script import Speak

    step = Speak(line=1, text="I need ten more minutes.", role="partner", speaker="Alex")
    (kind, _, fields), = _raw(step, _Lengths())
    assert fields["caption"] == 'Alex: "I need ten more minutes."' and fields["role"] == "partner"


class _Lengths:
    """Every line a second long: the steps' order and voices are what is looked at."""

    def speech(self, role, text):
        return 22050

    def asset(self, name):
        return 22050


def test_voices_and_doctor_name_the_partner_role_and_its_unknown_voice(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"))

    def companion(*args):
        return subprocess.run([sys.executable, "-m", "companion", *args], env=env, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)

    listed = companion("voices")
    assert listed.returncode == 0 and "<- A, partner" in listed.stdout  # the default: A's voice
    (tmp_path / "config" / "companion").mkdir(parents=True)
    (tmp_path / "config" / "companion" / "config.toml").write_text('[voices]\nguide = "gmw/en-us"\npartner = "en-nope"\n')
    listed = companion("voices")
    assert "'en-nope'                    UNKNOWN: no such voice; your partner's device speaks with the default. " \
           "Fix: voices.partner in " in listed.stdout and "config.toml:3, an id above" in listed.stdout
    doctor = companion("doctor")
    assert "voices.partner = 'en-nope'; the default is spoken instead" in doctor.stdout, doctor.stdout
