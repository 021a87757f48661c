"""Finding the waiting device by multicast DNS (zeroconf), only while `companion pair` runs.

The host advertises SERVICE while it waits, under a random instance name: nothing about the
person (their name, their partner) goes on the network, only that some device is waiting to pair
with companion, and where. The joiner looks for a few seconds. `--peer HOST:PORT` does without
this on networks that block multicast.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time

SERVICE = "_companion-pair._tcp.local."
BROWSE_SECONDS = 3.0
MAX_FOUND = 8
REGISTER_SECONDS = 10.0  # mDNS probes for a clash first: most of a second, more on a busy machine


def _zeroconf(address: str | None):
    from zeroconf import InterfaceChoice, IPVersion, Zeroconf

    if address:
        return Zeroconf(interfaces=[address], ip_version=IPVersion.V6Only if ":" in address else IPVersion.V4Only)
    return Zeroconf(interfaces=InterfaceChoice.All, ip_version=IPVersion.V4Only)


class Advert:
    """While `advertised` runs: `ready()` waits until the joiner can find it (None), or says why it can't."""

    def __init__(self):
        self.problem: str | None = None
        self.done = threading.Event()

    def ready(self, seconds: float = REGISTER_SECONDS) -> str | None:
        if not self.done.wait(seconds):
            return "(Discovery on the local network is slow to start here; the --peer line above works at once.)"
        return self.problem

    def failed(self, error: BaseException) -> None:
        from ..textsafe import clip, visible

        self.problem = (f"(Discovery on the local network could not start: "
                        f"{visible(clip(str(error) or type(error).__name__))}. Use the --peer line above.)")
        self.done.set()


@contextlib.contextmanager
def advertised(port: int, address: str | None):
    """Advertise the pairing at `port` while the block runs: yields an Advert."""
    zeroconf = None
    advert = Advert()
    try:
        from zeroconf import ServiceInfo

        from .addresses import own_addresses

        tag = secrets.token_hex(4)
        zeroconf = _zeroconf(address)
        info = ServiceInfo(SERVICE, f"companion-{tag}.{SERVICE}", port=port, properties={b"v": b"1"},
                           parsed_addresses=own_addresses(address) or ["127.0.0.1"], server=f"companion-{tag}.local.")
        # In the background (it probes first, see REGISTER_SECONDS): the code shows, and --peer works, at once.
        threading.Thread(target=_register, args=(zeroconf, info, advert), daemon=True).start()
    except Exception as e:  # no multicast here, no interface up: pairing still works with --peer
        from ..debug import report

        report(e, "advertising the pairing")
        advert.failed(e)
        if zeroconf is not None:
            zeroconf.close()
            zeroconf = None
    try:
        yield advert
    finally:
        if zeroconf is not None:
            zeroconf.close()  # says goodbye: the advert is withdrawn at once, not left to time out


def _register(zeroconf, info, advert: Advert) -> None:
    try:
        zeroconf.register_service(info)
    except Exception as e:  # closed while it probed (paired already), or no multicast: --peer still works
        from ..debug import report

        report(e, "advertising the pairing")
        advert.failed(e)
    advert.done.set()


def browse(address: str | None, seconds: float = BROWSE_SECONDS) -> list[list[tuple[str, int]]]:
    """For each device advertising a pairing, found within `seconds`, the (host, port) it can be reached
    at (one for each of its addresses). PairingError if the local network cannot be searched at all."""
    from zeroconf import ServiceBrowser, ServiceStateChange

    from .addresses import local
    from .names import PairingError

    names: list[str] = []

    def changed(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Added and name not in names and len(names) < MAX_FOUND:
            names.append(name)

    try:
        zeroconf = _zeroconf(address)
    except Exception as e:
        from ..debug import report
        from ..textsafe import clip, visible

        report(e, "looking for devices")
        raise PairingError(f"cannot look for devices on the local network ({visible(clip(str(e)))}); "
                           "add the --peer HOST:PORT that `companion pair` shows on the other device") from None
    try:
        browser = ServiceBrowser(zeroconf, SERVICE, handlers=[changed])
        end = time.monotonic() + seconds
        # The whole time, not until the first: if two devices wait at once, trying the code on the wrong
        # one would close that one's pairing, so the joiner must know there are two.
        while time.monotonic() < end:
            time.sleep(0.05)
        browser.cancel()
        found = []
        for name in list(names):
            info = zeroconf.get_service_info(SERVICE, name, timeout=2000)
            if info is None or not info.port:
                continue
            # what an advert names is anyone's to forge: only addresses on the local network are tried
            places = [(host, info.port) for host in info.parsed_addresses() if local(host)][:4]
            if places:
                found.append(places)
        return found
    finally:
        zeroconf.close()
