"""The partner link (partner/link.py): two Links in one process on loopback, and one whose partner is not there.

Every wait is on what the link reached (a message got, a state), with a generous ceiling that only
a broken link reaches; nothing asserts on how long a step took.
"""

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hypothesis import given, settings, strategies as st

from companion.partner import channel
from companion.partner.channel import Refused, public_bytes
from companion.partner.link import CONNECTED, NOT_ANSWERING, Link, local
from companion.partner.messages import Ack, Extend, Promise, Ready, encode, new_id

ALICE, BOB, EVE = (Ed25519PrivateKey.generate() for _ in range(3))
A, B = public_bytes(ALICE), public_bytes(BOB)
LOOPBACK = "127.0.0.1"
CEILING = 30.0  # seconds: only a link that is broken waits this long


@pytest.fixture
def links():
    made = []

    def make(*args, **kwargs):
        kwargs.setdefault("host", LOOPBACK)
        link = Link.open(*args, **kwargs)
        made.append(link)
        return link

    yield make
    for link in made:
        link.close()


def promise(minutes=20) -> Promise:
    return Promise(id=new_id(), name="Sam", return_at=time.time() + minutes * 60, minutes=minutes)


def until(condition, ceiling=CEILING):
    """Wait for `condition()` to hold; False if it did not by the ceiling."""
    end = time.monotonic() + ceiling
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def next_message(link: Link, kind=Promise):
    """The next message of this kind, past any other (an acknowledgement of one's own)."""
    while (msg := link.get(CEILING)) is not None and not isinstance(msg, kind):
        pass
    return msg


def test_two_links_talk_both_ways(links):
    bob = links(BOB, [A], timeout=0)
    alice = links(ALICE, [B], listen=False, connect_to=[bob.address], timeout=CEILING)
    assert alice.state == CONNECTED and alice.peer == B
    assert bob.wait_connected(CEILING) and bob.peer == A
    sent = promise()
    assert alice.send(sent)
    assert bob.get(CEILING) == sent
    assert alice.get(CEILING) == Ack(id=sent.id)  # the promise was delivered, and alice knows when
    assert alice.delivered(sent.id) is not None and alice.pending() == []
    ready = Ready(id=new_id(), promise=sent.id, at=time.time() + 1.0)
    assert bob.send(ready)
    assert alice.get(CEILING) == ready
    assert set(alice.counters().values()) == {0} and set(bob.counters().values()) == {0}


def test_a_link_whose_partner_is_not_there_says_so(links):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    alice = links(ALICE, [B], connect_to=[(LOOPBACK, port)], timeout=2.0)
    assert alice.state == NOT_ANSWERING and alice.peer is None
    assert alice.send(promise()) is False  # kept for later, not lost


def test_a_link_with_no_partner_paired_is_not_answering(links):
    assert links(ALICE, [], timeout=CEILING).state == NOT_ANSWERING


def test_it_listens_only_while_open(links):
    bob = links(BOB, [A], timeout=0)
    address = bob.address
    socket.create_connection(address, timeout=CEILING).close()
    bob.close()
    assert bob.address is None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=CEILING)


def test_an_unpaired_device_is_refused_and_counted(links):
    bob = links(BOB, [A], timeout=0)
    with pytest.raises(Refused):
        channel.connect(bob.address, EVE, [B])
    assert until(lambda: bob.counters()["unknown_peer"] == 1)
    assert not bob.connected


def test_a_promise_made_while_the_partner_is_off_arrives_when_it_opens(links):
    alice = links(ALICE, [B], timeout=0)
    sent = promise()
    assert alice.send(sent) is False and alice.pending() == [sent.id]
    bob = links(BOB, [A], connect_to=[alice.address], timeout=CEILING)
    assert bob.state == CONNECTED
    assert bob.get(CEILING) == sent
    assert alice.get(CEILING) == Ack(id=sent.id) and alice.pending() == []


def test_a_message_sent_as_the_partner_goes_is_sent_again_on_the_next_session(links):
    alice = links(ALICE, [B], timeout=0)
    bob = links(BOB, [A], connect_to=[alice.address], timeout=CEILING)
    sent = promise()
    alice.send(sent)
    assert bob.get(CEILING) == sent
    bob.close()
    assert until(lambda: not alice.connected)
    later = Extend(id=new_id(), promise=sent.id, return_at=sent.return_at + 600)
    alice.send(later)
    bob_again = links(BOB, [A], connect_to=[alice.address], timeout=CEILING)
    assert next_message(bob_again, Extend) == later  # after the promise, if bob went before acknowledging it
    assert until(lambda: alice.pending() == [])


def test_a_message_that_comes_twice_is_delivered_once(links):
    bob = links(BOB, [A], timeout=0)
    alice = links(ALICE, [B], listen=False, connect_to=[bob.address], timeout=CEILING)
    sent = promise()
    alice.send(sent)
    alice.send(sent)
    ready = Ready(id=new_id(), promise=sent.id, at=time.time())
    alice.send(ready)
    assert [bob.get(CEILING), bob.get(CEILING)] == [sent, ready]


def test_a_frame_that_is_not_a_message_is_counted_and_nothing_else_happens(links):
    bob = links(BOB, [A], timeout=0)
    alice = channel.connect(bob.address, ALICE, [B])
    alice.send(b"not a message")
    alice.send(b'{"kind": "promise", "id": "0123456789abcdef"}')
    sent = promise()
    alice.send(encode(sent))
    assert bob.get(CEILING) == sent  # the first thing delivered
    assert bob.counters()["undecodable"] == 2
    alice.close()


def test_two_links_connecting_to_each_other_at_once_agree_on_one_session(links):
    alice = links(ALICE, [B], timeout=0)
    bob = links(BOB, [A], timeout=0)
    alice.add_address(bob.address)
    bob.add_address(alice.address)
    assert until(lambda: alice.session_id is not None and alice.session_id == bob.session_id)
    to_bob, to_alice = promise(), promise(10)
    alice.send(to_bob)
    bob.send(to_alice)
    assert next_message(bob) == to_bob and next_message(alice) == to_alice  # each between its own promise's ack
    assert until(lambda: alice.session_id == bob.session_id)


def test_the_clock_offset_between_two_links_on_one_machine(links):
    bob = links(BOB, [A], timeout=0)
    alice = links(ALICE, [B], listen=False, connect_to=[bob.address], timeout=CEILING)
    found = alice.clock_offset(samples=5, timeout=CEILING)
    assert found is not None and found.samples == 5 and alice.offset == found
    true = time.time() - time.monotonic()  # one machine: bob's wall clock against alice's monotonic one
    assert abs(found.offset - true) <= found.error + 0.005
    # a return time bob names is the same instant on alice's monotonic clock
    return_at = time.time() + 60
    assert abs(alice.local_time(return_at) - (time.monotonic() + 60)) <= found.error + 0.01


def _private_file(path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


class Child:
    """tests/partner_peer.py in its own process: the partner's device. `expect` reads its next line."""

    def __init__(self, keys, address):
        env = {k: v for k, v in os.environ.items() if k != "COMPANION_DEBUG"}
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "partner_peer.py"), str(keys),
                                      address[0], str(address[1])], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line.rstrip("\n")) for line in self.proc.stdout],
                         daemon=True).start()

    def expect(self, first_word: str) -> list[str]:
        line = self.lines.get(timeout=CEILING)
        assert line.split()[0] == first_word, line
        return line.split()[1:]

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(CEILING)
        return self.proc.stderr.read()


def test_two_processes_with_their_own_keys(links, tmp_path):
    keys = tmp_path / "child"
    keys.mkdir(mode=0o700)
    child_key = Ed25519PrivateKey.generate()
    _private_file(keys / "own.key", child_key.private_bytes_raw())
    _private_file(keys / "peer.pub", A)
    alice = links(ALICE, [public_bytes(child_key)], timeout=0)
    child = Child(keys, alice.address)
    try:
        assert child.expect("state") == ["connected"]
        sent = promise(25)
        alice.send(sent)
        assert child.expect("promise") == [sent.id, "Sam", "25"]
        assert float(child.expect("offset")[0]) < 0.05  # good enough for both bells within 50 ms
        msg = next_message(alice, Ready)
        assert msg.promise == sent.id
        assert child.expect("delivered") == []
        child.proc.stdin.write("bye\n")
        child.proc.stdin.flush()
        assert child.expect("closed") == []
        assert child.proc.wait(CEILING) == 0
        assert until(lambda: not alice.connected)
    finally:
        errors = child.stop()
    assert errors == ""  # no traceback, no warning
    assert set(alice.counters().values()) == {0}


def test_the_messages_and_the_clock_need_no_network_or_cryptography():
    """Only link.py and channel.py bring them in: a session imports those once it has said its first word."""
    probe = """
import sys
NETWORK = ("cryptography", "socket", "companion.partner.channel", "companion.partner.link")
import companion.partner, companion.partner.clock
print(sorted(m for m in NETWORK if m in sys.modules))
import companion.partner.messages  # pydantic brings the socket module (importlib.metadata's email), nothing more
print(sorted(m for m in NETWORK if m in sys.modules and m != "socket"))
import companion.partner.link
print("cryptography" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=CEILING)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["[]", "[]", "True"]


def test_a_full_inbox_leaves_messages_unacknowledged_until_they_are_taken(links, monkeypatch):
    monkeypatch.setattr("companion.partner.link.INBOX", 2)
    bob = links(BOB, [A], timeout=0)
    alice = links(ALICE, [B], listen=False, connect_to=[bob.address], timeout=CEILING)
    sent = [promise(m) for m in (10, 20, 30, 40)]
    for p in sent:
        alice.send(p)
    assert until(lambda: bob.counters()["overflow"] >= 2)
    assert len(alice.pending()) >= 2  # what bob could not take is not acknowledged
    got = [bob.get(CEILING) for _ in sent]  # taking them makes room: the rest come again
    assert sorted(got, key=lambda p: p.minutes) == sent
    assert until(lambda: alice.pending() == [])


@pytest.mark.parametrize("host, is_local", [("127.0.0.1", True), ("192.168.1.20", True), ("10.0.0.7", True),
                                            ("172.16.4.4", True), ("169.254.10.1", True), ("fe80::1", True),
                                            ("8.8.8.8", False), ("2001:4860:4860::8888", False),
                                            ("::ffff:192.168.1.20", True), ("::ffff:8.8.8.8", False),
                                            ("laptop.local", False), ("dns.google", False), ("a..b", False)])
def test_only_the_local_network_is_talked_to(host, is_local):
    assert local(host) is is_local


def test_an_address_off_the_local_network_is_never_connected_to(links, monkeypatch, capfd):
    monkeypatch.setenv("COMPANION_DEBUG", "1")
    alice = links(ALICE, [B], listen=False, connect_to=[("100.64.0.1", 9)], timeout=0)  # carrier-grade NAT's
    assert until(lambda: "not connecting to 100.64.0.1: not an address on the local network" in capfd.readouterr().err)
    assert alice.state == NOT_ANSWERING


@pytest.fixture(scope="module")
def fuzzed():
    """Bob's link and Alice's raw session to it, kept for every example (the rate limit raised to take them)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(channel, "RATE", 1e6)
        bob = Link.open(BOB, [A], host=LOOPBACK, timeout=0)
        alice = channel.connect(bob.address, ALICE, [B])
        assert bob.wait_connected(CEILING)
    yield bob, alice
    alice.close()
    bob.close()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=channel.MAX_PLAINTEXT), max_size=3))
def test_authentic_frames_that_are_not_messages_deliver_nothing(fuzzed, noise):
    bob, alice = fuzzed
    before = bob.counters()["undecodable"]
    for data in noise:
        alice.send(data)
    ready = Ready(id=new_id(), promise=new_id(), at=1.0)
    alice.send(encode(ready))
    assert bob.get(CEILING) == ready  # the first thing delivered: nothing of the noise before it
    assert bob.counters()["undecodable"] == before + len(noise)
    assert bob.connected


def ordered_keys():
    """Two keys, the first with the greater public key (its sessions outrank the other's)."""
    while True:
        high, low = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        if public_bytes(high) > public_bytes(low):
            return high, low


def with_a_session_left_dead(links, high, low):
    """Alice (the higher key) linked to a partner (the lower) that then vanished without closing: the link, and
    the partner's end of the session, never read again."""
    gone = channel.listen(LOOPBACK, 0)
    vanished = {}
    answering = threading.Thread(target=lambda: vanished.setdefault("session", channel.accept(gone, low, [public_bytes(high)])))
    answering.start()
    alice = links(high, [public_bytes(low)], connect_to=[gone.getsockname()], timeout=CEILING)
    answering.join(CEILING)
    gone.close()
    return alice, vanished


def test_a_partner_back_after_vanishing_replaces_the_session_it_left_dead(links, monkeypatch):
    """The partner's laptop went away without closing: its new session is taken at once, though the old one
    (started by the device whose key outranks) looks alive here and is never given up for silent."""
    monkeypatch.setattr("companion.partner.link.SILENT_SECONDS", 1e6)
    monkeypatch.setattr("companion.partner.link.OVERLAP_SECONDS", 0.0)  # made long before the new one, as in life
    high, low = ordered_keys()
    alice, vanished = with_a_session_left_dead(links, high, low)
    assert alice.state == CONNECTED and alice.session_id == vanished["session"].id  # never read again, never closed
    bob = links(low, [public_bytes(high)], listen=False, connect_to=[alice.address], timeout=CEILING)
    assert bob.state == CONNECTED
    sent = promise()
    bob.send(sent)
    assert alice.get(CEILING) == sent
    assert alice.session_id == bob.session_id
    vanished["session"].close()


def test_of_two_sessions_made_at_once_the_outranking_one_is_kept_and_later_the_newer():
    """The rule both ends follow, on its own: rank settles only sessions made within OVERLAP_SECONDS."""
    from types import SimpleNamespace

    from companion.partner.link import OVERLAP_SECONDS

    high, low = ordered_keys()
    link = Link(high, [public_bytes(low)])

    def session(initiator, peer=public_bytes(low)):
        own = public_bytes(high)
        return SimpleNamespace(own=own, peer=peer, closed=False, initiator_key=own if initiator else peer)

    ours, theirs = session(True), session(False)
    link._adopted_at = 100.0
    assert link._keeps(ours, theirs, 100.0 + OVERLAP_SECONDS / 2)  # at once: the greater key's own is kept
    assert not link._keeps(theirs, ours, 100.0 + OVERLAP_SECONDS / 2)
    assert not link._keeps(ours, theirs, 100.0 + OVERLAP_SECONDS)  # later: the newer wins, whichever it is
    assert not link._keeps(theirs, session(False), 100.0 + OVERLAP_SECONDS / 2)  # the same rank: the newer
    assert link._keeps(ours, session(False, peer=bytes(32)), 1e9)  # another partner's never takes it over
    assert not link._keeps(SimpleNamespace(**{**vars(ours), "closed": True}), theirs, 100.0)


def test_addresses_that_are_no_place_leave_the_link_dialling_the_next(links, capfd):
    """A name (never looked up), one IDNA cannot encode, a port past 65535: each is passed over, and the
    partner at the next address is reached; no traceback."""
    bob = links(BOB, [A], timeout=0)
    alice = links(ALICE, [B], listen=False, timeout=CEILING,
                  connect_to=[("a..b", 4000), ("localhost", bob.address[1]), (LOOPBACK, 70000), bob.address])
    assert alice.state == CONNECTED and bob.wait_connected(CEILING)
    assert "Traceback" not in capfd.readouterr().err
    assert alice._addresses[1] == ("localhost", bob.address[1])  # kept, but never dialled: a name


def test_an_address_added_twice_in_two_spellings_is_listed_once(links):
    alice = links(ALICE, [B], listen=False, timeout=0)
    for spelling in ("FE80:0::1", "fe80::1", "::ffff:192.168.1.20", "192.168.1.20"):
        alice.add_address((spelling, 4000))
    assert alice._addresses == [("fe80::1", 4000), ("192.168.1.20", 4000)]


def test_a_link_with_no_partner_paired_neither_listens_nor_runs_threads(links):
    for peers in ([], [A]):  # its own key is no partner
        alice = links(ALICE, peers, timeout=CEILING, connect_to=[(LOOPBACK, 9)])
        assert alice.state == NOT_ANSWERING and alice.address is None and alice._threads == []
        alice.add_address((LOOPBACK, 10))
        assert alice.send(promise()) is False and alice._threads == []


def test_a_link_with_its_own_key_among_the_peers_never_talks_to_itself(links):
    me = links(ALICE, [A, B], timeout=0)
    me.add_address(me.address)
    assert until(lambda: me.counters()["unknown_peer"] >= 1)
    assert not me.connected and me.peer is None


def test_close_cuts_a_handshake_under_way(links, monkeypatch):
    """The partner's device took the connection and got the hello, and has not answered: close() hangs up on
    it then and there, not when the handshake's time runs out."""
    monkeypatch.setattr("companion.partner.link.CONNECT_SECONDS", 1e6)
    monkeypatch.setattr("companion.partner.channel.HANDSHAKE_SECONDS", 1e6)
    partner = channel.listen(LOOPBACK, 0)
    alice = links(ALICE, [B], listen=False, connect_to=[partner.getsockname()], timeout=0)
    partner.settimeout(CEILING)
    sock, _ = partner.accept()
    sock.settimeout(CEILING)
    with sock:
        assert len(sock.recv(2 + 68, socket.MSG_WAITALL)) == 2 + 68  # the hello: the handshake is under way
        alice.close()
        assert sock.recv(1) == b""  # hung up on; only a broken link leaves this to the ceiling (a timeout)
    partner.close()


def test_a_session_kept_by_rank_that_does_not_answer_gives_way(links, monkeypatch):
    """As if the partner vanished just after the session was made (every two sessions count as made at once):
    the one kept is pinged when the partner's new one is turned away, and ends for not answering."""
    monkeypatch.setattr("companion.partner.link.SILENT_SECONDS", 1e6)
    monkeypatch.setattr("companion.partner.link.OVERLAP_SECONDS", 1e6)
    high, low = ordered_keys()
    alice, vanished = with_a_session_left_dead(links, high, low)
    assert alice.session_id == vanished["session"].id
    bob = links(low, [public_bytes(high)], listen=False, connect_to=[alice.address], timeout=0)
    sent = promise()
    bob.send(sent)
    assert alice.get(CEILING) == sent
    assert until(lambda: alice.session_id == bob.session_id)
    vanished["session"].close()
