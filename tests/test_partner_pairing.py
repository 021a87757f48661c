"""`companion pair` between two homes on loopback: the right code pairs both ways, a wrong one ends it."""

import os
import re
import signal
import socket
import stat
import struct
import subprocess
import sys

import pytest

from tests.partners import Home, end_hosts


@pytest.fixture(autouse=True)
def no_host_left():
    yield
    end_hosts()


@pytest.fixture
def homes(tmp_path):
    return Home(tmp_path / "a"), Home(tmp_path / "b")


def private(home: Home) -> None:
    for folder in (home.root / "data" / "companion", home.partner):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    for path in home.partner.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def one_line(text: str) -> str:
    assert "Traceback" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_the_right_code_stores_each_others_key_on_both_sides(homes):
    a, b = homes
    hosting = a.host("--name", "Alex")
    joined = b.run(hosting.code, "--name", "Sam", "--peer", hosting.peer)
    code, out, err = hosting.finish()
    assert (joined.returncode, code) == (0, 0), (joined.stderr, err)
    assert "Paired with Alex." in joined.stdout and "Paired with Sam." in out
    [alex] = b.peers()
    [sam] = a.peers()
    assert (alex["name"], bytes.fromhex(alex["public_key"])) == ("Alex", a.public_key())
    assert (sam["name"], bytes.fromhex(sam["public_key"])) == ("Sam", b.public_key())
    assert hosting.code not in (a.partner / "peers.json").read_text() + (b.partner / "peers.json").read_text()
    private(a)  # the children ran with umask 0: private all the same
    private(b)
    listed = a.run("--list")
    assert listed.returncode == 0 and listed.stdout.startswith("Sam  paired ")


def test_the_joiner_finds_the_host_by_multicast_dns_on_loopback(homes):
    a, b = homes
    hosting = a.host("--name", "Alex")
    joined = b.run(hosting.code, "--name", "Sam")  # no --peer: discovery
    code, out, err = hosting.finish()
    assert (joined.returncode, code) == (0, 0), (joined.stderr, err)
    assert "Looking for the device" in joined.stdout and "Paired with Alex." in joined.stdout
    assert [p["name"] for p in a.peers()] == ["Sam"] and [p["name"] for p in b.peers()] == ["Alex"]


def test_a_wrong_code_is_refused_after_one_try_and_the_host_stops_listening(homes):
    a, b = homes
    hosting = a.host("--name", "Alex")
    wrong = f"{(int(hosting.code) + 1) % 10 ** 6:06d}"
    joined = b.run(wrong, "--name", "Sam", "--peer", hosting.peer)
    assert joined.returncode == 1
    assert one_line(joined.stderr) == ("companion: That code didn't match. Start again with `companion pair` "
                                       "on the other device.")
    code, out, err = hosting.finish()  # the host ended by itself: one try only
    assert code == 1 and "didn't match" in one_line(err) and "one try only" in err
    again = b.run(hosting.code, "--name", "Sam", "--peer", hosting.peer)  # the right code, too late
    assert again.returncode == 1 and "No device is waiting to pair" in one_line(again.stderr)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", hosting.port), timeout=5).close()
    assert a.peers() == [] and b.peers() == []


def test_pairing_again_keeps_one_entry_and_another_device_of_the_same_name_needs_replace(tmp_path):
    a, b, c = Home(tmp_path / "a"), Home(tmp_path / "b"), Home(tmp_path / "c")
    for _ in range(2):
        hosting = a.host("--name", "Alex")
        joined = b.run(hosting.code, "--name", "Sam", "--peer", hosting.peer)
        assert joined.returncode == 0 and hosting.finish()[0] == 0
    assert "again" in joined.stdout and len(a.peers()) == 1 and len(b.peers()) == 1
    before = (a.partner / "peers.json").read_bytes()

    hosting = a.host("--name", "Alex")  # a new device, also called Sam
    joined = c.run(hosting.code, "--name", "sam", "--peer", hosting.peer)
    code, out, err = hosting.finish()
    assert code == 1 and "already paired with Sam; nothing changed" in one_line(err) and "--replace" in err
    assert (a.partner / "peers.json").read_bytes() == before
    assert joined.returncode == 1 and "Paired" not in joined.stdout  # and the joiner, told so, kept nothing
    assert one_line(joined.stderr) == ("companion: The other device did not keep this pairing (it says why), so "
                                       "nothing is stored here either.")
    assert c.peers() == []

    hosting = a.host("--name", "Alex", "--replace")
    joined = c.run(hosting.code, "--name", "sam", "--peer", hosting.peer)
    assert joined.returncode == 0 and hosting.finish()[0] == 0
    [sam] = a.peers()
    assert (sam["name"], bytes.fromhex(sam["public_key"])) == ("sam", c.public_key())


def test_list_and_forget(homes, monkeypatch):
    a, _ = homes
    assert a.run("--list").stdout == "Not paired with anyone yet. `companion pair` starts.\n"
    monkeypatch.setenv("XDG_DATA_HOME", a.env["XDG_DATA_HOME"])
    from companion.partner.identity import Peer, add_peer

    add_peer(Peer("Sam", bytes(range(32)), None, "2026-12-07T10:00:00+00:00"))
    add_peer(Peer("Robin", bytes(32), "192.168.1.20:4000", "2026-12-07T11:00:00+00:00"))
    listed = a.run("--list")
    assert listed.stdout.splitlines()[0].startswith("Sam  paired 2026-12-07 10:00  key ")
    assert listed.stdout.splitlines()[1].startswith("Robin  paired 2026-12-07 11:00")
    forgot = a.run("--forget", "sam")
    assert forgot.returncode == 0 and forgot.stdout == "Forgot sam. Their device can no longer reach this one.\n"
    assert [p["name"] for p in a.peers()] == ["Robin"]
    missing = a.run("--forget", "Sam")
    assert missing.returncode == 1
    assert one_line(missing.stderr) == "companion: no partner called Sam; `companion pair --list` shows them"
    private(a)


@pytest.mark.parametrize("text", [
    "{not json", "\x00\xff\xfe binary", '{"version": 2, "peers": []}', '{"version": 1}',
    '{"version": 1, "peers": [{"name": "Sam", "public_key": "zz", "paired_at": "2026-12-07T10:00:00"}]}',
    '{"version": 1, "peers": [{"name": "Sam\\u001b[2J", "public_key": "' + "0" * 64 + '", "paired_at": "2026-12-07"}]}',
    '{"version": 1, "peers": [{"name": "Sam", "public_key": "' + "0" * 64 + '", "paired_at": "yesterday"}]}',
    '{"version": 1, "peers": [], "extra": 1}', "[" * 100000, '{"version": 1, "peers": "' + "x" * 70000 + '"}',
])
def test_a_damaged_peers_file_is_one_line_and_is_left_as_it_was(homes, text):
    a, _ = homes
    a.partner.mkdir(parents=True)
    path = a.partner / "peers.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    for args in (["--list"], ["--forget", "Sam"]):
        result = a.run(*args)
        assert result.returncode == 1
        line = one_line(result.stderr)
        assert line.startswith(f"companion: {path}: ") and line.endswith("move it away and pair again")
        assert "\x1b" not in line
    assert path.read_bytes() == text.encode("utf-8", "surrogateescape")


def test_bad_arguments_are_one_line_each(homes):
    a, _ = homes
    for args, said in ((["12345", "--name", "Sam"], "a pairing code is 6 digits"),
                       (["123456", "--name", "Sam", "--peer", "nowhere"], "--peer nowhere: expected HOST:PORT"),
                       (["123456", "--name", "Sam", "--peer", "a..b:80"], "--peer a..b:80: no device of that name"),
                       (["123456", "--name", "Sam", "--peer", "8.8.8.8:80"], "--peer 8.8.8.8:80: is not on the local"),
                       (["123456", "--name", "Sam", "--peer", "[::ffff:8.8.8.8]:80"], "is not on the local network"),
                       (["123456"], "give your name with --name NAME"),
                       ([], "give your name with --name NAME"),
                       (["123456", "--name", "\x1b[2J"], "--name: the name holds a control character")):
        result = a.run(*args)
        assert result.returncode != 0 and said in one_line(result.stderr), (args, result.stderr)
        assert "\x1b" not in result.stderr
    assert not (a.partner / "peers.json").exists()


def test_the_code_expires_and_nothing_is_paired(homes, monkeypatch):
    """In-process, with the code's life cut to nothing: the listener opens, then the code has expired."""
    a, _ = homes
    for name, value in a.env.items():
        monkeypatch.setenv(name, value)
    from companion.partner import pairing

    monkeypatch.setattr(pairing, "CODE_SECONDS", 0)
    said = []
    with pytest.raises(pairing.PairingError, match=r"^The code expired \(it lasts 2 minutes\)"):
        pairing.host("Alex", said.append)
    port = int(said[2].rsplit(":", 1)[1].rstrip(")"))
    with pytest.raises(OSError):  # closed as it ended
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert a.peers() == []


def test_nothing_of_the_network_is_imported_on_the_way_to_a_first_word(homes):
    a, _ = homes
    network = ("cryptography", "spake2", "zeroconf", "ifaddr", "companion.partner.pairing",
               "companion.partner.discovery")
    for argv in (["-m", "companion", "--version"], ["-m", "companion", "pair", "--help"],
                 ["-c", "import companion.pause.moment, companion.cli.app"]):
        result = subprocess.run([sys.executable, "-X", "importtime", *argv], env=a.env, capture_output=True,
                                text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stderr
        imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
        assert "click" in imported or "companion.pause.moment" in imported  # the import log was read
        assert not {name for name in imported if name.split(".")[0] in network or name in network}, argv


def test_a_connection_that_tries_no_code_leaves_the_one_try_to_the_partner(homes):
    a, b = homes
    hosting = a.host("--name", "Alex")
    socket.create_connection(("127.0.0.1", hosting.port), timeout=10).close()  # a port scan, say
    assert hosting.process.stdout.readline() == "A connection came and went without trying the code; still waiting.\n"
    joined = b.run(hosting.code, "--name", "Sam", "--peer", hosting.peer)
    assert joined.returncode == 0 and hosting.finish()[0] == 0
    assert [p["name"] for p in a.peers()] == ["Sam"]


def test_ctrl_c_while_the_host_waits_stops_it_and_closes_the_port(homes):
    a, _ = homes
    hosting = a.host("--name", "Alex")
    hosting.process.send_signal(signal.SIGINT)
    code, out, err = hosting.finish()
    assert code == 130 and one_line(err) == "Stopped."
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", hosting.port), timeout=5).close()
    assert a.peers() == []


def test_a_damaged_peers_file_is_said_before_pairing_starts(homes):
    a, _ = homes
    a.partner.mkdir(parents=True)
    (a.partner / "peers.json").write_text("{")
    result = a.run("--name", "Alex")
    assert result.returncode == 1 and "peers.json: is not JSON" in one_line(result.stderr)
    assert "Your pairing code" not in result.stdout


def test_on_a_terminal_the_name_is_asked_and_a_new_device_of_the_same_name_is_asked_about(tmp_path):
    a, b, c = Home(tmp_path / "a"), Home(tmp_path / "b"), Home(tmp_path / "c")
    hosting = a.host("--name", "Alex")
    with Terminal(b, hosting.code, "--peer", hosting.peer) as joiner:
        joiner.answer("Your name, as your partner's device will show it: ", "Sam")
        assert joiner.rest().rstrip().endswith("Paired with Alex. Their key: " + fingerprint(a.public_key()))
    assert joiner.code == 0 and hosting.finish()[0] == 0

    with Terminal(a) as host:  # a new device, also called Sam
        host.answer("Your name, as your partner's device will show it: ", "Alex")
        waiting = host.until("Waiting")
        code, port = re.search(r"companion pair (\d{6})\r?\n", waiting).group(1), re.search(r":(\d+)\)", waiting).group(1)
        joining = subprocess.Popen([sys.executable, "-m", "companion", "pair", code, "--name", "Sam", "--peer",
                                    f"127.0.0.1:{port}"], env=c.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   stdin=subprocess.DEVNULL, text=True)
        host.answer("You are already paired with a device of Sam's. Replace it with this one? [y/N]: ", "y")
        assert host.rest().rstrip().endswith("Paired with Sam. Their key: " + fingerprint(c.public_key()))
        out, err = joining.communicate(timeout=60)  # it waited for the answer, and stored once told
    assert host.code == 0 and joining.returncode == 0, err
    assert out.rstrip().endswith("Paired with Alex. Their key: " + fingerprint(a.public_key()))
    [sam] = a.peers()
    assert (sam["name"], bytes.fromhex(sam["public_key"])) == ("Sam", c.public_key())


def fingerprint(key: bytes) -> str:
    from companion.partner.identity import fingerprint

    return fingerprint(key)


class Terminal:
    """`companion pair ARGS` on a pseudo-terminal of its own, answered as a person would."""

    def __init__(self, home: Home, *args: str):
        import pty

        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "companion", "pair", *args], env=home.env,
                                        stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.seen = b""

    def __enter__(self):
        return self

    def __exit__(self, kind, *exc):
        if kind is not None:  # the test failed half-way: it must not leave a pairing waiting
            self.process.kill()
        self.code = self.process.wait(timeout=60)
        os.close(self.master)

    def _read(self) -> bool:
        import select

        if not select.select([self.master], [], [], 60)[0]:
            raise AssertionError(f"nothing more on the terminal after {self.seen!r}")
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # the program ended and closed the terminal
            return False
        self.seen += chunk
        return bool(chunk)

    def answer(self, prompt: str, reply: str) -> None:
        while prompt.encode() not in self.seen:
            assert self._read(), self.seen
        self.seen = self.seen.split(prompt.encode(), 1)[1]
        os.write(self.master, reply.encode() + b"\r")

    def until(self, text: str) -> str:
        while text.encode() not in self.seen:
            assert self._read(), self.seen
        return self.seen.decode()

    def rest(self) -> str:
        while self._read():
            pass
        return self.seen.decode()


def test_no_device_found_is_one_line(homes):
    _, b = homes
    result = b.run("123456", "--name", "Sam")  # nobody waits: discovery finds nothing
    assert result.returncode == 1 and "Looking for the device" in result.stdout
    assert one_line(result.stderr).startswith("companion: No device waiting to pair was found.")
    assert b.peers() == []


def test_two_devices_waiting_at_once_are_named_and_neither_is_tried(tmp_path):
    a, b, c = Home(tmp_path / "a"), Home(tmp_path / "b"), Home(tmp_path / "c")
    first, second = a.host("--name", "Alex"), c.host("--name", "Robin")
    result = b.run(first.code, "--name", "Sam")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith("companion: More than one device is waiting to pair (") and "--peer HOST:PORT" in line
    assert first.peer in line and second.peer in line
    for hosting in (first, second):  # neither lost its one try: each still pairs
        joined = b.run(hosting.code, "--name", "Sam", "--peer", hosting.peer)
        assert joined.returncode == 0 and hosting.finish()[0] == 0


class Lockstep:
    """A real connected socket whose reads are reported: the test sends its next byte only once the last
    was read, so each recv gets one byte, and the clock pairing sees moves a step with each."""

    def __init__(self, sock):
        import queue

        self.sock, self.reads = sock, queue.Queue()

    def settimeout(self, seconds):
        self.sock.settimeout(seconds)

    def recv(self, count):
        data = self.sock.recv(count)
        self.reads.put(data)
        return data

    def sendall(self, data):
        self.sock.sendall(data)


def test_a_frame_trickled_a_byte_at_a_time_ends_at_the_deadline(monkeypatch):
    """A peer that sends one byte just inside each read's timeout cannot stretch a frame past the deadline."""
    import threading
    import types

    from companion.partner import pairing

    now = [0.0]
    monkeypatch.setattr(pairing, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    ours, theirs = socket.socketpair()
    wire = pairing.Wire(Lockstep(ours), deadline=2.0)  # each byte below takes 0.4 s of pairing's clock
    body = pairing.HELLO + b"x" * 39
    sent, done = [], threading.Event()

    def trickle():
        for byte in struct.pack(">H", len(body)) + body:
            if done.is_set():
                return
            now[0] += 0.4
            theirs.sendall(bytes([byte]))
            sent.append(byte)
            wire.sock.reads.get(timeout=60)  # read: the next byte may go

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        with pytest.raises(pairing.PairingError, match="stopped answering"):
            wire.receive(pairing.HELLO)
    finally:
        done.set()
        wire.sock.reads.put(b"")  # wakes the sender if it waits for a read that will not come
        theirs.close()
        thread.join(60)
        ours.close()
    assert len(sent) <= 6  # it ended once the deadline passed, not after the frame's 42 bytes


def test_the_host_hangs_up_on_a_connection_from_off_the_local_network(homes, monkeypatch):
    """In-process, with 127.0.0.2 taken as off the network: its connection gets not even a hello, and the one
    try is still there (spent below by a wrong code, which ends the host)."""
    import queue
    import threading

    a, _ = homes
    for name, value in a.env.items():
        monkeypatch.setenv(name, value)
    from companion.partner import pairing

    monkeypatch.setattr(pairing, "local", lambda host: host != "127.0.0.2")
    said, ended = queue.Queue(), []
    hosting = threading.Thread(target=lambda: ended.append(_raised(pairing.host, "Alex", said.put, "123456")))
    hosting.start()
    lines = []
    while not lines or not lines[-1].startswith("Waiting"):
        lines.append(said.get(timeout=60))
    port = int(re.search(r"--peer 127\.0\.0\.1:(\d+)\)", "\n".join(lines)).group(1))
    with socket.create_connection(("127.0.0.1", port), timeout=60, source_address=("127.0.0.2", 0)) as outsider:
        assert outsider.recv(100) == b""  # hung up on at once
    with pytest.raises(pairing.WrongCode):
        pairing.join("654321", "Sam", lambda line: None, ("127.0.0.1", port))
    hosting.join(60)
    assert isinstance(ended[0], pairing.WrongCode)
    assert said.empty()  # no "A connection came and went" for the outsider: it was never an attempt


def _raised(function, *args):
    try:
        function(*args)
    except Exception as e:
        return e


def test_the_joiner_tries_no_address_an_advert_names_off_the_local_network(homes, monkeypatch):
    a, b = homes
    hosting = a.host("--name", "Alex")
    for name, value in b.env.items():
        monkeypatch.setenv(name, value)
    from companion.partner import addresses, pairing

    monkeypatch.setattr(addresses, "local", lambda host: False)  # as if the advert named 8.8.8.8
    with pytest.raises(pairing.PairingError, match="^No device waiting to pair was found"):
        pairing.join(hosting.code, "Sam", lambda line: None)
    joined = b.run(hosting.code, "--name", "Sam", "--peer", hosting.peer)  # its one try was not spent
    assert joined.returncode == 0 and hosting.finish()[0] == 0


def test_a_full_list_is_said_before_any_device_is_reached(homes, monkeypatch):
    a, _ = homes
    monkeypatch.setenv("XDG_DATA_HOME", a.env["XDG_DATA_HOME"])
    from companion.partner.identity import MAX_PEERS, Peer, add_peer

    for n in range(MAX_PEERS):
        add_peer(Peer(f"Partner {n}", bytes([n]) * 32, None, "2026-12-07T10:00:00+00:00"))
    for args in (["--name", "Alex"], ["123456", "--name", "Alex", "--peer", "127.0.0.1:9"]):
        result = a.run(*args)
        assert result.returncode == 1 and result.stdout == ""  # no code shown, nothing listened or dialled
        assert one_line(result.stderr) == (f"companion: already paired with {MAX_PEERS} devices; "
                                           "`companion pair --forget NAME` one first")
