"""A backup a day beside the journal, the last BACKUPS_KEPT kept; forgotten sessions taken out of them too."""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import date
from pathlib import Path

from ..paths import private_dir
from .connection import create_private, transaction

BACKUPS_KEPT = 7  # days


def back_up(journal, today: date | None = None) -> Path | None:
    """Today's copy of the journal (SQLite's backup API, a consistent snapshot) in backups/ beside it,
    once a day, keeping the last BACKUPS_KEPT. A backup that cannot be made never stops a session: None."""
    folder = journal.path.parent / "backups"
    target = folder / f"journal-{(today or date.today()).isoformat()}.sqlite3"
    if journal.db is None or not journal.write or os.path.exists(target):
        return None
    temporary = folder / f".{target.name}.{os.getpid()}.tmp"
    try:
        private_dir(folder)
        create_private(temporary)
        copy = sqlite3.connect(temporary)
        try:
            journal.db.backup(copy)
        finally:
            copy.close()
        os.replace(temporary, target)  # whole or not at all, even if two sessions begin at once
    except (OSError, sqlite3.Error):
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return None
    _prune(folder)
    return target


def latest_backup(path: Path) -> Path | None:
    """The newest daily backup of the journal at `path`, if any."""
    try:
        found = sorted((Path(path).parent / "backups").glob("journal-????-??-??.sqlite3"))
    except OSError:
        return None
    return found[-1] if found else None


def _prune(folder: Path) -> None:
    """Keep the newest BACKUPS_KEPT backups; sweep what a killed backup left an hour ago or more."""
    old = sorted(folder.glob("journal-????-??-??.sqlite3"))[:-BACKUPS_KEPT]
    stale = [p for p in folder.glob(".journal-*") if _age_s(p) > 3600]
    for path in old + stale:
        try:
            os.unlink(path)
        except OSError:
            pass


def _age_s(path: Path) -> float:
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return 0.0


def forget_in_backups(path: Path, gone: list[tuple], everything: bool = False) -> tuple[int, int]:
    """Take forgotten sessions out of every daily backup of the journal at `path` (by uid, or by id and
    start for a backup older than uids), compacting each; a backup that cannot be rewritten, and every
    backup when `everything` is forgotten, is deleted. Returns (rewritten, deleted)."""
    rewritten = deleted = 0
    try:
        backups = sorted((Path(path).parent / "backups").glob("journal-????-??-??.sqlite3"))
    except OSError:
        return 0, 0
    for backup in backups:
        if not everything:
            try:
                if _forget_in(backup, gone):
                    rewritten += 1
                continue
            except sqlite3.Error:
                pass  # damaged or unreadable: deleted below rather than left holding them
        for leftover in (backup, Path(f"{backup}-wal"), Path(f"{backup}-shm"), Path(f"{backup}-journal")):
            try:
                os.unlink(leftover)
                deleted += leftover == backup
            except FileNotFoundError:
                pass
    return rewritten, deleted


def _forget_in(backup: Path, gone: list[tuple]) -> bool:
    db = sqlite3.connect(backup, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=DELETE").fetchone()  # no -wal left beside it
        has_uid = any(row[1] == "uid" for row in db.execute("PRAGMA table_info(sessions)"))
        with transaction(db):
            before = db.total_changes
            for session_id, uid, started_at in gone:
                if has_uid:
                    db.execute("DELETE FROM sessions WHERE uid = ?", (uid,))
                db.execute("DELETE FROM sessions WHERE id = ? AND started_at = ?", (session_id, started_at))
            changed = db.total_changes > before
        if changed:
            db.execute("VACUUM")
        return changed
    finally:
        db.close()


def forgotten(gone: int, rewritten: int, deleted: int) -> str:
    """What `forget` says it did: `gone` sessions, out of the journal and `rewritten` or `deleted` backups."""
    said = [f"Forgot {gone} session{'s' * (gone != 1)}, and compacted the journal (VACUUM) so nothing "
            "of them is left in its file"]
    if rewritten:
        said.append(f"rewrote {rewritten} backup{'s' * (rewritten != 1)} without them")
    if deleted:
        said.append(f"deleted {deleted} backup{'s' * (deleted != 1)}")
    return "; ".join(said) + "."
