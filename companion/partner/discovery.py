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
BROWSE_SECONDS = 4.0
MAX_FOUND = 8


def _zeroconf(address: str | None):
    from zeroconf import InterfaceChoice, IPVersion, Zeroconf

    if address:
        return Zeroconf(interfaces=[address], ip_version=IPVersion.V6Only if ":" in address else IPVersion.V4Only)
    return Zeroconf(interfaces=InterfaceChoice.All, ip_version=IPVersion.V4Only)


@contextlib.contextmanager
def advertised(port: int, address: str | None):
    """Advertise the pairing at `port` while the block runs. Yields None, or a line saying why
    discovery could not start (the joiner then needs --peer)."""
    zeroconf = None
    problem = None
    try:
        from zeroconf import ServiceInfo

        from .pairing import own_addresses

        tag = secrets.token_hex(4)
        zeroconf = _zeroconf(address)
        info = ServiceInfo(SERVICE, f"companion-{tag}.{SERVICE}", port=port, properties={b"v": b"1"},
                           parsed_addresses=own_addresses(address) or ["127.0.0.1"], server=f"companion-{tag}.local.")
        # Registering probes the network for a clash first (most of a second, more on a busy machine): in
        # the background, so that the code shows, and --peer works, at once.
        registering = threading.Thread(target=_register, args=(zeroconf, info), daemon=True)
        registering.start()
    except Exception as e:  # no multicast here, no interface up: pairing still works with --peer
        from ..textsafe import clip, visible

        problem = (f"(Discovery on the local network could not start: {visible(clip(str(e) or type(e).__name__))}. "
                   "Use the --peer line above on the other device.)")
        if zeroconf is not None:
            zeroconf.close()
            zeroconf = None
    try:
        yield problem
    finally:
        if zeroconf is not None:
            zeroconf.close()  # says goodbye: the advert is withdrawn at once, not left to time out


def _register(zeroconf, info) -> None:
    try:
        zeroconf.register_service(info)
    except Exception as e:  # closed while it probed (paired already), or no multicast: --peer still works
        from ..debug import report

        report(e, "advertising the pairing")


def browse(address: str | None, seconds: float = BROWSE_SECONDS) -> list[tuple[str, int]]:
    """(host, port) of each device advertising a pairing, found within `seconds`. PairingError if the
    local network cannot be searched at all."""
    from zeroconf import ServiceBrowser, ServiceStateChange

    from .pairing import PairingError

    names: list[str] = []

    def changed(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Added and name not in names and len(names) < MAX_FOUND:
            names.append(name)

    try:
        zeroconf = _zeroconf(address)
    except Exception as e:
        from ..textsafe import clip, visible

        raise PairingError(f"cannot look for devices on the local network ({visible(clip(str(e)))}); "
                           "add the --peer HOST:PORT that `companion pair` shows on the other device") from None
    try:
        browser = ServiceBrowser(zeroconf, SERVICE, handlers=[changed])
        end = time.monotonic() + seconds
        while time.monotonic() < end and not names:
            time.sleep(0.05)
        if names:  # another a moment later means two are waiting: look a little longer
            time.sleep(0.5)
        browser.cancel()
        found = []
        for name in list(names):
            info = zeroconf.get_service_info(SERVICE, name, timeout=2000)
            if info is None or not info.port:
                continue
            for host in info.parsed_addresses()[:4]:
                found.append((host, info.port))
                break
        return found
    finally:
        zeroconf.close()
