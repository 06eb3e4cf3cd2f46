"""Per-second counters answer exact counts for any window up to an hour, with the clock passed in."""

from __future__ import annotations

import random

from autogen_ops_bridge.window_counts import HORIZON_S, SecondCounters


def test_counts_only_the_seconds_inside_the_window() -> None:
    c = SecondCounters()
    t0 = 1_700_000_000.0
    # one message a second for two minutes, every third one failing, in two batches
    ends, oks = [t0 + i for i in range(120)], [i % 3 != 0 for i in range(120)]
    c.ended(ends[:50], oks[:50])
    c.ended(ends[50:], oks[50:])
    c.refused(t0 + 119.5)
    last_minute = c.over(60, now=t0 + 119.9)
    assert (last_minute.handled, last_minute.errors, last_minute.refused) == (60, 20, 1)
    everything = c.over(600, now=t0 + 119.9)
    assert (everything.handled, everything.errors) == (120, 40)


def test_a_slot_an_hour_old_is_reused_not_added() -> None:
    c = SecondCounters()
    t0 = 1_700_000_000.0
    c.ended([t0, t0 + HORIZON_S], [False, True])  # the same slot, one horizon later
    now = c.over(HORIZON_S, now=t0 + HORIZON_S)
    assert (now.handled, now.errors) == (1, 0)
    # a batch an hour old, taken after a newer second holds the slot: past the horizon, not counted over it
    c.refused(t0 + HORIZON_S + 1)
    c.ended([t0 + 1], [0])
    later = c.over(1, now=t0 + HORIZON_S + 1)
    assert (later.handled, later.errors, later.refused) == (0, 0, 1)
    assert c.over(60, now=t0 + HORIZON_S + 120).handled == 0


def _reference(c: SecondCounters, window_s: float, now: float) -> tuple[int, int, int]:
    """The definition: every slot whose second started within the window, looked at one by one."""
    newest = int(now)
    oldest = newest - max(1, min(HORIZON_S, int(round(window_s)))) + 1
    picked = [i for i, sec in enumerate(c._stamp) if oldest <= sec <= newest]
    return (sum(c._handled[i] for i in picked), sum(c._errors[i] for i in picked),
            sum(c._refused[i] for i in picked))


def test_short_and_long_windows_count_what_the_definition_counts() -> None:
    # short windows are summed over their own seconds, long ones by one pass over every slot: both agree with
    # the definition, also for slots stamped after ``now`` (a clock that stepped back) and reused ones
    rng = random.Random(12)
    c = SecondCounters()
    t0 = 1_700_000_000.0
    ends = sorted(t0 + rng.uniform(0, 2 * HORIZON_S) for _ in range(5_000))
    c.ended(ends, [rng.random() < 0.7 for _ in ends])
    for _ in range(50):
        c.refused(t0 + rng.uniform(HORIZON_S, 2 * HORIZON_S))
    for window in (1, 59.6, 60, 300, 600, 601, 1800, HORIZON_S, 2 * HORIZON_S):
        for now in (t0 + 2 * HORIZON_S, t0 + 1.5 * HORIZON_S, t0 + HORIZON_S + 30.5):
            got = c.over(window, now=now)
            assert (got.handled, got.errors, got.refused) == _reference(c, window, now), (window, now)
