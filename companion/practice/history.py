"""The journal's sessions as `companion log` lists them: one line each, newest first, with what a
guided pause, a daily practice or a session together did, in a few words."""

from __future__ import annotations


def log_lines(entries: list[dict]) -> list[str]:
    """`companion log`'s lines for the journal's rows."""
    from ..session.screen import clock
    from .schedule import counts

    lines = []
    for e in entries:
        state = "completed" if e["completed"] else e["end_reason"]
        if e["end_reason"] == "running":
            state = "playing" if _playing(e) else "unfinished"
        elif e["mode"] == "daily" and not counts(e["planned_s"], e["played_s"], e["completed"], e["end_reason"]):
            state += ", not counted"  # less than two thirds heard (skipped through with n, or stopped early)
        played = "" if state == "playing" else f"{clock(e['played_s']):>6} of "
        lines.append(f"{e['id']:>4}  {e['started_at'][:16].replace('T', ' ')}  {e['sequence']:<16} "
                     f"{played:>10}{clock(e['planned_s']):<6} " + " · ".join([state, *_details(e)]))
    return lines


PLAYING_GRACE_S = 600  # a session may run past its plan by pauses and turns; killed when much older
PAUSE_GRACE_S = 190 * 60  # a pause's break may last up to 180 minutes beyond its spoken parts


def _playing(entry: dict) -> bool:
    """A session with no end yet is still playing if it began less than its planned length (and
    PLAYING_GRACE_S for pauses and waits) ago; older, its process was killed before it could say."""
    from datetime import datetime

    try:
        age = (datetime.now().astimezone() - datetime.fromisoformat(entry["started_at"])).total_seconds()
    except (TypeError, ValueError):
        return False
    grace = PAUSE_GRACE_S if entry["mode"] == "pause" else PLAYING_GRACE_S
    return 0 <= age < (entry["planned_s"] or 0) + grace


def together_words(entry: dict) -> str:
    """"together · Sam 6 → 3 · Alex 7 → 4" (a rating not given: ?), and the floods if any."""
    from ..textsafe import visible

    def rating(value):
        return "?" if value is None else str(value)

    words = ["together"] + [visible(f"{p.get('name', '?')} {rating(p.get('distress_before'))} → "
                                    f"{rating(p.get('distress_after'))}")
                            for p in entry.get("partners") or [] if isinstance(p, dict)]
    if entry.get("flooded"):
        words.append(f"flooded {entry['flooded']}×")
    stages = (entry.get("stage") or "").split(" > ")
    if "break" in stages:  # the guided pause's break, taken there and then
        minutes = entry.get("break_minutes")
        words.append(f"a break of {minutes:g} min" if isinstance(minutes, (int, float)) else "a break")
    if stages[-1] == "flooded":
        words.append("ended for a break")
    return " · ".join(words)


def _details(entry: dict) -> list[str]:
    """What a guided pause, a daily practice or a session together did, in a few words for `log`."""
    if entry["mode"] == "together":
        return [together_words(entry)]
    if entry["mode"] == "daily":
        ratings = [str(r) if r is not None else "?" for r in (entry["distress_before"], entry["distress_after"])]
        return [] if ratings == ["?", "?"] else [f"distress {ratings[0]} → {ratings[1]}"]
    if entry["mode"] != "pause":
        return []
    details = [entry["side"]] if entry["side"] else []
    if entry["pulse_bpm"]:
        details.append(f"pulse {entry['pulse_bpm']}")
    if (entry["stage"] or "").endswith("stayed"):  # also after a moment (boat > stayed)
        details.append("stayed in the room")
    if entry["break_minutes"]:
        from ..session.screen import clock

        wait = "break" if entry["side"] == "leaving" else "hold-off"
        taken = entry["wait_s"]
        cut = f" ({clock(taken)} of it)" if taken is not None and taken < entry["break_minutes"] * 60 else ""
        details.append(f"{wait} {entry['break_minutes']:g} min{cut}")
    if entry["returned"]:
        details.append("bell reached")
    if not entry["completed"] and entry["stage"] not in (None, "done"):
        details.append(f"ended at: {entry['stage']}")
    return details
