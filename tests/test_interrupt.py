"""Ctrl-C handling (companion/interrupt.py), with real signals in a child process."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(code: str) -> subprocess.CompletedProcess:
    program = "import os, signal, sys\nfrom companion import interrupt\n" + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=30)


def test_a_held_press_is_remembered_and_raised_on_release():
    done = child("""
        calls = []
        interrupt.hold(lambda: calls.append("silenced"))
        os.kill(os.getpid(), signal.SIGINT)   # no exception here
        print("after", calls)
        try:
            interrupt.check()
        except KeyboardInterrupt:
            print("check raised")
        print("release", interrupt.release())
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["after ['silenced']", "check raised", "release True"]


def test_installed_ctrl_c_raises_and_is_remembered():
    done = child("""
        interrupt.install()
        try:
            os.kill(os.getpid(), signal.SIGINT)
            print("not raised")
        except KeyboardInterrupt:
            print("raised", interrupt.pressed.is_set())
    """)
    assert done.stdout.splitlines() == ["raised True"], done.stderr


def test_a_press_swallowed_by_a_callback_is_still_seen_by_check():
    # What happened inside importlib: the exception went to a weakref callback and was lost.
    done = child("""
        import weakref
        interrupt.install()
        class Thing: pass
        thing = Thing()
        ref = weakref.ref(thing, lambda r: os.kill(os.getpid(), signal.SIGINT))
        del thing   # the callback's KeyboardInterrupt is printed and ignored
        print("went on")
        try:
            interrupt.check()
        except KeyboardInterrupt:
            print("check raised")
    """)
    assert done.stdout.splitlines() == ["went on", "check raised"], done.stderr
    assert "Exception ignored" in done.stderr


def test_held_blocks_a_second_press_and_restores_the_handler():
    done = child("""
        interrupt.install()
        with interrupt.held():
            os.kill(os.getpid(), signal.SIGINT)
            print("journal written")
        print(signal.getsignal(signal.SIGINT) is interrupt._raise)
    """)
    assert done.stdout.splitlines() == ["journal written", "True"], done.stderr


def test_a_press_during_an_import_is_raised_once_the_import_is_done():
    done = child("""
        import pathlib, tempfile
        folder = tempfile.mkdtemp()
        pathlib.Path(folder, "slow.py").write_text(
            "import os, signal, time\\nos.kill(os.getpid(), signal.SIGINT)\\n"
            "time.sleep(0.05)\\nprint('import finished')\\n")
        sys.path.insert(0, folder)
        interrupt.install()
        try:
            import slow
            import time
            time.sleep(1)
            print("not raised")
        except KeyboardInterrupt:
            print("raised", "slow" in sys.modules)
    """)
    assert done.stdout.splitlines() == ["import finished", "raised True"], done.stderr
    assert "Exception ignored" not in done.stderr


def test_a_session_ends_on_a_closed_terminal_or_kill_but_not_under_nohup():
    done = child("""
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup leaves it
        interrupt.catch_hangups()
        interrupt.install()
        print(signal.getsignal(signal.SIGHUP) is signal.SIG_IGN, signal.getsignal(signal.SIGTERM) is interrupt._raise)
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except KeyboardInterrupt:
            print("term ends it")
        os.kill(os.getpid(), signal.SIGHUP)  # ignored
        print("hup ignored")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True True", "term ends it", "hup ignored"]


def test_held_gives_back_each_signal_its_own_handler():
    done = child("""
        interrupt.catch_hangups()
        mine = lambda signum, frame: print("mine")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, mine)
        with interrupt.held():
            os.kill(os.getpid(), signal.SIGTERM)  # only remembered here
        print(signal.getsignal(signal.SIGINT) is signal.default_int_handler, signal.getsignal(signal.SIGTERM) is mine)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True True"]


def test_other_commands_keep_the_default_for_kill():
    done = child("""
        interrupt.install()
        print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
    """)
    assert done.stdout.splitlines() == ["True"]
