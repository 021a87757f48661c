"""One session: play a sequence to an output, answer keys, keep the journal.

The commands come in by one call:

    play(sequence, output, keys=..., screen=..., clips=..., journal=..., first_line_frames=0) -> Outcome

`sequence` is a script.Sequence, or any `Steps(id, title, steps)` (e.g. lazy
steps from first_line/scan.py, with no pydantic before the first word);
`output` an open output (outputs.open_output); `keys` and `screen` the
terminal's (keys.Keys, screen.Screen); `clips` a clip store; `journal` an
opener, called once after the first sound, giving the journal (or None: not
recorded); `first_line_frames`: the output already plays the first line (see
DeviceOutput.play_first_line). More, all optional: `mode` (the journal's), `columns`
known at the start (journal.EXTRA_COLUMNS), `policy` (what keys do; see
policies.py; together.policy.Partners for two), `spoken` (the names, the
placeholders' values), `warn`, `on_started`. It captions the title, plays,
and journals the session (one row, see journal_row.py) however it ends.

Underneath, `run` is the one loop, for every kind of session: the guided
pause calls it once per phase with the same Record and output. The terminal,
clock and journal are passed in, so the same loop serves the sound device,
captions only, and tests.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable

from .. import interrupt
from ..debug import report
from ..playback import pcm
from ..playback.player import Player
from .policies import Plain
from .keys import Keys
from .screen import Screen

POLL_S = 0.05
EXIT_CODES = {"completed": 0, "stopped": 0, "error": 1, "interrupted": 130}

Steps = namedtuple("Steps", "id title steps")  # a sequence to play, without the parser (see play)


class Outcome(namedtuple("Outcome", "reason played_s position_s planned_s output message session_id unrecorded",
                         defaults=("", None, ""))):
    """How a session ended: reason is completed, stopped, interrupted or error; times in seconds;
    its journal row's id, if it has one; `unrecorded`: why the journal could not keep it all."""

    __slots__ = ()

    @property
    def exit_code(self) -> int:
        """A session the journal could not keep never exits 0: 1, as for an error."""
        code = EXIT_CODES[self.reason]
        return 1 if code == 0 and self.unrecorded else code


class Live:
    """The session as its policy may touch it: the player (and its cursor), output, screen, keys, record."""

    def __init__(self, player: Player, output, screen: Screen, keys: Keys, record, warn):
        self.player, self.output, self.screen, self.keys, self.record, self.warn = \
            player, output, screen, keys, record, warn

    @property
    def cursor(self):
        return self.player.cursor

    def caption_entered(self) -> None:
        """Caption every line the sound has begun since the loop last looked."""
        _caption_entered(self.player, self.screen)


def play(sequence, output, *, keys: Keys, screen: Screen, clips, journal: Callable[[], object] | None = None,
         first_line_frames: int = 0, mode: str = "play", columns: dict | None = None, policy=None, spoken=None,
         warn: Callable[[str], None] = print, on_started: Callable[[], None] | None = None) -> Outcome:
    """Caption the title, play `sequence` to `output`, journal it: its Outcome (see the module's docstring)."""
    from .journal_row import Record

    record = Record(journal, sequence.id, sequence.title, mode, warn=warn, **(columns or {}))
    screen.caption(f"{sequence.title}")
    player = Player(sequence.steps, clips, spoken)

    def started() -> None:
        from ..lengths import expect_later

        expect_later(player, sequence, clips)  # the total, shipped or estimated, until the plan has it
        if on_started is not None:
            on_started()

    return run(player, output, screen=screen, keys=keys, record=record, policy=policy, warn=warn,
               on_started=started, first_line_frames=first_line_frames)


def run(player: Player, output, *, screen: Screen, keys: Keys, record=None, policy=None,
        warn: Callable[[str], None] = print, keep_output: bool = False, on_started: Callable[[], None] | None = None,
        first_line_frames: int = 0, finish: bool = True) -> Outcome:
    """Play until the end, `q`, Ctrl-C, the policy's end or an error; journal the session either way.

    `record`: its journal row (record.Record), begun once the sound has started; with `finish` it is
    finished here too (a guided pause finishes it after its last phase). `policy`: what keys do
    (policies.Plain by default). With `keep_output`, a session that completes, or ends on one of the
    policy's moment keys, leaves the output open for the next. `on_started` runs once the sound has
    started (work that must not delay it). `first_line_frames`: the output is already playing the first
    event (see DeviceOutput.play_first_line); the cursor begins after it.
    """
    policy = policy if policy is not None else Plain()
    cursor = player.cursor
    reason, message = "completed", ""
    try:
        player.start()
        if first_line_frames:
            _begin_after_first_line(player)
        output.attach(cursor)
        if not first_line_frames:  # with the first line the sound is already playing
            _wait_until_ready(player)
        output.start()
        if on_started is not None:
            on_started()
        if record is not None:
            record.begin(output.name)
        with keys:
            reason = _loop(Live(player, output, screen, keys, record, warn), policy)
        reason, message = policy.ended(reason)
    except KeyboardInterrupt:
        reason = "interrupted"
    except Exception as e:  # one line, never a traceback, and still journalled
        report(e)
        reason, message = "error", str(e)
    finally:
        with interrupt.held():  # a second Ctrl-C must not cut the silence or the journal
            if keep_output and (reason == "completed" or reason in policy.moments.values()):
                output.detach()
            else:
                output.stop()  # silence first: within one poll of the key or Ctrl-C
            player.stop()
            screen.close()
            if player.error is not None and reason != "interrupted":
                reason, message = "error", _describe(player.error)
            outcome = Outcome(reason, cursor.played / pcm.RATE_HZ, cursor.position / pcm.RATE_HZ,
                              _planned_s(player), output.name, message)
            if record is not None:
                if finish:
                    record.finish(reason, planned_s=outcome.planned_s, played_s=outcome.played_s,
                                  position_s=outcome.position_s)
                outcome = outcome._replace(session_id=record.session_id, unrecorded=record.unrecorded)
    return outcome


def _loop(live: Live, policy) -> str:
    player, output, screen, keys = live.player, live.output, live.screen, live.keys
    cursor = player.cursor
    warned = False
    while not output.done.is_set():
        if player.error is not None:
            return "error"
        if not warned and getattr(player.clips, "unavailable", None):
            warned = True
            screen.caption(f"(no voice: {player.clips.unavailable}; showing captions only)")
        interrupt.check()  # a Ctrl-C whose exception went astray (see interrupt.py)
        _caption_entered(player, screen)  # before a key can end it: a line heard is a line shown
        if screen.gone and output.name == "captions":  # captions were all it gave, and nobody reads them
            return "stopped"  # (with sound, the session goes on: the captions were only a copy of it)
        key = keys.read(POLL_S)
        _caption_entered(player, screen)  # and one begun while the key was read: it was heard too
        if key in ("q", "Q"):
            return "stopped"
        end = policy.act(key, live)
        if end is not None:
            return end
        _caption_entered(player, screen)
        note, times = policy.status(live)
        total = player.planned_frames
        if total or player.expected is None:
            screen.status(cursor.position / pcm.RATE_HZ, total / pcm.RATE_HZ if total else None, cursor.paused, note,
                          times=times)
        else:  # not planned yet: the shipped or estimated total, shown as such ("0:01 / ~7:10")
            screen.status(cursor.position / pcm.RATE_HZ, player.expected.seconds, cursor.paused, note, times=times,
                          estimated=True)
    _caption_entered(player, screen)  # a short session can end before the loop's first look
    return "completed"


def _planned_s(player: Player) -> float:
    """The whole sequence's length: planned, else the shipped or estimated one (never only what was
    rendered by the time it ended), else as far as it got."""
    if player.planned_frames:
        return player.planned_frames / pcm.RATE_HZ
    if player.expected is not None:
        return player.expected.seconds
    return player.cursor.position / pcm.RATE_HZ


def _caption_entered(player: Player, screen: Screen) -> None:
    """Caption every line begun since the last look, none that was skipped."""
    cursor = player.cursor
    while cursor.entered:
        caption = player.events[cursor.entered.popleft()].caption
        if caption:
            screen.caption(caption)


def _wait_for(player: Player, condition: Callable[[], bool], limit_s: float = 5.0) -> None:
    """Wait until `condition` holds, the player fails, or `limit_s` seconds pass."""
    import time

    deadline = time.monotonic() + limit_s
    while not condition() and player.error is None and time.monotonic() < deadline:
        with player.cursor.moved:
            player.cursor.moved.wait(0.002)


def _begin_after_first_line(player: Player) -> None:
    _wait_for(player, lambda: bool(player.events))
    if player.events and player.events[0].kind == "speech":
        # The first line played was this one; if its length differs (an index older than the
        # clip format), the player still goes on after it rather than repeat it.
        player.cursor.played_already(player.events[0].frames)


def _wait_until_ready(player: Player) -> None:
    """Start the sound with the first word in its first buffer, not behind a buffer of silence."""
    _wait_for(player, player.cursor.ready)


def _describe(error: BaseException) -> str:
    return str(error) or error.__class__.__name__
