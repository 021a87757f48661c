"""One table of options for Click and for the fast parser: the same arguments give the same values, or
both refuse them (exit 2); options of one group are refused together with the same one line."""

import subprocess
import sys

import click
import pytest

from companion.cli.app import cli
from companion.options import COMMANDS, UsageError, fold, parse

POSITIONAL = {"play": 1}  # play's NAME|PATH; Click's argument, given to both

ARGVS = {
    "pause": [[], ["--leave"], ["--reach"], ["--leave", "--leave"], ["--leave", "--reach"], ["--reach", "--leave"],
              ["--minutes", "30"], ["--minutes=5"], ["--minutes", "1"], ["--minutes", "180"], ["--minutes", "0"],
              ["--minutes", "181"], ["--minutes", "soon"], ["--minutes"], ["--minutes="], ["--minutes", "-5"],
              ["--minutes", "2.5", "--minutes", "7"], ["--quiet", "--text", "--pulse"], ["--quiet=1"], ["-x"],
              ["--leav"], ["extra"], ["--leave", "--minutes", "30", "--quiet"]],
    "play": [[], ["stay"], ["sit", "--text"], ["--text", "sit"], ["stay", "--voice", "gmw/en-us"],
             ["stay", "--voice=natural"], ["--rate", "120"], ["--rate", "79"], ["--rate", "401"], ["--rate", "1.5"],
             ["--rate"], ["--voice"], ["stay", "sit"], ["--text=yes"], ["--nope"], ["stay", "-"],
             ["./my script.txt", "--rate=400"]],
    "daily": [[], ["--leave"], ["--reach"], ["--any"], ["--leave", "--reach"], ["--any", "--reach"],
              ["--leave", "--any"], ["--any", "--any"], ["--text", "--no-rating"], ["--no-rating=1"], ["--other"],
              ["today"]],
    "progress": [[], ["--json"], ["--json", "--json"], ["--json=1"], ["--jsn"], ["week"]],
}


def by_click(command: str, argv: list[str]):
    """What the real Click command receives for `argv`, or the UsageError that refuses it."""
    try:
        ctx = cli.commands[command].make_context(f"companion {command}", list(argv))
    except click.UsageError as e:
        assert e.exit_code == 2
        return UsageError(e.format_message())
    try:
        return fold(command, ctx.params)
    except UsageError as e:
        return e


def by_table(command: str, argv: list[str]):
    try:
        values, words = parse(command, argv, POSITIONAL.get(command, 0))
    except UsageError as e:
        return e
    if command == "play":
        values["name"] = words[0] if words else "stay"
    return values


def test_every_session_command_is_in_the_table_and_tested():
    assert set(COMMANDS) == set(ARGVS) == {"pause", "play", "daily", "progress"}


@pytest.mark.parametrize("command, argv", [(c, a) for c, argvs in ARGVS.items() for a in argvs])
def test_click_and_the_fast_parser_agree(command, argv):
    clicked, fast = by_click(command, argv), by_table(command, argv)
    if isinstance(fast, UsageError) or isinstance(clicked, UsageError):
        assert isinstance(fast, UsageError) and isinstance(clicked, UsageError), (clicked, fast)
        if "must be from" in str(fast) or "needs a" in str(fast) and ", not " in str(fast):
            assert str(fast) in str(clicked)  # a value out of range or of the wrong kind: the same words
    else:
        assert clicked == fast


def test_every_option_of_the_table_is_one_of_clicks():
    for command, options in COMMANDS.items():
        flags = {flag for param in cli.commands[command].params for flag in param.opts if flag.startswith("--")}
        assert flags == {o.flag for o in options}, command


@pytest.mark.parametrize("argv, line", [
    (["pause", "--leave", "--reach"], "companion: --leave and --reach cannot be used together; choose one"),
    (["daily", "--any", "--leave"], "companion: --leave, --reach and --any cannot be used together; choose one"),
])
def test_exclusive_options_are_refused_in_one_line_by_both_ways_in(argv, line, tmp_path):
    env = {"PATH": "/usr/bin:/bin", **{f"XDG_{n}_HOME": str(tmp_path / n) for n in ("CACHE", "DATA", "CONFIG")}}
    # The console script (pause: the fast parser) and Click's own command (as CliRunner calls it).
    done = subprocess.run([sys.executable, "-m", "companion", *argv], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert (done.returncode, done.stderr, done.stdout) == (2, line + "\n", "")
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, argv)
    assert (result.exit_code, result.output) == (2, line + "\n")
    assert not (tmp_path / "DATA").exists()  # refused before anything began: no journal


def test_a_pause_it_refuses_starts_no_sound_device_so_its_one_line_is_never_lost():
    # PortAudio's start-up points stderr at /dev/null (sounddevice does): the refusal above, said while it
    # started, was lost under load (exit 2 and nothing said).
    from companion.startup.main import _side_given

    assert _side_given(["--leave"]) and _side_given(["--reach", "--minutes", "20", "--quiet"])
    refused = [["--leave", "--reach"], ["--leave", "--nope"], ["--leave", "--minutes", "x"], ["--leave", "stray"]]
    assert not any(_side_given(argv) for argv in [*refused, ["--leave", "--text"], [], ["--pulse"]])
