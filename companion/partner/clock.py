"""The partner's clock seen from here: NTP's offset from ping/pong samples, and a partner's time as a local deadline.

A sample is four timestamps: t0 when our ping left and t3 when its pong came back (our monotonic
clock), t1 when the partner received the ping and t2 when it sent the pong (the partner's wall clock,
epoch seconds). The offset is the partner's wall clock minus our monotonic clock, so a time the
partner names (a promise's return_at) becomes a local monotonic deadline, untouched by our own wall
clock being set while a break runs. Its error is at most half the round trip (the two legs' delays
may differ by anything up to it), so the sample with the smallest round trip is the one kept: both
bells within 50 ms need a round trip under 100 ms, which a local network gives by far.

Pure: no clock is read here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

# Epoch seconds are floats good to about a quarter of a microsecond: a loopback round trip may come out
# a hair below zero.
ROUNDING = 1e-6


@dataclass(frozen=True)
class Sample:
    t0: float  # ping sent (our monotonic clock)
    t1: float  # ping received (the partner's wall clock)
    t2: float  # pong sent (the partner's wall clock)
    t3: float  # pong received (our monotonic clock)

    @property
    def round_trip(self) -> float:
        """Time on the wire, both ways: our elapsed time less the time the partner held the ping."""
        return (self.t3 - self.t0) - (self.t2 - self.t1)

    @property
    def offset(self) -> float:
        return ((self.t1 - self.t0) + (self.t2 - self.t3)) / 2

    def usable(self) -> bool:
        """Finite, in order on each clock, and a round trip that is not negative (a garbled or forged pong is not)."""
        times = (self.t0, self.t1, self.t2, self.t3)
        return all(math.isfinite(t) for t in times) and self.t3 >= self.t0 and self.t2 >= self.t1 and self.round_trip >= -ROUNDING


@dataclass(frozen=True)
class Offset:
    offset: float  # partner's wall clock minus our monotonic clock, seconds
    error: float  # at most this far off: half the chosen sample's round trip
    samples: int  # usable samples it was chosen from

    def to_local(self, partner_time: float) -> float:
        """The partner's wall-clock time `partner_time` on our monotonic clock."""
        return to_local(partner_time, self.offset)


def estimate(samples: Iterable[Sample]) -> Offset | None:
    """The offset from the usable sample with the smallest round trip; None without one."""
    usable = [s for s in samples if s.usable()]
    if not usable:
        return None
    best = min(usable, key=lambda s: s.round_trip)
    return Offset(offset=best.offset, error=max(best.round_trip, 0.0) / 2, samples=len(usable))


def to_local(partner_time: float, offset: float) -> float:
    """A time on the partner's wall clock, on our monotonic clock."""
    return partner_time - offset


def own_offset(wall: float, monotonic: float) -> float:
    """Our own wall clock against our monotonic clock (both read together): our own promise's deadline
    goes through the same arithmetic as the partner's, so both bells are one instant named one way."""
    return wall - monotonic
