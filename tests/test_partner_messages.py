"""The partner link's messages (partner/messages.py): bounded models, and a decoder that only ever says None to bad input."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from companion.partner.messages import (MAX_PLAINTEXT, Ack, Extend, Ping, Pong, Promise, Ready, decode, encode,
                                        new_id)

ID, OTHER = "0123456789abcdef", "fedcba9876543210"
EXAMPLES = [
    Promise(id=ID, name="Sam", return_at=1_765_001_200.5, minutes=20),
    Extend(id=OTHER, promise=ID, return_at=1_765_001_800.0),
    Ready(id=OTHER, promise=ID, at=1_765_001_000.25),
    Ack(id=ID),
    Ping(t0=12_345.678),
    Pong(t0=12_345.678, t1=1_765_000_000.001, t2=1_765_000_000.002),
]


@pytest.mark.parametrize("msg", EXAMPLES, ids=lambda m: m.kind)
def test_every_kind_goes_and_comes_back_whole(msg):
    data = encode(msg)
    assert len(data) < MAX_PLAINTEXT
    assert decode(data) == msg


def test_ids_are_fresh_and_of_the_accepted_shape():
    a, b = new_id(), new_id()
    assert a != b
    assert decode(encode(Ack(id=a))) == Ack(id=a)


def promise(**change) -> bytes:
    fields = {"kind": "promise", "id": ID, "name": "Sam", "return_at": 1_765_001_200.0, "minutes": 20}
    fields.update(change)
    return json.dumps({k: v for k, v in fields.items() if v is not None}).encode()


BAD = {
    "not json": b"promise at nine",
    "not utf-8": b"\xff\xfe{}",
    "a list": b"[1, 2]",
    "empty": b"",
    "unknown kind": promise(kind="hug"),
    "no kind": promise(kind=None),
    "extra field": promise(colour="red"),
    "missing field": promise(minutes=None),
    "id of another shape": promise(id="../../etc/passwd"),
    "name too long": promise(name="S" * 41),
    "name longer than a paired name may be": promise(name="S" * 31),
    "name with braces": promise(name="{A}"),
    "name with a control character": promise(name="Sam\x1b[2J"),
    "name of spaces": promise(name="   "),
    "minutes too many": promise(minutes=181),
    "minutes too few": promise(minutes=0.5),
    "minutes as a string": promise(minutes="20"),
    "minutes as true": promise(minutes=True),
    "a time before 1970": promise(return_at=-1.0),
    "a time past the year 2242": promise(return_at=1e12),
    "not a number": b'{"kind": "ping", "t0": NaN}',
    "infinity": b'{"kind": "ping", "t0": 1e999}',
    "too long": b'{"kind": "ping", "t0": 1' + b"0" * MAX_PLAINTEXT + b"}",
    "nested deep": b"[" * 600 + b"]" * 600,
}


@pytest.mark.parametrize("data", BAD.values(), ids=BAD.keys())
def test_anything_else_is_none(data):
    assert decode(data) is None


def test_a_dropped_message_is_one_debug_line_without_its_control_characters(monkeypatch, capsys):
    monkeypatch.setenv("COMPANION_DEBUG", "1")
    assert decode(promise(kind="\x1b]0;pwned\x07", **{"\x1b[2J": 1})) is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("companion: debug: partner: ")
    assert not any(ord(c) < 32 and c != "\n" for c in err)


def test_without_debug_a_dropped_message_prints_nothing(monkeypatch, capsys):
    monkeypatch.delenv("COMPANION_DEBUG", raising=False)
    assert decode(b"nonsense") is None
    assert capsys.readouterr() == ("", "")


def _whole_or_none(data: bytes) -> None:
    """Fuzzed input: None, or a message that is exactly what it re-encodes to (never a traceback)."""
    got = decode(data)
    assert got is None or decode(encode(got)) == got


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=2 * MAX_PLAINTEXT))
def test_random_bytes_never_raise(data):
    _whole_or_none(data)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(EXAMPLES), st.data())
def test_truncated_messages_are_none(msg, data):
    whole = encode(msg)
    cut = data.draw(st.integers(min_value=0, max_value=len(whole) - 1))
    assert decode(whole[:cut]) is None


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(EXAMPLES), st.data())
def test_mutated_messages_are_none_or_whole(msg, data):
    whole = bytearray(encode(msg))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        at = data.draw(st.integers(min_value=0, max_value=len(whole) - 1))
        whole[at] = data.draw(st.integers(min_value=0, max_value=255))
    _whole_or_none(bytes(whole))


json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=50),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                        max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["promise", "extend", "ready", "ack", "ping", "pong", "hug"]),
       st.dictionaries(st.sampled_from(["id", "name", "return_at", "minutes", "promise", "at", "t0", "t1", "t2",
                                        "x"]), json_values, max_size=6))
def test_json_of_the_right_shape_with_wrong_values_never_raises(kind, fields):
    _whole_or_none(json.dumps({"kind": kind, **fields}).encode())


def test_a_name_is_taken_as_pairing_takes_it():
    from companion.partner.identity import MAX_NAME, check_name

    for name in ("S" * MAX_NAME, "Sam Öztürk", " Sam "):
        assert decode(promise(name=name)).name == check_name(name)
