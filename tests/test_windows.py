"""Windows' code paths, on Linux: the platform's modules faked at their edges.

`sys.platform` says win32; msvcrt (the console's keys, file locks) and _winapi
(PeekNamedPipe) are small stand-ins; the POSIX-only modules (termios, fcntl,
select, resource, pwd, tty) are made unimportable and os loses what Windows'
os lacks. What runs is companion's own code: nothing here has run on a real
Windows machine (README, "Runs on").
"""

import array
import fcntl as real_fcntl
import io
import os
import select as real_select
import signal
import sys
import termios as real_termios
import textwrap
import threading
import time
import types

import pytest

POSIX_ONLY = ("fcntl", "termios", "select", "resource", "pwd", "grp", "tty", "pty")
NOT_IN_WINDOWS_OS = ("fchmod", "fchown", "nice", "getuid", "geteuid", "setsid", "killpg", "getpgid", "fork")


class FakeMsvcrt(types.ModuleType):
    """msvcrt's edge: keys waiting at the console (getwch never blocks here: kbhit says first) and
    byte-range locks (one holder per file)."""

    LK_UNLCK, LK_LOCK, LK_NBLCK = 0, 1, 2

    def __init__(self, keys=""):
        super().__init__("msvcrt")
        self.keys = list(keys)
        self.locks = {}  # (dev, ino) -> fd

    def kbhit(self):
        return bool(self.keys)

    def getwch(self):
        return self.keys.pop(0)

    def get_osfhandle(self, fd):
        return fd

    def locking(self, fd, mode, nbytes):
        assert nbytes == 1 and mode == self.LK_NBLCK
        info = os.fstat(fd)
        if self.locks.setdefault((info.st_dev, info.st_ino), fd) != fd:
            raise PermissionError(13, "Permission denied")


class FakeWinapi(types.ModuleType):
    """_winapi.PeekNamedPipe: the bytes waiting; BrokenPipeError once the writer has gone and none are left."""

    def __init__(self):
        super().__init__("_winapi")

    def PeekNamedPipe(self, handle, size=0):
        assert size == 0
        waiting = array.array("i", [0])
        real_fcntl.ioctl(handle, real_termios.FIONREAD, waiting)
        readable, _, _ = real_select.select([handle], [], [], 0)
        if readable and not waiting[0]:
            raise BrokenPipeError(32, "The pipe has been ended")
        return waiting[0], 0


def import_everything() -> list[str]:
    """Every companion module, so the libraries they use are imported for the real platform (the standard
    library's and pydantic's own platform branches are theirs to test, not ours); their names."""
    import importlib
    import pkgutil

    import companion

    names = [info.name for info in pkgutil.walk_packages(companion.__path__, "companion.")]
    for name in names:
        importlib.import_module(name)
    return names


@pytest.fixture
def windows(monkeypatch):
    """sys.platform is win32, with a fake console (its keys: `windows.keys`) and _winapi."""
    import_everything()
    msvcrt = FakeMsvcrt()
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "msvcrt", msvcrt)
    monkeypatch.setitem(sys.modules, "_winapi", FakeWinapi())
    return msvcrt


@pytest.fixture
def console():
    """A stream on a terminal device, as stdin on a Windows console is (a character device, isatty)."""
    leader, follower = os.openpty()
    stream = os.fdopen(follower, "rb", buffering=0)
    yield stream
    stream.close()
    os.close(leader)


@pytest.fixture
def sigint():
    """Put back SIGINT's handler, the unraisable hook and a remembered press, whatever the test installed."""
    from companion import interrupt

    handler, hook = signal.getsignal(signal.SIGINT), sys.unraisablehook
    yield interrupt
    signal.signal(signal.SIGINT, handler)
    sys.unraisablehook = hook
    interrupt.pressed.clear()


# -- keys ---------------------------------------------------------------------------------------------------------

def test_on_windows_the_keys_come_from_msvcrt_and_arrows_and_function_keys_are_ignored(windows, console):
    from companion.session.keys_windows import WindowsKeys
    from companion.session.keys import Keys

    windows.keys = list("\xe0Hn\x00;q\r")  # up arrow, n, F1, q, Enter
    with Keys(console) as keys:
        assert isinstance(keys, WindowsKeys) and keys.tty and keys.active
        assert [keys.read(0.01) for _ in range(3)] == ["n", "q", "\r"]
        started = time.monotonic()
        assert keys.read(0.05) is None and keys.active
        assert time.monotonic() - started >= 0.05  # it waited its time for a key, as select does on POSIX


def test_on_linux_and_macos_the_keys_stay_posix(monkeypatch, console):
    from companion.session.keys import Keys, PosixKeys

    for platform in ("linux", "darwin"):
        monkeypatch.setattr(sys, "platform", platform)
        assert type(Keys(console)) is PosixKeys


def test_ctrl_c_read_from_the_console_is_a_press_raised_and_remembered(windows, console, sigint):
    from companion.session.keys import Keys

    sigint.install()
    windows.keys = list("\x03n")
    with Keys(console) as keys:
        with pytest.raises(KeyboardInterrupt):
            keys.read(0.01)
        assert sigint.pressed.is_set() and keys.read(0.01) == "n"


def test_ctrl_c_read_from_the_console_while_held_is_only_remembered(windows, console, sigint):
    from companion.session.keys import Keys

    silenced = []
    sigint.hold(lambda: silenced.append(True))
    windows.keys = list("\x03n")
    with Keys(console) as keys:
        assert keys.read(0.01) == "n"  # no exception where one would do harm
    assert silenced == [True] and sigint.pressed.is_set()


def test_a_typed_line_on_the_console_is_not_answered_by_keys_pressed_before_it(windows, console, monkeypatch):
    from companion.session.keys import Keys

    windows.keys = list("nnq")  # pressed while the question was not yet asked
    typed = []
    monkeypatch.setattr("builtins.input", lambda prompt: typed.append((prompt, list(windows.keys))) or "72")
    assert Keys(console).line("beats? ") == "72"
    assert typed == [("beats? ", [])]


def test_on_windows_a_line_from_a_pipe_leaves_the_keys_after_it_unread(windows):
    from companion.session.keys_windows import WindowsKeys
    from companion.session.keys import Keys

    read_end, write_end = os.pipe()
    with open(read_end, encoding="latin-1") as stream:
        keys = Keys(stream)
        assert isinstance(keys, WindowsKeys) and keys.active and not keys.tty
        assert keys.read(0.02) is None and keys.active  # nothing written yet: PeekNamedPipe says 0
        os.write(write_end, b"7\nnq")
        os.close(write_end)
        assert keys.line("rate? ") == "7"
        assert keys.read(0.1) == "n" and keys.read(0.1) == "q"
        assert keys.read(0.1) is None and not keys.active  # the writer has gone: the keys end
        with pytest.raises(EOFError):
            keys.line("again? ")


def test_with_no_keys_to_read_windows_waits_without_select(windows, monkeypatch):
    from companion.session.keys import Keys

    monkeypatch.setitem(sys.modules, "select", None)
    keys = Keys(open(os.devnull))
    assert not keys.active
    started = time.monotonic()
    assert keys.read(0.03) is None and time.monotonic() - started >= 0.03


def session_with_console_keys(tmp_path, keys):
    from companion.journal.store import Journal
    from companion.playback.outputs import ClockOutput
    from companion.playback.player import Player
    from companion.session.journal_row import Record
    from companion.session.screen import Screen
    from companion.session.loop import run
    from companion.script import parse
    from tests.fakes import FakeClips, FakeClock

    steps = parse('+++\ntitle = "T"\n+++\nHello.\n[pause 20m]\nGoodbye.\n').steps
    clock = FakeClock()
    output = ClockOutput(clock=clock, sleep=lambda s: (clock.sleep(s), time.sleep(0.001)), step_s=0.5)
    journal = Journal(tmp_path / "j.sqlite3")
    outcome = run(Player(steps, FakeClips()), output, screen=Screen(), keys=keys,
                  record=Record(lambda: journal, "t", "T", "play"))
    return outcome, journal.recent()[0]


def test_a_session_on_windows_answers_q_after_an_arrow_key(windows, console, tmp_path):
    from companion.session.keys import Keys

    windows.keys = list("\xe0Kq")  # left arrow, then q
    outcome, row = session_with_console_keys(tmp_path, Keys(console))
    assert outcome.reason == "stopped" and row["end_reason"] == "stopped" and not windows.keys
    assert row["played_s"] < 1200  # it stopped before the 20 minutes' wait was over


def test_a_session_on_windows_journals_a_ctrl_c_read_as_a_key(windows, console, tmp_path, sigint):
    from companion.session.keys import Keys

    sigint.install()
    windows.keys = list("\x03")
    outcome, row = session_with_console_keys(tmp_path, Keys(console))
    assert outcome.reason == "interrupted" and outcome.exit_code == 130
    assert row["end_reason"] == "interrupted" and row["completed"] is False


class FakeKernel32:
    """The console's mode: GetConsoleMode fills it in; SetConsoleMode takes VT mode if `vt` (Windows 10+)."""

    def __init__(self, mode, vt):
        self.mode, self.vt, self.set = mode, vt, []

    def GetConsoleMode(self, handle, ref):
        ref._obj.value = self.mode
        return 1

    def SetConsoleMode(self, handle, mode):
        self.set.append(mode)
        return int(self.vt)


class Console(io.StringIO):
    def isatty(self):
        return True

    def fileno(self):
        return 1


@pytest.mark.parametrize("vt", [True, False])
def test_on_a_windows_console_the_screen_sends_its_codes_only_in_vt_mode(windows, monkeypatch, vt):
    import ctypes

    from companion.session.screen import Screen

    kernel32 = FakeKernel32(mode=0x3, vt=vt)
    monkeypatch.setattr(ctypes, "windll", types.SimpleNamespace(kernel32=kernel32), raising=False)
    monkeypatch.setenv("COLUMNS", "80")
    out = Console()
    screen = Screen(out)
    screen.status(1, 10)
    screen.caption("Hello.")
    assert kernel32.set == [0x3 | 0x4]  # ENABLE_VIRTUAL_TERMINAL_PROCESSING asked for, the rest kept
    assert screen.tty is vt and ("\033[K" in out.getvalue()) is vt  # an older console: plain lines, no codes
    assert out.getvalue().endswith("Hello.\n" + ("" if not vt else screen._status))


def test_a_screen_where_there_is_no_console_api_shows_plain_lines(windows):
    from companion.session.screen import Screen

    assert not Screen(Console()).tty  # ctypes has no windll here: as on a console that cannot be asked


def test_a_caption_the_outputs_encoding_cannot_hold_is_escaped_not_taken_for_a_closed_output(windows):
    from companion.session.screen import Screen

    out = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")  # stdout redirected to a file on Windows
    screen = Screen(out)
    screen.caption("back at\n█████  21:40 · café")
    assert not screen.gone
    assert out.buffer.getvalue().decode("cp1252") == "back at\n" + "\\u2588" * 5 + "  21:40 · café\n"


# -- Ctrl-C and the signals ---------------------------------------------------------------------------------------

def test_the_signals_that_end_a_session_from_outside_are_the_platforms_own():
    from companion.interrupt import hangups

    assert hangups("win32") == ("SIGBREAK",)
    assert hangups("linux") == hangups("darwin") == ("SIGHUP", "SIGTERM")


def test_on_windows_a_session_catches_ctrl_break_and_asks_for_no_sighup(windows, monkeypatch):
    from companion import interrupt

    fake = types.SimpleNamespace(SIGINT=2, SIGTERM=15, SIGBREAK=21, SIG_IGN=1, getsignal=lambda signum: None)
    monkeypatch.setattr(interrupt, "signal", fake)  # Windows' _signal: SIGBREAK, no SIGHUP
    monkeypatch.setattr(interrupt, "_signals", [fake.SIGINT])
    interrupt.catch_hangups()
    assert interrupt._signals == [fake.SIGINT, fake.SIGBREAK]


def test_a_press_is_rung_again_without_os_kill_on_windows():
    import _thread

    from companion.interrupt import ring_again

    assert ring_again("win32") is _thread.interrupt_main  # os.kill(pid, SIGINT) there terminates the process
    assert ring_again("linux") is not _thread.interrupt_main


def test_on_windows_a_press_during_an_import_is_raised_once_the_import_is_done(tmp_path):
    (tmp_path / "slow.py").write_text("import _thread, time\n_thread.interrupt_main()\ntime.sleep(0.05)\n"
                                      "print('import finished')\n")
    program = textwrap.dedent(f"""
        import os, sys
        sys.platform = "win32"
        def kill(pid, signum):  # on Windows: TerminateProcess, the journal lost
            print("os.kill", signum)
            os._exit(3)
        os.kill = kill
        from companion import interrupt
        sys.path.insert(0, {str(tmp_path)!r})
        interrupt.install()
        try:
            import slow
            import time
            time.sleep(1)
            print("not raised")
        except KeyboardInterrupt:
            print("raised", "slow" in sys.modules)
    """)
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", program], cwd=root, capture_output=True, text=True, timeout=30)
    assert done.stdout.splitlines() == ["import finished", "raised True"], done.stderr
    assert done.returncode == 0 and "Exception ignored" not in done.stderr


# -- the background prepare and its lock --------------------------------------------------------------------------

def test_the_background_prepare_is_detached_without_preexec_fn_on_each_platform():
    from companion.prepare import BELOW_NORMAL_PRIORITY_CLASS, CREATE_NEW_PROCESS_GROUP, DETACHED_PROCESS, detached

    windows, posix = detached("win32"), detached("linux")
    assert windows["creationflags"] == DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP | BELOW_NORMAL_PRIORITY_CLASS
    assert (DETACHED_PROCESS, CREATE_NEW_PROCESS_GROUP) == (0x8, 0x200)  # Windows' values (winbase.h)
    assert windows["close_fds"] and "start_new_session" not in windows
    assert posix["start_new_session"] and posix["close_fds"] and "creationflags" not in posix
    assert detached("darwin") == posix
    assert not {"preexec_fn"} & (set(windows) | set(posix))


def test_on_windows_the_background_prepare_is_started_with_windows_flags(windows, monkeypatch):
    import subprocess

    from companion import prepare

    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda args, **kwargs: started.append((args, kwargs)))
    prepare.spawn_in_background()
    (args, kwargs), = started
    assert args[1:] == ["-m", "companion", "prepare", "--quiet", "--background"]
    assert kwargs["creationflags"] & prepare.DETACHED_PROCESS and "preexec_fn" not in kwargs


def test_prepare_takes_the_background_flag_it_is_started_with_and_keeps_it_out_of_its_help():
    from click.testing import CliRunner

    from companion.cli.app import cli

    result = CliRunner().invoke(cli, ["prepare", "--quiet", "--background", "--help"])
    assert result.exit_code == 0 and "--quiet" in result.output and "--background" not in result.output


def test_the_prepare_lock_is_held_by_one_process_at_a_time_on_each_platform(windows, tmp_path, monkeypatch):
    from companion.prepare import lock_now

    path = tmp_path / "prepare.lock"
    first, second = (os.open(path, os.O_RDWR | os.O_CREAT, 0o600) for _ in range(2))
    try:
        assert lock_now(first) and not lock_now(second)  # through msvcrt.locking
        monkeypatch.setattr(sys, "platform", "linux")
        third = os.open(path, os.O_RDWR)
        assert lock_now(third)  # a different lock on POSIX: flock
        assert not lock_now(os.open(path, os.O_RDWR))
    finally:
        for fd in (first, second, third):
            os.close(fd)


# -- doctor -------------------------------------------------------------------------------------------------------

def test_doctor_on_windows_says_the_journal_is_private_by_the_profile_not_by_its_mode(windows, tmp_path, monkeypatch):
    from companion.doctor import privacy

    journal = tmp_path / "profile" / "AppData" / "Local" / "companion" / "journal.sqlite3"
    journal.parent.mkdir(parents=True)
    journal.write_text("")
    os.chmod(journal, 0o666)  # what Windows' st_mode shows for any writable file
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "profile"))
    private, why = privacy(journal)
    assert private and "user profile" in why and "chmod" not in why
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "someone-else"))
    private, why = privacy(journal)
    assert not private and "outside your user profile" in why and why.count("icacls") == 1


def test_doctor_on_posix_still_reads_the_modes(tmp_path):
    from companion.doctor import privacy

    journal = tmp_path / "journal.sqlite3"
    journal.write_text("")
    os.chmod(tmp_path, 0o700)
    os.chmod(journal, 0o644)
    private, why = privacy(journal)
    assert not private and f"chmod 600 {journal}" in why
    os.chmod(journal, 0o600)
    assert privacy(journal) == (True, "private")


def test_a_doctor_check_that_breaks_is_one_line_and_its_traceback_only_with_companion_debug(monkeypatch, capsys):
    from companion import doctor

    def broken():
        raise RuntimeError("a bug")

    broken.__name__ = "_sounds"
    for name in ("_speech", "_device", "_journal", "_settings", "_help", "_voices", "_cache"):
        monkeypatch.setattr(doctor, name, lambda: (True, "other", ""))  # nothing real is checked here
    monkeypatch.setattr(doctor, "_sounds", broken)
    for debug in ("", "1"):
        monkeypatch.setenv("COMPANION_DEBUG", debug)
        found = [check for check in doctor.checks() if check[1] == "sounds"]
        assert found == [(False, "sounds", "could not be checked (RuntimeError: a bug)")]
        assert ("Traceback" in capsys.readouterr().err) is bool(debug)


# -- every module, and a session, with none of POSIX's modules -------------------------------------------------------

@pytest.fixture
def without_posix(windows, monkeypatch, tmp_path):
    """Windows as far as companion can tell: its own modules imported afresh with POSIX's unimportable.

    Third-party libraries already imported keep the real platform's branch (platformdirs' answer is the
    XDG folders under tmp_path); after the test every module is put back as it was."""
    import click.testing  # noqa: F401  (Click chose its platform's streams at import: the real one's)
    import platformdirs  # noqa: F401

    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    saved = dict(sys.modules)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    hook = sys.unraisablehook
    for name in [name for name in sys.modules if name == "companion" or name.startswith("companion.")]:
        del sys.modules[name]
    for name in POSIX_ONLY:
        monkeypatch.setitem(sys.modules, name, None)
    for name in NOT_IN_WINDOWS_OS:
        monkeypatch.delattr(os, name, raising=False)
    yield windows
    for name in [name for name in sys.modules if name not in saved]:
        del sys.modules[name]
    sys.modules.update(saved)
    for signum, handler in handlers.items():
        signal.signal(signum, handler)
    sys.unraisablehook = hook


def test_every_module_imports_without_posix_modules_on_windows(without_posix):
    assert "companion.session.screen" not in sys.modules  # each is imported afresh, as on Windows
    names = import_everything()
    assert "companion.session.screen" in names and "companion.cli.setup" in names
    assert all(sys.modules[name] is None for name in POSIX_ONLY)  # none was imported behind the fake's back


def test_play_stay_text_reaches_its_first_caption_on_windows_and_journals_its_ctrl_c(without_posix, tmp_path):
    """Ctrl-C as Windows delivers it (the handler run in the main thread) once the first caption is shown."""
    import _thread

    from click.testing import CliRunner

    from companion.cli.app import cli

    config = tmp_path / "config" / "companion"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('background_prepare = false\n[voices]\nguide = "gmw/en-us"\n')
    first = b"You stopped. You're still here."
    seen = threading.Event()

    def shown() -> bytes:  # what the command has written so far (CliRunner's stdout, once it is in place)
        return getattr(getattr(sys.stdout, "buffer", None), "getvalue", lambda: b"")()

    def press_ctrl_c_after_the_first_caption():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and first not in shown():
            time.sleep(0.01)
        seen.set()
        _thread.interrupt_main()  # what Windows' console does with a Ctrl-C, and interrupt.ring_again there

    watcher = threading.Thread(target=press_ctrl_c_after_the_first_caption, daemon=True)
    watcher.start()
    result = CliRunner().invoke(cli, ["play", "stay", "--text"])
    watcher.join(5)
    assert seen.is_set() and first.decode() in result.output and result.exit_code == 130, result.output
    assert "Stopped." in result.output and "Traceback" not in result.output
    from companion.journal.store import Journal

    row = Journal().recent()[0]
    assert row["sequence"] == "stay" and row["end_reason"] == "interrupted", dict(row)


def test_pause_on_windows_reaches_its_first_caption_and_journals_a_ctrl_c_read_from_the_console(
        without_posix, tmp_path, console, monkeypatch, sigint):
    """The pause's own fast path (no Click), its keys from the console through the fake msvcrt."""
    config = tmp_path / "config" / "companion"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('background_prepare = false\n[voices]\nguide = "gmw/en-us"\n')
    shown = io.StringIO()
    monkeypatch.setattr(sys, "stdout", shown)
    monkeypatch.setattr(sys, "stdin", console)
    first = "You stopped. You're still here."
    without_posix.kbhit = lambda: first in shown.getvalue()  # Ctrl-C, once the first caption is on screen
    without_posix.getwch = lambda: "\x03"
    from companion.pause.moment import main

    code = main(["--leave", "--text"])
    from companion.journal.store import Journal

    row = Journal().recent()[0]
    assert code == 130 and first in shown.getvalue(), shown.getvalue()
    assert row["mode"] == "pause" and row["side"] == "leaving" and row["end_reason"] == "interrupted", dict(row)
