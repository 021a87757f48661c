"""The guide's voice while a together session holds its sequence (a turn, "I'm flooded", the way back).

The loop must never wait for a word to be rendered: a key changes the screen at
once, and the words follow when they are ready. So a line asked for here is
rendered on a thread of its own, and said, in the order asked, over the held
sequence: the output reads a `Voice` in place of the session's cursor (it
answers `read`, `paused` and `finished` as a cursor does). While a line plays
the sequence does not move; between lines the sequence plays as before (and is
silent while it is paused). A soft line (a turn's time warning) is scaled down
after rendering, so it is the guide's voice, quieter than the guide.
"""

from __future__ import annotations

import queue
import threading
from collections import deque

from ..debug import report
from ..playback import pcm
from ..playback.timeline import LINE_GAP_S

SOFT_DB = -8.0  # a warning under a partner's words: heard, but well under the guide (-20 dBFS clips)


def gain_of(db: float) -> float:
    return 10 ** (db / 20)


class Voice:
    def __init__(self, cursor, clips):
        self.cursor, self.clips = cursor, clips  # the session's cursor, and the clip store that renders
        self._lines: deque[bytes] = deque()  # rendered, waiting to be said
        self._now, self._at = b"", 0  # the line being said, and how far (bytes)
        self._asked: queue.Queue = queue.Queue()
        self._waiting = 0  # asked, not yet rendered (or dropped)
        self._epoch = 0  # hush() moves it on: lines asked before are not said
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._render, daemon=True, name="voice")
        self._thread.start()

    # -- the session's side -------------------------------------------------------------
    def say(self, text: str, soft: bool = False) -> None:
        """Say `text` after what is already asked; returns at once."""
        with self._lock:
            self._waiting += 1
            self._asked.put((self._epoch, text, soft))

    def prepare(self, text: str) -> None:
        """Render `text` now, so it is said without waiting when it is asked for."""
        self._asked.put((None, text, False))

    def hush(self) -> None:
        """Nothing more of what was asked: the line being said ends as it is, the rest is dropped."""
        with self._lock:
            self._epoch += 1
            self._lines.clear()
            self._waiting = 0

    @property
    def speaking(self) -> bool:
        """A line asked for is still to be rendered or said."""
        with self._lock:
            return bool(self._waiting or self._lines or self._now)

    def close(self) -> None:
        self.hush()
        self._asked.put(None)

    def _render(self) -> None:
        while True:
            asked = self._asked.get()
            if asked is None:
                return
            epoch, text, soft = asked
            try:
                data = self.clips.load("guide", text)
            except Exception as e:  # no voice: the screen already shows the words
                report(e, "the guide's voice in a together session")
                data = b""
            if epoch is None:
                continue
            if soft and data:
                data = pcm.mix(pcm.silence(len(data) // pcm.SAMPLE_BYTES), data, gain_of(SOFT_DB))
            with self._lock:
                if epoch != self._epoch:
                    continue  # hushed while it was rendered
                self._waiting -= 1
                if data:
                    self._lines.append(data + pcm.silence(pcm.frames_of(LINE_GAP_S)))

    # -- the output's side: a cursor ------------------------------------------------------
    @property
    def paused(self) -> bool:
        with self._lock:
            return self.cursor.paused and not (self._now or self._lines)

    @property
    def finished(self) -> bool:
        with self._lock:
            return self.cursor.finished and not (self._now or self._lines)

    def read(self, n: int) -> bytes:
        with self._lock:
            if not self._now and self._lines:
                self._now, self._at = self._lines.popleft(), 0
            if self._now:
                chunk = self._now[self._at:self._at + n * pcm.SAMPLE_BYTES]
                self._at += len(chunk)
                if self._at >= len(self._now):
                    self._now = b""
                return chunk + bytes(n * pcm.SAMPLE_BYTES - len(chunk))
        return self.cursor.read(n)
