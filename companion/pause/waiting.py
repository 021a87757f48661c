"""`companion wait`: a device left open for the partner's break (issue 21).

It says whose break it waits for, listens (partner/session_link.py) until the paired device's promise
comes, then runs the reaching side's pause from the hold-off on: the promise shown in its box and
said, the hold-off to the partner's return time (their bell and this one at one instant), and after
the bell `soften-leaving`, as `companion pause --reach` does. q or Ctrl-C before a promise ends it,
with nothing journalled.
"""

from __future__ import annotations

import sys


NOBODY = ("companion: no partner is paired, so there is no break to wait for; pair once with `companion pair` "
          "on both devices (see docs/partner.md)")


def run(text: bool = False, quiet: bool = False) -> int:
    from . import both_devices

    def warn(message: str) -> None:
        from ..textsafe import visible

        print(visible(message, newlines=True), file=sys.stderr)

    if not both_devices.paired():
        warn(NOBODY)
        return 2
    from .. import interrupt
    from ..config import Config, ConfigError, load
    from ..session.keys import Keys
    from ..session.screen import Screen

    try:
        cfg = load()
    except ConfigError as e:
        warn(f"companion: {e}; going on with the default settings.")
        cfg = Config()
    screen, keys = Screen(), Keys()
    partner = both_devices.Partner.start("reaching")
    try:
        with keys:
            partner.opened.wait()
            if partner.shared is None:  # the peers file could not be read (said in one line), or names nobody
                if partner.problem:
                    warn(f"companion: {partner.problem}")
                    return 1
                warn(NOBODY)
                return 2
            screen.caption(f"Waiting for {partner.name}'s break… (q ends)")
            while not partner.promised():
                partner.show(screen)
                interrupt.check()
                key = keys.read(0.2)
                if key in ("q", "Q"):
                    return 0
            return _hold_off(partner, screen, keys, cfg, warn, text, quiet)
    finally:  # Ctrl-C before a promise: nothing to journal; __main__ says it and exits 130
        partner.close()


def _hold_off(partner, screen, keys, cfg, warn, text: bool, quiet: bool) -> int:
    from ..playback.outputs import open_output
    from .flow import PauseFlow

    def journal():
        from ..journal.store import open_or_warn

        return open_or_warn(warn)

    def clips():
        from ..voice.clips import user_store

        store = user_store(cfg.voices)
        store.load_guide_early()
        return store

    flow = PauseFlow(output=open_output(text, warn), screen=screen, keys=keys, clips_factory=clips,
                     journal_factory=journal, minutes=partner.minutes, default_minutes=cfg.break_minutes, quiet=quiet,
                     warn=warn)
    flow.partner, flow.skip_first = partner, True
    return flow.run("reaching")
