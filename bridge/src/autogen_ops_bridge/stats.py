"""Per-agent-type counters, latency windows and dependency-call statistics (cheap on the hot path)."""

from __future__ import annotations

import bisect
import time
from collections import deque
from dataclasses import dataclass, field
from operator import itemgetter

from .window_counts import SecondCounters

LATENCY_BUCKETS_S: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)
"""Upper bounds (seconds) of the handler latency histogram; ``+Inf`` is implicit."""

WINDOW_SAMPLES = 2_000
"""At most this many recent handler samples are kept per agent type for percentiles and error rate."""


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (``q`` in 0..100); 0.0 for an empty list."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, int(round(q / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[rank]


@dataclass
class LatencySummary:
    count: int
    avg: float
    p50: float
    p95: float
    p99: float
    max: float
    errors: int


def summarize(samples: list[tuple[float, float, bool]]) -> LatencySummary:
    """Summarize ``(ts, duration_s, ok)`` samples into milliseconds (C-level loops: cheap to scrape)."""
    durations = sorted(map(itemgetter(1), samples))
    errors = len(samples) - sum(map(itemgetter(2), samples))
    if not durations:
        return LatencySummary(0, 0.0, 0.0, 0.0, 0.0, 0.0, errors)
    return LatencySummary(
        count=len(durations),
        avg=sum(durations) / len(durations) * 1000.0,
        p50=percentile(durations, 50) * 1000.0,
        p95=percentile(durations, 95) * 1000.0,
        p99=percentile(durations, 99) * 1000.0,
        max=durations[-1] * 1000.0,
        errors=errors,
    )


@dataclass
class DependencyStats:
    """Calls an agent type made to one external dependency (reported by the application)."""

    name: str
    kind: str
    count: int = 0
    errors: int = 0
    last_error: str | None = None
    durations: deque[float] = field(default_factory=lambda: deque(maxlen=1000))

    def record(self, duration_s: float, error: str | None) -> None:
        self.count += 1
        self.durations.append(duration_s)
        if error is not None:
            self.errors += 1
            self.last_error = error


@dataclass
class AgentStats:
    """Everything counted about one agent type. Mutated only from the runtime's event loop."""

    handled_total: int = 0
    errors_total: int = 0
    errors_by_type: dict[str, int] = field(default_factory=dict)
    refused_by_reason: dict[str, int] = field(default_factory=dict)
    construction_errors: int = 0
    inflight: int = 0
    peak_inflight: int = 0
    waiting: int = 0
    bucket_counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_S) + 1))
    latency_sum_s: float = 0.0
    window: deque[tuple[float, float, bool]] = field(default_factory=lambda: deque(maxlen=WINDOW_SAMPLES))
    message_types: set[str] = field(default_factory=set)
    dependencies: dict[str, DependencyStats] = field(default_factory=dict)
    construction_error_times: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW_SAMPLES))
    """When constructions failed (error records are sampled per signature, so they cannot be counted)."""
    per_second: SecondCounters = field(default_factory=SecondCounters)

    def observe(self, now: float, duration_s: float, error_type: str | None) -> None:
        self.handled_total += 1
        self.latency_sum_s += duration_s
        self.bucket_counts[bisect.bisect_left(LATENCY_BUCKETS_S, duration_s)] += 1
        ok = error_type is None
        self.window.append((now, duration_s, ok))
        self.per_second.handled(now, not ok)
        if error_type is not None:
            self.errors_total += 1
            self.errors_by_type[error_type] = self.errors_by_type.get(error_type, 0) + 1

    def refused(self, reason: str) -> None:
        self.refused_by_reason[reason] = self.refused_by_reason.get(reason, 0) + 1
        self.per_second.refused(time.time())

    def recent(self, window_s: float, now: float | None = None) -> list[tuple[float, float, bool]]:
        cutoff = (time.time() if now is None else now) - window_s
        samples = list(self.window)  # appended in time order: bisect for the window start
        start = bisect.bisect_left(samples, cutoff, key=itemgetter(0))
        return samples[start:]

    def dependency(self, name: str, kind: str) -> DependencyStats:
        stats = self.dependencies.get(name)
        if stats is None:
            stats = self.dependencies[name] = DependencyStats(name=name, kind=kind)
        return stats
