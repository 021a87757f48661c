"""The clock offset between two devices from synthetic ping/pong samples (partner/clock.py, pure)."""

import math

from hypothesis import given, strategies as st

from companion.partner.clock import Offset, Sample, estimate, own_offset, to_local

TRUE = 1_765_000_000.0 - 5_000.0  # the partner's wall clock minus our monotonic clock


def sample(t0: float, there: float, held: float, back: float, true: float = TRUE) -> Sample:
    """A ping sent at our t0 that takes `there` seconds out, is held `held`, and takes `back` seconds home."""
    t1 = t0 + there + true
    return Sample(t0=t0, t1=t1, t2=t1 + held, t3=t0 + there + held + back)


def test_symmetric_delays_give_the_offset_exactly():
    found = estimate([sample(100.0, 0.004, 0.001, 0.004)])
    assert math.isclose(found.offset, TRUE, abs_tol=1e-6)
    assert math.isclose(found.error, 0.004, abs_tol=1e-6)


def test_asymmetric_delays_are_off_by_half_the_difference_and_within_the_error_bound():
    s = sample(100.0, 0.030, 0.002, 0.010)
    found = estimate([s])
    assert math.isclose(found.offset - TRUE, (0.030 - 0.010) / 2, abs_tol=1e-6)
    assert abs(found.offset - TRUE) <= found.error + 1e-9
    assert math.isclose(s.round_trip, 0.040, abs_tol=1e-6)


def test_the_sample_with_the_smallest_round_trip_is_chosen():
    samples = [sample(100.0, 0.400, 0.001, 0.005), sample(101.0, 0.003, 0.050, 0.002),
               sample(102.0, 0.005, 0.001, 0.300)]
    found = estimate(samples)
    assert found.samples == 3
    assert math.isclose(found.error, 0.0025, abs_tol=1e-6)  # the second: held long, but quick on the wire
    assert abs(found.offset - TRUE) < 0.001


def test_unusable_samples_are_ignored_and_none_is_none():
    assert estimate([]) is None
    backwards = Sample(t0=10.0, t1=TRUE + 10.0, t2=TRUE + 10.1, t3=9.0)
    held_backwards = Sample(t0=10.0, t1=TRUE + 10.1, t2=TRUE + 10.0, t3=10.2)
    negative_trip = Sample(t0=10.0, t1=TRUE + 10.0, t2=TRUE + 10.5, t3=10.1)
    nan = Sample(t0=10.0, t1=float("nan"), t2=TRUE, t3=10.1)
    assert estimate([backwards, held_backwards, negative_trip, nan]) is None
    good = sample(20.0, 0.002, 0.0, 0.002)
    assert estimate([backwards, good, nan]).samples == 1


def test_both_bells_name_the_same_instant():
    """The one away promises a return on its own wall clock; each side turns it into its own monotonic deadline."""
    a_wall_minus_mono = 1_765_000_000.0 - 300.0  # device A: its wall clock and monotonic clock
    b_mono_to_a_wall = a_wall_minus_mono - 7_000.0  # A's wall clock minus B's monotonic clock (B booted earlier)
    return_at = 1_765_001_200.0  # A's wall clock
    a_deadline = to_local(return_at, own_offset(wall=a_wall_minus_mono + 50.0, monotonic=50.0))
    b_offset = estimate([sample(7_000.0, 0.012, 0.001, 0.004, true=b_mono_to_a_wall),
                         sample(7_001.0, 0.003, 0.001, 0.005, true=b_mono_to_a_wall)])
    b_deadline = b_offset.to_local(return_at)
    # the same instant: A's monotonic deadline is B's less the 7000 s B has been up longer
    assert abs((b_deadline - 7_000.0) - a_deadline) <= b_offset.error
    assert b_offset.error < 0.05


delays = st.floats(min_value=0.0, max_value=2.0)


@given(there=delays, held=st.floats(min_value=0.0, max_value=0.5), back=delays,
       true=st.floats(min_value=-2e9, max_value=2e9))
def test_the_estimate_is_never_further_off_than_its_error(there, held, back, true):
    found = estimate([sample(1_000.0, there, held, back, true=true)])
    assert isinstance(found, Offset)
    assert abs(found.offset - true) <= found.error + 1e-5  # and the floats' rounding
