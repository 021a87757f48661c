"""The partner link a pause or `companion wait` holds open, and how the two devices find each other.

Opened only after a session's first sound, and only if a partner is paired (`open` returns None
otherwise, having touched nothing of the network). It listens on an ephemeral port, advertises it by
multicast DNS under SERVICE with a random instance name (nothing about the person goes on the
network), and looks for the partner's advert the whole time it is open: every address found is
given to the link, whose handshake decides whether it is really the paired device. Closed when the
session ends: from then on nothing listens or advertises.

COMPANION_PAIR_ADDRESS (as for pairing) keeps all of it on one local address, e.g. loopback.
"""

from __future__ import annotations

import secrets
import threading
import time

from .notes import note
from ..debug import report

SERVICE = "_companion-break._tcp.local."
ANSWER_SECONDS = 2.0  # the partner's device not answering within this: the session goes on alone


class Shared:
    """One side's link to the paired partner(s) while a session needs it."""

    def __init__(self, link, peers, address: str | None):
        self.link = link
        self._peers = peers
        self._address = address
        self._zeroconf = None
        self._browser = None
        self._tag = secrets.token_hex(4)
        self._closed = threading.Event()

    @classmethod
    def open(cls) -> "Shared | None":
        """The link, listening and looking, or None with no partner paired (nothing of the network then)."""
        from .identity import peers

        known = peers()
        if not known:
            return None
        from .identity import own_key
        from .link import Link
        from .pairing import local_address

        address = local_address()
        link = Link.open(own_key(), known, listen=True, timeout=0.0, host=address or "")
        shared = cls(link, known, address)
        threading.Thread(target=shared._discover, daemon=True, name="partner-discovery").start()
        return shared

    def partner_name(self) -> str:
        """The paired name of the device connected (the name given at pairing is the one to trust)."""
        key = self.link.peer
        for peer in self._peers:
            if peer.public_key == key:
                return peer.name
        return self._peers[0].name if len(self._peers) == 1 else "your partner"

    def names(self) -> str:
        """Who may answer, before any has: the partner's name, or "your partner"."""
        return self._peers[0].name if len(self._peers) == 1 else "your partner"

    def close(self) -> None:
        self._closed.set()
        zeroconf, self._zeroconf = self._zeroconf, None
        if zeroconf is not None:
            try:
                zeroconf.close()  # the advert withdrawn at once
            except Exception as e:
                report(e, "closing discovery")
                note(f"closing discovery: {type(e).__name__}")
        self.link.close()

    # --- finding each other

    def _discover(self) -> None:
        try:
            from zeroconf import ServiceBrowser, ServiceInfo

            from .discovery import _zeroconf
            from .addresses import own_addresses

            port = (self.link.address or (None, 0))[1]
            zeroconf = _zeroconf(self._address)
            if self._closed.is_set():
                zeroconf.close()
                return
            self._zeroconf = zeroconf
            self._browser = ServiceBrowser(zeroconf, SERVICE, handlers=[self._changed])
            if port:
                info = ServiceInfo(SERVICE, f"companion-{self._tag}.{SERVICE}", port=port, properties={b"v": b"1"},
                                   parsed_addresses=own_addresses(self._address) or ["127.0.0.1"],
                                   server=f"companion-{self._tag}.local.")
                zeroconf.register_service(info)
        except Exception as e:  # no multicast here: the link still answers a partner who finds it
            report(e, "discovery")
            note(f"discovery: {type(e).__name__}")

    def _changed(self, zeroconf, service_type, name, state_change):
        from zeroconf import ServiceStateChange

        if state_change is ServiceStateChange.Removed or name.startswith(f"companion-{self._tag}."):
            return
        threading.Thread(target=self._resolve, args=(zeroconf, name), daemon=True, name="partner-resolve").start()

    def _resolve(self, zeroconf, name: str) -> None:
        for _ in range(3):
            if self._closed.is_set():
                return
            try:
                info = zeroconf.get_service_info(SERVICE, name, timeout=2000)
            except Exception as e:
                report(e, "resolving an advert")
                note(f"resolving: {type(e).__name__}")
                return
            if info is not None and info.port:
                for host in info.parsed_addresses()[:4]:
                    self.link.add_address((host, info.port))
                return
            time.sleep(0.2)
