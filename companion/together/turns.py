"""The turn policy: how a couples therapist runs a turn, as a small state machine.

Pure: it reads an injected clock and the keys it is given, and answers with
actions; it plays nothing and draws nothing. The session asks it what to do.

Keys (either partner may press any of them):
  space, Enter  the speaker is done: the turn ends now.
  m             "is there more?": the speaker gets another stretch (EXTEND_S),
                at most MAX_EXTENSIONS times a turn. Usually the listener asks it.
  x, !          "I'm flooded", at any moment, in a turn or not: the sequence
                pauses. One key means "one of us is flooded"; the program then
                asks which of you (A or B) and offers that partner the break.

Times, in seconds:
  - A soft cue ("nearly time") comes CUE_LEAD_S before the limit, or a fifth of
    the stretch before it if that is less (12 s in a 60 s turn), once a stretch.
  - At the limit nothing is cut: the program cannot hear a sentence, so it never
    speaks over one. The turn is `wrapping` for GRACE_S (the screen says finish
    your sentence; space ends it, m still gives more), then it ends on its own
    with the soft bell that already follows every turn.
  - A `both` turn is a shared silent stretch, not two people talking: one key
    ends it for both, m does nothing (no one speaker to ask), the cue still comes,
    and at the limit it ends at once (no sentence to finish).
  - While flooded the turn's clock stands still; `resume()` goes on where it was.
    Presses while already flooded are not counted again: one flood, one count.
  - Once a turn has ended, keys and ticks do nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CUE_LEAD_S = 15.0
CUE_FRACTION = 0.2
EXTEND_S = 30.0
MAX_EXTENSIONS = 2
GRACE_S = 5.0
DONE_KEYS = (" ", "\n", "\r")
MORE_KEYS = ("m", "M")
FLOODED_KEYS = ("x", "X", "!")


@dataclass(frozen=True)
class Action:
    """What the session should do now.

    kind: cue (time is nearly up), wrap (the limit: finish your sentence),
    extend (another stretch; `limit` is the new one), end (`reason` key or
    time), flooded (pause everything; `count` presses so far, `who` unknown:
    the program asks). `at`: when it was due, on the injected clock.
    """

    kind: str
    at: float
    who: str = ""
    limit: float = 0.0
    reason: str = ""
    count: int = 0


def cue_lead(stretch_s: float) -> float:
    """How long before a stretch's end its soft cue comes."""
    return min(CUE_LEAD_S, CUE_FRACTION * stretch_s)


class Together:
    """One paired session: counts the floods, and holds the turn in progress (if any)."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.flooded = 0  # the journal's `flooded` column
        self.paused = False  # flooded, until resume()
        self.turn: Turn | None = None

    def begin_turn(self, who: str, limit_s: float, elapsed_s: float = 0.0) -> Turn:
        """A turn of `limit_s` seconds, begun `elapsed_s` ago (the sound reached it a moment before)."""
        if who not in ("A", "B", "both"):
            raise ValueError(f"a turn is A's, B's or both, not {who!r}")
        if not limit_s > 0:
            raise ValueError(f"a turn's limit must be more than 0 s, not {limit_s!r}")
        self.turn = Turn(self, who, float(limit_s), max(0.0, float(elapsed_s)))
        return self.turn

    def key(self, key: str) -> list[Action]:
        """The actions a key asks for now: [] if it means nothing here."""
        now = self.clock()
        if key in FLOODED_KEYS:
            if self.paused:
                return []
            due = self.turn._due(now) if self.turn is not None else []  # what the clock decided comes first
            self.paused = True
            self.flooded += 1
            if self.turn is not None:
                self.turn._freeze(now)
            return due + [Action("flooded", now, count=self.flooded)]
        if self.paused or self.turn is None:
            return []
        return self.turn._key(key, now)

    def tick(self) -> list[Action]:
        """The actions that have come due since the last tick, in order."""
        if self.paused or self.turn is None:
            return []
        return self.turn._due(self.clock())

    def resume(self) -> None:
        """The break is over (or declined): the sequence and its turn go on."""
        if self.paused:
            self.paused = False
            if self.turn is not None:
                self.turn._thaw(self.clock())


class Turn:
    """One turn: speaking, then wrapping (past the limit, A's or B's only), then ended."""

    def __init__(self, owner: Together, who: str, limit_s: float, elapsed_s: float = 0.0):
        self.owner, self.who = owner, who
        self.start = owner.clock() - elapsed_s
        self.limit = self.start + limit_s  # moves on with extensions and with time spent flooded
        self.cue_at = self.limit - cue_lead(limit_s)
        self.cued = False
        self.extensions = 0
        self.state = "speaking"
        self.frozen_at: float | None = None

    @property
    def ended(self) -> bool:
        return self.state == "ended"

    def remaining(self) -> float:
        """Seconds to the limit (negative while wrapping), on the turn's own clock."""
        now = self.frozen_at if self.frozen_at is not None else self.owner.clock()
        return self.limit - now

    def _end_at(self) -> float:
        return self.limit if self.who == "both" else self.limit + GRACE_S

    def _key(self, key: str, now: float) -> list[Action]:
        due = self._due(now)  # what the clock already decided comes first
        if self.ended:
            return due
        if key in DONE_KEYS:
            self.state = "ended"
            return due + [Action("end", now, self.who, reason="key")]
        if key in MORE_KEYS and self.who != "both" and self.extensions < MAX_EXTENSIONS:
            self.extensions += 1
            start = max(self.limit, now)  # more time from now if the limit has passed
            self.limit = start + EXTEND_S
            self.cue_at = self.limit - cue_lead(self.limit - now)
            self.cued = False
            self.state = "speaking"
            return due + [Action("extend", now, self.who, limit=self.limit - self.start)]
        return due

    def _due(self, now: float) -> list[Action]:
        out = []
        if self.ended:
            return out
        if not self.cued and now >= self.cue_at:
            self.cued = True
            out.append(Action("cue", self.cue_at, self.who))
        if self.state == "speaking" and self.who != "both" and now >= self.limit:
            self.state = "wrapping"
            out.append(Action("wrap", self.limit, self.who))
        if now >= self._end_at():
            self.state = "ended"
            out.append(Action("end", self._end_at(), self.who, reason="time"))
        return out

    def _freeze(self, now: float) -> None:
        if not self.ended:
            self.frozen_at = now

    def _thaw(self, now: float) -> None:
        if self.frozen_at is not None:
            shift = now - self.frozen_at  # the time spent flooded is not the speaker's
            self.start += shift
            self.limit += shift
            self.cue_at += shift
            self.frozen_at = None
