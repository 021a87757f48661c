"""companion.paths computes the XDG folders itself on Linux: they must be platformdirs' answer."""

import pytest
from platformdirs import PlatformDirs

from companion import paths


@pytest.mark.parametrize("kind", ["cache", "data", "config"])
@pytest.mark.parametrize("value", [None, "", "   ", "/tmp/somewhere", "/tmp/with space/x"])
def test_user_dirs_are_platformdirs_answer(monkeypatch, tmp_path, kind, value):
    variable = paths._XDG[kind][0]
    monkeypatch.setenv("HOME", str(tmp_path))
    if value is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, value)
    expected = getattr(PlatformDirs("companion", appauthor=False), f"user_{kind}_dir")
    assert paths.user_dir(kind) == expected
    assert str(getattr(paths, f"{kind}_dir")()) == expected



def test_replacing_moves_the_file_over_only_when_whole_and_leaves_nothing_beside_it(tmp_path):
    import os

    import pytest

    from companion.paths import replacing

    target = tmp_path / "kept.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    with pytest.raises(RuntimeError):
        with replacing(target, ".bin") as f:
            f.write(b"half")
            raise RuntimeError("stopped half-way")
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["kept.bin"]
    with replacing(target, ".bin") as f:
        f.write(b"new")
    assert target.read_bytes() == b"new" and (target.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.bin"]


def test_replacing_puts_the_file_on_the_disk_before_the_move_and_the_move_before_it_returns(tmp_path, monkeypatch):
    """What a crash just after writing finds: the whole new file or the old one, never an empty one."""
    import os
    import stat

    from companion.paths import replacing

    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        info = os.fstat(fd)
        events.append(("fsync folder",) if stat.S_ISDIR(info.st_mode) else ("fsync file", info.st_size))
        real_fsync(fd)

    def replace(source, target):
        events.append(("replace",))
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    target = tmp_path / "kept.json"
    with replacing(target) as f:
        f.write(b"whole")
        assert events == []
    assert events == [("fsync file", 5), ("replace",), ("fsync folder",)]
    assert target.read_bytes() == b"whole"


def test_a_new_partner_key_is_on_the_disk_with_its_folder_entry(tmp_path, monkeypatch):
    import os
    import stat

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    synced, real_fsync = [], os.fsync

    def fsync(fd):
        info = os.fstat(fd)
        synced.append((stat.S_ISDIR(info.st_mode), info.st_ino))
        real_fsync(fd)

    real_link = os.link
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", lambda *args: (synced.append("link"), real_link(*args))[1])
    from companion.partner import identity

    identity.own_public()
    folder = tmp_path / "companion" / "partner"
    key = os.stat(folder / "key").st_ino
    assert (False, key) in synced[:synced.index("link")]  # the key's bytes, before a name points at them
    assert (True, folder.stat().st_ino) in synced[synced.index("link"):]  # the folder, after the link
