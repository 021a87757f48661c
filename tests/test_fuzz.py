"""Fuzzed script files through the real commands, each in its own process.

A seeded generator (reproducible in CI) makes script files: a valid skeleton
with some lines mutated (over-long lines, control characters and escape codes,
front matter nested hundreds deep, odd directives, unicode, bytes that are not
UTF-8). `check` must give exit 0 or 2; `show` and `list`, which speak every line
through the real engine, must not die or hang on any file `check` accepts; and
nothing may print a traceback or a raw control character.
"""

import json
import os
import random
import subprocess
import sys

import pytest
from tests.conftest import ESPEAK_GUIDE


SEED = 20261130
FILES = 40
SHOWN = 8  # `show` per accepted file is a process each; `list` covers every accepted file in one
VALID = [
    "You are here.", "Feel your feet on the floor.", "[pause 2s]", "[pause 1m 30s]", "[bell]", "[bell soft]",
    "[breathe in 4 hold 2 out 6 x2]", "A: I'm flooded. I'm not leaving you.", "B: I'm scared.",
    "[turn A up to 5s] Tell your partner one thing.", "[sound waves 3s]", "# a comment", "",
]
ODD = [
    "[pause 4 s]", "[pause 4]", "[pause]", "[pause 0s]", "[pause 3h]", "[pause 1m 1m]", "[bell loud]", "[bell",
    "[]", "[[pause 1s]]", "[breathe in 4 out 6 x999]", "[breathe x1 x2]", "[turn C up to 5s]", "[turn A up to]",
    "[sound ../../etc/passwd 2m]", "[sound rain 2m]", "a: lower case label", "b:", "A:", "...", "+++", "]",
    "[turn both up to 31m] Speak.", "[PAUSE 2S]", "[pause 1.5s] trailing",
]
CONTROLS = ["\x00", "\x07", "\x08", "\x1b", "\x1b[2J", "\x1b]0;pwned\x07", "\x7f", "\x85", "\x9b31m", "\r", "\t"]
UNICODE = ["é", "—", "…", "日本語", "مرحبا", "שלום", "\u200b", "\u202e", "\u0301", "🙂", "𝔘", "\ufeff", "\u2028", "Ω"]


def _unicode_line(rng: random.Random) -> str:
    return " ".join(rng.choice(UNICODE) + rng.choice(["word", "feel", "here", ""]) for _ in range(rng.randint(1, 8)))


def _mutate(rng: random.Random, lines: list[str], kind: str) -> None:
    at = rng.randrange(len(lines) + 1)
    if kind == "long":
        lines.insert(at, rng.choice(["A: ", "", "[turn A up to 5s] "]) + "word " * rng.choice([119, 119, 121, 9000])
                     + "end.")
    elif kind == "control":
        line = rng.choice(VALID[:2] + VALID[7:10])
        cut = rng.randrange(len(line) + 1)
        lines.insert(at, line[:cut] + rng.choice(CONTROLS) + line[cut:])
    elif kind == "odd":
        lines.insert(at, rng.choice(ODD))
    elif kind == "unicode":
        lines.insert(at, _unicode_line(rng))
    elif kind == "blank":
        lines.insert(at, rng.choice(["", "   ", "#", "\t"]))


def _front(rng: random.Random, kind: str) -> str:
    title = rng.choice(['"Tiny"', '"Stay here"', '"Café — ça va"'])
    extra = ""
    if kind == "title-escape":
        title = rng.choice(['"\\u001b]0;pwned\\u0007\\u001b[2J"', '"ok\\u009b31m"', '"two\\nlines"', '"bell\\u0007"'])
    elif kind == "deep":
        depth = rng.choice([50, 500, 1000])
        extra = "x = " + "[" * depth + "]" * depth + "\n"
    elif kind == "long-title":
        title = '"' + "t" * rng.choice([120, 121, 5000]) + '"'
    elif kind == "toml":
        extra = rng.choice(['for = "everyone"\n', "titel = 1\n", "minutes = -1\n", 'summary = """a\nb"""\n', "= 1\n"])
    return f'+++\ntitle = {title}\nfor = "{rng.choice(["both", "pair", "leaving"])}"\n{extra}+++\n'


def make_script(rng: random.Random, index: int) -> bytes:
    """A script file: a valid skeleton, mutated; `index` makes every kind of mutation appear."""
    kinds = ["long", "control", "odd", "unicode", "unicode", "blank"]
    front_kinds = ["none", "title-escape", "deep", "long-title", "toml"]
    lines = [rng.choice(VALID) for _ in range(rng.randint(2, 6))]
    lines.insert(0, "You are here.")  # something to speak, so most files are valid but for their mutation
    for n in range(rng.randint(0, 3)):
        _mutate(rng, lines, kinds[(index + n) % len(kinds)] if n == 0 else rng.choice(kinds))
    text = _front(rng, front_kinds[index % len(front_kinds)] if index % 3 == 0 else "none") + "\n".join(lines) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    if index % 13 == 5:
        data = data.replace(b"You", b"Y\xffou", 1)  # not UTF-8
    if index % 11 == 7:
        data = data.replace(b"\n", b"\r\n")
    return data


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """The fuzzed files in a user's scripts folder, and the environment of a private user."""
    home = tmp_path_factory.mktemp("fuzz")
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    scripts = home / "config" / "companion" / "scripts"
    scripts.mkdir(parents=True)
    (home / "config" / "companion" / "config.toml").write_text(ESPEAK_GUIDE)
    rng = random.Random(SEED)
    paths = []
    for index in range(FILES):
        path = scripts / f"fuzz-{index:02d}.txt"
        path.write_bytes(make_script(rng, index))
        paths.append(path)
    return env, paths


def run(env, *args, timeout=120):
    result = subprocess.run([sys.executable, "-m", "companion", *args], env=env, capture_output=True, timeout=timeout)
    assert result.returncode >= 0, f"{args} died of signal {-result.returncode}"
    for stream in (result.stdout, result.stderr):
        text = stream.decode("utf-8")  # strictly UTF-8: a byte that is not would be raw too
        assert "Traceback" not in text and "Exception ignored" not in text, text[-2000:]
        raw = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0]
        assert not raw, f"{args}: raw control characters {raw[:5]} in {text[:500]!r}"
    return result


def test_the_fuzzed_files_cover_every_kind_of_damage(fuzzed):
    _, paths = fuzzed
    texts = [p.read_bytes() for p in paths]
    assert any(b"\x1b" in t for t in texts) and any(b"\\u001b" in t for t in texts)
    assert any(b"[" * 500 in t for t in texts) and any(len(t) > 45_000 for t in texts)
    assert any(b"\xff" in t for t in texts) and any("日本語".encode() in t for t in texts)


def test_check_of_each_fuzzed_file_is_ok_or_located_errors(fuzzed):
    env, paths = fuzzed
    result = run(env, "check", *map(str, paths))
    assert result.returncode in (0, 2)
    out, err = result.stdout.decode(), result.stderr.decode()
    for path in paths:
        errors = [line for line in err.splitlines() if line.startswith(f"{path}:") and ": warning: " not in line]
        assert (f"{path}: ok (" in out) != bool(errors), path  # ok, or at least one located error
    for line in err.splitlines():
        assert len(line) < 400, line  # bounded, whatever the script held
        assert ": found " in line and "; expected " in line, line
    assert "ok (" in out and ": found " in err  # the seed gives both kinds


def accepted(env, paths):
    result = run(env, "check", *map(str, paths))
    return [p for p in paths if f"{p}: ok (" in result.stdout.decode()]


def test_list_speaks_every_accepted_fuzzed_file_and_skips_the_rest_in_one_line_each(fuzzed):
    env, paths = fuzzed
    good = accepted(env, paths)
    result = run(env, "list", "--json", timeout=300)
    assert result.returncode == 0
    listed = {row["id"] for row in json.loads(result.stdout)}
    assert {p.stem for p in good} <= listed
    skipped = [line for line in result.stderr.decode().splitlines() if line.startswith("skipping ")]
    assert len(skipped) == len(paths) - len(good)
    result = run(env, "list", timeout=300)
    assert result.returncode == 0 and all(p.stem in result.stdout.decode() for p in good)


def test_show_of_accepted_fuzzed_files_and_check_of_rejected_ones(fuzzed):
    env, paths = fuzzed
    good = accepted(env, paths)
    assert len(good) >= SHOWN
    for path in good[:SHOWN]:
        result = run(env, "show", str(path))
        assert result.returncode == 0 and b"(end)" in result.stdout
    for path in [p for p in paths if p not in good][:SHOWN]:
        result = run(env, "show", str(path))
        assert result.returncode == 2 and result.stderr.decode().startswith(f"companion: {path}:")
