"""Every decoder of bytes that come off the network while pairing, fed random, truncated and altered
input: a PairingError (one line) or the right answer, never another exception, never a Peer from
bytes that were not a whole, honest exchange."""

import socket
import threading
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings, strategies as st

from companion.partner import pairing
from companion.partner.identity import PartnerError, decode_peers
from companion.partner.pairing import (CONFIRM, DONE, HELLO, IDENTITY, PROTOCOL, Keys, PairingError, Wire, frame,
                                       finish_spake)

CODE = "204613"
FUZZ = settings(max_examples=150, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
HOST_KEY, JOINER_KEY = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()


def raw(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def keys() -> Keys:
    a, b = pairing._spake(CODE), pairing._spake(CODE)
    ha, hb = PROTOCOL + a.start(), PROTOCOL + b.start()
    return Keys(a.finish(hb[len(PROTOCOL):]), ha, hb)


KEYS = keys()


@pytest.fixture(autouse=True)
def nothing_stored(tmp_path, monkeypatch):
    """Whatever arrived, no partner was stored: the data folder is never even made."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    yield
    assert not (tmp_path / "data").exists()


@FUZZ
@given(st.binary(max_size=600))
def test_the_frame_and_message_decoders_take_any_bytes(data):
    for call in (lambda: pairing.frame_length(data[:2]), lambda: pairing.payload(data or b"x", HELLO),
                 lambda: pairing.payload(data or b"x", CONFIRM), lambda: pairing.decode_hello(data),
                 lambda: finish_spake(pairing._spake(CODE), data), lambda: KEYS.check_proof("joiner", data),
                 lambda: KEYS.open_identity("joiner", data), lambda: KEYS.open_done(data),
                 lambda: KEYS.open_kept(data), lambda: pairing.payload(data or b"x", pairing.KEPT)):
        try:
            call()
        except PairingError:
            pass


@FUZZ
@given(st.binary(min_size=33, max_size=33))
def test_a_spake2_message_of_the_right_size_but_random_gives_an_error_or_a_key_that_proves_nothing(message):
    spake = pairing._spake(CODE)
    spake.start()
    try:
        key = finish_spake(spake, b"S" + message[1:])
    except PairingError:
        return
    assert len(key) == 32


@FUZZ
@given(st.binary(max_size=400))
def test_the_peers_file_decoder_takes_any_bytes(data):
    try:
        decode_peers(data, "peers.json")
    except PartnerError as e:
        assert str(e).startswith("peers.json: ") and "\n" not in str(e)


def host_over(sock) -> dict:
    """host_exchange on `sock`, in a thread: its Peer or its error, in the dict it returns at once."""
    result = {}

    def run():
        try:
            result["peer"] = pairing.host_exchange(Wire(sock, time.monotonic() + 20), CODE, "Alex", HOST_KEY,
                                                   raw(HOST_KEY))
        except BaseException as e:  # noqa: B036 (the test looks at what it was)
            result["error"] = e

    result["thread"] = threading.Thread(target=run, daemon=True)
    result["thread"].start()
    return result


def read_frame(sock) -> bytes:
    header = sock.recv(2, socket.MSG_WAITALL)
    return sock.recv(int.from_bytes(header, "big"), socket.MSG_WAITALL)


def honest_joiner(sock, code: str = CODE) -> bytes:
    """What a real joiner sends in answer to the host's hello on `sock`: every frame, as one stream."""
    spake = pairing._spake(code)
    hello = PROTOCOL + spake.start()
    theirs = read_frame(sock)[1:]
    keys = Keys(spake.finish(theirs[len(PROTOCOL):]), theirs, hello)
    return (frame(HELLO, hello) + frame(CONFIRM, keys.proof("joiner")) +
            frame(IDENTITY, keys.seal_identity("joiner", "Sam", JOINER_KEY)) + frame(DONE, keys.seal_done()))


def ended(result: dict):
    result["thread"].join(timeout=60)
    assert not result["thread"].is_alive()
    return result.get("peer"), result.get("error")


def test_the_honest_stream_pairs():  # the harness of the two tests below, shown to work
    host_end, joiner_end = socket.socketpair()
    with host_end, joiner_end:
        result = host_over(host_end)
        joiner_end.sendall(honest_joiner(joiner_end))
        peer, error = ended(result)
    assert error is None and (peer.name, peer.public_key) == ("Sam", raw(JOINER_KEY))


@FUZZ
@given(st.data())
def test_a_truncated_or_altered_joiner_never_pairs_and_never_crashes_the_host(data):
    host_end, joiner_end = socket.socketpair()
    with host_end, joiner_end:
        result = host_over(host_end)
        stream = bytearray(honest_joiner(joiner_end))
        if data.draw(st.booleans(), "truncate"):
            stream = stream[:data.draw(st.integers(0, len(stream) - 1), "at")]
        else:
            at = data.draw(st.integers(0, len(stream) - 1), "at")
            stream[at] ^= data.draw(st.integers(1, 255), "flip")
        joiner_end.sendall(bytes(stream))
        joiner_end.shutdown(socket.SHUT_WR)
        peer, error = ended(result)
    assert peer is None and isinstance(error, PairingError), error


@FUZZ
@given(st.binary(max_size=700))
def test_random_bytes_from_a_joiner_never_pair_and_never_crash_the_host(stream):
    host_end, joiner_end = socket.socketpair()
    with host_end, joiner_end:
        result = host_over(host_end)
        joiner_end.sendall(stream)
        joiner_end.shutdown(socket.SHUT_WR)
        peer, error = ended(result)
    assert peer is None and isinstance(error, PairingError), error


@FUZZ
@given(st.binary(max_size=700), st.booleans())
def test_random_bytes_from_a_host_never_pair_and_never_crash_the_joiner(stream, real_hello):
    host_end, joiner_end = socket.socketpair()
    with host_end, joiner_end:
        if real_hello:  # a real hello first, so the rest reaches the later decoders
            stream = frame(HELLO, PROTOCOL + pairing._spake(CODE).start()) + stream
        host_end.sendall(stream)
        host_end.shutdown(socket.SHUT_WR)
        with pytest.raises(PairingError):
            pairing.join_exchange(Wire(joiner_end, time.monotonic() + 20), CODE, "Sam", JOINER_KEY, raw(JOINER_KEY))


def test_a_wrong_code_is_a_wrong_code_on_both_sides_and_the_code_never_crosses():
    host_end, joiner_end = socket.socketpair()
    with host_end, joiner_end:
        result = host_over(host_end)
        stream = honest_joiner(joiner_end, code="204614")
        joiner_end.sendall(stream)
        peer, error = ended(result)
        refused = read_frame(joiner_end)
    assert peer is None and type(error) is pairing.WrongCode
    assert refused == pairing.REFUSED
    assert CODE.encode() not in stream and b"204614" not in stream


def both_sides(keep, decide):
    """host_exchange and join_exchange over a socket pair, each in a thread: (host's result, joiner's result),
    each a Peer or the error it raised."""
    host_end, joiner_end = socket.socketpair()
    results = [None, None]

    def run(index, call):
        try:
            results[index] = call()
        except BaseException as e:  # noqa: B036 (the test looks at what it was)
            results[index] = e

    with host_end, joiner_end:
        threads = [threading.Thread(target=run, args=(0, lambda: pairing.host_exchange(
                       Wire(host_end, time.monotonic() + 20), CODE, "Alex", HOST_KEY, raw(HOST_KEY), keep))),
                   threading.Thread(target=run, args=(1, lambda: pairing.join_exchange(
                       Wire(joiner_end, time.monotonic() + 20), CODE, "Sam", JOINER_KEY, raw(JOINER_KEY), decide)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
            assert not thread.is_alive()
    return results


class Refuse(Exception):
    pass


def refuse(peer):
    raise Refuse(peer.name)


def test_the_host_stores_before_it_says_kept_and_the_joiner_keeps_only_what_the_host_kept():
    order = []
    host, joiner = both_sides(keep=lambda peer: order.append(("host keeps", peer.name)),
                              decide=lambda peer: order.append(("joiner will keep", peer.name)))
    assert (host.name, joiner.name) == ("Sam", "Alex")
    assert order == [("joiner will keep", "Alex"), ("host keeps", "Sam")]


def test_a_host_that_does_not_keep_the_pairing_leaves_the_joiner_keeping_nothing():
    host, joiner = both_sides(keep=refuse, decide=None)
    assert isinstance(host, Refuse)
    assert isinstance(joiner, PairingError) and str(joiner).startswith("The other device did not keep this pairing")


def test_a_joiner_that_will_not_keep_the_pairing_leaves_the_host_storing_nothing():
    stored = []
    host, joiner = both_sides(keep=stored.append, decide=refuse)
    assert isinstance(joiner, Refuse) and stored == []
    assert isinstance(host, PairingError) and str(host).startswith("The other device did not keep this pairing")
