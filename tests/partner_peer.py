"""The partner's device, in its own process, for tests/test_partner_link.py: `python partner_peer.py KEYS HOST PORT`.

Reads its private key (KEYS/own.key, raw) and its partner's public key (KEYS/peer.pub, raw), opens a
Link that connects to HOST:PORT, and says on stdout what it reached, one line each: `state ...`;
for a promise, `promise ID NAME MINUTES`, then `offset ERROR` (the clock offset's error bound,
seconds) and it answers with ready, then `delivered` once that is acknowledged. A line `bye` on
stdin closes the link: `closed`.
"""

import sys
import threading
import time
from pathlib import Path

from companion.partner.link import Link
from companion.partner.messages import Ack, Promise, Ready, new_id


def say(line: str) -> None:
    print(line, flush=True)


def main(keys: str, host: str, port: str) -> None:
    folder = Path(keys)
    own, peer = (folder / "own.key").read_bytes(), (folder / "peer.pub").read_bytes()
    link = Link.open(own, [peer], host="127.0.0.1", connect_to=[(host, int(port))], timeout=30.0)
    say(f"state {link.state}")
    bye = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), bye.set()), daemon=True).start()
    ready_id = None
    while not bye.is_set():
        msg = link.get(timeout=0.1)
        if isinstance(msg, Promise):
            say(f"promise {msg.id} {msg.name} {msg.minutes:g}")
            offset = link.clock_offset(samples=5, timeout=10.0)
            say(f"offset {offset.error:.6f}" if offset else "offset none")
            ready_id = new_id()
            link.send(Ready(id=ready_id, promise=msg.id, at=time.time() + 0.5))
        elif isinstance(msg, Ack) and msg.id == ready_id:
            say("delivered")
    link.close()
    say("closed")


if __name__ == "__main__":
    main(*sys.argv[1:])
