"""The break on both devices (issue 21): two homes on loopback, each a `companion` process of its own.

Every step is tied to a line a process printed; the homes are paired by writing each one's identity
files through companion.partner.identity (pairing itself: test_partner_pairing.py).
"""

from __future__ import annotations

import datetime
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from companion.playback.cursor import Cursor
from tests.conftest import ESPEAK_GUIDE
from tests.partners import GUARD, Home

BOX_TIME = re.compile(r"You: \"I'm flooded\. I'm not leaving you\. I'll be back at (\d\d:\d\d)\.\"")


def make_home(root, monkeypatch) -> Home:
    home = Home(root)
    config = root / "config" / "companion"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(ESPEAK_GUIDE)
    return home


def pair(monkeypatch, one: Home, one_name: str, other: Home, other_name: str) -> None:
    """Each home keeps the other's public key, under the name its person gave (as `companion pair` leaves them)."""
    from companion.partner import identity

    keys = {}
    for home in (one, other):
        monkeypatch.setenv("XDG_DATA_HOME", home.env["XDG_DATA_HOME"])
        keys[home.root] = identity.own_public()
    now = datetime.datetime.now().astimezone().isoformat()
    for home, peer, name in ((one, other, other_name), (other, one, one_name)):
        monkeypatch.setenv("XDG_DATA_HOME", home.env["XDG_DATA_HOME"])
        identity.add_peer(identity.Peer(name, keys[peer.root], None, now))


class Running:
    """A `companion` process whose stdout is read line by line; keys go in through a pipe."""

    def __init__(self, home: Home, *args: str):
        self.process = subprocess.Popen([sys.executable, "-m", "companion", *args], env=home.env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        preexec_fn=lambda: os.umask(0))
        self.lines: list[str] = []
        self.times: list[float] = []  # when each line was printed (time.monotonic(), as it was read)
        self._new: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.process.stdout:
                self._new.put((time.monotonic(), line.rstrip("\n")))
        except ValueError:  # closed by communicate() at the end, which reads the rest itself
            pass
        self._new.put((time.monotonic(), None))

    def until(self, pattern: str) -> re.Match:
        """The first line printed matching `pattern` (a regular expression), waiting for it if none has yet:
        two devices' lines may come in either order."""
        for line in self.lines:
            found = re.search(pattern, line)
            if found:
                return found
        while True:
            try:
                at, line = self._new.get(timeout=GUARD)
            except queue.Empty:
                raise AssertionError(f"{pattern!r} never came; printed:\n" + "\n".join(self.lines)) from None
            if line is None:
                raise AssertionError(f"ended before {pattern!r}; printed:\n" + "\n".join(self.lines)
                                     + "\n" + self.process.stderr.read())
            self.lines.append(line)
            self.times.append(at)
            found = re.search(pattern, line)
            if found:
                return found

    def when(self, pattern: str) -> float:
        """When the first line matching `pattern` was printed (time.monotonic()), waiting for it if need be."""
        return self.times[self.lines.index(self.until(pattern).string)]

    def keys(self, typed: str) -> None:
        self.process.stdin.write(typed)
        self.process.stdin.flush()

    def end(self) -> tuple[int, str]:
        """q, then its exit code and what it said on stderr."""
        if self.process.poll() is None:
            try:
                self.keys("q")
            except BrokenPipeError:
                pass
        out, err = self.process.communicate(timeout=GUARD)
        self.lines += out.splitlines()
        self.times += [time.monotonic()] * (len(self.lines) - len(self.times))
        return self.process.returncode, err

    def kill(self) -> str:
        """Ended if it still runs (SIGABRT: faulthandler says where each thread was); what it said on stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGABRT)
        try:
            return self.process.communicate(timeout=GUARD)[1] or ""
        except ValueError:  # ended by `end`: its stderr was read there
            return ""


@pytest.fixture
def started():
    processes: list[Running] = []

    def start(home: Home, *args: str) -> Running:
        processes.append(Running(home, *args))
        return processes[-1]

    yield start
    for process in processes:  # a failed test leaves none listening for the next, and says what each said
        said = process.kill()
        if said:
            said = said if len(said) < 8000 else said[:4000] + "\n[...]\n" + said[-4000:]  # its notes; where it was
            print(f"--- stderr of companion {' '.join(process.process.args[3:])}:\n{said}")


def journal(home: Home) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "companion", "log", "--json"], env=home.env, capture_output=True,
                            text=True, timeout=GUARD)
    return json.loads(result.stdout)


def test_the_bell_message_round_trips_and_a_bad_one_is_dropped():
    from companion.partner.messages import Rang, decode, encode, new_id

    rang = Rang(id=new_id(), promise=new_id(), at=1_800_000_000.25)
    assert decode(encode(rang)) == rang
    assert decode(encode(rang).replace(b"1800000000.25", b"-1")) is None


def plus(at: str, minutes: int) -> str:
    hour, minute = map(int, at.split(":"))
    total = (hour * 60 + minute + minutes) % (24 * 60)
    return f"{total // 60:02}:{total % 60:02}"


def test_the_promise_is_shown_on_the_partners_device_and_more_time_and_ready_move_both_bells(tmp_path, monkeypatch,
                                                                                             started):
    alex, sam = make_home(tmp_path / "alex", monkeypatch), make_home(tmp_path / "sam", monkeypatch)
    pair(monkeypatch, alex, "Alex", sam, "Sam")
    waiting = started(sam, "wait", "--text")
    waiting.until(r"^Waiting for Alex's break")
    leaving = started(alex, "pause", "--leave", "--minutes", "1", "--text")
    leaving.until(r"\S")  # stay's first words
    leaving.keys("x")  # the break now
    at = leaving.until(BOX_TIME.pattern).group(1)
    # On Sam's device: the promise, with the paired name and the same return time, the box, the hold-off.
    waiting.until(r"^A message from Alex's device\.$")  # the guide says whose; then Alex's own words, as theirs
    waiting.until(rf"^Alex: \"I'm flooded\. I'm not leaving you\. I'll be back at {at}\.\"$")
    assert any(f"Holding off until {at}." in line for line in waiting.lines)
    leaving.until(r"^\(Sam's device has your promise\.\)$")
    leaving.until(r"^If you need ten more minutes, press m\.$")  # said in the break, with a partner paired
    leaving.keys("m")
    later = plus(at, 10)
    leaving.until(rf"^Ten more minutes\. The bell now rings at {later}\.$")
    leaving.until(r"^\(Sam's device moves its bell too\.\)$")
    waiting.until(rf"^Alex: \"I need ten more minutes\. I'll be back at {later}\.\"$")
    leaving.keys("rr")
    leaving.until(r"^\(Ready: the bell rings now, on both devices\.\)$")
    waiting.until(r"^\(Alex is ready: the bell rings now\.\)$")
    leaving.until(r"^\(If you're late, or coming back feels too hard, press c\.\)$")  # after its bell
    waiting.until(r"^\(If they're not back, press w\.\)$")  # after its bell: soften-leaving follows
    assert leaving.end()[0] == 0 and waiting.end()[0] == 0
    (left,), (waited,) = journal(alex), journal(sam)
    assert (left["side"], left["promise"], left["returned"]) == ("leaving", "sent", True)
    assert (waited["side"], waited["promise"], waited["returned"]) == ("reaching", "received", True)
    assert left["promise_delivered_at"] and waited["promise_delivered_at"]
    # Each bell told the other device when it rang: both within 50 ms, as each side can tell.
    assert left["bells_together"] is True and waited["bells_together"] is True


def test_with_the_partners_device_absent_the_break_goes_on_alone_and_the_promise_comes_when_it_opens(
        tmp_path, monkeypatch, started):
    alex, sam = make_home(tmp_path / "alex", monkeypatch), make_home(tmp_path / "sam", monkeypatch)
    pair(monkeypatch, alex, "Alex", sam, "Sam")
    leaving = started(alex, "pause", "--leave", "--minutes", "1", "--text")
    leaving.until(r"\S")
    leaving.keys("x")
    at = leaving.until(BOX_TIME.pattern).group(1)  # the box and the promise's words come first
    absent = leaving.until(r"^Sam's device isn't answering; the break goes on here; companion keeps trying\.$")
    lines = leaving.lines
    box = next(i for i, line in enumerate(lines) if "back at" in line and line.startswith("║"))
    assert box < lines.index(absent.string)  # the box was never kept waiting for the network
    leaving.until(r"^A break of 1 minute\.$")  # the break goes on, as alone
    waiting = started(sam, "wait", "--text")  # Sam's device opens later: the promise comes
    waiting.until(rf"^Alex: \"I'm flooded\. I'm not leaving you\. I'll be back at {at}\.\"$")
    leaving.until(r"^\(Sam's device has your promise\.\)$")
    assert leaving.end()[0] == 0 and waiting.end()[0] == 0
    (left,) = journal(alex)
    assert (left["promise"], left["end_reason"]) == ("sent", "stopped") and left["promise_delivered_at"]


def test_a_pause_on_the_reaching_side_listens_and_holds_off_to_the_partners_time(tmp_path, monkeypatch, started):
    alex, sam = make_home(tmp_path / "alex", monkeypatch), make_home(tmp_path / "sam", monkeypatch)
    pair(monkeypatch, alex, "Alex", sam, "Sam")
    reaching = started(sam, "pause", "--reach", "--minutes", "1", "--text")
    reaching.until(r"\S")  # sit's first words: from then on it listens
    leaving = started(alex, "pause", "--leave", "--minutes", "1", "--text")
    leaving.until(r"\S")
    leaving.keys("x")
    at = leaving.until(BOX_TIME.pattern).group(1)
    # Shown at once, while `sit` still plays; the hold-off after it runs to Alex's time.
    reaching.until(rf"^\(A message from Alex's device\. Alex: \"I'm flooded\. I'm not leaving you\. I'll be back at "
                   rf"{at}\.\" Your hold-off runs to {at}\.\)$")
    reaching.keys("n" * 80)  # through the rest of `sit`
    reaching.until(rf"Holding off until {at}\. No texts")
    reaching.until(rf"^Alex: \"I'm flooded\. .* back at {at}\.\"$")
    assert leaving.end()[0] == 0 and reaching.end()[0] == 0
    (waited,) = journal(sam)
    assert (waited["side"], waited["promise"]) == ("reaching", "received") and waited["promise_delivered_at"]


def test_ctrl_c_while_waiting_ends_the_wait_with_nothing_journalled(tmp_path, monkeypatch, started):
    import signal

    alex, sam = make_home(tmp_path / "alex", monkeypatch), make_home(tmp_path / "sam", monkeypatch)
    pair(monkeypatch, alex, "Alex", sam, "Sam")
    waiting = started(sam, "wait", "--text")
    waiting.until(r"^Waiting for Alex's break")
    waiting.process.send_signal(signal.SIGINT)
    out, err = waiting.process.communicate(timeout=GUARD)
    assert waiting.process.returncode == 130 and "Traceback" not in err
    assert journal(sam) == []


def test_with_no_partner_paired_nothing_of_the_network_happens(tmp_path, monkeypatch, started):
    alone = make_home(tmp_path / "alone", monkeypatch)
    leaving = started(alone, "pause", "--leave", "--minutes", "1", "--text")
    leaving.until(r"\S")
    leaving.keys("x")
    leaving.until(r"^A break of 1 minute\.$")
    code, err = leaving.end()
    assert code == 0 and not err
    from companion.pause.flow import OWED

    owed = OWED.split("{")[0]  # ended before its bell: the time said, to your partner in the room (not a device)
    shown = [line for line in leaving.lines if not line.startswith(owed)]
    assert not any("device" in line or "partner" in line.lower() or "press m" in line for line in shown)
    assert not alone.partner.exists()  # no key made, nothing opened
    (row,) = journal(alone)
    assert (row["promise"], row["promise_delivered_at"], row["bells_together"]) == (None, None, None)
    waited = subprocess.run([sys.executable, "-m", "companion", "wait", "--text"], env=alone.env, capture_output=True,
                            text=True, timeout=GUARD, stdin=subprocess.DEVNULL)
    assert waited.returncode == 2 and waited.stderr.count("\n") == 1 and "no partner is paired" in waited.stderr


def test_both_bells_are_heard_on_two_sound_servers_within_50_ms(tmp_path, monkeypatch, started, sound_server, recorder):
    """Two devices, each with its own sound server (a null sink, recorded from its monitor): r twice on the
    leaving side rings both bells a moment ahead; the recordings' clocks are the machine's one monotonic clock.

    On a starved machine a player can underrun (PortAudio flags it: said with COMPANION_DEBUG=1) and really
    play late: such an attempt says nothing of the bells, so it is tried again; one that kept up must have
    both bells within 50 ms, and the test fails if none of 3 did."""
    from tests.soundlab import Recorder, SoundServer

    alex, sam = make_home(tmp_path / "alex", monkeypatch), make_home(tmp_path / "sam", monkeypatch)
    pair(monkeypatch, alex, "Alex", sam, "Sam")
    starved = []
    with SoundServer() as other_server:
        for home, server in ((alex, sound_server), (sam, other_server)):
            home.env.update({k: v for k, v in server.env.items() if k.startswith(("PULSE_", "XDG_RUNTIME_DIR"))})
            home.env["COMPANION_DEBUG"] = "1"
        for attempt in range(3):
            here = recorder if attempt == 0 else Recorder(sound_server).start()
            with Recorder(other_server) as there:
                waiting = started(sam, "wait")
                waiting.until(r"^Waiting for Alex's break")
                leaving = started(alex, "pause", "--leave", "--minutes", "1")
                leaving.until(r"\S")
                leaving.keys("x")
                at = leaving.until(BOX_TIME.pattern).group(1)
                waiting.until(rf"^Alex: \"I'm flooded\. .* back at {at}\.\"$")
                leaving.until(r"^\(Sam's device has your promise\.\)$")
                pressed = time.monotonic()
                leaving.keys("rr")
                waiting.until(r"^\(If they're not back, press w\.\)$")  # after Sam's bell
                leaving.until(r"^\(If you're late, or coming back feels too hard, press c\.\)$")  # after Alex's
                (left, left_err), (waited, waited_err) = leaving.end(), waiting.end()
                assert left == 0 and waited == 0, (left_err, waited_err)
                there.stop()
                here.stop()
                underruns = [line for line in (left_err + waited_err).splitlines() if line.endswith("output underruns")]
                bells = []
                for heard in (here, there):
                    # The break's speech (cut by r) ends within a moment; the next sound is the bell, ~1.5 s after r.
                    later = [start for start, _ in heard.segments() if start > pressed + 0.5]
                    assert later, heard.segments()
                    bells.append(later[0])
                if underruns:
                    starved.append((underruns, round(bells[0] - bells[1], 3)))
                    continue
                assert abs(bells[0] - bells[1]) < 0.05, (bells, pressed)
                assert 0.5 < bells[0] - pressed < 4.0  # the ready's bell, not a later sound
                return
    raise AssertionError(f"every attempt underran (a starved machine): {starved}")


def heard(recording, start: float, end: float) -> bytes:
    """What `recording` heard from time.monotonic() `start` to `end`: its 10 ms blocks in that span."""
    starts = recording.block_starts()
    blocks = recording.samples().reshape(len(starts), -1)
    return blocks[(starts >= start) & (starts < end)].tobytes()


def test_the_promise_is_heard_on_the_reaching_device_in_the_partners_voice(tmp_path, monkeypatch, started,
                                                                            sound_server, recorder):
    """Sam's `wait` plays to a null sink, recorded: the guide's "A message from Alex's device." and its
    hold-off line, and between them Alex's words, in a voice a listener tells apart from the guide's (median
    pitch 15% apart, as tests/test_voices_heard.py asks of A and B). Each line's span is from its caption to
    the next one's, as printed."""
    from tests.soundlab import RATE_HZ
    from tests.voicelab import median_pitch_hz, pitches_hz

    alex, sam = make_home(tmp_path / "alex", monkeypatch), make_home(tmp_path / "sam", monkeypatch)
    pair(monkeypatch, alex, "Alex", sam, "Sam")
    sam.env.update({k: v for k, v in sound_server.env.items() if k.startswith(("PULSE_", "XDG_RUNTIME_DIR"))})
    waiting = started(sam, "wait")
    waiting.until(r"^Waiting for Alex's break")
    leaving = started(alex, "pause", "--leave", "--minutes", "1", "--text")
    leaving.until(r"\S")
    leaving.keys("x")
    at = leaving.until(BOX_TIME.pattern).group(1)
    intro = waiting.when(r"^A message from Alex's device\.$")
    words = waiting.when(rf"^Alex: \"I'm flooded\. I'm not leaving you\. I'll be back at {at}\.\"$")
    hold = waiting.when(rf"^You're holding off until {at}\.")
    then = waiting.when(r"^Stay with your own body")
    recorder.wait_until_heard(after=then)  # the line after the hold-off's first is heard: all before it was too
    recorder.stop()
    assert waiting.end()[0] == 0 and leaving.end()[0] == 0
    partner = heard(recorder, words, hold)
    guide = heard(recorder, intro, words) + heard(recorder, hold, then)
    assert len(pitches_hz(partner, RATE_HZ)) >= 20 and len(pitches_hz(guide, RATE_HZ)) >= 20  # both were heard
    pitch = {"partner": median_pitch_hz([partner], RATE_HZ), "guide": median_pitch_hz([guide], RATE_HZ)}
    assert max(pitch.values()) / min(pitch.values()) >= 1.15, pitch


def test_a_damaged_peers_file_is_one_line_for_wait_and_the_pause_goes_on(tmp_path, monkeypatch, started):
    home = make_home(tmp_path / "home", monkeypatch)
    home.partner.mkdir(parents=True)
    (home.partner / "peers.json").write_text("{bad")
    quiet = {k: v for k, v in home.env.items() if k != "COMPANION_DEBUG"}  # its one line, not the debug trace
    waited = subprocess.run([sys.executable, "-m", "companion", "wait", "--text"], env=quiet, capture_output=True,
                            text=True, timeout=GUARD, stdin=subprocess.DEVNULL)
    assert waited.returncode == 1 and waited.stderr.count("\n") == 1 and "peers.json: is not JSON" in waited.stderr
    assert "Traceback" not in waited.stderr
    leaving = started(home, "pause", "--leave", "--minutes", "1", "--text")
    leaving.until(r"\S")
    leaving.keys("x")
    leaving.until(r"^\(The partner link could not open: .*peers\.json: is not JSON.* The pause goes on here\.\)$")
    leaving.until(r"^A break of 1 minute\.$")
    assert leaving.end()[0] == 0


class Counting(Cursor):
    """A real Cursor, planned, that counts its holds (a pause toggled on, then off)."""

    def __init__(self, events):
        super().__init__(events)
        self.holds = 0.0
        self.planned.set()

    def toggle_pause(self):
        self.holds += 0.5
        return super().toggle_pause()


class OffsetLink:
    """The link as a Partner uses it, with messages to give and the clock offsets its pings find (None: no pong)."""

    connected = True

    def __init__(self, messages, offsets):
        self.inbox, self.offsets, self.offset = list(messages), list(offsets), None
        self.measured = 0

    def get(self, timeout):
        if self.inbox:
            return self.inbox.pop(0)
        time.sleep(0.01)
        return None

    def clock_offset(self):
        from companion.partner.clock import Offset

        self.measured += 1
        found = self.offsets.pop(0) if self.offsets else None
        if found is not None:
            self.offset = Offset(offset=found, error=0.0, samples=1)
        return None if found is None else self.offset

    def local_time(self, partner_time):
        return self.offset.to_local(partner_time) if self.offset is not None else None


def receiving(messages, offsets):
    """A reaching Partner receiving `messages` over an OffsetLink: the partner, once its promise was acted on."""
    from types import SimpleNamespace

    from companion.pause.both_devices import Partner

    partner = Partner("reaching")
    link = OffsetLink(messages, offsets)
    partner.shared = SimpleNamespace(link=link, partner_name=lambda: "Alex", close=lambda: None)
    threading.Thread(target=partner._receive, daemon=True).start()
    try:
        assert partner.changes.get(timeout=GUARD) == "promised"
    finally:
        partner.close()
    return partner, link


def test_a_promise_that_comes_before_the_partners_clock_is_measured_waits_for_it_and_is_never_dropped():
    # CI: the session a promise came on ended before its pongs; the promise, acknowledged already, was lost.
    from companion.partner.messages import Promise, new_id

    promise = Promise(id=new_id(), name="Alex", return_at=2_000_000_000.0, minutes=20)
    bell = time.monotonic() + 3600  # where the offset found puts the partner's return_at on our clock
    partner, link = receiving([promise], offsets=[None, None, 2_000_000_000.0 - bell])
    assert link.measured == 3 and partner.deadline == pytest.approx(bell)  # by the offset found on the third try
    assert partner.journal["promise"] == "received" and partner.name == "Alex"


def test_a_promise_whose_partners_clock_cannot_be_measured_goes_by_our_own_clock(monkeypatch):
    from companion.pause import both_devices
    from companion.partner.messages import Promise, new_id

    monkeypatch.setattr(both_devices, "PLACE_WITHIN_S", 0.2)
    return_at = time.time() + 600
    partner, _ = receiving([Promise(id=new_id(), name="Alex", return_at=return_at, minutes=10)], offsets=[])
    assert abs(partner.deadline - (time.monotonic() + 600)) < 1  # our wall clock stands in for theirs
    assert partner.their_at == return_at and not partner._refreshed  # measured again before the bell


def keeping(monkeypatch, bell_s: float, left_s: float):
    """A wait's timeline (silence, then the bell at `bell_s`) and a policy whose deadline is `left_s` away,
    on a clock that stands still (a loaded machine's milliseconds between the looks are not the bell's)."""
    from types import SimpleNamespace

    from companion.pause import both_devices
    from companion.pause.both_devices import Partner, SharedTime
    from companion.playback import pcm
    from companion.playback.timeline import Event

    bell = round(bell_s * pcm.RATE_HZ)
    events = [Event("silence", 0, bell), Event("bell", bell, pcm.RATE_HZ)]
    cursor = Counting(events)
    now = time.monotonic()
    monkeypatch.setattr(both_devices, "time", SimpleNamespace(monotonic=lambda: now, sleep=time.sleep))
    partner = Partner("reaching")
    partner.deadline = now + left_s
    policy = SharedTime(partner, lambda cursor: "", {})
    live = SimpleNamespace(cursor=cursor, player=SimpleNamespace(events=events), screen=SimpleNamespace(caption=print))
    for _ in range(3):  # the smallest of three looks is the one corrected
        policy._keep_deadline(live)
    return cursor


def test_a_bell_that_would_ring_late_is_brought_to_its_deadline_through_the_silence(monkeypatch):
    from companion.playback import pcm

    cursor = keeping(monkeypatch, bell_s=3.0, left_s=2.5)  # half a second too many frames before the bell
    assert cursor.position == round(0.5 * pcm.RATE_HZ) and cursor.holds == 0


def test_a_bell_that_would_ring_early_holds_the_silence_a_moment(monkeypatch):
    cursor = keeping(monkeypatch, bell_s=2.0, left_s=2.5)
    assert cursor.position == 0 and cursor.holds == 1 and not cursor.paused


def test_a_bell_on_time_is_left_alone(monkeypatch):
    cursor = keeping(monkeypatch, bell_s=2.5, left_s=2.5)
    assert cursor.position == 0 and cursor.holds == 0
