"""One session's journal row, whatever the kind of session (play, daily, pause, together).

A `Record` is made before anything plays, with the columns known then (see
journal.EXTRA_COLUMNS). `begin` starts the row once, after the first sound
(never before it: opening the journal must not delay the first word), and
writes every column known so far; from then on `set` writes a column at once,
so a session killed outright (SIGKILL) still keeps its side, its stage, its
floods. `finish` records how it ended. A guided pause passes one Record
through all its phases; a key's detours (`moment`) are named before the stage
(`followed > break`, `boat > done`), in the row as soon as the stage is.

Journal writes run with Ctrl-C held (a second press must not orphan a row or
leave it `running`). A journal that cannot keep the session is said once and
the session plays on; `unrecorded` says why (the exit code is then 1).
"""

from __future__ import annotations

from collections.abc import Callable

from .. import interrupt
from ..debug import report


class Record:
    def __init__(self, open_journal: Callable[[], object] | None, sequence: str, title: str, mode: str, *,
                 warn: Callable[[str], None] = print, **columns):
        """`open_journal()`: the journal (or None: nothing is recorded), called once, by `begin`."""
        self._open = open_journal
        self.sequence, self.title, self.mode, self.warn = sequence, title, mode, warn
        self.columns: dict = dict(columns)
        self.moments: list[str] = []  # where keys went on the way (boat, followed, ...), in order
        self.journal = None
        self.session_id: int | None = None
        self.unrecorded = ""  # why the journal could not keep it all, if it could not
        self._begun = False
        self._said_write = False

    def __getitem__(self, column: str):
        return self.columns.get(column)

    @property
    def begun(self) -> bool:
        return self._begun

    def set(self, **columns) -> None:
        """Columns known now; written at once if the row has begun, else when it begins."""
        self.columns.update(columns)
        if self.session_id is not None and columns:
            if "stage" in columns:  # with the detours before it, as at the end
                columns = dict(columns, stage=self.stage())
            try:
                with interrupt.held():
                    self.journal.add(self.session_id, **columns)
            except Exception as e:  # said once; the row keeps what it had
                report(e)
                self.unrecorded = str(e)
                if not self._said_write:
                    self._said_write = True
                    self.warn(f"companion: the journal could not be written ({e}).")

    def moment(self, name: str) -> None:
        """A detour on the way (a key went to `name`): named before the stage it ends at."""
        self.moments.append(name)

    def begin(self, output: str) -> None:
        """Start the row (once), with every column known so far. Call it after the first sound."""
        if self._begun:
            return
        self._begun = True
        with interrupt.held():  # Ctrl-C between the row's start and its id would orphan the row
            try:
                self.journal = self._open() if self._open is not None else None
                if self.journal is None:
                    return
                self.session_id = self.journal.start(self.sequence, self.title, self.mode, output)
                known = {k: v for k, v in dict(self.columns, stage=self.stage()).items() if v is not None}
                if known:  # now, not only at the end: a session killed outright keeps them too
                    self.journal.add(self.session_id, **known)
            except Exception as e:  # e.said: open_or_warn said why already; it still plays
                report(e)
                self.unrecorded = str(e)
                if not getattr(e, "said", False):
                    from ..journal.errors import UNRECORDED

                    self.warn(f"{UNRECORDED}{e}")
                if self.session_id is None:
                    self.journal = None

    def stage(self) -> str | None:
        """The stage as the journal keeps it: the detours, then where it ended."""
        stage = self.columns.get("stage")
        if not self.moments:
            return stage
        stages = [*self.moments, stage] if stage is not None else list(self.moments)
        return " > ".join(s for i, s in enumerate(stages) if i == 0 or s != stages[i - 1])

    def finish(self, reason: str, *, planned_s: float, played_s: float, position_s: float) -> None:
        """How the session ended (a row never begun stays unwritten)."""
        if self.journal is None or self.session_id is None:
            return
        columns = dict(self.columns)
        if "stage" in columns or self.moments:
            columns["stage"] = self.stage()
        try:
            with interrupt.held():
                self.journal.finish(self.session_id, reason=reason, planned_s=planned_s, played_s=played_s,
                                    position_s=position_s, **columns)
        except Exception as e:  # the row stays `unfinished` in the log
            report(e)
            self.unrecorded = str(e)
            self.warn(f"companion: the journal could not record how this session ended ({e}).")

    def close(self) -> None:
        """Close the journal this record opened (a pause's own; a command closes the one it shares)."""
        if self.journal is not None:
            try:
                self.journal.close()
            except Exception as e:
                report(e)
