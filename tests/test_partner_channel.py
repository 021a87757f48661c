"""The partner channel (partner/channel.py) on real loopback sockets: who may talk, and what is dropped.

A man in the middle (Middle, below) forwards whole frames between the two ends and lets a test
replay, reorder, alter or inject the initiator's frames after the handshake. Each test ends with a
last message ("end") the receiver reads up to, so it never waits on a clock for what did not come.
"""

import hashlib
import socket
import struct
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings, strategies as st

from companion.partner.channel import (LABEL, MAGIC, MAX_FRAME, Counters, Refused, Session, accept, connect,
                                       handshake, listen, public_bytes)

ALICE, BOB, EVE = (Ed25519PrivateKey.generate() for _ in range(3))


def key(k) -> bytes:
    return public_bytes(k)


class Accepting:
    """A listener on loopback accepting one connection in a thread: `.session` or `.refused` once done."""

    def __init__(self, own=BOB, peers=(key(ALICE),), listener=None):
        self.listener = listener or listen("127.0.0.1")
        self.address = self.listener.getsockname()
        self.counters = Counters()
        self.session, self.refused = None, None
        self.thread = threading.Thread(target=self._run, args=(own, peers), daemon=True)
        self.thread.start()

    def _run(self, own, peers):
        try:
            self.session = accept(self.listener, own, peers, counters=self.counters)
        except Refused as refused:
            self.refused = refused
        finally:
            self.listener.close()

    def done(self):
        self.thread.join(30)
        assert not self.thread.is_alive()
        return self


def received_until_end(session: Session) -> list[bytes]:
    got = []
    while (data := session.receive()) not in (None, b"end"):
        got.append(data)
    assert data == b"end"
    return got


def test_two_paired_devices_talk_both_ways():
    bob = Accepting()
    alice = connect(bob.address, ALICE, [key(BOB)])
    server = bob.done().session
    assert (alice.peer, server.peer) == (key(BOB), key(ALICE))
    assert alice.id == server.id and alice.initiator and not server.initiator
    alice.send(b"I'm flooded. I'll be back at 21:40.")
    assert server.receive() == b"I'm flooded. I'll be back at 21:40."
    server.send(b"I'll be here.")
    assert alice.receive() == b"I'll be here."
    alice.close()
    assert server.receive() is None  # the end of the connection, not an error
    assert set(bob.counters.snapshot().values()) == {0}


def test_each_session_has_fresh_keys():
    ids = set()
    for _ in range(2):
        bob = Accepting()
        alice = connect(bob.address, ALICE, [key(BOB)])
        ids.add(bob.done().session.id)
        alice.close()
    assert len(ids) == 2


def test_an_unpaired_device_is_refused_before_the_answer_says_who_answers():
    bob = Accepting(peers=[key(ALICE)])
    with pytest.raises(Refused):
        connect(bob.address, EVE, [key(BOB)])
    assert bob.done().refused.reason == "unknown_peer"
    assert bob.session is None and bob.counters["unknown_peer"] == 1


def test_a_device_that_answers_with_an_unpaired_key_is_refused():
    eve = Accepting(own=EVE, peers=[key(ALICE)])  # Eve knows Alice's public key; Alice never paired with Eve
    counters = Counters()
    with pytest.raises(Refused) as refused:
        connect(eve.address, ALICE, [key(BOB)], counters=counters)
    assert refused.value.reason == "unknown_peer" and counters["unknown_peer"] == 1
    assert eve.done().session is None


def test_a_device_claiming_a_paired_key_it_cannot_sign_for_is_refused():
    bob = Accepting()
    sock = socket.create_connection(bob.address, timeout=10)
    ephemeral = public_bytes(X25519PrivateKey.generate())
    body = MAGIC + ephemeral + key(ALICE)  # Alice's key, which Eve can see on the network
    sock.sendall(struct.pack(">H", len(body)) + body)
    reply = b""
    while len(reply) < 2 + 128:
        reply += sock.recv(2 + 128 - len(reply))
    transcript = hashlib.sha256(LABEL + ephemeral + reply[2:34] + key(ALICE) + key(BOB)).digest()
    forged = EVE.sign(b"initiator" + transcript)
    sock.sendall(struct.pack(">H", 64) + forged)
    assert bob.done().refused.reason == "bad_handshake"
    assert bob.session is None and bob.counters["bad_handshake"] == 1
    sock.close()


def test_a_silent_connection_is_refused_when_the_handshake_time_is_up():
    listener = listen("127.0.0.1")
    silent = socket.create_connection(listener.getsockname())
    sock, _ = listener.accept()
    counters = Counters()
    with pytest.raises(Refused) as refused:
        handshake(sock, BOB, [key(ALICE)], initiator=False, counters=counters, seconds=0.2)
    assert refused.value.reason == "bad_handshake" and counters["bad_handshake"] == 1
    silent.close()
    listener.close()


def _frames(sock: socket.socket):
    """Whole frames (prefix and body) as they come; stops at the end of the connection."""
    while True:
        header = _exactly(sock, 2)
        if header is None:
            return
        body = _exactly(sock, struct.unpack(">H", header)[0])
        if body is None:
            return
        yield header + body


def _exactly(sock, n):
    data = b""
    while len(data) < n:
        try:
            chunk = sock.recv(n - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return data


class Middle:
    """Between Alice (who connects here) and Bob: forwards frames, the initiator's data frames through `change`
    (its index among them, the frame) -> the frames to send on instead."""

    HANDSHAKE_FRAMES = 2  # the initiator's hello and signature

    def __init__(self, target, change):
        self.listener = listen("127.0.0.1")
        self.address = self.listener.getsockname()
        self.target, self.change = target, change
        self.seen: list[bytes] = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        alice, _ = self.listener.accept()
        bob = socket.create_connection(self.target)
        self.to_bob = bob
        threading.Thread(target=self._pipe, args=(bob, alice), daemon=True).start()
        for index, frame in enumerate(_frames(alice)):
            data_index = index - self.HANDSHAKE_FRAMES
            self.seen.append(frame)
            out = [frame] if data_index < 0 else self.change(data_index, frame)
            try:
                for f in out:
                    bob.sendall(f)
            except OSError:
                break
        _hang_up(bob)

    @staticmethod
    def _pipe(source, sink):
        for frame in _frames(source):
            try:
                sink.sendall(frame)
            except OSError:
                break
        _hang_up(sink)


def _hang_up(sock):
    """Shut down, not just closed: another thread may be blocked reading it."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def through(change):
    """Alice's session to Bob through a Middle, and Bob's."""
    bob = Accepting()
    middle = Middle(bob.address, change)
    alice = connect(middle.address, ALICE, [key(BOB)])
    return alice, bob.done().session, middle


def send_all(session, *texts):
    for text in texts:
        session.send(text)


def test_a_replayed_frame_is_dropped_and_counted():
    alice, bob, _ = through(lambda i, frame: [frame, frame] if i == 1 else [frame])
    send_all(alice, b"one", b"two", b"three", b"end")
    assert received_until_end(bob) == [b"one", b"two", b"three"]
    assert bob.counters["replayed"] == 1


def test_a_reordered_frame_is_dropped_and_counted():
    held = []

    def swap(i, frame):
        if i == 1:
            held.append(frame)
            return []
        return [frame] + held if i == 2 else [frame]

    alice, bob, _ = through(swap)
    send_all(alice, b"one", b"two", b"three", b"end")
    assert received_until_end(bob) == [b"one", b"three"]  # "two" came late: never acted on
    assert bob.counters["reordered"] == 1


@pytest.mark.parametrize("bit", [2 * 8 + 3, 12 * 8, -1], ids=["in the number", "in the ciphertext", "in the tag"])
def test_a_frame_with_one_bit_flipped_is_dropped_and_counted(bit):
    def flip(i, frame):
        if i != 1:
            return [frame]
        data = bytearray(frame)
        at = bit if bit >= 0 else len(data) * 8 - 1
        data[at // 8] ^= 1 << (at % 8)
        return [bytes(data)]

    alice, bob, _ = through(flip)
    send_all(alice, b"one", b"two", b"three", b"end")
    assert received_until_end(bob) == [b"one", b"three"]
    assert bob.counters["altered"] == 1


def test_a_frame_from_an_earlier_session_is_dropped_and_counted():
    old_alice, old_bob, old_middle = through(lambda i, frame: [frame])
    send_all(old_alice, b"I'll be back at nine.", b"end")
    assert received_until_end(old_bob) == [b"I'll be back at nine."]
    recorded = old_middle.seen[Middle.HANDSHAKE_FRAMES]
    alice, bob, _ = through(lambda i, frame: [recorded, frame] if i == 0 else [frame])
    send_all(alice, b"end")
    assert received_until_end(bob) == []
    assert bob.counters["altered"] == 1


def test_an_oversized_frame_closes_the_connection():
    alice, bob, _ = through(lambda i, frame: [struct.pack(">H", MAX_FRAME + 1) + b"\0" * 64] if i == 1 else [frame])
    send_all(alice, b"one", b"two")
    assert bob.receive() == b"one"
    assert bob.receive() is None and bob.closed
    assert bob.counters["oversized"] == 1
    assert alice.receive() is None  # Bob hung up


def test_frames_past_the_rate_are_dropped_and_counted():
    bob = Accepting()
    alice = connect(bob.address, ALICE, [key(BOB)])
    server = bob.done().session
    frames = 2000  # sent at once: far more than 50 a second, however slow the machine
    burst = b"".join(alice.seal(b"%d" % n) for n in range(frames))
    threading.Thread(target=lambda: (alice._sock.sendall(burst), alice.close()), daemon=True).start()
    got = []
    while (data := server.receive()) is not None:
        got.append(data)
    assert got == sorted(got, key=int)  # in order, some left out
    assert 50 <= len(got) < frames
    assert len(got) + bob.counters["rate_limited"] == frames


def sessions_over_a_socketpair() -> tuple[Session, Session, socket.socket]:
    """Alice's and Bob's sessions over a socket pair (no listener), and Alice's raw socket."""
    a, b = socket.socketpair()
    out = {}
    thread = threading.Thread(target=lambda: out.update(bob=handshake(b, BOB, [key(ALICE)], initiator=False)))
    thread.start()
    alice = handshake(a, ALICE, [key(BOB)], initiator=True)
    thread.join(30)
    return alice, out["bob"], a


def _delivered(bob: Session) -> list[bytes]:
    got = []
    while (data := bob.receive()) is not None:
        got.append(data)
    return got


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3 * MAX_FRAME))
def test_random_bytes_in_the_stream_never_raise_and_deliver_nothing(noise):
    alice, bob, raw = sessions_over_a_socketpair()
    def write():
        try:
            raw.sendall(noise)
            raw.shutdown(socket.SHUT_WR)
        except OSError:  # Bob hung up on an oversized frame
            pass

    writer = threading.Thread(target=write)
    writer.start()
    assert _delivered(bob) == []
    writer.join(30)
    alice.close()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=5), st.data())
def test_truncated_frames_never_raise_and_deliver_nothing_of_the_cut_frame(texts, data):
    alice, bob, raw = sessions_over_a_socketpair()
    frames = [alice.seal(t) for t in texts]
    stream = b"".join(frames)
    cut = data.draw(st.integers(min_value=0, max_value=len(stream) - 1))
    whole = 0
    while whole < len(frames) and len(b"".join(frames[:whole + 1])) <= cut:
        whole += 1
    raw.sendall(stream[:cut])
    raw.shutdown(socket.SHUT_WR)
    assert _delivered(bob) == texts[:whole]  # the frames wholly sent, and nothing of the one cut
    alice.close()


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=0, max_size=MAX_FRAME + 100))
def test_random_frame_bodies_are_dropped_and_counted(body):
    alice, bob, raw = sessions_over_a_socketpair()
    assert bob._open(body) is None
    counts = bob.counters.snapshot()
    assert counts["altered"] + counts["malformed"] == 1
    alice.close()
    bob.close()


def test_a_device_never_makes_a_session_with_its_own_key_even_if_listed():
    """Its own key coming back (a connection reflected to itself) is an unknown peer on both ends."""
    me = Accepting(own=ALICE, peers=[key(ALICE), key(BOB)])
    counters = Counters()
    with pytest.raises(Refused) as refused:
        connect(me.address, ALICE, [key(ALICE)], counters=counters)
    assert me.done().refused.reason == "unknown_peer" and me.session is None
    assert refused.value.reason == "bad_handshake"  # hung up on before any answer


def test_a_confirmation_that_fails_is_counted_once_as_a_bad_handshake():
    """A responder that signs as Bob but sends a confirmation not under the session's key."""
    listener = listen("127.0.0.1")

    def responder():
        sock, _ = listener.accept()
        with sock:
            header = sock.recv(2, socket.MSG_WAITALL)
            hello = sock.recv(int.from_bytes(header, "big"), socket.MSG_WAITALL)
            e_i, s_i = hello[4:36], hello[36:68]
            e_r = public_bytes(X25519PrivateKey.generate())
            transcript = hashlib.sha256(LABEL + e_i + e_r + s_i + key(BOB)).digest()
            reply = e_r + key(BOB) + BOB.sign(b"responder" + transcript)
            sock.sendall(struct.pack(">H", len(reply)) + reply)
            sock.recv(2 + 64, socket.MSG_WAITALL)  # the initiator's signature
            sock.sendall(struct.pack(">H", 24) + bytes(24))  # frame 0, but no tag of this session's
            sock.recv(1)  # until the initiator hangs up

    thread = threading.Thread(target=responder, daemon=True)
    thread.start()
    counters = Counters()
    with pytest.raises(Refused) as refused:
        connect(listener.getsockname(), ALICE, [key(BOB)], counters=counters)
    thread.join(30)
    listener.close()
    assert refused.value.reason == "bad_handshake"
    assert counters.snapshot() == {**dict.fromkeys(Counters.NAMES, 0), "bad_handshake": 1}
