"""config.toml: any file at all gives the settings or one clean line naming the file, never a traceback."""

import os
import subprocess
import sys
import unicodedata

import pytest

from companion import config
from companion.config import ConfigError, load


def raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on (C0, DEL, C1, bidi and other format characters)."""
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cf")]


def write(tmp_path, text, name="config.toml"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_a_config_saved_with_a_byte_order_mark_is_read(tmp_path):
    cfg = load(write(tmp_path, '\ufeffrate = 200\n[voices]\nguide = "gmw/en-gb-x-rp"\n'))
    assert cfg.voices.rate_wpm == 200 and cfg.voices.guide == "gmw/en-gb-x-rp"


def test_an_error_in_a_file_with_a_byte_order_mark_names_its_line(tmp_path):
    with pytest.raises(ConfigError, match=r"config.toml:1: rate = 9; expected"):
        load(write(tmp_path, "\ufeffrate = 9\n"))


@pytest.mark.parametrize("text", [
    "a = " + "[" * 600 + "]" * 600 + "\n",
    "a = " + "{b = " * 600 + "1" + "}" * 600 + "\n",
    "[voices]\nguide = " + "[" * 2000 + "\n",
])
def test_a_config_nested_hundreds_deep_is_bad_toml_naming_the_file(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}: invalid TOML") and "fix" in str(caught.value)


def test_a_number_too_long_to_convert_is_bad_toml(tmp_path):
    path = write(tmp_path, "rate = " + "9" * 5000 + "\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load(path)


@pytest.mark.parametrize("text", [
    '"\\u001b]0;pwned\\u0007\\u001b[2J" = 1\n',  # an unknown key
    'rate = "\\u001b[2J\\u009b31m"\n',  # a bad value
    '[voices]\n"\\u001b[31mX" = "gmw/en-us"\n',  # an unknown role
    '[voices]\nguide = ["\\u001b[2J"]\n',
    '[pause]\n"\\u202e\\u0007" = 1\n',  # an unknown pause setting; a bidi override
    '[pause]\nminutes = "\\r\\n\\t"\n',
    'background_prepare = "\\u0000"\n',
    "rate = \x1b[2J\n",  # raw bytes in the file: bad TOML
])
def test_error_lines_never_carry_a_raw_control_character(tmp_path, text):
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text))
    message = str(caught.value)
    assert str(tmp_path) in message and raw_controls(message) == [], repr(message)


def test_an_echoed_value_is_bounded(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, 'rate = "' + "x" * 10000 + '"\n'))
    assert len(str(caught.value)) < 300 + len(str(tmp_path))


def test_a_folder_in_place_of_the_config_is_one_line(tmp_path):
    (tmp_path / "config.toml").mkdir()
    with pytest.raises(ConfigError, match="is not a file"):
        load(tmp_path / "config.toml")


def test_a_pipe_in_place_of_the_config_is_refused_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "config.toml")
    code = "import sys; from pathlib import Path; from companion.config import load, ConfigError\n" \
           "try: load(Path(sys.argv[1]))\nexcept ConfigError as e: print(e)"
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "config.toml")], capture_output=True,
                            text=True, timeout=120)  # a safety net: reading the pipe would never end
    assert "is not a file" in result.stdout


def test_line_of_finds_the_key(tmp_path):
    path = write(tmp_path, 'rate = 140\n[voices]\nguide = "x"\nA = "y"\n')
    assert (config.line_of(path, "guide"), config.line_of(path, "A"), config.line_of(path, "missing")) == (3, 4, 1)


def test_voices_remember_the_file_they_came_from_through_overrides(tmp_path):
    path = write(tmp_path, '[voices]\nA = "gmw/en-us+f4"\n')
    cfg = load(path).with_overrides(voice="gmw/en-gb-x-rp", rate_wpm=180)
    assert cfg.voices == ("gmw/en-gb-x-rp", "gmw/en-us+f4", None, 180, str(path), None, None)


def pause_env(tmp_path):
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"XDG_{name}_HOME"] = str(tmp_path / name.lower())
    (tmp_path / "config" / "companion").mkdir(parents=True)
    return env


def first_caption_then_ctrl_c(tmp_path, env):
    """`pause --leave --text` until its first caption, then Ctrl-C: (exit code, stdout, stderr)."""
    import signal

    errors = tmp_path / "stderr"  # a file, not a pipe: a long traceback must not block the child
    with open(errors, "w") as err:
        process = subprocess.Popen([sys.executable, "-m", "companion", "pause", "--leave", "--text"], env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        first = process.stdout.readline()  # the pause has spoken (in captions) its first line, or ended
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=120)
    finally:
        process.kill()
    return process.returncode, first + out, errors.read_text()


def test_the_pause_goes_on_with_the_defaults_when_the_config_is_nested_too_deep(tmp_path):
    env = pause_env(tmp_path)
    path = tmp_path / "config" / "companion" / "config.toml"
    path.write_text("background_prepare = false\na = " + "[" * 600 + "]" * 600 + "\n")
    code, out, err = first_caption_then_ctrl_c(tmp_path, env)
    assert "You stopped. You're still here." in out
    assert f"companion: {path}: invalid TOML" in err and "going on with the default settings" in err
    assert "Traceback" not in err and "RecursionError" not in err and code == 130


def test_doctor_with_a_typo_in_the_config_names_the_line_and_runs_every_check(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from companion.cli.app import cli

    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    path = tmp_path / "config" / "companion" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("background_prepare = false\nrat = 140\n")
    result = CliRunner().invoke(cli, ["doctor"])
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    checks = {line[9:].split(":")[0]: line for line in result.output.splitlines()}
    assert list(checks) == ["settings", "journal", "bundled sounds", "help", "sound device", "microphone", "speech engine", "voices",
                            "speech cache"]
    assert 'not set; after the safety line: call ' in checks["help"] and 'set help = "..."' in checks["help"]
    assert checks["settings"].startswith(f"PROBLEM  settings: {path}:2: unknown setting 'rat'")
    assert "fix the settings" in checks["speech cache"] and result.exit_code == 1


def test_help_is_a_number_or_a_sentence(tmp_path):
    assert load(write(tmp_path, "help = 988\n")).help == 988
    assert load(write(tmp_path, 'help = "Call the Samaritans on 116 123"\n')).help == "Call the Samaritans on 116 123"
    assert load(write(tmp_path, "rate = 140\n")).help is None  # unset: the time zone's emergency number
    for bad in ("help = true\n", 'help = ""\n', 'help = "call {me}"\n', "help = [1]\n", 'help = "a\\u001bb"\n'):
        with pytest.raises(ConfigError, match=r"config.toml:1: help = .*; expected a number or a sentence"):
            load(write(tmp_path, bad))


def test_you_is_a_voice_role(tmp_path):
    assert load(write(tmp_path, '[voices]\nyou = "gmw/en-us+m4"\n')).voices.voice("you") == "gmw/en-us+m4"
