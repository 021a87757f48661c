"""A mutually authenticated, encrypted session between two paired devices over one TCP connection.

Handshake (each flight one frame; three seconds for all of it):
  1. initiator -> responder: MAGIC, its ephemeral X25519 key e_i, its long-term Ed25519 key s_i
  2. responder -> initiator: e_r, s_r, the responder's signature over the transcript
  3. initiator -> responder: the initiator's signature over the transcript
  4. responder -> initiator: an empty encrypted frame, so the initiator knows it was accepted
The transcript is SHA-256 of LABEL (the protocol and its version), e_i, e_r, s_i and s_r; each side
signs it under its own role's name, so neither signature can be replayed as the other's. Each side
goes on only with a long-term key in `peers` (the paired keys it was given): the responder hangs up
on an unknown key before saying who it is. X25519 of the ephemeral keys, through HKDF-SHA256 salted
with the transcript, gives one ChaCha20-Poly1305 key for each direction: fresh every session, and
gone with it (forward secrecy: the long-term keys only sign).

Frames: a 2-byte big-endian length, then (after the handshake) an 8-byte sequence number and the
ciphertext, whose nonce is that number. A frame longer than MAX_FRAME ends the connection (the
length is read before anything else). A frame that fails authentication (altered, or not from the
partner), or whose number is not above the last one accepted (replayed or reordered), is dropped
and counted and never reaches the caller; so is a frame past the rate limit. The counters are the
only trace, besides a debug line (notes.py).
"""

from __future__ import annotations

import hashlib
import socket
import struct
import threading
import time
from collections import deque
from typing import Iterable

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from companion.partner.notes import note

LABEL = b"companion partner link v1"
MAGIC = b"CPL1"
MAX_FRAME = 2048  # bytes after the length prefix; a message is a few hundred
HEADER = 8  # the sequence number
TAG = 16  # Poly1305's
MAX_PLAINTEXT = MAX_FRAME - HEADER - TAG
HANDSHAKE_SECONDS = 3.0
RATE = 50.0  # frames a second from the partner, in bursts of up to RATE
IDLE_SECONDS = 5.0  # a blocked send gives up after this (the partner stopped reading)
_REMEMBERED = 256  # recent sequence numbers kept to tell a replay from a reordering


class Refused(Exception):
    """The handshake did not make a session; `reason` is the counter it adds to."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class Counters:
    """What was dropped, by why; shared by a Link's sessions, read from any thread.

    unknown_peer  a handshake from (or to) a key that is not paired
    bad_handshake a handshake malformed, mis-signed or too slow
    replayed      an authentic frame whose number was accepted already
    reordered     an authentic frame whose number is below the last accepted
    altered       a frame that failed authentication (changed on the way, or not under this session's key)
    malformed     a frame too short to hold a number and a tag
    oversized     a frame over MAX_FRAME: the connection was closed
    rate_limited  a frame past RATE a second
    undecodable   an authentic frame that is not a message (counted by link.py)
    busy          a connection hung up on because too many handshakes were under way
    not_local     a connection from an address outside the local network (link.py), hung up on
    overflow      a message that found the link's inbox full (link.py; left unacknowledged, so it comes again)
    """

    NAMES = ("unknown_peer", "bad_handshake", "replayed", "reordered", "altered", "malformed", "oversized",
             "rate_limited", "undecodable", "busy", "not_local", "overflow")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.NAMES, 0)

    def add(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1
        note(f"dropped: {name}")

    def __getitem__(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


def private_key(key: Ed25519PrivateKey | bytes) -> Ed25519PrivateKey:
    """A long-term key as given: the key, or its raw 32 bytes."""
    return key if isinstance(key, Ed25519PrivateKey) else Ed25519PrivateKey.from_private_bytes(bytes(key))


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey | X25519PrivateKey | X25519PublicKey) -> bytes:
    if hasattr(key, "public_key"):
        key = key.public_key()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class _Bucket:
    """A token bucket: `rate` a second, up to `rate` saved."""

    def __init__(self, rate: float):
        self.rate, self.tokens, self.at = rate, rate, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


def _nonce(seq: int) -> bytes:
    return b"\0\0\0\0" + struct.pack(">Q", seq)


class Session:
    """One authenticated connection: `send` and `receive` plaintext. Made by `handshake`."""

    def __init__(self, sock: socket.socket, *, initiator: bool, own: bytes, peer: bytes, transcript: bytes,
                 send_key: bytes, receive_key: bytes, counters: Counters):
        self.initiator = initiator
        self.own = own  # our long-term public key, raw
        self.peer = peer  # the partner's, raw: one of the paired keys
        self.id = transcript[:8].hex()  # the same on both ends: which session this is
        self.counters = counters
        self._sock = sock
        self._send_aead, self._receive_aead = ChaCha20Poly1305(send_key), ChaCha20Poly1305(receive_key)
        self._send_seq = 0
        self._last_received = -1
        self._recent: deque[int] = deque(maxlen=_REMEMBERED)
        self._bucket = _Bucket(RATE)
        self._send_lock = threading.Lock()
        self._closed = threading.Event()

    @property
    def initiator_key(self) -> bytes:
        return self.own if self.initiator else self.peer

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def seal(self, plaintext: bytes) -> bytes:
        """The next frame for `plaintext`, length prefix and all (and the sequence number used up)."""
        if len(plaintext) > MAX_PLAINTEXT:
            raise ValueError(f"{len(plaintext)} bytes is over the {MAX_PLAINTEXT} a frame holds")
        seq, self._send_seq = self._send_seq, self._send_seq + 1
        body = struct.pack(">Q", seq) + self._send_aead.encrypt(_nonce(seq), plaintext, None)
        return struct.pack(">H", len(body)) + body

    def send(self, plaintext: bytes) -> None:
        """Raises OSError once the connection is gone (and closes the session)."""
        with self._send_lock:
            if self.closed:
                raise ConnectionError("the session is closed")
            try:
                self._sock.sendall(self.seal(plaintext))
            except OSError:
                self.close()
                raise

    def receive(self) -> bytes | None:
        """The next authentic plaintext, in order; None once the connection has ended."""
        while not self.closed:
            body = self._frame()
            if body is None:
                self.close()
                return None
            plaintext = self._open(body)
            if plaintext is not None:
                return plaintext
        return None

    def _frame(self) -> bytes | None:
        try:
            header = _read(self._sock, 2, self._closed)
            if header is None:
                return None
            (length,) = struct.unpack(">H", header)
            if length > MAX_FRAME:
                self.counters.add("oversized")
                return None
            return _read(self._sock, length, self._closed)
        except OSError:
            return None

    def _open(self, body: bytes) -> bytes | None:
        """The plaintext of an authentic frame newer than the last, else None (dropped and counted)."""
        if not self._bucket.take():
            self.counters.add("rate_limited")
            return None
        if len(body) < HEADER + TAG:
            self.counters.add("malformed")
            return None
        (seq,) = struct.unpack(">Q", body[:HEADER])
        try:
            plaintext = self._receive_aead.decrypt(_nonce(seq), body[HEADER:], None)
        except InvalidTag:
            self.counters.add("altered")
            return None
        if seq <= self._last_received:
            self.counters.add("replayed" if seq in self._recent else "reordered")
            return None
        self._last_received = seq
        self._recent.append(seq)
        return plaintext

    def _confirmed(self, body: bytes) -> bool:
        """Whether `body` is the responder's confirmation: frame 0, empty, under this session's key. Nothing is
        counted here (a failed one is a bad handshake); frame 0 is taken, as any frame is."""
        try:
            if body[:HEADER] != bytes(HEADER) or self._receive_aead.decrypt(_nonce(0), body[HEADER:], None) != b"":
                return False
        except InvalidTag:
            return False
        self._last_received = 0
        self._recent.append(0)
        return True

    def close(self) -> None:
        self._closed.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes a receive blocked in another thread
        except OSError:
            pass
        self._sock.close()


def _read(sock: socket.socket, n: int, closed: threading.Event | None = None, deadline: float | None = None
          ) -> bytes | None:
    """Exactly n bytes; None at the end of the connection, or once `closed` is set. A read that times out
    goes on waiting (a quiet partner is not a dead one) unless `deadline` (monotonic) has passed."""
    data = b""
    while len(data) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("too slow")
            sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(data))
        except TimeoutError:
            if deadline is not None:
                raise
            if closed is not None and closed.is_set():
                return None
            continue
        if not chunk:
            return None
        data += chunk
    return data


def _write_frame(sock: socket.socket, body: bytes) -> None:
    sock.sendall(struct.pack(">H", len(body)) + body)


def _read_frame(sock: socket.socket, size: int, deadline: float) -> bytes:
    """One handshake frame, which must be exactly `size` bytes."""
    header = _read(sock, 2, deadline=deadline)
    if header is None:
        raise Refused("bad_handshake", "the other end hung up")
    (length,) = struct.unpack(">H", header)
    if length != size:
        raise Refused("bad_handshake", f"a handshake frame of {length} bytes, not {size}")
    body = _read(sock, length, deadline=deadline)
    if body is None:
        raise Refused("bad_handshake", "the other end hung up")
    return body


def _transcript(e_i: bytes, e_r: bytes, s_i: bytes, s_r: bytes) -> bytes:
    return hashlib.sha256(LABEL + e_i + e_r + s_i + s_r).digest()


def _keys(ephemeral: X25519PrivateKey, their_ephemeral: bytes, transcript: bytes) -> tuple[bytes, bytes]:
    """The initiator-to-responder and responder-to-initiator keys."""
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(their_ephemeral))
    except ValueError as exc:  # a low-order point: a shared secret of zeros
        raise Refused("bad_handshake", "an unusable ephemeral key") from exc
    keys = HKDF(algorithm=SHA256(), length=64, salt=transcript, info=LABEL + b" keys").derive(shared)
    return keys[:32], keys[32:]


def _verify(key: bytes, signature: bytes, role: bytes, transcript: bytes) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, role + transcript)
    except (InvalidSignature, ValueError) as exc:
        raise Refused("bad_handshake", "a signature that does not verify") from exc


def handshake(sock: socket.socket, own_key: Ed25519PrivateKey | bytes, peers: Iterable[bytes], *,
              initiator: bool, counters: Counters | None = None, seconds: float = HANDSHAKE_SECONDS) -> Session:
    """A session over the connected `sock` with one of `peers` (raw Ed25519 public keys), or Refused
    (counted, the socket closed). The whole exchange must end within `seconds`."""
    counters = counters or Counters()
    try:
        sock.settimeout(seconds)
        session = _handshake(sock, private_key(own_key), frozenset(bytes(p) for p in peers), initiator, counters,
                             time.monotonic() + seconds)
    except Refused as refused:
        counters.add(refused.reason)
        sock.close()
        raise
    except (OSError, struct.error) as exc:  # the connection ended, or the time ran out
        counters.add("bad_handshake")
        sock.close()
        raise Refused("bad_handshake", type(exc).__name__) from exc
    sock.settimeout(IDLE_SECONDS)
    return session


def _handshake(sock: socket.socket, own_key: Ed25519PrivateKey, peers: frozenset[bytes], initiator: bool,
               counters: Counters, deadline: float) -> Session:
    own = public_bytes(own_key)
    peers = peers - {own}  # a device is never its own partner: its key coming back is a reflection
    ephemeral = X25519PrivateKey.generate()
    e_own = public_bytes(ephemeral)
    if initiator:
        _write_frame(sock, MAGIC + e_own + own)
        reply = _read_frame(sock, 32 + 32 + 64, deadline)
        e_r, s_r, signature = reply[:32], reply[32:64], reply[64:]
        if s_r not in peers:
            raise Refused("unknown_peer", "the device that answered is not paired")
        transcript = _transcript(e_own, e_r, own, s_r)
        _verify(s_r, signature, b"responder", transcript)
        _write_frame(sock, own_key.sign(b"initiator" + transcript))
        send_key, receive_key = _keys(ephemeral, e_r, transcript)
        session = Session(sock, initiator=True, own=own, peer=s_r, transcript=transcript, send_key=send_key,
                          receive_key=receive_key, counters=counters)
        confirmation = _read_frame(sock, HEADER + TAG, deadline)
        if not session._confirmed(confirmation):  # counted once, as a bad handshake
            raise Refused("bad_handshake", "no confirmation under the session's key")
        return session
    hello = _read_frame(sock, len(MAGIC) + 32 + 32, deadline)
    if hello[:4] != MAGIC:
        raise Refused("bad_handshake", "not this protocol")
    e_i, s_i = hello[4:36], hello[36:]
    if s_i not in peers:
        raise Refused("unknown_peer", "a device that is not paired")
    transcript = _transcript(e_i, e_own, s_i, own)
    _write_frame(sock, e_own + own + own_key.sign(b"responder" + transcript))
    _verify(s_i, _read_frame(sock, 64, deadline), b"initiator", transcript)
    receive_key, send_key = _keys(ephemeral, e_i, transcript)
    session = Session(sock, initiator=False, own=own, peer=s_i, transcript=transcript, send_key=send_key,
                      receive_key=receive_key, counters=counters)
    session.send(b"")  # the confirmation: frame 0
    return session


def listen(host: str = "", port: int = 0) -> socket.socket:
    """A listening TCP socket (an ephemeral port unless one is named); the caller closes it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
        sock.listen(8)
    except OSError:
        sock.close()
        raise
    return sock


def connect(address: tuple[str, int], own_key: Ed25519PrivateKey | bytes, peers: Iterable[bytes], *,
            timeout: float = HANDSHAKE_SECONDS, counters: Counters | None = None) -> Session:
    """A session as the initiator with the device at `address`: OSError if it is not there, Refused if
    it is not a paired one (or the handshake fails). `timeout` bounds the connect and the handshake each."""
    sock = socket.create_connection(address, timeout=timeout)
    keep_alive(sock)
    return handshake(sock, own_key, peers, initiator=True, counters=counters, seconds=min(timeout, HANDSHAKE_SECONDS))


def accept(listener: socket.socket, own_key: Ed25519PrivateKey | bytes, peers: Iterable[bytes], *,
           counters: Counters | None = None) -> Session:
    """The next connection to `listener`, as the responder (Refused if its handshake fails)."""
    sock, _ = listener.accept()
    keep_alive(sock)
    return handshake(sock, own_key, peers, initiator=False, counters=counters)


def keep_alive(sock: socket.socket) -> None:
    """The kernel notices a partner that vanished (a laptop shut) within a minute, where it can."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", 20), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
            if hasattr(socket, name):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a ping's time is the clock's error
    except OSError:
        pass
