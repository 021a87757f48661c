"""Two (or three) homes on one machine, each a `companion` of its own, pairing over loopback.

Every process is told COMPANION_PAIR_ADDRESS=127.0.0.1: it listens, advertises and looks there
only, so nothing a test does reaches past this machine.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

LOOPBACK = "127.0.0.1"
GUARD = 60  # seconds: only so that a hung process fails the test instead of hanging it


STARTED: list[subprocess.Popen] = []  # hosts still waiting when a test ends are stopped (see end_hosts)


def end_hosts() -> None:
    """Stop the hosts a test started and left waiting (it failed half-way): else their adverts would
    answer the next test's joiner."""
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=GUARD)


class Home:
    def __init__(self, root: Path):
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "COMPANION_"))}
        self.env.update(HOME=str(root), XDG_DATA_HOME=str(root / "data"), XDG_CONFIG_HOME=str(root / "config"),
                        XDG_CACHE_HOME=str(root / "cache"), COMPANION_PAIR_ADDRESS=LOOPBACK,
                        PYTHONFAULTHANDLER="1")  # a process sent SIGABRT says where each thread was
        if os.environ.get("COMPANION_DEBUG"):  # the link's notes, for a failure to say more
            self.env["COMPANION_DEBUG"] = os.environ["COMPANION_DEBUG"]
        self.partner = root / "data" / "companion" / "partner"

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "companion", "pair", *args], env=self.env, capture_output=True,
                              text=True, timeout=GUARD, stdin=subprocess.DEVNULL, preexec_fn=lambda: os.umask(0))

    def host(self, *args: str) -> "Hosting":
        process = subprocess.Popen([sys.executable, "-m", "companion", "pair", *args], env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   text=True, preexec_fn=lambda: os.umask(0))
        STARTED.append(process)
        return Hosting(process)

    def public_key(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key((self.partner / "key").read_bytes(), password=None)
        return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def peers(self) -> list[dict]:
        path = self.partner / "peers.json"
        return json.loads(path.read_text())["peers"] if path.exists() else []


class Hosting:
    """`companion pair` waiting: its code and port, read from what it printed."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.printed = []
        for line in process.stdout:  # until it says it waits: no fixed sleep
            self.printed.append(line)
            if line.startswith("Waiting"):
                break
        else:
            raise AssertionError(f"the host ended before waiting: {self.finish()}")
        text = "".join(self.printed)
        self.code = re.search(r"companion pair (\d{6})\n", text).group(1)
        self.port = int(re.search(rf"--peer {re.escape(LOOPBACK)}:(\d+)\)", text).group(1))
        self.peer = f"{LOOPBACK}:{self.port}"

    def finish(self) -> tuple[int, str, str]:
        try:
            out, err = self.process.communicate(timeout=GUARD)
        except subprocess.TimeoutExpired:  # it hangs: where each thread was (faulthandler, see Home)
            self.process.send_signal(signal.SIGABRT)
            err = self.process.communicate(timeout=GUARD)[1]
            raise AssertionError(f"companion pair did not end within {GUARD} s; its stderr:\n{err[-6000:]}") from None
        return self.process.returncode, "".join(self.printed) + out, err
