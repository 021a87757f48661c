"""Which addresses the partner link and pairing talk to: IP addresses on this machine or the local network.

Both the link and pairing filter with `local`, so nothing leaves the local network whatever an address
book, a typed --peer or a forged mDNS announcement says. A host name is never taken as local: what it
resolves to is not known until it is looked up (perhaps by a server off the network), so a name is
resolved once (`resolve`) and the addresses it gave are filtered like any other.
"""

from __future__ import annotations


def address(host: str):
    """`host` as an ipaddress address (an IPv4-mapped IPv6 one as the IPv4 it carries); None if it is not one."""
    import ipaddress

    try:
        found = ipaddress.ip_address(host)
    except ValueError:
        return None
    return getattr(found, "ipv4_mapped", None) or found


def local(host: str) -> bool:
    """An IP address on this machine or the local network (private, link-local, loopback); not a name."""
    found = address(host) if isinstance(host, str) else None
    return found is not None and (found.is_private or found.is_link_local or found.is_loopback)


def normal(host: str) -> str:
    """An address in one spelling (fe80::1 for FE80:0::1), so one place is listed once; a name as it is."""
    found = address(host)
    return str(found) if found is not None else host


def resolve(host: str, port: int) -> list[str]:
    """The local addresses `host` (an address, or a name looked up once) stands for; [] if none.
    OSError if a name cannot be looked up (or is not one: 'a..b')."""
    if address(host) is not None:
        return [normal(host)] if local(host) else []
    import socket

    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as e:  # not a name IDNA can encode (an empty label): no lookup could find it
        raise OSError(f"not a host name ({e})") from None
    places = []
    for *_, sockaddr in found:
        if local(sockaddr[0]) and normal(sockaddr[0]) not in places:
            places.append(normal(sockaddr[0]))
    return places

def own_addresses(address: str | None) -> list[str]:
    """Where the joiner can reach this device: `address`, or this device's IPv4 addresses off loopback."""
    if address:
        return [address]
    import ifaddr

    found = [ip.ip for adapter in ifaddr.get_adapters() for ip in adapter.ips if isinstance(ip.ip, str)]
    return [a for a in found if not a.startswith("127.")][:3]
