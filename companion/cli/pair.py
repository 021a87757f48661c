"""`companion pair`: pair this device with a partner's once, with a one-time code; list and forget.

Thin: the work is in companion/partner/ (pairing.py, discovery.py, identity.py), imported only
when the command runs, so nothing about the network loads for any other command.
"""

from __future__ import annotations

import sys

import click

from .common import Failure


@click.command("pair")
@click.argument("code", required=False)
@click.option("--peer", "peer_address", metavar="HOST:PORT",
              help="Join the device at HOST:PORT (as it shows) without looking for it: for networks that block discovery.")
@click.option("--name", metavar="NAME", help="Your name, as your partner's device will show and say it.")
@click.option("--replace", is_flag=True, help="If a partner of the same name is paired with another key, replace them.")
@click.option("--list", "list_", is_flag=True, help="The partners this device is paired with.")
@click.option("--forget", "forget_name", metavar="NAME", help="Forget the partner called NAME.")
def pair(code: str | None, peer_address: str | None, name: str | None, replace: bool, list_: bool,
         forget_name: str | None) -> None:
    """Pair this device with your partner's, once, on the same local network.

    \b
    On one device, `companion pair` shows a 6-digit code for 2 minutes.
    On the other, `companion pair CODE` joins. The code never crosses the
    network, and a wrong code ends the attempt: start again for a new one.

    Examples:

    \b
        companion pair                   show a code, and wait
        companion pair 123456            join the device showing 123 456
        companion pair 123456 --peer 192.168.1.20:40123
        companion pair --list            who this device is paired with
        companion pair --forget Sam
    """
    from ..partner.identity import PartnerError

    if (list_ or forget_name is not None) and (code or peer_address or name or replace or (list_ and forget_name)):
        raise click.UsageError("--list and --forget go alone: `companion pair --list`, `companion pair --forget NAME`.")
    if peer_address and not code:
        raise click.UsageError("--peer goes with the code: `companion pair CODE --peer HOST:PORT`.")
    try:
        if list_:
            _list()
        elif forget_name is not None:
            _forget(forget_name)
        else:
            _pair(code, peer_address, name, replace)
    except PartnerError as e:
        raise Failure(str(e)) from None


def _list() -> None:
    from ..partner.identity import fingerprint, peers
    from ..textsafe import visible

    known = peers()
    if not known:
        click.echo("Not paired with anyone yet. `companion pair` starts.")
        return
    for peer in known:
        click.echo(visible(f"{peer.name}  paired {peer.paired_at[:16].replace('T', ' ')}  key {fingerprint(peer.public_key)}"))


def _forget(name: str) -> None:
    from ..partner.identity import forget
    from ..textsafe import clip, visible

    if not forget(name):
        raise Failure(f"no partner called {visible(clip(name))}; `companion pair --list` shows them")
    click.echo(visible(f"Forgot {name.strip()}. Their device can no longer reach this one."))


def _pair(code: str | None, peer_address: str | None, name: str | None, replace: bool) -> None:
    from ..partner import pairing
    from ..partner.identity import MAX_PEERS, add_peer, find, fingerprint, peers
    from ..textsafe import visible

    if len(peers()) >= MAX_PEERS:  # a damaged list, or a full one, is said now: before any device is reached
        raise Failure(f"already paired with {MAX_PEERS} devices; `companion pair --forget NAME` one first")
    if code is not None:
        pairing.check_code(code)  # before asking a name: a typo is said at once
    place = pairing.parse_peer(peer_address) if peer_address else None  # looked up once, here
    own_name = _own_name(name)
    said = []

    def decide(peer) -> None:
        """Whether this device keeps `peer`: raises Failure to refuse (the other device is told, and keeps nothing)."""
        known = find(peer.name)
        if known is not None and known.public_key == peer.public_key:
            said.append(f"Paired with {peer.name} again (the same device as before).")
            return
        if known is not None and not replace:
            question = visible(f"You are already paired with a device of {known.name}'s. Replace it with this one?")
            if not (sys.stdin.isatty() and click.confirm(question, default=False)):
                raise Failure(visible(f"already paired with {known.name}; nothing changed. To pair with this device "
                                      "instead, start again with --replace (or `companion pair --forget NAME` first)"))
        said.append(f"Paired with {peer.name}. Their key: {fingerprint(peer.public_key)}")

    if code is None:  # the host stores before it tells the joiner it did
        pairing.host(own_name, click.echo, keep=lambda peer: (decide(peer), add_peer(peer)))
    else:  # the joiner stores once the host said it stored
        add_peer(pairing.join(code, own_name, click.echo, place, decide=decide))
    click.echo(visible(said[-1]))


def _own_name(name: str | None) -> str:
    from ..partner.identity import check_name

    if name is None and sys.stdin.isatty():
        name = click.prompt("Your name, as your partner's device will show it")
    if name is None:
        raise Failure("give your name with --name NAME (as your partner's device will show it)", 2)
    try:
        return check_name(name)
    except ValueError as e:
        raise Failure(f"--name: {e}", 2) from None
