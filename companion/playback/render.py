"""A sequence planned as a session says it, and written whole to an audio file (`companion render`, `show`).

Every format goes through soundfile (libsndfile): one writer, chosen by the file's extension.
numpy and soundfile are imported only here, when a render writes: never on a first word's path.
"""

from __future__ import annotations

if False:  # annotations only
    from pathlib import Path

# extension: libsndfile's container, its codec, and the rate it must be written at (None: the timeline's)
FORMATS = {
    ".wav": ("WAV", "PCM_16", None),
    ".flac": ("FLAC", "PCM_16", None),
    ".ogg": ("OGG", "VORBIS", None),
    ".opus": ("OGG", "OPUS", 48_000),  # Opus takes 8, 12, 16, 24 or 48 kHz only
    ".mp3": ("MP3", "MPEG_LAYER_III", None),
}


class UnknownFormat(ValueError):
    """The file's extension names no format render writes; the message says which it does."""


def format_of(out: Path) -> tuple[str, str, int | None]:
    """`out`'s format, from its extension (UnknownFormat if render has none by that name)."""
    import os

    found = FORMATS.get(os.path.splitext(out)[1].lower())
    if found is None:
        raise UnknownFormat(f"cannot write {out}: render writes .wav, .flac, .ogg (Vorbis), .opus or .mp3; "
                            "end the -o file's name with one of them")
    return found


def plan(sequence, clips, names: dict[str, str] | None = None):
    """`sequence`'s timeline, placeholders filled (`names`: the partners'), lengths from `clips`."""
    from ..spoken import Spoken
    from .player import Lengths
    from .timeline import plan as plan_steps

    return plan_steps(Spoken(names=names).steps(sequence.steps), Lengths(clips))


def render(timeline, clips, out: Path, tags: dict[str, str] | None = None) -> None:
    """Write `timeline` to `out` on the same timeline as play, in the format its extension names,
    with `tags` (title, album, ...). OSError if it cannot; a half-written file is removed."""
    from .cursor import Cursor
    from .player import audio_for

    cursor = Cursor(timeline.events, fetch=lambda index, event: audio_for(event, clips))
    cursor.planned.set()
    write(cursor, timeline.frames, out, tags or {})


def write(cursor, total_frames: int, out: Path, tags: dict[str, str], block: int = 8192) -> None:
    """The cursor's first `total_frames` to `out`, block by block (bounded memory).

    The file is opened here, not by libsndfile: a new one is private (0600) whatever the umask,
    and a path that cannot be opened fails before any encoder is made."""
    import os

    import numpy as np
    import soundfile

    from .pcm import RATE_HZ

    container, codec, rate = format_of(out)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        f = soundfile.SoundFile(fd, "w", samplerate=rate or RATE_HZ, channels=1, format=container, subtype=codec,
                                closefd=True)
    except Exception as e:  # libsndfile without this codec
        os.close(fd)
        _remove(out)
        raise OSError(f"libsndfile cannot write {container} {codec} ({e})") from None
    try:
        with f:
            for key, value in tags.items():  # before the first frame: Ogg and MP3 write them in their header
                setattr(f, key, value)
            resampler = None
            if rate:
                from .resample import Resampler

                resampler = Resampler(RATE_HZ, rate)
            while cursor.position < total_frames:
                samples = np.frombuffer(cursor.read(min(block, total_frames - cursor.position)), "<i2")
                f.write(resampler.feed(samples) if resampler else samples)
            if resampler:
                f.write(resampler.flush())
    except soundfile.SoundFileError as e:  # a full disk, as libsndfile says it
        _remove(out)
        raise OSError(str(e)) from None
    except BaseException:  # Ctrl-C included: no half-made file left behind
        _remove(out)
        raise


def _remove(out: Path) -> None:
    import os

    if os.path.isfile(out):  # never a device such as /dev/null
        os.unlink(out)
