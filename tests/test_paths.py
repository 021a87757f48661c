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
