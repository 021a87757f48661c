"""The break on both devices: what a pause (or `companion wait`) does with the partner link.

Leaving: once the break's box is drawn, the promise goes to the paired device (partner/session_link.py
opens the link in a thread: the screen is never kept waiting). Not answering within two seconds:
one line, and the break goes on exactly as alone while the link keeps trying. In the break, m asks
for ten more minutes (both bells move) and r twice rings both bells a moment from now.

Reaching (`pause`, reach, or `companion wait`): a promise that comes sets the hold-off's end to the
partner's return time, on our own clock by the link's clock offset; an extension moves the bell; a
ready rings it at the named moment.

Both bells ring at one instant: the wait's policy keeps the bell's frame on the absolute deadline
(time.monotonic()), correcting the silence before it (a jump forward, or a short hold) as the
output's position drifts from the clock.

Everything the link brings is kept here and acted on by the session's loop thread (the policy's
`act`): captions and journal writes never come from the network's threads.
"""

from __future__ import annotations

import queue
import threading
import time
from datetime import datetime

from ..playback import pcm
from ..session.policies import KeepTime, Plain
from ..debug import report

MORE_KEY = "m"
MORE_MINUTES = 10
READY_AHEAD_S = 1.5  # a ready's bells ring this long after r: time for it to reach the partner
MOVED = ("promised", "more", "extended", "ready")  # wait outcomes that rebuild the wait to a new bell
REFRESH_BEFORE_S = 60.0  # the partner's clock is measured again this long before the bell
TOGETHER_S = 0.05  # both bells within this of each other: rang together
KEEP_WITHIN_S = 0.005  # the bell's frame is kept on its deadline to this
HOLD_AT_MOST_S = 0.1
LAST_CORRECTION_S = 0.2  # no correction this close to the bell: the samples need a moment
PLACE_WITHIN_S = 5.0  # a message from the partner waits this long for their clock, then goes by ours (_place)


def wall(deadline: float, exact: bool = False) -> datetime:
    """A time.monotonic() deadline as a local date-time; to the nearest second unless `exact` (for the box and
    the words: 21:39:59.98 is the partner's 21:40)."""
    from datetime import timedelta

    at = datetime.fromtimestamp(time.time() + (deadline - time.monotonic())).astimezone()
    return at if exact else (at + timedelta(seconds=0.5)).replace(microsecond=0)


def paired() -> bool:
    """Is any partner paired? A file's existence only: nothing imported, nothing of the network."""
    from .. import paths

    return (paths.data_dir() / "partner" / "peers.json").exists()


def listen(after: threading.Event) -> "Partner | None":
    """The reaching side of a pause: listen for the partner's promise once `after` is set (the first sound)."""
    return Partner.start("reaching", after=after) if paired() else None


def share(flow, minutes: float) -> None:
    """The leaving side, once the box is drawn (`flow.promise`): the promise to the partner's device, sent
    from a thread; the break's words then say the key for more time."""
    if not paired():
        return
    side, chosen, end, at, opening, voices = flow._promised
    partner = flow.partner = Partner.start("leaving", then=lambda p: p.promise(end.timestamp(), minutes))
    partner.end = end
    partner.deadline = _local(end.timestamp())
    flow._promised = (side, chosen, end, *opening_lines(partner, side, opening, at, end, voices))


def opening_lines(partner: "Partner", side: str, opening: list[str], at: str, end: datetime,
                  voices: tuple[str, ...] = ()):
    """The wait's return time, opening and its voices (waits.wait_steps), with the partner: the promise
    that came (reaching), the key for more time (leaving)."""
    from ..lines import said

    if side == "reaching" and partner.promised():
        partner.end, partner.shown = end, partner.promise_id
        words, said_by = message("pause.partner.promise", partner.name, return_time=at)
        return at, [*words, *opening], (*said_by, *voices)  # a line past `voices` is the guide's (wait_steps)
    if side == "leaving":
        return at, [*opening, *said("pause.partner.more_key")], voices
    return at, opening, voices


def message(key: str, name: str, **values) -> tuple[list[str], tuple[str, ...]]:
    """What the partner's device sent (`key`: its promise, or more time), as said here: the guide says whose
    message it is, then the partner's own words, in the partner's voice. The lines, and who says each."""
    from ..lines import role, said

    lines: list[str] = []
    voices: list[str] = []
    for part in ("pause.partner.message", key):
        words = said(part, name=name, **values)
        lines += words
        voices += [role(part)] * len(words)
    return lines, tuple(voices)


def _local(wall_time: float) -> float:
    """Our own wall-clock time on time.monotonic(), as the partner's device turns it into its own."""
    from ..partner import clock

    return clock.to_local(wall_time, clock.own_offset(time.time(), time.monotonic()))


class Partner:
    """One pause's link to the partner's device, once opened (see `start`)."""

    MOVED = MOVED

    def __init__(self, side: str):
        self.side = side
        self.shared = None  # partner/session_link.Shared, once open
        self.name = ""  # whose device: the paired name
        self.deadline: float | None = None  # the bell, on time.monotonic(): the partner's (reaching) or ours
        self.promise_id: str | None = None
        self.minutes: float | None = None
        self.changes: queue.Queue = queue.Queue()  # what the partner's device said (MOVED), for the wait's policy
        self.lines: queue.Queue = queue.Queue()  # captions to show, from the link's threads
        self.journal: dict = {}  # columns for the row: promise, promise_delivered_at, bells_together
        self._closed = threading.Event()
        self._sent: dict[str, str] = {}  # message id -> what it was (promise, extend, ready)
        self.opened = threading.Event()
        self.problem = ""  # why the link could not open, if it could not
        self.end: datetime | None = None  # the bell, as the box shows it
        self.shown: str | None = None  # the promise the wait was built on (reaching)
        self.their_at: float | None = None  # the bell on the partner's wall clock (reaching): re-read near it
        self._refreshed = False
        self.own_bell: float | None = None  # when our bell rang, and the partner's, on time.monotonic()
        self.their_bell: float | None = None
        self._timed: list = []  # (message, when it came, not tried yet): the partner's, to place on our clock

    def moved(self, outcome: str, flow, side: str):
        """The wait's new opening, end and return time after `outcome` (one of MOVED)."""
        from datetime import timedelta

        from ..lines import said
        from . import waits

        opening: list[str] = []
        voices: tuple[str, ...] = ()
        if outcome == "more":  # leaving: ten more minutes, here and there
            self.end = self.end + timedelta(minutes=MORE_MINUTES)
            self.deadline = _local(self.end.timestamp())
            threading.Thread(target=self.extend, args=(self.end.timestamp(),), daemon=True).start()
            at = self.end.strftime("%H:%M")
            # the promise again, with its new time, in the listener's words; then the guide
            opening = [*said("pause.break.yours", return_time=at), *said("pause.partner.more", return_time=at)]
            voices = ("you",)
            flow.screen.caption(f"({self.name}'s device moves its bell too.)" if self.link and self.link.connected
                                else f"({self.name}'s device is told when it answers.)")
        elif outcome == "ready" and side == "leaving":
            at_wall = time.time() + READY_AHEAD_S
            self.deadline = _local(at_wall)
            self.end = wall(self.deadline, exact=True)  # the wait is built to the instant, not the second
            threading.Thread(target=self.ready, args=(at_wall,), daemon=True).start()
            at = wall(self.deadline).strftime("%H:%M")
            flow.screen.caption("(Ready: the bell rings now, on both devices.)" if self.link and self.link.connected
                                else f"(Ready: the bell rings now. {self.name}'s device is told when it answers.)")
        else:  # what the partner's device said: its promise, more time, or ready
            self.end = wall(self.deadline, exact=True)
            at = wall(self.deadline).strftime("%H:%M")
            if outcome == "promised":
                self.shown = self.promise_id
                opening, voices = message("pause.partner.promise", self.name, return_time=at)
                opening += waits.announcement("reaching", at, self.minutes)
            elif outcome == "extended":
                opening, voices = message("pause.partner.extended", self.name, return_time=at)
            else:
                flow.screen.caption(f"({self.name} is ready: the bell rings now.)")
        flow.spoken.at = wall(self.deadline)  # what later lines name: the minute, as the box shows it
        return opening, self.end, at, voices

    # --- opening, in a thread: nothing here may delay the screen or the sound

    @classmethod
    def start(cls, side: str, after: threading.Event | None = None, then=None) -> "Partner":
        """Open the link in a thread (after `after` is set: the first sound); then call `then(partner)`."""
        partner = cls(side)

        def opening():
            if after is not None:
                while not after.wait(0.1):
                    if partner._closed.is_set():
                        return
            if partner._closed.is_set():
                return
            try:
                from ..partner.session_link import Shared

                partner.shared = Shared.open()
            except Exception as e:  # a damaged key or peers file: one line, the pause goes on alone
                report(e, "opening the partner link")
                partner.problem = str(e) or type(e).__name__
                partner.lines.put(f"(The partner link could not open: {e}. The pause goes on here.)")
                return
            finally:
                partner.opened.set()
            if partner.shared is None:
                return  # nobody paired: nothing said, nothing of the network
            if partner._closed.is_set():
                partner.shared.close()
                return
            partner.name = partner.shared.names()
            if then is not None:
                then(partner)
            partner._receive()

        threading.Thread(target=opening, daemon=True, name="partner-open").start()
        return partner

    @property
    def link(self):
        return self.shared.link if self.shared is not None else None

    def close(self) -> None:
        self._closed.set()
        if self.shared is not None:
            self.shared.close()

    # --- leaving

    def promise(self, return_at: float, minutes: float) -> None:
        """Send the promise (in the opening thread, once open); say if nobody answers in two seconds."""
        from ..partner.messages import Promise, new_id
        from ..partner.session_link import ANSWER_SECONDS

        self.promise_id, self.minutes = new_id(), minutes
        self.journal["promise"] = "sent"
        self._send(Promise(id=self.promise_id, name=_own_name(), return_at=return_at, minutes=minutes), "promise")
        if not self.link.wait_connected(ANSWER_SECONDS):
            self.lines.put(f"{self.name}'s device isn't answering; the break goes on here; companion keeps trying.")

    def extend(self, return_at: float) -> None:
        from ..partner.messages import Extend, new_id

        if self.link is not None and self.promise_id:
            self._send(Extend(id=new_id(), promise=self.promise_id, return_at=return_at), "extend")

    def rang(self, at: float) -> None:
        """Our bell rang at `at` (time.monotonic()): tell the partner's device, and compare with theirs."""
        from ..partner.messages import Rang, new_id

        self.own_bell = at
        self._compare()
        if self.link is not None and self.promise_id:
            wall_time = at + (time.time() - time.monotonic())
            self._send(Rang(id=new_id(), promise=self.promise_id, at=wall_time), "rang")

    def _compare(self) -> None:
        if self.own_bell is not None and self.their_bell is not None:
            self.journal["bells_together"] = abs(self.own_bell - self.their_bell) <= TOGETHER_S

    def ready(self, at: float) -> None:
        from ..partner.messages import Ready, new_id

        if self.link is not None and self.promise_id:
            self._send(Ready(id=new_id(), promise=self.promise_id, at=at), "ready")

    def _send(self, msg, what: str) -> None:
        self._sent[msg.id] = what
        self.link.send(msg)

    # --- both: what the link brings

    def _receive(self) -> None:
        from ..partner.messages import Ack, Extend, Promise, Ready

        link = self.link
        while not self._closed.is_set():
            msg = link.get(timeout=0.2)
            if msg is None:
                self._place()  # one that waits for the partner's clock: tried again
                self._refresh()
                continue
            if isinstance(msg, Ack):
                what = self._sent.get(msg.id)
                if what == "promise":
                    self.journal["promise_delivered_at"] = _iso(link.delivered(msg.id))
                    self.lines.put(f"({self.shared.partner_name()}'s device has your promise.)")
                continue
            if self.side != "reaching" and isinstance(msg, (Promise, Extend, Ready)):
                continue  # acknowledged by the link; a leaving side's bell is its own promise's
            self._timed.append((msg, time.monotonic(), True))
            self._place()

    def _place(self) -> None:
        """Act on the partner's timed messages (promise, extend, ready, rang) in the order they came, each
        at its time on our clock by the link's clock offset. Without an offset (the session it came on
        ended before the pongs, or they were lost) one waits and is tried again; after PLACE_WITHIN_S it is
        placed by our own wall clock, which the partner's is close to, and measured again before the bell
        (_refresh). The link has acknowledged it: dropping it here would lose the promise for good."""
        from ..partner.messages import Extend, Promise

        link = self.link
        while self._timed:
            msg, came, first = self._timed[0]
            near_bell = self.deadline is not None and self.deadline - time.monotonic() < 90
            if link.offset is None or (first and (isinstance(msg, Promise) or isinstance(msg, Extend) and near_bell)):
                link.clock_offset()  # the partner's clock, as a promise comes, and again near the bell
            self._timed[0] = (msg, came, False)
            at = msg.return_at if isinstance(msg, (Promise, Extend)) else msg.at
            local = link.local_time(at)
            if local is None:
                if time.monotonic() - came < PLACE_WITHIN_S:
                    return
                from ..partner.notes import note

                note("no clock offset from the partner's device: a message placed by our own clock")
                local = _local(at)
            self._timed.pop(0)
            self._act(msg, at, local)

    def _act(self, msg, at: float, local: float) -> None:
        """What the partner's message does: its time `at` (the partner's wall clock) is `local` (our
        time.monotonic())."""
        from ..partner.messages import Extend, Promise, Rang

        if isinstance(msg, Promise):
            self.name = self.shared.partner_name()
            self.promise_id, self.minutes, self.deadline = msg.id, msg.minutes, local
            self.their_at, self._refreshed = at, False
            self.journal.update(promise="received", promise_delivered_at=_iso(time.monotonic()))
            self.changes.put("promised")
        elif msg.promise != self.promise_id:
            return
        elif isinstance(msg, Rang):
            self.their_bell = local
            self._compare()
        else:  # Extend or Ready
            self.deadline = local
            self.their_at, self._refreshed = at, False
            self.changes.put("extended" if isinstance(msg, Extend) else "ready")

    def _refresh(self) -> None:
        """About a minute before the bell, the partner's clock measured again (clocks drift; a long break may
        have begun on another network path): the bell's frame follows the new offset."""
        if (self.side != "reaching" or self._refreshed or self.their_at is None or self.deadline is None
                or self.deadline - time.monotonic() > REFRESH_BEFORE_S):
            return
        self._refreshed = True
        if self.link.clock_offset() is not None:
            local = self.link.local_time(self.their_at)
            if local is not None:
                self.deadline = local

    def promised(self) -> bool:
        """Has a promise come (reaching)?"""
        return self.side == "reaching" and self.deadline is not None

    def show(self, screen) -> None:
        while True:
            try:
                screen.caption(self.lines.get_nowait())
            except queue.Empty:
                return

    def change(self) -> str | None:
        try:
            return self.changes.get_nowait()
        except queue.Empty:
            return None

    def policy(self, note, moments) -> "SharedTime":
        return SharedTime(self, note, moments)

    def sit_policy(self) -> "Plain":
        return Sitting(self)


class Sitting(Plain):
    """The reaching side's `sit`, as always, but a promise that comes is shown at once (the hold-off after
    it runs to the partner's time)."""

    def __init__(self, partner: Partner):
        super().__init__()
        self.partner = partner

    def act(self, key, live):
        partner = self.partner
        partner.show(live.screen)
        if partner.change() == "promised":
            at = wall(partner.deadline).strftime("%H:%M")
            lines, voices = message("pause.partner.promise", partner.name, return_time=at)
            shown = (f'{partner.name}: "{line}"' if voice == "partner" else line for line, voice in zip(lines, voices))
            live.screen.caption(f"({' '.join(shown)} Your hold-off runs to {at}.)")
        return super().act(key, live)


class SharedTime(KeepTime):
    """The wait's keys, with the partner: m (leaving) asks for ten more minutes, r twice rings both
    bells a moment ahead; what the link brings ends the phase with its reason (MOVED); the bell's
    frame is kept on `partner.deadline`."""

    def __init__(self, partner: Partner, note, moments):
        # MOVED as moments too (under keys nobody types): the session keeps the output open for the next phase
        super().__init__(note, {**moments, **{f"\0{reason}": reason for reason in MOVED}}, ready=True)
        self.partner = partner
        self._samples: list[float] = []
        self._rang = False

    def act(self, key, live):
        partner = self.partner
        partner.show(live.screen)
        if partner.side == "reaching":
            change = partner.change()
            if change == "promised" and partner.shown == partner.promise_id:
                change = None  # the wait was built on it already
            if change is not None:
                return change
        elif key in (MORE_KEY, MORE_KEY.upper()):
            return "more"
        if key in ("r", "R") and partner.side == "leaving" and time.monotonic() < self._armed_until:
            self._armed_until = 0.0
            return "ready"
        self._keep_deadline(live)
        self._hear_bell(live)
        return super().act(key, live)

    def status(self, live):
        note, times = super().status(live)
        if self.partner.side == "leaving" and note.endswith(" · q end"):
            note = note[:-len(" · q end")] + f" · {MORE_KEY} +{MORE_MINUTES} min · q end"
        return note, times

    def _hear_bell(self, live) -> None:
        """When the bell's frame is reached: the moment it began, told to the partner's device."""
        cursor, events = live.cursor, live.player.events
        if self._rang or not cursor.planned.is_set() or not events or events[-1].kind != "bell":
            return
        if cursor.position >= events[-1].start:
            self._rang = True
            self.partner.rang(time.monotonic() - (cursor.position - events[-1].start) / pcm.RATE_HZ)

    def _keep_deadline(self, live) -> None:
        """Keep the bell's frame at the deadline: the frames left before it, against the seconds left.

        The output reads in blocks, so each look is late by up to a block: the smallest difference seen
        over a few looks is the one just after a read, and is the one corrected."""
        deadline, cursor = self.partner.deadline, live.cursor
        events = live.player.events
        if deadline is None or not cursor.planned.is_set() or not events or events[-1].kind != "bell":
            return
        current = cursor.current()
        if current is None or current.kind != "silence" or current is events[-1]:
            return
        seconds_left = deadline - time.monotonic()
        if seconds_left < LAST_CORRECTION_S:
            return
        self._samples.append((events[-1].start - cursor.position) / pcm.RATE_HZ - seconds_left)
        if len(self._samples) < 3:
            return
        late, self._samples = min(self._samples), []
        if late > KEEP_WITHIN_S:  # the bell would ring late: on through the silence now
            with cursor._lock:
                cursor.position = min(cursor.position + round(late * pcm.RATE_HZ), current.end)
        elif late < -KEEP_WITHIN_S:  # early: hold the silence a moment (keys wait as long: a tenth at most)
            cursor.toggle_pause()
            time.sleep(min(-late, HOLD_AT_MOST_S))
            cursor.toggle_pause()


def _own_name() -> str:
    """The name the promise carries (the partner's device shows the name it paired with instead)."""
    import getpass

    try:
        name = getpass.getuser().strip()[:40]
    except Exception as e:  # no login name: the promise says "partner"
        report(e, "the login name")
        name = ""
    return name if name and name.isprintable() else "partner"


def _iso(monotonic: float | None) -> str | None:
    if monotonic is None:
        return None
    at = datetime.fromtimestamp(time.time() + (monotonic - time.monotonic())).astimezone()
    return at.isoformat(timespec="milliseconds")
