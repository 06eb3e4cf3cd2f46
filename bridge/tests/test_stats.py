"""An agent type's statistics take ended deliveries in batches and still answer every read exactly, as if
each message had been added on its own."""

from __future__ import annotations

import bisect

import pytest

from autogen_ops_bridge.stats import FLUSH_AT, LATENCY_BUCKETS_S, AgentStats, LatencyRing

T0 = 1_700_000_000.0


def test_batched_aggregates_equal_the_messages_added_one_by_one() -> None:
    stats = AgentStats()
    n = FLUSH_AT * 2 + 37  # two full batches taken on the way, the rest when read
    ended = [(T0 + i * 0.01, 0.0005 * (i % 40), None if i % 7 else ("KeyError" if i % 2 else "OSError"))
             for i in range(n)]
    for ts, duration_s, error_type in ended:
        stats.end(ts, duration_s, error_type)  # what the gate does when a delivery ends
    assert stats.unabsorbed == n - 2 * FLUSH_AT  # not taken yet: a read takes them first

    errors = [e for _, _, e in ended if e is not None]
    assert stats.handled_total == n and stats.errors_total == len(errors) and not stats.ended
    assert stats.errors_by_type == {t: errors.count(t) for t in ("KeyError", "OSError")}
    expected = [0] * (len(LATENCY_BUCKETS_S) + 1)
    for _, duration_s, _ in ended:
        expected[bisect.bisect_left(LATENCY_BUCKETS_S, duration_s)] += 1
    assert stats.bucket_counts == expected
    assert abs(stats.latency_sum_s - sum(d for _, d, _ in ended)) < 1e-9
    assert list(stats.window)[-3:] == [(ts, d, e is None) for ts, d, e in ended[-3:]]
    last = ended[-1][0]
    counts = stats.per_second.over(2, now=last)  # the seconds of the last two whole seconds' messages
    in_window = [e for ts, _, e in ended if int(ts) >= int(last) - 1]
    assert (counts.handled, counts.errors) == (len(in_window), sum(e is not None for e in in_window))
    assert [s[0] for s in stats.recent(1.0, now=last)] == [ts for ts, _, _ in ended if ts >= last - 1.0]


def test_a_refusal_counts_at_once_and_a_read_with_nothing_waiting_changes_nothing() -> None:
    stats = AgentStats()
    stats.refused("isolated")
    assert stats.refused_by_reason == {"isolated": 1} and stats.per_second.over(60).refused == 1
    assert (stats.handled_total, stats.errors_total, len(stats.window)) == (0, 0, 0)


@pytest.mark.parametrize("batches", [[3], [5, 4], [4, 4, 4], [11], [2, 9, 1, 7]])
def test_the_latency_ring_keeps_the_latest_messages_oldest_first(batches: list[int]) -> None:
    ring = LatencyRing(5)
    given: list[tuple[float, float, bool]] = []
    for size in batches:  # batches that fill it, wrap round its end, and outrun it whole
        batch = [(T0 + len(given) + i, 0.001 * (len(given) + i), (len(given) + i) % 3 != 0) for i in range(size)]
        given += batch
        ring.extend([b[0] for b in batch], [b[1] for b in batch], [b[2] for b in batch])
        assert ring.items() == given[-5:] and len(ring) == min(5, len(given)) and list(ring) == given[-5:]
    assert ring.nbytes() >= 5 * 17  # two doubles and a byte per message, allocated whole


def test_a_latency_ring_without_room_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one message"):
        LatencyRing(0)
