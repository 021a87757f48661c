"""The recorded-voice store: names, keys, private files, takes found by their line's text."""

import json
import os
import stat
import wave
from array import array

import pytest

from companion.voice import recorded


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "companion"


def tone(n=2205, value=1000) -> bytes:
    return array("h", [value if i % 20 < 10 else -value for i in range(n)]).tobytes()


@pytest.mark.parametrize("name,normal", [("Me", "me"), ("coach-anna", "coach-anna"), ("a_1", "a_1"),
                                         ("x" * 40, "x" * 40)])
def test_valid_names_are_lower_cased(name, normal):
    assert recorded.valid_name(name) == normal


@pytest.mark.parametrize("name", ["", "-me", "../me", "a/b", "me\x1b[2J", "x" * 41, "é", "a b", ".hidden"])
def test_other_names_are_one_line(name):
    with pytest.raises(ValueError) as e:
        recorded.valid_name(name)
    message = str(e.value)
    assert "\n" not in message and "\x1b" not in message and "voice name" in message


def test_key_collapses_whitespace_only():
    assert recorded.key("Breathe  out.\n") == recorded.key("Breathe out.")
    assert recorded.key("Breathe out.") != recorded.key("Breathe out")
    assert len(recorded.key("x")) == 24 and int(recorded.key("x"), 16) >= 0


def test_save_writes_a_private_wav_and_index(home):
    old = os.umask(0)
    try:
        path = recorded.save("Me", "Breathe out.", tone())
    finally:
        os.umask(old)
    folder = home / "voices" / "me"
    assert path == folder / f"{recorded.key('Breathe out.')}.wav"
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (22050, 1, 2, 2205)
        assert w.readframes(2205) == tone()
    index = json.loads((folder / "lines.json").read_text())
    assert index == {"format": 1, "voice": "me", "lines": {
        recorded.key("Breathe out."): {"text": "Breathe out.", "file": path.name}}}
    for p in (home / "voices", folder):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700
    for p in folder.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == sorted(["lines.json", path.name])  # no leftovers


def test_a_new_take_replaces_the_old_and_keeps_the_others(home):
    recorded.save("me", "One.", tone(value=100))
    recorded.save("me", "Two.", tone())
    recorded.save("me", "One.", tone(value=2000))
    with wave.open(str(recorded.path_for("me", "One."))) as w:
        assert w.readframes(10) == tone(value=2000)[:20]
    assert recorded.path_for("me", "Two.") is not None
    assert len(json.loads((home / "voices/me/lines.json").read_text())["lines"]) == 2


def test_path_for_a_missing_line_or_voice_is_none(home):
    assert recorded.path_for("nobody", "One.") is None
    recorded.save("me", "One.", tone())
    assert recorded.path_for("me", "One. ") is not None
    assert recorded.path_for("me", "Two.") is None


def test_an_index_pointing_elsewhere_is_not_followed(home):
    recorded.save("me", "One.", tone())
    index = home / "voices/me/lines.json"
    data = json.loads(index.read_text())
    data["lines"][recorded.key("One.")]["file"] = "../other/x.wav"
    index.write_text(json.dumps(data))
    assert recorded.path_for("me", "One.") is None


def test_a_broken_index_is_one_line(home):
    recorded.save("me", "One.", tone())
    (home / "voices/me/lines.json").write_text("{not json")
    with pytest.raises(ValueError) as e:
        recorded.path_for("me", "One.")
    assert "\n" not in str(e.value) and "lines.json" in str(e.value)


def test_recorded_voices_and_coverage(home):
    assert recorded.recorded_voices() == []
    recorded.save("me", "One.", tone())
    recorded.save("me", "Two.", tone())
    recorded.save("coach", "One.", tone())
    (home / "voices" / "empty").mkdir()
    assert recorded.recorded_voices() == ["coach", "me"]
    assert recorded.coverage("me", ["One.", "Two.", "Three.", "One."]) == (2, 3)
    assert recorded.coverage("coach", ["One.", "Two."]) == (1, 2)
    assert recorded.coverage("nobody", ["One."]) == (0, 1)


def test_odd_bytes_are_refused(home):
    with pytest.raises(ValueError):
        recorded.save("me", "One.", b"\0\0\0")
    assert not (home / "voices" / "me").exists()
