#!/usr/bin/env python3
"""Render the pause's two first lines in the natural voice, to ship inside the package.

Run:  .venv/bin/python audio/make_first_words.py   (needs the `natural` extra)

Writes first-words/leaving.wav and first-words/reaching.wav (the first spoken
line of stay and sit, exactly as the clip cache would hold it) and
first-words/keys.tsv: each side's cache key and text. A pause with an empty
cache plays the shipped clip when the key the clip store computes is the
shipped one, so the first word never waits for the model to load (0.3-0.9 s).
Piper samples its durations at random, so a new render differs in its
bytes: tests/test_first_words_shipped.py checks the keys, not the bytes, and
fails when the text, the voice, its settings or the clip format change. Run
this again then.
"""

import shutil
import sys
import tempfile
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent / "first-words"
sys.path.insert(0, str(OUT_DIR.parent.parent))


def main() -> None:
    from companion.library import resolve
    from companion.pause.first_line import first_spoken_line
    from companion.pause.first_words import FIRST
    from companion.voice.clips import ClipStore, VoiceSettings
    from companion.voice.piper_engine import NATURAL

    OUT_DIR.mkdir(exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        clips = ClipStore(Path(cache), VoiceSettings())  # the defaults: the natural guide at the calm rate
        assert clips.voice("guide") == NATURAL, "install the natural extra first: pip install -e '.[natural]'"
        for side, name in FIRST.items():
            text = first_spoken_line(resolve(name).read_text(encoding="utf-8")).text
            shutil.copyfile(clips.ensure("guide", text), OUT_DIR / f"{side}.wav")
            rows.append(f"{side}\t{clips.key('guide', text)}\t{text}\n")
    (OUT_DIR / "keys.tsv").write_text("".join(rows), encoding="utf-8")
    print(f"wrote {', '.join(sorted(p.name for p in OUT_DIR.iterdir()))} in {OUT_DIR}")


if __name__ == "__main__":
    main()
