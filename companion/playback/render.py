"""A sequence planned as a session says it, and written whole to an audio file (`companion render`, `show`).

Every format goes through soundfile (libsndfile): one writer, chosen by the file's extension.
numpy and soundfile are imported only here, when a render writes: never on a first word's path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
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
    """`out`'s format, from its extension (UnknownFormat if render has none by that name); a device or a
    pipe with none (`-o /dev/null`, `-o /dev/stdout`) takes WAV."""
    import os

    found = FORMATS.get(os.path.splitext(out)[1].lower())
    if found is None and is_stream(out):
        found = FORMATS[".wav"]
    if found is None:
        raise UnknownFormat(f"cannot write {out}: render writes .wav, .flac, .ogg (Vorbis), .opus or .mp3; "
                            "end the -o file's name with one of them")
    return found


def is_stream(out: Path) -> bool:
    """A device or a pipe, not a file: written into, never replaced, and no caption file beside it."""
    import os

    return os.path.exists(out) and not os.path.isfile(out) and not os.path.isdir(out)


def plan(sequence, clips, names: dict[str, str] | None = None):
    """`sequence`'s timeline, placeholders filled (`names`: the partners'), lengths from `clips`."""
    from ..spoken import Spoken
    from .player import Lengths
    from .timeline import plan as plan_steps

    # hint=True: the same timeline as `show` (lengths.plan), and never marks the first run's help hint said
    return plan_steps(Spoken(names=names, hint=True).steps(sequence.steps), Lengths(clips))


def render(timeline, clips, out: Path, tags: dict[str, str] | None = None) -> None:
    """Write `timeline` to `out` on the same timeline as play, in the format its extension names,
    with `tags` (title, album, ...). OSError if it cannot; then `out` is as it was."""
    from .cursor import Cursor
    from .player import audio_for

    cursor = Cursor(timeline.events, fetch=lambda index, event: audio_for(event, clips))
    cursor.planned.set()
    write(cursor, timeline.frames, out, tags or {})


def write(cursor, total_frames: int, out: Path, tags: dict[str, str], block: int = 8192) -> None:
    """The cursor's first `total_frames` to `out`, block by block (bounded memory).

    Written beside `out` and moved over it once whole: private (0600) from its first byte whatever
    the umask, and a render that fails or is stopped leaves `out` as it was, with nothing half-made
    beside it. A device or a pipe (not a regular file) is written into, never replaced."""
    import os
    import tempfile

    container, codec, rate = format_of(out)
    if is_stream(out):
        fd, temporary = os.open(out, os.O_WRONLY), None
    else:
        fd, temporary = tempfile.mkstemp(prefix=".tmp", dir=os.path.dirname(out) or ".")
    try:
        _encode(cursor, total_frames, fd, container, codec, rate, tags, block)
        if temporary:
            os.replace(temporary, out)
    except BaseException:  # Ctrl-C included
        if temporary:
            os.unlink(temporary)
        raise


def _encode(cursor, total_frames: int, fd: int, container: str, codec: str, rate: int | None, tags: dict[str, str],
            block: int) -> None:
    """libsndfile writes the cursor's frames to `fd` (and closes it); OSError if it cannot."""
    import os

    import numpy as np
    import soundfile

    from .pcm import RATE_HZ

    try:
        f = soundfile.SoundFile(fd, "w", samplerate=rate or RATE_HZ, channels=1, format=container, subtype=codec,
                                closefd=True)
    except Exception as e:  # a libsndfile built without this codec
        from ..debug import report

        report(e, f"opening libsndfile's {container} {codec} writer")
        os.close(fd)
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
        raise OSError(str(e)) from None
