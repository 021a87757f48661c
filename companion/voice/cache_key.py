"""A clip's cache identity: the one function the clip store (clips.py) and the start-up path's index
(first_line/index.py) both call, so a clip found before anything else loads is the store's own.

The key is the SHA-256 of repr([*identity, text]): `identity` is everything but the text that changes how
the clip sounds (clips.ClipStore.identity; own_engine for a Piper voice, which first_line/index.py also
calls for an empty home's guide). The index keeps `prefix(identity)` as a string, so the start-up
path hashes a line's text without importing the engine, the config or the voice modules.
"""

from __future__ import annotations

try:  # the interpreter's own SHA-256, the same digest: hashlib loads OpenSSL first, 4.6-9.6 ms here against
    from _sha256 import sha256  # 0.9 ms (-X importtime, 2026-12-07), before the pause's and play's first word
except ImportError:  # Python 3.12+ names it _sha2; hashlib everywhere else
    try:
        from _sha2 import sha256
    except ImportError:
        from hashlib import sha256


FORMAT = 5  # bump when rendering, trimming or the key changes (5: engines per role, one loudness)


def own_engine(voice_identity: str, rate_wpm: int) -> list:
    """The identity of a voice whose engine is its own (Piper's: `voice_identity` names engine and voice)."""
    return [FORMAT, voice_identity, rate_wpm]


def prefix(identity: list) -> str:
    """repr of `identity` without its closing bracket: what the key adds the text to."""
    return repr(identity)[:-1]


def key(identity_prefix: str, text: str) -> str:
    """The cache key of `text` spoken with the identity whose `prefix` is `identity_prefix`."""
    return sha256(f"{identity_prefix}, {text!r}]".encode()).hexdigest()  # repr: no json import on the hot path
