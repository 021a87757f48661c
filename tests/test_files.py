"""Every folder and file companion creates is private from its first write, whatever the umask."""

import os
import signal
import stat
import subprocess
import sys

import pytest

TINY = '+++\ntitle = "Tiny"\nfor = "both"\n+++\nYou are here.\n'
# An unknown voice: prepare still works. espeak-ng's guide: the whole library in the natural voice takes
# minutes here, and every engine's clip goes through the same private write.
CONFIG = 'background_prepare = false\n[voices]\nA = "gmw/en-uss"\nguide = "gmw/en-us"\n'


def companion(env, *args, **kwargs):
    """companion under umask 000, as a careless shell or service manager may start it."""
    return subprocess.run([sys.executable, "-m", "companion", *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600, preexec_fn=lambda: os.umask(0), **kwargs)


@pytest.fixture(scope="module")
def used(tmp_path_factory):
    """A fresh user who, under umask 000: starts a pause on a cold cache (its first line rendered at
    once), plays a script, prepares the cache, renders a WAV. Returns (home, {command: result})."""
    home = tmp_path_factory.mktemp("home")
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    config = home / "config" / "companion"
    config.mkdir(parents=True, mode=0o700)
    (home / "config").chmod(0o700)
    config.chmod(0o700)
    os.close(os.open(config / "config.toml", os.O_WRONLY | os.O_CREAT, 0o600))
    (config / "config.toml").write_text(CONFIG)
    (home / "tiny.txt").write_text(TINY)
    results = {}

    process = subprocess.Popen([sys.executable, "-m", "companion", "pause", "--leave", "--text"], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               preexec_fn=lambda: os.umask(0))
    try:
        first = process.stdout.readline()  # its first line is spoken: rendered, cached, journalled
        process.send_signal(signal.SIGINT)
        results["pause"] = (process.wait(timeout=120), first)
    finally:
        process.kill()
    results["play"] = companion(env, "play", "--text", str(home / "tiny.txt"))
    results["prepare"] = companion(env, "prepare")
    results["render"] = companion(env, "render", "tiny.txt", "-o", "tiny.wav", cwd=home)
    return home, results


def test_each_command_ran(used):
    home, results = used
    assert results["pause"] == (130, "You stopped. You're still here.\n")
    for command in ("play", "prepare", "render"):
        assert results[command].returncode == 0, (command, results[command].stderr)
    assert (home / "cache" / "companion" / "clips" / "first-words.tsv").exists()
    assert (home / "cache" / "companion" / "clips" / "prepared.json").exists()


def test_nothing_created_is_open_to_group_or_others(used):
    home, _ = used
    found, open_to_others = 0, []
    for kind in ("cache", "data", "config"):
        top = home / kind
        for folder, names, files in os.walk(top):
            for path in [folder, *(os.path.join(folder, name) for name in files)]:
                found += 1
                mode = stat.S_IMODE(os.lstat(path).st_mode)
                if mode & 0o077:
                    open_to_others.append(f"{path} {mode:o}")
    assert open_to_others == [] and found > 300  # the clips, the index, the stamp, the lock, the journal, state
    mode = stat.S_IMODE(os.stat(home / "tiny.wav").st_mode)
    assert mode == 0o600


def test_the_files_that_matter_exist_to_be_checked(used):
    home, _ = used
    clips = home / "cache" / "companion" / "clips"
    for path in (clips, clips / "first-words.tsv", clips / "prepared.json", clips / "prepare.lock",
                 home / "data" / "companion" / "journal.sqlite3"):
        assert stat.S_IMODE(os.stat(path).st_mode) in (0o600, 0o700), path


def test_prepare_with_an_unknown_voice_says_so_once_and_prepares_the_default(used):
    home, results = used
    config = home / "config" / "companion" / "config.toml"
    assert results["prepare"].stderr == (
        f"companion: {config}:3: voices.A = 'gmw/en-uss' is not a voice of the speech engine; partner A speaks with "
        "the default voice instead (choose one from `companion voices`)\n")
    assert "The cache is ready" in results["prepare"].stdout


def test_private_dir_creates_every_missing_folder_private_and_leaves_a_private_one_alone(tmp_path):
    from companion.paths import private_dir

    previous = os.umask(0)
    try:
        private_dir(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(previous)
    for path in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    (tmp_path / "open").mkdir()
    (tmp_path / "open").chmod(0o755)
    private_dir(tmp_path / "open")
    assert stat.S_IMODE(os.stat(tmp_path / "open").st_mode) == 0o700


def test_write_private_replaces_a_file_whole_and_private(tmp_path):
    from companion.paths import write_private

    target = tmp_path / "index.tsv"
    target.write_text("old")
    target.chmod(0o666)
    previous = os.umask(0)
    try:
        write_private(target, "new\n")
    finally:
        os.umask(previous)
    assert target.read_text() == "new\n" and stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["index.tsv"]  # no temporary file left behind
