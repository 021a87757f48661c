"""In-memory stand-ins for unit tests of the pure core (never for end-to-end)."""

from companion.playback import pcm


class FakeClips:
    """Speech whose length is 1,000 frames a character, each clip one repeated sample value."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []
        self.unavailable = None

    def frames(self, role, text):
        self.calls.append((role, text))
        return 1000 * len(text)

    def load(self, role, text):
        value = (len(text) % 100 + 1).to_bytes(2, "little", signed=True)
        return value * self.frames(role, text)


class FakeClock:
    """A monotonic clock that moves only when someone sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.slept = 0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.slept += 1


def frames(seconds):
    return pcm.frames_of(seconds)
