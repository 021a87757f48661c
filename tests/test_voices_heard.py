"""What a listener hears from a render: three distinct speakers, every spoken line at one level.

Measured on the rendered WAV through the real CLI (`render`, and `show --json`'s offsets for each line),
with the default voices: the natural guide, espeak-ng's A and B.
"""

import os
import subprocess
import sys

import pytest

from companion.library import builtin_scripts
from tests.conftest import prepared_cache
from tests.voicelab import levels_db, median_pitch_hz, render_and_show

SPREAD_DB = 1.5


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """One cache for the module, prepared (the whole library in the natural voice, from the session's template)."""
    home = tmp_path_factory.mktemp("home")
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    (home / "config" / "companion").mkdir(parents=True)
    (home / "config" / "companion" / "config.toml").write_text("background_prepare = false\n")
    done = prepared_cache(env)  # the session's library, then prepare here
    assert done.returncode == 0 and "The cache" in done.stdout, done.stderr
    return env


def test_dancefloor_has_three_distinct_speakers_at_one_level(env, tmp_path):
    lines, _ = render_and_show("dancefloor", env, tmp_path / "dancefloor.wav")
    by_role = {role: [samples for r, samples in lines if r == role] for role in ("guide", "A", "B")}
    assert all(by_role.values()), {role: len(found) for role, found in by_role.items()}
    pitch = {role: median_pitch_hz(found) for role, found in by_role.items()}
    a, b, guide = pitch["A"], pitch["B"], pitch["guide"]
    assert max(a, b) / min(a, b) >= 1.15, pitch
    for partner in (a, b):
        assert max(partner, guide) / min(partner, guide) >= 1.15, pitch  # neither sounds like the guide
    levels = levels_db([samples for _, samples in lines])
    assert max(levels) - min(levels) <= SPREAD_DB, levels


@pytest.mark.parametrize("name", sorted(builtin_scripts()))
def test_every_built_in_sequence_speaks_at_one_level(env, tmp_path, name):
    lines, _ = render_and_show(name, env, tmp_path / f"{name}.wav")
    levels = levels_db([samples for _, samples in lines])
    assert len(levels) >= 5
    assert max(levels) - min(levels) <= SPREAD_DB, sorted(levels)


def test_the_render_used_the_prepared_cache_only(env, tmp_path):
    # prepare rendered everything: a render afterwards makes no new clip.
    clips = os.path.join(env["XDG_CACHE_HOME"], "companion", "clips")
    before = sum(len(files) for _, _, files in os.walk(clips))
    render_and_show("stay", env, tmp_path / "stay.wav")
    assert sum(len(files) for _, _, files in os.walk(clips)) == before
