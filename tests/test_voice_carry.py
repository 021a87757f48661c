"""`companion voice export/import`: a voice carried whole and private; a hostile archive refused, nothing written."""

import io
import json
import os
import stat
import wave
import zipfile
from array import array

import pytest
from click.testing import CliRunner

from companion.cli.app import cli
from companion.voice import carry, recorded

TAKE = array("h", [3000 if (i // 30) % 2 else -3000 for i in range(4410)]).tobytes()
ONE, TWO = "Breathe out slowly.", "Feel your feet on the floor."


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


def snapshot(root):
    """Every path under `root` with its mode and bytes: what "nothing written" compares."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            found[path] = (info.st_mode, open(path, "rb").read() if stat.S_ISREG(info.st_mode) else None)
    return found


def wav(rate=22050, channels=1, width=2, frames=TAKE) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def index(voice="coach", texts=(ONE,)) -> dict:
    return {"format": 1, "voice": voice,
            "lines": {recorded.key(t): {"text": t, "file": f"{recorded.key(t)}.wav"} for t in texts}}


def good_members(texts=(ONE,)) -> list:
    return [("lines.json", json.dumps(index(texts=texts)).encode())] + [(f"{recorded.key(t)}.wav", wav()) for t in texts]


def archive(path, members, mode=None, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name) if isinstance(name, str) else name
            if mode is not None and info.filename == mode[0]:
                info.external_attr = mode[1] << 16
            info.compress_type = compression
            z.writestr(info, data)
    return path


def import_(*args):
    return CliRunner().invoke(cli, ["voice", "import", *map(str, args)])


def refused(home, path, words, *args):
    before = snapshot(home)
    result = import_(path, *args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("companion: ") and "Traceback" not in result.output
    assert all(word in lines[0] for word in words), lines[0]
    assert snapshot(home) == before
    return lines[0]


def test_round_trip_on_an_empty_home_gives_the_same_files_private(home, tmp_path, monkeypatch):
    recorded.save("coach", ONE, TAKE)
    recorded.save("coach", TWO, TAKE[::-1])
    folder = recorded.voice_dir("coach")
    made = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = CliRunner().invoke(cli, ["voice", "export", "Coach", "coach.zip"])
    assert result.exit_code == 0 and "2 lines" in result.output, result.output
    assert stat.S_IMODE((tmp_path / "coach.zip").stat().st_mode) == 0o600
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "elsewhere"))  # the client's empty home
    old = os.umask(0)
    try:
        result = import_(tmp_path / "coach.zip")
    finally:
        os.umask(old)
    assert result.exit_code == 0 and "coach (2 lines)" in result.output, result.output
    there = tmp_path / "elsewhere" / "companion" / "voices" / "coach"
    assert {p.name: p.read_bytes() for p in there.iterdir()} == made
    for p in there.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    for p in (there, there.parent):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700
    assert recorded.path_for("coach", TWO) == there / f"{recorded.key(TWO)}.wav"
    assert sorted(os.listdir(there.parent)) == ["coach"]  # no temporary folder left


def test_export_of_a_missing_voice_or_over_a_file_is_one_line(home, tmp_path):
    result = CliRunner().invoke(cli, ["voice", "export", "nobody", "x.zip"])
    assert result.exit_code == 2 and "no recorded voice" in result.output and not (tmp_path / "x.zip").exists()
    recorded.save("coach", ONE, TAKE)
    (tmp_path / "x.zip").write_text("mine")
    result = CliRunner().invoke(cli, ["voice", "export", "coach", "x.zip"])
    assert result.exit_code == 2 and "--force" in result.output and (tmp_path / "x.zip").read_text() == "mine"


def test_an_existing_voice_needs_force_and_is_replaced_whole(home, tmp_path):
    archive(tmp_path / "a.zip", good_members())
    recorded.save("coach", TWO, TAKE)
    refused(home, tmp_path / "a.zip", ["already exists", "--force"])
    assert import_(tmp_path / "a.zip", "--force").exit_code == 0
    assert recorded.path_for("coach", ONE) is not None and recorded.path_for("coach", TWO) is None
    assert sorted(os.listdir(recorded.voices_dir())) == ["coach"]
    assert import_(tmp_path / "a.zip", "--as", "Anna").exit_code == 0
    assert recorded.recorded_voices() == ["anna", "coach"]
    assert json.loads((recorded.voice_dir("anna") / "lines.json").read_text())["voice"] == "anna"


@pytest.mark.parametrize("name,words", [
    ("../" + recorded.key(ONE) + ".wav", ["outside the voice's folder"]),
    ("/etc/" + recorded.key(ONE) + ".wav", ["absolute path"]),
    ("C:" + recorded.key(ONE) + ".wav", ["absolute path"]),
    ("sub\\" + recorded.key(ONE) + ".wav", ["backslash"]),
    ("sub/" + recorded.key(ONE) + ".wav", ["folder"]),
    ("notes.txt", ["not a voice's file"]),
    (recorded.key(ONE) + ".WAV", ["not a voice's file"]),
])
def test_members_outside_the_voice_or_of_other_names_are_refused(home, tmp_path, name, words):
    members = good_members() + [(name, wav())]
    line = refused(home, archive(tmp_path / "bad.zip", members), words + ["bad.zip", "export the voice again"])
    assert "member" in line


def test_a_folder_member_is_refused(home, tmp_path):
    members = good_members() + [(zipfile.ZipInfo("voice/"), b"")]
    refused(home, archive(tmp_path / "bad.zip", members), ["folder"])


def test_a_symlink_is_refused(home, tmp_path):
    k = recorded.key(ONE)
    members = [good_members()[0], (f"{k}.wav", b"/etc/passwd")]
    path = archive(tmp_path / "bad.zip", members, mode=(f"{k}.wav", stat.S_IFLNK | 0o777))
    refused(home, path, ["a link", f"{k}.wav"])


def test_duplicate_names_are_refused(home, tmp_path):
    members = good_members() + [(f"{recorded.key(ONE)}.wav", wav())]
    with pytest.warns(UserWarning):  # zipfile itself warns of the duplicate it writes
        path = archive(tmp_path / "bad.zip", members)
    refused(home, path, ["twice"])


def test_a_huge_member_is_refused_by_its_declared_size(home, tmp_path):
    members = good_members() + [(f"{recorded.key(TWO)}.wav", b"\0" * (carry.MAX_MEMBER_BYTES + 1))]
    refused(home, archive(tmp_path / "bad.zip", members, compression=zipfile.ZIP_STORED), ["bytes, more than"])


def test_a_member_larger_than_it_declares_is_refused(home, tmp_path):
    k = recorded.key(ONE)
    path = archive(tmp_path / "bad.zip", [good_members()[0], (f"{k}.wav", wav())], compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    size = len(wav()).to_bytes(4, "little")
    smaller = (len(wav()) - 100).to_bytes(4, "little")
    data = data.replace(size + size, size + smaller)  # compressed size, then the (declared) size: both headers
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        assert z.getinfo(f"{k}.wav").file_size == len(wav()) - 100  # the lie is in place
    # zipfile stops at the declared size; what it read then fails its CRC: refused, never written
    refused(home, path, [f"member '{k}.wav'", "cannot be read"])


def test_a_zip_bomb_ratio_is_refused(home, tmp_path):
    members = good_members() + [(f"{recorded.key(TWO)}.wav", b"\0" * (5 * 1024 * 1024))]
    refused(home, archive(tmp_path / "bad.zip", members), ["zip bomb"])


def test_a_member_that_is_not_a_wav_is_refused(home, tmp_path):
    members = [good_members()[0], (f"{recorded.key(ONE)}.wav", b"#!/bin/sh\nrm -rf ~\n")]
    refused(home, archive(tmp_path / "bad.zip", members), ["not a WAV file"])


@pytest.mark.parametrize("kwargs,words", [({"rate": 44100}, ["44100 Hz"]), ({"channels": 2, "frames": TAKE * 2},
                                                                          ["2 channels"]),
                                          ({"width": 1, "frames": TAKE}, ["8-bit"])])
def test_a_wav_of_the_wrong_format_is_refused(home, tmp_path, kwargs, words):
    members = [good_members()[0], (f"{recorded.key(ONE)}.wav", wav(**kwargs))]
    refused(home, archive(tmp_path / "bad.zip", members), words + ["22050 Hz mono 16-bit"])


def test_a_wav_cut_short_is_refused(home, tmp_path):
    members = [good_members()[0], (f"{recorded.key(ONE)}.wav", wav()[:-1000])]
    refused(home, archive(tmp_path / "bad.zip", members), ["cut short"])


def bad_index(**change):
    data = index()
    line = data["lines"][recorded.key(ONE)]
    for k, v in change.items():
        (line if k in ("text", "file") else data)[k] = v
    return data


@pytest.mark.parametrize("data,words", [
    (bad_index(file="../../config/companion/config.toml"), ["lines.json", "not " + recorded.key(ONE) + ".wav"]),
    (bad_index(file=recorded.key(TWO) + ".wav"), ["lines.json", "points at"]),
    (bad_index(text="Another line."), ["not the key of its text"]),
    (bad_index(text="Breathe\x1b[2J out."), ["control characters"]),
    (bad_index(format=2), ["format"]),
    (bad_index(voice="../x"), ["voice"]),
    (dict(index(), extra=1), ["extra"]),
    ([1, 2], ["lines.json"]),
])
def test_a_bad_lines_json_is_refused(home, tmp_path, data, words):
    members = [("lines.json", json.dumps(data).encode()), (f"{recorded.key(ONE)}.wav", wav())]
    line = refused(home, archive(tmp_path / "bad.zip", members), words)
    assert "\x1b" not in line


def test_a_take_without_its_line_or_a_line_without_its_take_is_refused(home, tmp_path):
    refused(home, archive(tmp_path / "a.zip", good_members() + [(f"{recorded.key(TWO)}.wav", wav())]),
            ["not a line of lines.json"])
    refused(home, archive(tmp_path / "b.zip", [("lines.json", json.dumps(index(texts=(ONE, TWO))).encode()),
                                               (f"{recorded.key(ONE)}.wav", wav())]), ["has no", ".wav in the archive"])
    refused(home, archive(tmp_path / "c.zip", good_members()[1:]), ["no lines.json"])


def test_too_many_members_are_refused(home, tmp_path, monkeypatch):
    monkeypatch.setattr(carry, "MAX_MEMBERS", 1)
    refused(home, archive(tmp_path / "bad.zip", good_members()), ["members, more than 1"])


def test_too_many_bytes_in_all_are_refused(home, tmp_path, monkeypatch):
    monkeypatch.setattr(carry, "MAX_TOTAL_BYTES", len(wav()))
    refused(home, archive(tmp_path / "bad.zip", good_members()), ["bytes in all"])


def test_not_a_zip_or_no_file_is_one_line(home, tmp_path):
    (tmp_path / "x.zip").write_text("not a zip")
    refused(home, tmp_path / "x.zip", ["not a readable .zip file"])
    refused(home, tmp_path / "none.zip", ["no such file"])
