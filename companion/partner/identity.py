"""Who this device is, and whom it is paired with: its own Ed25519 key, and the partners' public keys.

Both live in the data folder's partner/ (0700): `key`, the private key (PEM, 0600), made on first
use; `peers.json`, the partners (0600), read through a pydantic model so that a hand-edited or
damaged file is one line saying what is wrong, never a traceback. cryptography and pydantic are
imported only inside the functions that need them: a session that never pairs never loads them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .names import MAX_NAME, MAX_PEERS, PartnerError, check_name  # noqa: F401 (the interface others read here)

MAX_KEY_FILE = 4096  # an Ed25519 key in PEM is 119 bytes
MAX_PEERS_FILE = 64 * 1024  # far beyond MAX_PEERS entries: a bigger file is not one companion wrote
KEY_FILE = "key"
PEERS_FILE = "peers.json"




@dataclass(frozen=True)
class Peer:
    name: str            # the partner's name, as they gave it at pairing
    public_key: bytes    # raw 32-byte Ed25519 public key
    address: str | None  # last known "host:port", or None
    paired_at: str       # ISO date-time




def fingerprint(public_key: bytes) -> str:
    """Eight bytes of the key's SHA-256, in groups of four hex digits: to compare by eye."""
    import hashlib

    digest = hashlib.sha256(public_key).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


def folder():
    """partner/ in the data folder, made private (0700) if it is not."""
    from .. import paths

    try:
        return paths.private_dir(paths.data_dir() / "partner")
    except OSError as e:
        raise PartnerError(f"{paths.data_dir() / 'partner'}: cannot be made ({e.strerror or e}); "
                           "check that the data folder is yours and writable") from None


def own_key():
    """This device's Ed25519 private key: made on first use (0600), then read back."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = folder() / KEY_FILE
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        _create(path, pem)
    try:
        with open(path, "rb") as f:
            pem = f.read(MAX_KEY_FILE + 1)  # bounded whatever the file is (a device, a link to one, a growing file)
        if len(pem) > MAX_KEY_FILE:
            raise ValueError("too big")
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, OSError) as e:
        raise PartnerError(f"{path}: is not a key companion made ({_why(e)}); move it away and pair again "
                           "(your partners will need to pair with this device again)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise PartnerError(f"{path}: is not an Ed25519 key; move it away and pair again")
    from .. import paths

    paths.tighten(path, path.stat().st_mode & 0o777)
    return key


def own_public() -> bytes:
    """This device's public key: raw 32 bytes."""
    from cryptography.hazmat.primitives import serialization

    return own_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def peers() -> list[Peer]:
    """The partners this device is paired with (none if it never paired); PartnerError if the file is bad.
    Reads only: it makes no folder (a session asks this of a device that may never pair)."""
    from .. import paths

    path = paths.data_dir() / "partner" / PEERS_FILE
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_PEERS_FILE + 1)
    except FileNotFoundError:
        return []
    except OSError as e:
        raise PartnerError(f"{path}: cannot be read ({e.strerror or e}); check that it is yours") from None
    known = decode_peers(data, str(path))
    if known and (path.parent / KEY_FILE).exists():
        own = own_public()
        if any(p.public_key == own for p in known):  # a device is never its own partner
            raise PartnerError(f"{path}: names this device's own key as a partner's; fix it, or move it away "
                               "and pair again")
    return known


def add_peer(peer: Peer) -> None:
    """Keep `peer`, in place of one with the same name (compared without case)."""
    kept = [p for p in peers() if p.name.casefold() != peer.name.casefold()]
    if len(kept) >= MAX_PEERS:
        raise PartnerError(f"already paired with {MAX_PEERS} devices; `companion pair --forget NAME` one first")
    _write(kept + [peer])


def forget(name: str) -> bool:
    """Forget the partner called `name` (without case); False if there is none."""
    known = peers()
    kept = [p for p in known if p.name.casefold() != (name or "").strip().casefold()]
    if len(kept) == len(known):
        return False
    _write(kept)
    return True


def find(name: str) -> Peer | None:
    for peer in peers():
        if peer.name.casefold() == name.strip().casefold():
            return peer
    return None


def decode_peers(data: bytes, where: str) -> list[Peer]:
    """peers.json's bytes as Peers; PartnerError (one line naming `where`) for anything companion did not write."""
    import json

    from ..textsafe import clip, visible

    fix = "fix it, or move it away and pair again"
    if len(data) > MAX_PEERS_FILE:
        raise PartnerError(f"{where}: is bigger than {MAX_PEERS_FILE // 1024} KiB, not a list companion wrote; {fix}")
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise PartnerError(f"{where}: is not JSON ({visible(clip(str(e)))}); {fix}") from None
    from pydantic import ValidationError

    from .peers_model import PeersFile

    try:
        model = PeersFile.model_validate(raw)
    except ValidationError as e:
        from ..checked import first_problem

        place, said = first_problem(e, "the file")
        raise PartnerError(f"{where}: {visible(clip(place))}: {visible(clip(said))}; {fix}") from None
    names = [p.name.casefold() for p in model.peers]
    if len(set(names)) != len(names):
        raise PartnerError(f"{where}: names the same partner twice; {fix}")
    return [Peer(p.name, bytes.fromhex(p.public_key), p.address, p.paired_at) for p in model.peers]


def encode_peers(known: list[Peer]) -> bytes:
    import json

    entries = [{"name": p.name, "public_key": p.public_key.hex(), "address": p.address, "paired_at": p.paired_at}
               for p in known]
    return (json.dumps({"version": 1, "peers": entries}, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _write(known: list[Peer]) -> None:
    from .. import paths

    data = encode_peers(known)
    decode_peers(data, PEERS_FILE)  # never write what could not be read back
    with paths.replacing(folder() / PEERS_FILE) as f:
        f.write(data)


def _create(path, data: bytes) -> None:
    """Write a new private file at `path` whole, unless another process made it first (then theirs is kept)."""
    from .. import paths

    temporary = path.with_name(f".new-{path.name}-{os.getpid()}")
    with paths.replacing(temporary) as f:
        f.write(data)
    try:
        os.link(temporary, path)  # atomic, and never over a key that exists: pairings made with it stay good
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    paths.sync_folder(str(path.parent))  # the link on the disk: a crash now leaves the key, not an empty name


def _why(error: Exception) -> str:
    from ..textsafe import clip, visible

    return visible(clip(str(error) or type(error).__name__))
