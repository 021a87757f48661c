"""Pairing two devices once, over the local network, with a one-time 6-digit code.

The host (`companion pair`) shows the code and waits two minutes; the joiner (`companion pair CODE`)
connects. The code never crosses the network: it is the password of a SPAKE2 exchange (symmetric,
bound to this app and protocol version), which gives both sides the same key only if both typed the
same code, and tells an eavesdropper nothing that tests a guess. Each side then proves it holds that
key (an HMAC of the transcript) before anything else is sent, the joiner first: one wrong proof and
the host refuses, says so and stops listening, so an attacker gets one guess in a million, not more.
Only then do both send their name and long-term Ed25519 public key, sealed (ChaCha20-Poly1305) under
keys derived from the SPAKE2 key and signed with that long-term key over the transcript.

Then each side decides whether it keeps the other (a partner of that name paired already? the person is
asked), the joiner first: its sealed DONE says it will, and the host stores the joiner and says KEPT
(sealed too); only then does the joiner store the host. Either side says REFUSED instead, and the other
stores nothing: neither device ends up paired with one that is not paired with it.

On the wire, every message is a frame: a 2-byte length, then a body whose first byte says its kind.
Every read is bounded (MAX_FRAME, a timeout, the code's deadline); anything unexpected is a
PairingError, one line, and nothing is stored (the caller stores the Peer only once all went well).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import socket
import struct
import time

from .addresses import local
from .addresses import own_addresses  # noqa: F401 (pairing's own, kept here for its readers)
from .identity import MAX_NAME, Peer, check_name
from .names import PairingError
from ..debug import report

PROTOCOL = b"companion-pair/2"  # in every hello, and (as SPAKE2's idSymmetric) in the key itself
CODE_DIGITS = 6
CODE_SECONDS = 120
MAX_FRAME = 512  # the largest real frame (an identity) is under 200 bytes
FRAME_SECONDS = 10.0  # the other side answers within this, or the attempt ends
CONNECTION_SECONDS = 30.0  # one whole exchange, at most...
DECIDE_SECONDS = 120.0  # ...but for the other side's decision to keep the pairing (a person may be asked)
MAX_STRAYS = 3  # connections that were not a pairing attempt (a port scan, say) before the host gives up

HELLO, CONFIRM, REFUSED, IDENTITY, DONE, KEPT = b"H", b"C", b"N", b"I", b"D", b"K"
SPAKE_MESSAGE = 33  # SPAKE2's message: its side byte and a 32-byte Ed25519 group element
KEY_BYTES, SIGNATURE_BYTES, TAG_BYTES = 32, 64, 16


class WrongCode(PairingError):
    """A proof of the code did not match: the attempt is over for good."""


class Stray(PairingError):
    """A connection that never got as far as a proof of the code: it tested no guess."""


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def check_code(text: str) -> str:
    """The code as typed ("123456", "123 456" or "123-456") as six digits; PairingError otherwise."""
    digits = "".join(c for c in (text or "") if c not in " -")
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        raise PairingError(f"a pairing code is {CODE_DIGITS} digits, as `companion pair` shows it on the other "
                           "device; type it again")
    return digits


def shown(code: str) -> str:
    return f"{code[:3]} {code[3:]}"


# The wire: frames, and the decoders of every byte that comes off it.

def frame(kind: bytes, payload: bytes = b"") -> bytes:
    body = kind + payload
    assert len(body) <= MAX_FRAME
    return struct.pack(">H", len(body)) + body


def frame_length(header: bytes) -> int:
    """The body length a 2-byte header announces; PairingError outside 1..MAX_FRAME."""
    if len(header) != 2:
        raise PairingError("the other device sent a broken message")
    (length,) = struct.unpack(">H", header)
    if not 1 <= length <= MAX_FRAME:
        raise PairingError("the other device sent a message of the wrong size; it is not a companion pairing")
    return length


def payload(body: bytes, kind: bytes) -> bytes:
    """The body's payload if its kind is `kind`; WrongCode if the host refused the code; PairingError else."""
    if body[:1] == REFUSED and kind == CONFIRM:
        raise WrongCode("That code didn't match. Start again with `companion pair` on the other device.")
    if body[:1] == REFUSED and kind in (DONE, KEPT):
        raise PairingError("The other device did not keep this pairing (it says why), so nothing is stored "
                           "here either.")
    if body[:1] != kind:
        raise PairingError("the other device sent something out of order; it is not a companion pairing "
                           "of this version")
    return body[1:]


def decode_hello(data: bytes) -> bytes:
    """The SPAKE2 message in a hello's payload; PairingError if it is not this protocol's."""
    if data[:len(PROTOCOL)] != PROTOCOL:
        raise PairingError("the other device speaks another pairing protocol (is its companion the same version?)")
    message = data[len(PROTOCOL):]
    if len(message) != SPAKE_MESSAGE or message[:1] != b"S":
        raise PairingError("the other device sent a broken key exchange; start again")
    return message


class Keys:
    """What both sides derive from the SPAKE2 key and the transcript (the two hellos, host's first)."""

    def __init__(self, spake_key: bytes, host_hello: bytes, joiner_hello: bytes):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        self.transcript = hashlib.sha256(PROTOCOL + b"\0" + host_hello + b"\0" + joiner_hello).digest()
        material = HKDF(algorithm=hashes.SHA256(), length=4 * 32, salt=self.transcript,
                        info=PROTOCOL + b" keys").derive(spake_key)
        self.confirm = {"host": material[0:32], "joiner": material[32:64]}
        self.seal = {"host": material[64:96], "joiner": material[96:128]}

    def proof(self, role: str) -> bytes:
        return hmac.new(self.confirm[role], b"confirm " + role.encode() + self.transcript, hashlib.sha256).digest()

    def check_proof(self, role: str, data: bytes) -> None:
        if not hmac.compare_digest(self.proof(role), data):
            raise WrongCode("That code didn't match. Start again with `companion pair` on the other device.")

    def _signed(self, role: str) -> bytes:
        return b"companion pair identity " + role.encode() + self.transcript

    def seal_identity(self, role: str, name: str, private_key) -> bytes:
        """`role`'s name and public key, signed with its private key over the transcript, sealed."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

        public = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        plain = public + private_key.sign(self._signed(role)) + name.encode("utf-8")
        # Each sealing key seals one identity and one DONE: the nonce only has to differ between the two.
        return ChaCha20Poly1305(self.seal[role]).encrypt(bytes(12), plain, self.transcript)

    def open_identity(self, role: str, data: bytes) -> tuple[str, bytes]:
        """(name, public key) from `role`'s sealed identity; PairingError unless it is whole, theirs and sound."""
        from cryptography.exceptions import InvalidSignature, InvalidTag
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

        broken = PairingError("the other device's name and key arrived damaged; start again")
        if not KEY_BYTES + SIGNATURE_BYTES + TAG_BYTES < len(data) <= KEY_BYTES + SIGNATURE_BYTES + TAG_BYTES + 4 * MAX_NAME:
            raise broken
        try:
            plain = ChaCha20Poly1305(self.seal[role]).decrypt(bytes(12), data, self.transcript)
        except InvalidTag:
            raise broken from None
        public, signature = plain[:KEY_BYTES], plain[KEY_BYTES:KEY_BYTES + SIGNATURE_BYTES]
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, self._signed(role))
            name = check_name(plain[KEY_BYTES + SIGNATURE_BYTES:].decode("utf-8"))
        except (InvalidSignature, ValueError):  # UnicodeDecodeError is a ValueError
            raise broken from None
        return name, public

    # After the identities (nonce 0 under each side's seal key), one sealed word each, nonce 1: the
    # joiner's DONE, then the host's KEPT once it has stored the joiner.
    def _seal_word(self, role: str, word: bytes) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

        return ChaCha20Poly1305(self.seal[role]).encrypt(b"\0" * 11 + b"\1", word, self.transcript)

    def _opens_to(self, role: str, word: bytes, data: bytes) -> bool:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

        try:
            return ChaCha20Poly1305(self.seal[role]).decrypt(b"\0" * 11 + b"\1", data, self.transcript) == word
        except InvalidTag:
            return False

    def seal_done(self) -> bytes:
        return self._seal_word("joiner", b"done")

    def open_done(self, data: bytes) -> None:
        if not self._opens_to("joiner", b"done", data):
            raise PairingError("the other device did not confirm the pairing; start again")

    def seal_kept(self) -> bytes:
        return self._seal_word("host", b"kept")

    def open_kept(self, data: bytes) -> None:
        if not self._opens_to("host", b"kept", data):
            raise PairingError("the other device did not say it kept the pairing, so nothing is stored here; "
                               "start again")


def finish_spake(spake, message: bytes) -> bytes:
    """SPAKE2's key from the other side's message; PairingError for one that is no group element."""
    try:
        return spake.finish(message)
    except Exception as e:  # spake2 says a bad element with ValueError, AssertionError or its own errors
        report(e, "the key exchange")
        raise PairingError("the other device sent a broken key exchange; start again") from None


class Wire:
    """Frames over a connected socket, each read bounded in size and in time (and by `deadline`)."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline = sock, deadline
        self.patience = FRAME_SECONDS  # the longest wait for the next byte

    def wait_for_decision(self) -> None:
        """From here the other side may be asking its person: give it DECIDE_SECONDS."""
        self.deadline = max(self.deadline, time.monotonic() + DECIDE_SECONDS)
        self.patience = DECIDE_SECONDS

    def send(self, kind: bytes, data: bytes = b"") -> None:
        self._timeout()
        try:
            self.sock.sendall(frame(kind, data))
        except OSError:
            raise PairingError("the other device closed the connection; start again") from None

    def receive(self, kind: bytes) -> bytes:
        return payload(self._exactly(frame_length(self._exactly(2))), kind)

    def _timeout(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise PairingError("the other device stopped answering; start again")
        self.sock.settimeout(min(self.patience, left))

    def _exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            self._timeout()  # before every recv: a byte now and then must not stretch a frame past the deadline
            try:
                chunk = self.sock.recv(count - len(data))
            except socket.timeout:
                raise PairingError("the other device stopped answering; start again") from None
            except OSError:
                raise PairingError("the other device closed the connection; start again") from None
            if not chunk:
                raise PairingError("the other device closed the connection; start again")
            data += chunk
        return data


def _spake(code: str):
    from spake2 import SPAKE2_Symmetric

    return SPAKE2_Symmetric(code.encode("ascii"), idSymmetric=PROTOCOL)


def _peer(name: str, public: bytes, own_public: bytes) -> Peer:
    if public == own_public:
        raise PairingError("the other side is this same device (its key is this one's); pair with your partner's")
    from datetime import datetime, timezone

    return Peer(name, public, None, datetime.now(timezone.utc).isoformat(timespec="seconds"))


def _refusing(wire: Wire, decide, peer: Peer) -> None:
    """`decide(peer)` (it raises to refuse the pairing); if it raises, the other side is told REFUSED."""
    try:
        decide(peer)
    except BaseException:
        try:
            wire.deadline = max(wire.deadline, time.monotonic() + FRAME_SECONDS)
            wire.send(REFUSED)
        except PairingError:
            pass
        raise


def host_exchange(wire: Wire, code: str, name: str, private_key, own_public: bytes, keep=None) -> Peer:
    """The host's side of one connection. Stray until the joiner's proof arrives; WrongCode if it fails.
    Once the joiner said it keeps the pairing, `keep(peer)` decides and stores (or raises to refuse)."""
    spake = _spake(code)
    hello = PROTOCOL + spake.start()
    try:
        wire.send(HELLO, hello)
        theirs = wire.receive(HELLO)
        keys = Keys(finish_spake(spake, decode_hello(theirs)), hello, theirs)
        proof = wire.receive(CONFIRM)
    except PairingError as e:
        raise Stray(str(e)) from None
    try:
        keys.check_proof("joiner", proof)
    except WrongCode:
        try:
            wire.send(REFUSED)
        except PairingError:
            pass
        raise
    wire.send(CONFIRM, keys.proof("host"))
    their_name, their_key = keys.open_identity("joiner", wire.receive(IDENTITY))
    peer = _peer(their_name, their_key, own_public)
    wire.send(IDENTITY, keys.seal_identity("host", name, private_key))
    wire.wait_for_decision()
    keys.open_done(wire.receive(DONE))
    if keep is not None:
        _refusing(wire, keep, peer)
    wire.deadline = max(wire.deadline, time.monotonic() + FRAME_SECONDS)  # however long the person took
    wire.send(KEPT, keys.seal_kept())
    return peer


def join_exchange(wire: Wire, code: str, name: str, private_key, own_public: bytes, decide=None) -> Peer:
    """The joiner's side: prove the code first; WrongCode if the host refuses it. `decide(peer)` says whether
    this side will keep the pairing (raises to refuse) before the host stores it; the Peer returned is the
    host's once the host said it kept this one: the caller stores it then."""
    spake = _spake(code)
    hello = PROTOCOL + spake.start()
    wire.send(HELLO, hello)
    theirs = wire.receive(HELLO)
    keys = Keys(finish_spake(spake, decode_hello(theirs)), theirs, hello)
    wire.send(CONFIRM, keys.proof("joiner"))
    answer = wire.receive(CONFIRM)  # WrongCode if the host refused the proof of ours
    try:
        keys.check_proof("host", answer)
    except WrongCode:
        raise PairingError("the device that answered did not know the code: it may not be the one you meant. "
                           "Start again with `companion pair` on the other device.") from None
    wire.send(IDENTITY, keys.seal_identity("joiner", name, private_key))
    their_name, their_key = keys.open_identity("host", wire.receive(IDENTITY))
    peer = _peer(their_name, their_key, own_public)
    if decide is not None:
        _refusing(wire, decide, peer)
    wire.deadline = max(wire.deadline, time.monotonic() + FRAME_SECONDS)  # however long the person took
    wire.send(DONE, keys.seal_done())
    wire.wait_for_decision()
    keys.open_kept(wire.receive(KEPT))
    return peer


# The two commands' ways through.

def local_address() -> str | None:
    """COMPANION_PAIR_ADDRESS: the one local address to listen, advertise and look on (e.g. 127.0.0.1);
    unset, every IPv4 interface."""
    text = os.environ.get("COMPANION_PAIR_ADDRESS", "").strip()
    if not text:
        return None
    import ipaddress

    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        from ..textsafe import clip, visible

        raise PairingError(f"COMPANION_PAIR_ADDRESS={visible(clip(text))} is not an IP address of this device; "
                           "set it to one (e.g. 127.0.0.1), or unset it") from None


def parse_peer(text: str) -> tuple[str, int]:
    """HOST:PORT (or [IPv6]:PORT) as (address, port): an IP address on the local network, or a name looked up
    once and given as the first local address it stands for; PairingError otherwise."""
    from ..textsafe import clip, visible
    from .addresses import resolve

    shown = visible(clip(text or ""))
    example = "as `companion pair` shows it on the other device, e.g. --peer 192.168.1.20:40123"
    host, sep, port = (text or "").strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or len(host) > 253 or not port.isascii() or not port.isdigit() or \
            not 1 <= int(port) <= 65535 or any(c.isspace() or not c.isprintable() for c in host):
        raise PairingError(f"--peer {shown}: expected HOST:PORT {example}")
    try:
        places = resolve(host, int(port))
    except OSError as e:
        raise PairingError(f"--peer {shown}: no device of that name is known here "
                           f"({visible(clip(e.strerror or str(e)))}); give its address {example}") from None
    if not places:
        raise PairingError(f"--peer {shown}: is not on the local network, and pairing stays on it; give the "
                           f"address {example}")
    return places[0], int(port)


def listen(address: str | None) -> socket.socket:
    family = socket.AF_INET6 if address and ":" in address else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.bind((address or "0.0.0.0", 0))
        listener.listen(1)
    except OSError as e:
        listener.close()
        raise PairingError(f"cannot listen on {address or 'this device'} ({e.strerror or e}); "
                           "check COMPANION_PAIR_ADDRESS") from None
    return listener




def host(name: str, say, code: str | None = None, keep=None) -> Peer:
    """Show a code, wait CODE_SECONDS for the joiner, and pair: the partner's Peer, which `keep(peer)` stored
    (or refused, raising) before the joiner was told.

    Listens (and advertises) only while it waits; WrongCode after one failed proof."""
    from . import discovery
    from .identity import own_key, own_public

    address = local_address()
    private_key, public = own_key(), own_public()
    code = code or new_code()
    deadline = time.monotonic() + CODE_SECONDS
    listener = listen(address)
    port = listener.getsockname()[1]
    strays = 0
    try:
        with discovery.advertised(port, address) as advert:
            say(f"Your pairing code: {shown(code)}")
            say(f"On your partner's device, run:  companion pair {code}")
            for where in own_addresses(address):
                where = f"[{where}]" if ":" in where else where
                say(f"  (if it finds no device there:  companion pair {code} --peer {where}:{port})")
            problem = advert.ready()  # from here on the other device can find this one
            if problem:
                say(problem)
            say(f"Waiting {CODE_SECONDS // 60} minutes for it. Ctrl-C stops.")
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PairingError("The code expired (it lasts 2 minutes) and nothing is paired. "
                                       "Start again with `companion pair`.")
                listener.settimeout(left)
                try:
                    connection, (source, *_) = listener.accept()
                except socket.timeout:
                    continue
                if not local(source):  # pairing stays on the local network: hung up on, and no try spent
                    from .notes import note

                    note(f"pairing: a connection from {source} hung up on: not on the local network")
                    connection.close()
                    continue
                with connection:
                    try:
                        return host_exchange(Wire(connection, min(deadline, time.monotonic() + CONNECTION_SECONDS)),
                                             code, name, private_key, public, keep)
                    except WrongCode:
                        raise WrongCode("The code typed on the other device didn't match, so this pairing is "
                                        "closed (one try only). Start again with `companion pair`.") from None
                    except Stray:  # it tried no code: the one try is still the partner's
                        strays += 1
                        if strays >= MAX_STRAYS:
                            raise PairingError("Connections that were not a pairing kept arriving; this pairing "
                                               "is closed. Start again with `companion pair`.") from None
                        say("A connection came and went without trying the code; still waiting.")
    finally:
        listener.close()


def join(code: str, name: str, say, peer_address: str | tuple[str, int] | None = None, decide=None) -> Peer:
    """Find the waiting device (or use HOST:PORT, or the (address, port) parse_peer made of it) and pair with
    `code`: the partner's Peer, for the caller to store (the host has); `decide(peer)` refuses it by raising."""
    from .identity import own_key, own_public

    code = check_code(code)
    if isinstance(peer_address, str):
        peer_address = parse_peer(peer_address)
    places = [peer_address] if peer_address else None
    private_key, public = own_key(), own_public()
    if places is None:
        from . import discovery

        say("Looking for the device that shows the code…")
        found = discovery.browse(local_address())
        if not found:
            raise PairingError("No device waiting to pair was found. Run `companion pair` on the other device "
                               "first; if it still isn't found, add the --peer HOST:PORT it shows.")
        if len(found) > 1:  # trying the code on the wrong one would close that pairing: ask which
            listed = ", ".join(f"{h}:{p}" for (h, p), *_ in found[:4])
            raise PairingError(f"More than one device is waiting to pair ({listed}); pick yours with --peer "
                               "HOST:PORT as it shows.")
        places = found[0]
    connection = None
    for host_name, port in places:  # each address the device gave, until one answers
        try:
            connection = socket.create_connection((host_name, port), timeout=FRAME_SECONDS)
            break
        except OSError as e:
            problem = e
    if connection is None:
        where = ", ".join(f"{h}:{p}" for h, p in places)
        raise PairingError(f"No device is waiting to pair at {where} ({problem.strerror or problem}); the code may "
                           "have expired. Start again with `companion pair` on the other device.") from None
    with connection:
        return join_exchange(Wire(connection, time.monotonic() + CONNECTION_SECONDS), code, name, private_key, public,
                             decide)
