"""This device's key and its list of partners: private files, kept whole, damaged ones said in one line."""

import os
import stat

import pytest

from companion.partner import identity
from companion.partner.identity import PartnerError, Peer


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    old = os.umask(0)  # the files are private whatever the umask
    yield tmp_path / "data" / "companion" / "partner"
    os.umask(old)


def test_the_key_is_made_once_private_and_kept(data):
    public = identity.own_public()
    assert len(public) == 32 and identity.own_public() == public
    assert stat.S_IMODE((data / "key").stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == stat.S_IMODE(data.parent.stat().st_mode) == 0o700
    assert [p.name for p in data.iterdir()] == ["key"]  # nothing left beside it


def test_a_key_made_by_another_process_meanwhile_is_kept_not_overwritten(data, monkeypatch):
    first = identity.own_public()
    key = (data / "key").read_bytes()
    monkeypatch.setattr(type(data / "key"), "exists", lambda self: False)  # as if it appeared after the check
    assert identity.own_public() == first and (data / "key").read_bytes() == key


@pytest.mark.parametrize("content", [b"", b"not a key", b"\x1b[2J" * 10, os.urandom(5000)])
def test_a_damaged_key_is_one_line(data, content):
    data.mkdir(parents=True)
    (data / "key").write_bytes(content)
    with pytest.raises(PartnerError) as caught:
        identity.own_key()
    said = str(caught.value)
    assert said.startswith(f"{data / 'key'}: ") and "pair again" in said and "\n" not in said and "\x1b" not in said


def test_a_key_of_another_kind_is_refused(data):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    data.mkdir(parents=True)
    (data / "key").write_bytes(X25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(PartnerError, match="is not an Ed25519 key"):
        identity.own_key()


def test_peers_are_added_replaced_by_name_and_forgotten(data):
    assert identity.peers() == []
    sam = Peer("Sam", bytes(range(32)), None, "2026-12-07T10:00:00+00:00")
    identity.add_peer(sam)
    identity.add_peer(Peer("Robin", bytes(32), "192.168.1.20:4000", "2026-12-07T10:05:00+00:00"))
    new_sam = Peer("SAM", bytes(range(1, 33)), None, "2026-12-07T11:00:00+00:00")
    identity.add_peer(new_sam)
    assert identity.peers() == [Peer("Robin", bytes(32), "192.168.1.20:4000", "2026-12-07T10:05:00+00:00"), new_sam]
    assert identity.forget(" sam ") and not identity.forget("Sam")
    assert [p.name for p in identity.peers()] == ["Robin"]
    assert stat.S_IMODE((data / "peers.json").stat().st_mode) == 0o600
    assert sorted(p.name for p in data.iterdir()) == ["peers.json"]


def test_a_peer_that_could_not_be_read_back_is_never_written(data):
    with pytest.raises(PartnerError):
        identity.add_peer(Peer("Sam\x1b", bytes(32), None, "2026-12-07T10:00:00+00:00"))
    assert not (data / "peers.json").exists()


def test_the_host_names_its_addresses_off_loopback_without_sending_anything():
    from companion.partner.pairing import own_addresses

    listed = own_addresses(None)
    assert all(not a.startswith("127.") and a.count(".") == 3 for a in listed)
    assert own_addresses("127.0.0.1") == ["127.0.0.1"]


def test_asking_for_the_partners_of_a_device_that_never_paired_writes_nothing(data):
    assert identity.peers() == [] and identity.find("Sam") is None
    assert not data.parent.exists()


@pytest.mark.parametrize("address, good", [("192.168.1.20:4000", True), ("192.168.1.20:65535", True), (None, True),
                                           ("192.168.1.20:0", False), ("192.168.1.20:70000", False),
                                           ("192.168.1.20: 80", False), ("192.168.1.20", False)])
def test_a_peers_address_has_a_port_from_1_to_65535(address, good):
    import json

    entry = {"name": "Sam", "public_key": "0" * 64, "address": address, "paired_at": "2026-12-07T10:00:00"}
    data = json.dumps({"version": 1, "peers": [entry]}).encode()
    if good:
        assert identity.decode_peers(data, "peers.json")[0].address == address
    else:
        with pytest.raises(PartnerError, match=r"^peers\.json: peers\.0\.address: .*move it away and pair again$"):
            identity.decode_peers(data, "peers.json")


def test_a_peers_file_naming_this_devices_own_key_is_refused(data):
    own = identity.own_public()
    (data / "peers.json").write_bytes(identity.encode_peers([Peer("Sam", own, None, "2026-12-07T10:00:00+00:00")]))
    with pytest.raises(PartnerError, match=r"peers\.json: names this device's own key as a partner's; .*pair again$"):
        identity.peers()


def test_a_key_that_is_a_link_to_an_endless_device_is_read_only_so_far(data):
    data.mkdir(parents=True)
    (data / "key").symlink_to("/dev/zero")  # its size says 0; reading it whole would never end
    with pytest.raises(PartnerError, match=r"is not a key companion made \(too big\)"):
        identity.own_key()
