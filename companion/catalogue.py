"""What `companion show` and `companion list` print about sequences: a sequence's captions with their
times (or its events as JSON), and the library grouped by moment and side, with each one's length."""

from __future__ import annotations


def shown_json(sequence, timeline, measured, clips) -> str:
    """`show --json`: every event, with start and length in seconds, estimated or not, and its clip."""
    import json

    guessed = measured.estimated
    events = [dict(e._asdict(), start_s=round(e.start_s, 3), seconds=round(e.seconds, 3),
                   estimated=(e.role, e.text) in guessed if e.kind == "speech" else False,
                   clip=str(clips.path(e.role, e.text)) if e.text else None)
              for e in timeline.events]
    return json.dumps({"id": sequence.id, "title": sequence.title, "seconds": round(timeline.seconds, 3),
                       "estimated": bool(guessed), "events": events}, indent=1)


def shown_lines(sequence, timeline, measured) -> list[str]:
    """`show`: the title and length, each caption (or bell, or long silence) at its time, the end."""
    from .session.screen import clock
    from .textsafe import visible

    guessed = measured.estimated
    lines = []
    about = ""  # "~" from the first estimated line on: every time after it is estimated too
    length = f"~{clock(timeline.seconds)}, ~ estimated: not rendered yet" if guessed else clock(timeline.seconds)
    lines.append(visible(f"{sequence.title}  ({length})"))
    for event in timeline.events:
        text = event.caption or _silent_caption(event)
        if text:
            lines.append(visible(f"{about + clock(event.start_s):>6}  {text}"))
        if event.kind == "speech" and (event.role, event.text) in guessed:
            about = "~"
    lines.append(f"{about + clock(timeline.seconds):>6}  (end)")
    return lines


def _silent_caption(event) -> str:
    if event.kind == "bell":
        return "(soft bell)" if event.asset == "bell-soft" else "(bell)"
    if event.kind == "silence" and event.seconds >= 1.0:
        return f"(silence, {event.seconds:g} s)"
    return ""


MOMENTS = {"conflict": "In a conflict", "daily": "Daily practice", "together": "Together", None: "Other"}
FOR_LABELS = {"leaving": "for the one who wants to leave", "reaching": "for the one who wants to reach",
              "both": "for either of you", "pair": "for both of you, together"}


def listed_lines(rows: list[dict]) -> list[str]:
    """`list`: lengths.listing's rows under their moment and side, yours marked, ~ explained."""
    from .textsafe import visible

    lines = []
    width = max((len(r["id"]) for r in rows), default=4)
    for moment, heading in MOMENTS.items():
        group = [r for r in rows if r["moment"] == moment]
        if not group:
            continue
        lines.append(heading)
        for who, label in FOR_LABELS.items():
            members = [r for r in group if r["for"] == who]
            if members:
                lines.append(f"  {label}")
            for row in members:
                length = f"{'~' if row['estimated'] else ''}{row['minutes']:.1f} min"
                lines.append(visible(f"    {row['id']:<{width}}  {length:>9}  {row['title']}{_mark(row)}"))
    if any(row["estimated"] for row in rows):
        lines.append("~ estimated from the words and the rate, until `companion prepare` renders them")
    return lines


def _mark(row: dict) -> str:
    if row["source"] != "user":
        return ""
    return "  (yours, replaces the built-in)" if row["replaces_builtin"] else "  (yours)"
