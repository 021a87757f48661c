"""Carry a recorded voice: export it as a .zip, import one from another person.

An archive is flat: `lines.json` (recorded.py's index) and one `<key>.wav` per line. Import trusts
nothing in it. Every member is checked before anything is written (its name, type, declared and
actual size, compression ratio, and each WAV's format by its header); then the files are written
privately into a temporary folder beside the voice's and renamed into place once whole. So a bad
archive leaves the data folder exactly as it was, and a good one never shows half a voice.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from . import recorded
from ..playback import pcm
from ..paths import replacing

MAX_MEMBERS = 5_000
MAX_MEMBER_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_RATIO = 50  # speech in WAV deflates about 1.1-2x; a bomb's ratio is in the hundreds or more
RATIO_FROM_BYTES = 64 * 1024  # below this a high ratio cannot hurt (a small lines.json deflates well)
MAX_TEXT_CHARS = 2_000
FIX = "export the voice again with `companion voice export`"


def _printable(text: str) -> str:
    if not text.isprintable() or not text.strip():
        raise ValueError("a line's text must be words on one line, without control characters")
    return text


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_printable)]
    file: Annotated[str, Field(max_length=40)]


class VoiceIndex(BaseModel):
    """lines.json from another person's archive: recorded.py's index, nothing else."""

    model_config = ConfigDict(extra="forbid", strict=True)

    format: Literal[1]
    voice: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]
    lines: dict[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$")], Line] = Field(max_length=MAX_MEMBERS)


class CarryError(ValueError):
    """One line: what is wrong, where, how to fix it."""


def export(name: str, target: Path, force: bool = False) -> int:
    """Write voice `name` to the zip `target` (0600, written beside and renamed); the lines written."""
    name = recorded.valid_name(name)
    folder = recorded.voice_dir(name)
    if not (folder / recorded.LINES_FILE).is_file():
        raise CarryError(f"there is no recorded voice {name!r}; `companion voices` lists them")
    lines = {k: v for k, v in recorded.read_lines(folder).items() if (folder / v["file"]).is_file()}
    if os.path.isdir(target):
        raise CarryError(f"{target}: a folder; give a file name such as {name}.zip")
    if os.path.lexists(target) and not force:
        raise CarryError(f"{target} exists; add --force to replace it, or choose another name")
    with replacing(target, ".zip") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        _member(z, recorded.LINES_FILE, recorded.index_text(name, lines).encode("utf-8"))
        for k in sorted(lines):
            _member(z, lines[k]["file"], (folder / lines[k]["file"]).read_bytes())
    return len(lines)


def _member(z: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | 0o600) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def import_(archive: Path, force: bool = False, as_name: str | None = None) -> tuple[str, int]:
    """Check the whole of `archive`, then write its voice: (the voice's name, its lines).

    CarryError (one line) if anything is wrong; then nothing is written. A voice of the same name
    is replaced only with `force` (replaced whole, never merged: a take left from before could be
    of a line the new index does not know)."""
    try:
        z = zipfile.ZipFile(archive)
    except FileNotFoundError:
        raise CarryError(f"{archive}: no such file") from None
    except IsADirectoryError:
        raise CarryError(f"{archive}: a folder, not a .zip file") from None
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise CarryError(f"{archive}: not a readable .zip file ({e}); {FIX}") from None
    with z:
        members = _checked_members(z, archive)
        index, takes = _read(z, archive, members)
        lines = _checked_index(index, archive, takes)
        name = recorded.valid_name(as_name or index["voice"])
        target = recorded.voice_dir(name)
        if os.path.lexists(target) and not force:
            raise CarryError(f"a voice named {name!r} already exists; add --force to replace it, or --as NAME to "
                             "import it under another name")
        _write(target, name, lines, lambda k: _samples(z, members[f"{k}.wav"], archive))
    return name, len(lines)


def _checked_members(z: zipfile.ZipFile, archive) -> dict[str, zipfile.ZipInfo]:
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise CarryError(f"{archive}: {len(infos)} members, more than {MAX_MEMBERS}; {FIX}")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.filename
        where = f"{archive}: member {name[:80]!r}"
        if "\\" in name:
            raise CarryError(f"{where}: a backslash in its name; {FIX}")
        if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            raise CarryError(f"{where}: an absolute path; {FIX}")
        if ".." in name.split("/"):
            raise CarryError(f"{where}: a path outside the voice's folder; {FIX}")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise CarryError(f"{where}: a link; a voice holds only files; {FIX}")
        if info.is_dir() or "/" in name:
            raise CarryError(f"{where}: a folder; a voice's archive is flat (lines.json and <key>.wav); {FIX}")
        if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            raise CarryError(f"{where}: not a plain file; {FIX}")
        if name != recorded.LINES_FILE and not (name.endswith(".wav") and recorded.KEY.fullmatch(name[:-4])):
            raise CarryError(f"{where}: not a voice's file (only lines.json and <key>.wav); {FIX}")
        if name in members:
            raise CarryError(f"{where}: twice in the archive; {FIX}")
        if info.flag_bits & 0x1:
            raise CarryError(f"{where}: encrypted; {FIX}")
        if info.file_size > MAX_MEMBER_BYTES:
            raise CarryError(f"{where}: {info.file_size:,} bytes, more than {MAX_MEMBER_BYTES:,}; {FIX}")
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise CarryError(f"{where}: compressed {info.file_size // max(info.compress_size, 1):,} to 1, more than "
                             f"speech ever is (a zip bomb?); {FIX}")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise CarryError(f"{archive}: more than {MAX_TOTAL_BYTES:,} bytes in all; {FIX}")
        members[name] = info
    if recorded.LINES_FILE not in members:
        raise CarryError(f"{archive}: no lines.json in it, so not a voice; {FIX}")
    return members


def _read(z: zipfile.ZipFile, archive, members: dict[str, zipfile.ZipInfo]) -> tuple[dict, set[str]]:
    """lines.json's data, and the keys of the takes, each checked (22,050 Hz mono 16-bit PCM WAV) and let go:
    one member in memory at a time."""
    takes: set[str] = set()
    index = None
    for name, info in members.items():
        if name == recorded.LINES_FILE:
            try:
                index = json.loads(_bytes(z, info, archive).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
                raise CarryError(f"{archive}: member {name!r}: not JSON ({type(e).__name__}); {FIX}") from None
        else:
            _samples(z, info, archive)
            takes.add(name[:-4])
    return index, takes


def _samples(z: zipfile.ZipFile, info: zipfile.ZipInfo, archive) -> bytes:
    """The samples of a take, checked: a whole 22,050 Hz mono 16-bit PCM WAV. CarryError if not."""
    where = f"{archive}: member {info.filename!r}"
    try:
        samples = pcm.read_wav(io.BytesIO(_bytes(z, info, archive)), where)
    except pcm.WavFormatError as e:
        raise CarryError(f"{e}; {FIX}") from None
    if not samples:
        raise CarryError(f"{where}: a WAV without samples; {FIX}")
    return samples


def _bytes(z: zipfile.ZipFile, info: zipfile.ZipInfo, archive) -> bytes:
    """The member's bytes, read no further than its declared size allows (its real size may lie)."""
    try:
        with z.open(info) as f:
            data = f.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as e:
        raise CarryError(f"{archive}: member {info.filename!r} cannot be read ({e}); {FIX}") from None
    if len(data) > MAX_MEMBER_BYTES or len(data) != info.file_size:
        raise CarryError(f"{archive}: member {info.filename!r} holds more bytes than it declares; {FIX}")
    return data


def _checked_index(index, archive, takes: set[str]) -> dict:
    """lines.json's lines, checked against the model and the takes; CarryError (one line) if not."""
    from pydantic import ValidationError

    where = f"{archive}: lines.json"
    try:
        model = VoiceIndex.model_validate(index)
    except ValidationError as e:
        from ..checked import first_problem

        place, said = first_problem(e, "its top")
        raise CarryError(f"{where}: {place}: {said}; {FIX}") from None
    lines = {}
    for k, line in model.lines.items():
        if line.file != f"{k}.wav":
            raise CarryError(f"{where}: line {k} points at {line.file[:80]!r}, not {k}.wav; {FIX}")
        if recorded.key(line.text) != k:
            raise CarryError(f"{where}: line {k} is not the key of its text; {FIX}")
        if k not in takes:
            raise CarryError(f"{where}: line {k} has no {k}.wav in the archive; {FIX}")
        lines[k] = {"text": " ".join(line.text.split()), "file": line.file}
    extra = sorted(set(takes) - set(lines))
    if extra:
        raise CarryError(f"{archive}: member '{extra[0]}.wav' is not a line of lines.json; {FIX}")
    return lines


def _write(target: Path, name: str, lines: dict, samples) -> None:
    """Write the voice into a private folder beside `target`, then rename it into place. `samples(key)`:
    a take's samples, read and checked again (one in memory at a time)."""
    from companion.paths import private_dir

    parent = private_dir(target.parent)
    temporary = Path(tempfile.mkdtemp(prefix=".import-", dir=parent))  # mkdtemp: 0700
    old = None
    try:
        for k in lines:
            with _private_file(temporary / f"{k}.wav") as f:
                pcm.write_wav(f, samples(k))
        with _private_file(temporary / recorded.LINES_FILE) as f:
            f.write(recorded.index_text(name, lines).encode("utf-8"))
        if os.path.lexists(target):
            old = Path(tempfile.mkdtemp(prefix=".replaced-", dir=parent))
            os.replace(target, old / "voice")
        os.replace(temporary, target)
    except BaseException:
        if old is not None and not os.path.lexists(target):
            os.replace(old / "voice", target)  # put the voice it replaced back
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _private_file(path: Path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    return os.fdopen(fd, "wb")
