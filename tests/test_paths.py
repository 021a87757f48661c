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

