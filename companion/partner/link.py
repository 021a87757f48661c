"""The partner link a session holds open: listening, connecting, messages in and out, the partner's clock.

`Link.open` listens on an ephemeral TCP port (only until `close`), tries the partner's known
addresses, and waits up to `timeout` seconds for a session: its `state` then says "connected" or "not
answering", and a caller that hears "not answering" goes on alone; the link keeps listening and
trying behind it, so a partner who opens their device later still connects.

Both devices may connect to each other at once. Each keeps one session, chosen the same way on both
ends: of two sessions made within OVERLAP_SECONDS of each other, the one started by the device with
the greater public key outranks the other. Otherwise the newer session wins: the partner's device
makes a new one only once it has lost the old, so an old one is most likely dead at its far end (a
laptop shut without a goodbye) however well it ranks. Even a session kept by rank is pinged when the
partner's new one is turned away, and ended if it does not answer (PROBE_SECONDS).

A background thread per session reads messages into a queue (`get`, `messages`), answers pings, and
acknowledges promises, extensions and readies, delivering each of those once however often it comes.
`send` keeps those three until their acknowledgement comes, and sends them again on every new session
and every second, so a promise made while the partner's device is off reaches it when it opens.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from typing import Any, Iterable, Iterator

from companion.partner import channel, clock
from companion.partner.addresses import local, normal
from companion.partner.channel import Counters, Refused, Session
from companion.partner.messages import RELIABLE, Ack, Ping, Pong, decode, encode
from companion.partner.notes import note
from companion.debug import report

CONNECTED = "connected"
NOT_ANSWERING = "not answering"
CONNECT_SECONDS = 2.0  # for one address: a device on the local network answers well within it
RETRY_SECONDS = 1.0  # an unacknowledged message is sent again this often
HEARTBEAT_SECONDS = 5.0  # a quiet session is pinged this often...
SILENT_SECONDS = 20.0  # ...and given up for dead after this long without a frame
OVERLAP_SECONDS = 2.0  # two sessions made this close together were made at once: rank picks one...
PROBE_SECONDS = 0.5  # ...and the one kept is pinged: silent this long, it is dead at the far end, and goes
MAX_HANDSHAKES = 4  # at once: more connections are hung up on (counted as busy)
BACKOFF_SECONDS = (0.25, 4.0)  # between rounds of connecting, doubling from the first to the second
_SEEN = 1024  # message ids remembered to deliver each once
INBOX = 64  # messages come and not yet taken: past it, one is left unacknowledged (so sent again later)


class Link:
    """One device's end of the partner link. Make it with `Link.open`; close it (or use `with`)."""

    def __init__(self, own_key: Any, peers: Iterable[Any]):
        self._own = channel.private_key(own_key)
        # raw Ed25519 public keys, or anything holding one as .public_key (pairing's Peer); never our own
        self._peers = frozenset(bytes(getattr(p, "public_key", p)) for p in peers) - {channel.public_bytes(self._own)}
        self._counters = Counters()
        self._lock = threading.RLock()
        self._session: Session | None = None
        self._adopted_at = 0.0  # when (monotonic) _session was made the link's
        self._brief = False  # the last session ended within OVERLAP_SECONDS of being made
        self._probing = False  # a ping is out to learn whether the session kept is alive (_probe)
        self._sessions: list[Session] = []  # every session made, to close them all
        self._addresses: list[tuple[str, int]] = []
        self._dialing: socket.socket | None = None  # the connection the connecting thread is making a session on
        self._listener: socket.socket | None = None
        self._inbox: queue.Queue = queue.Queue(maxsize=INBOX)
        self._pending: dict[str, Any] = {}  # id -> message awaiting its acknowledgement
        self._delivered: dict[str, float] = {}  # id -> monotonic time its acknowledgement came
        self._seen: dict[str, None] = {}  # ids delivered already (insertion-ordered, bounded)
        self._pings = threading.Condition()
        self._samples: dict[float, clock.Sample | None] = {}  # t0 -> its sample once the pong is back
        self._last_heard = 0.0
        self._last_ping = 0.0
        self._closed = threading.Event()
        self._connected = threading.Event()
        self._wake = threading.Event()  # the connecting thread: an address came, or the session went
        self._handshakes = threading.BoundedSemaphore(MAX_HANDSHAKES)
        self._threads: list[threading.Thread] = []
        self.offset: clock.Offset | None = None  # the last clock_offset() found

    @classmethod
    def open(cls, own_key: Any, peers: Iterable[Any], listen: bool = True,
             connect_to: Iterable[tuple[str, int]] = (), timeout: float = 2.0, host: str = "") -> Link:
        """Listen (on `host`, every interface by default) and connect to `connect_to`; return once a session is
        up or `timeout` seconds have passed (`state` says which). Network errors are never raised: they leave
        the link "not answering". With no partner paired it is "not answering" at once, and neither listens
        nor starts a thread."""
        link = cls(own_key, peers)
        if not link._peers:
            return link
        try:
            if listen:
                link._listen(host)
            for address in connect_to:
                link._add(address)
            link._start()
            if link._listener is not None or link._addresses:
                link._connected.wait(timeout)
        except BaseException:
            link.close()
            raise
        return link

    # --- what a session uses

    @property
    def state(self) -> str:
        return CONNECTED if self.connected else NOT_ANSWERING

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        return self._connected.wait(timeout)

    @property
    def address(self) -> tuple[str, int] | None:
        """Where this link listens (for discovery to announce), None if it does not."""
        listener = self._listener
        try:
            return listener.getsockname() if listener is not None else None
        except OSError:
            return None

    @property
    def peer(self) -> bytes | None:
        """The connected partner's public key (raw): which paired device this is."""
        session = self._session
        return session.peer if session is not None else None

    @property
    def session_id(self) -> str | None:
        session = self._session
        return session.id if session is not None else None

    def add_address(self, address: tuple[str, int]) -> None:
        """Another place the partner may be (found by discovery after opening): tried from now on. Only an IP
        address on the local network is ever connected to (a name is not: discovery gives addresses)."""
        self._add(address)
        self._wake.set()

    def _add(self, address: tuple[str, int]) -> None:
        place = (normal(str(address[0])), int(address[1]))
        with self._lock:
            if place not in self._addresses:
                self._addresses.append(place)

    def send(self, msg: Any) -> bool:
        """Send `msg` (a messages model) now if connected; True if it went. A promise, extension or ready is
        kept and sent again until acknowledged, connected now or not."""
        if isinstance(msg, RELIABLE):
            with self._lock:
                self._pending[msg.id] = msg
        session = self._session
        return session is not None and self._send_on(session, msg)

    def get(self, timeout: float | None = None) -> Any | None:
        """The next message from the partner (a promise, extend, ready or ack), waiting up to `timeout`; None if none."""
        try:
            return self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def messages(self) -> Iterator[Any]:
        """The messages that have come and not been taken, without waiting."""
        while True:
            try:
                yield self._inbox.get_nowait()
            except queue.Empty:
                return

    def delivered(self, msg_id: str) -> float | None:
        """When (time.monotonic()) the partner acknowledged the message `msg_id`; None if it has not."""
        with self._lock:
            return self._delivered.get(msg_id)

    def pending(self) -> list[str]:
        """The ids of messages sent and not yet acknowledged."""
        with self._lock:
            return list(self._pending)

    def clock_offset(self, samples: int = 5, timeout: float = 2.0) -> clock.Offset | None:
        """The partner's wall clock against our monotonic clock, from `samples` pings one after another
        (at most `timeout` seconds in all); None if no pong came. Kept as `offset` too."""
        deadline = time.monotonic() + timeout
        taken: list[clock.Sample] = []
        for _ in range(samples):
            session = self._session
            if session is None:
                break
            t0 = time.monotonic()
            with self._pings:
                self._samples[t0] = None
            if not self._send_on(session, Ping(t0=t0)):
                break
            with self._pings:
                self._pings.wait_for(lambda: self._samples.get(t0) is not None or self._closed.is_set(),
                                     timeout=max(0.0, deadline - time.monotonic()))
                sample = self._samples.pop(t0, None)
            if sample is None:
                break
            taken.append(sample)
        found = clock.estimate(taken)
        if found is not None:
            self.offset = found
        return found

    def local_time(self, partner_time: float) -> float | None:
        """A time the partner named (its wall clock: a return_at, a ready's at) on our time.monotonic(), by the
        last clock_offset(); None before one was found."""
        offset = self.offset
        return offset.to_local(partner_time) if offset is not None else None

    def counters(self) -> dict[str, int]:
        """Frames and handshakes dropped, by why (channel.Counters names them)."""
        return self._counters.snapshot()

    def close(self) -> None:
        """Stop listening, end the session, stop the threads. Safe to call twice."""
        self._closed.set()
        self._wake.set()
        with self._pings:
            self._pings.notify_all()
        listener, self._listener = self._listener, None
        if listener is not None:
            _hang_up(listener)  # from now on a connection to the port is refused
        with self._lock:
            sessions, self._session = list(self._sessions), None
            self._connected.clear()
            dialing = self._dialing
        if dialing is not None:  # its handshake ends now (the connecting thread closes the socket)
            try:
                dialing.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for session in sessions:
            session.close()
        for thread in self._threads:  # a connection under way is not waited for (Ctrl-C is silence at once):
            if thread.name != "partner-connecting" and thread is not threading.current_thread():  # see above
                thread.join(timeout=1.0)

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- behind it

    def _listen(self, host: str) -> None:
        try:
            self._listener = channel.listen(host, 0)
            self._listener.settimeout(0.25)  # the accepting thread looks at _closed this often
        except OSError as exc:  # no network to listen on: the session goes on alone
            note(f"not listening: {type(exc).__name__}")
            self._listener = None

    def _start(self) -> None:
        for target in (self._accepting, self._connecting, self._ticking):
            if target is self._accepting and self._listener is None:
                continue
            thread = threading.Thread(target=target, name=f"partner-{target.__name__.strip('_')}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _accepting(self) -> None:
        listener = self._listener
        while not self._closed.is_set() and listener is not None:
            try:
                sock, address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            if not local(address[0]):
                self._counters.add("not_local")
                sock.close()
                continue
            if not self._handshakes.acquire(blocking=False):
                self._counters.add("busy")
                sock.close()
                continue
            threading.Thread(target=self._answering, args=(sock,), name="partner-handshake", daemon=True).start()

    def _answering(self, sock: socket.socket) -> None:
        try:
            channel.keep_alive(sock)
            session = channel.handshake(sock, self._own, self._peers, initiator=False, counters=self._counters)
        except Refused:
            return
        finally:
            self._handshakes.release()
        self._adopt(session)

    def _connecting(self) -> None:
        backoff = BACKOFF_SECONDS[0]
        while not self._closed.is_set():
            self._wake.clear()
            if self._session is not None:
                self._wake.wait()  # until the session goes, an address comes, or the link closes
                continue
            brief, self._brief = self._brief, False
            if brief:  # the last session was hung up on as soon as it was made (the partner kept one that
                # outranks it, made at the same moment): wait, or the two would trade handshakes nonstop
                if self._closed.wait(backoff):
                    return
                backoff = min(backoff * 2, BACKOFF_SECONDS[1])
            if self._dial():
                if not brief:
                    backoff = BACKOFF_SECONDS[0]
            else:
                self._wake.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_SECONDS[1])

    def _dial(self) -> bool:
        """Try the partner's addresses in turn until one makes a session: whether one did."""
        with self._lock:
            addresses = list(self._addresses)
        for address in addresses:
            if self._closed.is_set() or self._session is not None:
                return False
            if not local(address[0]):
                note(f"not connecting to {address[0]}: not an address on the local network")
                continue
            try:
                session = self._handshake_with(address)
            except Exception as exc:  # whatever the address or the network does, this thread goes on
                report(exc, "dialling the partner")
                note(f"no session with {address[0]}:{address[1]}: {type(exc).__name__}")
                continue
            return self._adopt(session)
        return False

    def _rank(self, session: Session) -> int:
        return 1 if session.initiator_key == max(session.own, session.peer) else 0

    def _handshake_with(self, address: tuple[str, int]) -> Session:
        """channel.connect, but a handshake under way is cut by `close`, and none starts after it."""
        sock = socket.create_connection(address, timeout=CONNECT_SECONDS)
        with self._lock:
            if self._closed.is_set():
                sock.close()
                raise ConnectionAbortedError("the link closed")
            self._dialing = sock
        try:
            channel.keep_alive(sock)
            return channel.handshake(sock, self._own, self._peers, initiator=True, counters=self._counters,
                                     seconds=min(CONNECT_SECONDS, channel.HANDSHAKE_SECONDS))
        finally:
            with self._lock:
                self._dialing = None

    def _keeps(self, current: Session | None, session: Session, now: float) -> bool:
        """Whether the link keeps `current` over the new `session`: only one from another partner, or one made
        at the same moment that outranks it. An older one is not trusted to be alive at the other end."""
        if current is None or current.closed:
            return False
        if current.peer != session.peer:
            return True
        return now - self._adopted_at < OVERLAP_SECONDS and self._rank(current) > self._rank(session)

    def _adopt(self, session: Session) -> bool:
        """Make `session` the link's, unless the one it has is kept (see _keeps): whether it was."""
        with self._lock:
            current, now = self._session, time.monotonic()
            turned_away = self._closed.is_set() or self._keeps(current, session, now)
            if not turned_away:
                self._session, self._adopted_at = session, now
                self._sessions = [s for s in self._sessions if not s.closed] + [session]
                self._last_heard = now
                self._connected.set()
                waiting = list(self._pending.values())
        if turned_away:
            session.close()
            if current is not None and current.peer == session.peer and not self._closed.is_set():
                self._probe(current)  # outside the lock: a ping to a dead end may block a while
            return False
        if current is not None:
            current.close()
        thread = threading.Thread(target=self._receiving, args=(session,), name="partner-receive", daemon=True)
        thread.start()
        for msg in waiting:  # what the partner has not acknowledged, first thing on the new session
            self._send_on(session, msg)
        return True

    def _probe(self, session: Session) -> None:
        """The partner made a new session though we keep `session`: ping it, and end it if it stays silent
        PROBE_SECONDS (its far end went without a goodbye), so the partner's next one is taken."""
        with self._lock:
            if self._probing:
                return
            self._probing = True
        sent = time.monotonic()

        def check() -> None:
            with self._lock:
                self._probing = False
                silent = self._session is session and self._last_heard < sent and not self._closed.is_set()
            if silent:
                note("the session kept did not answer a ping: a new one")
                session.close()

        self._send_on(session, Ping(t0=sent))
        timer = threading.Timer(PROBE_SECONDS, check)
        timer.daemon = True
        timer.start()

    def _lost(self, session: Session) -> None:
        with self._lock:
            if self._session is session:
                self._session = None
                self._brief = time.monotonic() - self._adopted_at < OVERLAP_SECONDS
                self._connected.clear()
        self._wake.set()

    def _send_on(self, session: Session, msg: Any) -> bool:
        try:
            session.send(encode(msg))
            return True
        except OSError:
            return False  # the receiving thread sees the session end, and the link looks for another

    def _receiving(self, session: Session) -> None:
        while (data := session.receive()) is not None:
            wall, now = time.time(), time.monotonic()
            if self._session is session:
                self._last_heard = now
            msg = decode(data)
            if msg is None:
                self._counters.add("undecodable")
            else:
                self._handle(session, msg, wall, now)
        self._lost(session)

    def _handle(self, session: Session, msg: Any, wall: float, now: float) -> None:
        if isinstance(msg, Ping):
            self._send_on(session, Pong(t0=msg.t0, t1=wall, t2=time.time()))
        elif isinstance(msg, Pong):
            with self._pings:
                if msg.t0 in self._samples and self._samples[msg.t0] is None:
                    self._samples[msg.t0] = clock.Sample(t0=msg.t0, t1=msg.t1, t2=msg.t2, t3=now)
                    self._pings.notify_all()
        elif isinstance(msg, Ack):
            with self._lock:
                acknowledged = self._pending.pop(msg.id, None) is not None
                if acknowledged:
                    self._delivered[msg.id] = now
            if acknowledged:
                try:
                    self._inbox.put_nowait(msg)
                except queue.Full:  # only news: `delivered` has it
                    self._counters.add("overflow")
        else:  # a promise, extend or ready
            with self._lock:
                if msg.id not in self._seen:
                    try:
                        self._inbox.put_nowait(msg)
                    except queue.Full:  # nobody is taking them: no acknowledgement, so it comes again
                        self._counters.add("overflow")
                        return
                    self._seen[msg.id] = None
                    if len(self._seen) > _SEEN:
                        del self._seen[next(iter(self._seen))]
            self._send_on(session, Ack(id=msg.id))

    def _ticking(self) -> None:
        """Every second: send again what is unacknowledged; ping a quiet session; give up on a silent one."""
        while not self._closed.wait(RETRY_SECONDS):
            session = self._session
            if session is None:
                continue
            with self._lock:
                waiting = list(self._pending.values())
            for msg in waiting:
                self._send_on(session, msg)
            now = time.monotonic()
            if now - self._last_heard > SILENT_SECONDS:
                note("the partner has been silent too long: a new session")
                session.close()
            elif now - max(self._last_heard, self._last_ping) > HEARTBEAT_SECONDS:
                self._last_ping = now
                self._send_on(session, Ping(t0=now))  # its pong is a frame heard


def _hang_up(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
