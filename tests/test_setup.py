"""The set-up the README promises: `make test` installs every program a test runs (on Debian)."""

import ast
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = {"run", "Popen", "_run", "check_output", "check_call", "call"}


def programs_run(source: str) -> set[str]:
    """The programs a test module starts by name: the first word of a command given to subprocess (a list
    literal, or a name bound to one and extended with `+`), and every name given to shutil.which."""
    tree = ast.parse(source)
    lists = {}  # name -> its first word, for `tmux = ["tmux", ...]` then `run(tmux + [...])`
    loops = {}  # name -> the words a `for name in (...)` takes
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List) and node.value.elts:
            first = node.value.elts[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                lists.update({t.id: first.value for t in node.targets if isinstance(t, ast.Name)})
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Tuple):
            loops[node.target.id] = [e.value for e in node.iter.elts if isinstance(e, ast.Constant)]
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        arg = node.args[0]
        if name == "which":
            if isinstance(arg, ast.Constant):
                found.add(arg.value)
            elif isinstance(arg, ast.Name):
                found.update(loops.get(arg.id, []))
        elif name in CALLS:
            while isinstance(arg, ast.BinOp):
                arg = arg.left
            if isinstance(arg, ast.List) and arg.elts and isinstance(arg.elts[0], ast.Constant):
                found.add(arg.elts[0].value)
            elif isinstance(arg, ast.Name) and arg.id in lists:
                found.add(lists[arg.id])
    return {word for word in found if isinstance(word, str)}


def package_of(program: str) -> str:
    path = Path(shutil.which(program) or f"/usr/bin/{program}").resolve()
    for candidate in (path, Path("/bin") / path.name, Path("/usr/bin") / path.name):
        done = subprocess.run(["dpkg", "-S", str(candidate)], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split(":")[0]
    raise AssertionError(f"{program}: no Debian package installs {path}")


def essential(package: str) -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Essential}", package], capture_output=True, text=True)
    return done.stdout.strip() == "yes"


def test_the_programs_a_test_runs_are_found_in_the_sources():
    source = 'tmux = ["tmux", "-L", "x"]\nsubprocess.run(tmux + ["kill-server"])\nsubprocess.run(["sox", a, b])\n' \
             'for tool in ("pulseaudio", "pactl"):\n    shutil.which(tool)\nsubprocess.Popen([sys.executable, "-c"])\n'
    assert programs_run(source) == {"tmux", "sox", "pulseaudio", "pactl"}


def test_make_test_installs_every_program_the_tests_run():
    makefile = (ROOT / "Makefile").read_text()
    named = {m.group(1): m.group(2).split() for m in re.finditer(r"^(\w+_PACKAGES) := (.*)$", makefile, re.M)}
    installed = set()
    for word in named["TEST_PACKAGES"]:
        installed.update(named[word[2:-1]] if word.startswith("$(") else [word])
    programs = set().union(*(programs_run(path.read_text()) for path in sorted((ROOT / "tests").glob("*.py"))))
    assert {"tmux", "sox", "pulseaudio", "pactl", "pacat"} <= programs  # what is known to be run
    missing = {p: package_of(p) for p in sorted(programs)}
    missing = {p: pkg for p, pkg in missing.items() if pkg not in installed and not essential(pkg)}
    assert not missing, f"the tests run {missing} (program: Debian package): add them to TEST_PACKAGES in the Makefile"


def test_a_test_is_marked_by_what_its_code_reaches_through_the_tests_helpers():
    from tests import test_daily, test_e2e, test_voices_heard
    from tests.conftest import USES, _reached

    library, terminal = USES["library"][1], USES["terminal"][1]
    # test_e2e's own helper `prepare` calls prepared_cache; the fixture `env` of test_voices_heard does
    assert library & _reached([test_e2e.test_after_the_first_line_q_ends_the_pause_at_once])
    assert library & _reached([test_voices_heard.env.__wrapped__])
    assert terminal & _reached([test_e2e.test_daily_practice_in_a_terminal_is_heard_between_two_ratings])
    reached = _reached([getattr(test_daily, name) for name in dir(test_daily) if name.startswith("test_")])
    assert not reached & set().union(*(names for _, names in USES.values()))
    from tests import test_prepare, test_together

    prepares, processes = USES["prepares"][1], USES["processes"][1]
    whole = test_prepare.test_prepare_without_a_terminal_says_each_stage_once_stops_on_ctrl_c_and_goes_on_from_there
    assert prepares & _reached([whole]) and processes & _reached([whole])
    # a process started through the tests' own helper class
    assert processes & _reached([test_together.test_together_over_pipes_names_ratings_a_turn_ended_by_a_key_and_one_row])


def test_make_check_leaves_out_what_is_marked_and_make_test_runs_everything():
    makefile = (ROOT / "Makefile").read_text()
    check = re.search(r"^check:.*\n(?:\t.*\n)*", makefile, re.M).group(0)
    test = re.search(r"^test:.*\n(?:\t.*\n)*", makefile, re.M).group(0)
    assert '-m "not e2e and not natural and not prepares"' in check
    # make test: every test, in two runs whose selections add up to all (the workers', then the e2e tests')
    runs = [line for line in test.splitlines() if "python -m pytest" in line and not line.lstrip("\t").startswith("echo")]
    selections = [re.search(r' -m ("[^"]*"|\S+)', line.replace("-m pytest", "")) for line in runs]
    assert sorted(m.group(1).strip('"') for m in selections) == ["e2e", "not e2e"]
    assert all("--durations=" in line for line in runs) and "|| status=$$?" in runs[0]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("\nmake test")
