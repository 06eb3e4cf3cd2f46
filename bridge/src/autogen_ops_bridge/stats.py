"""Per-agent-type counters, latency windows and dependency-call statistics (cheap on the hot path)."""

from __future__ import annotations

import bisect
import functools
import struct
import sys
import time
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator
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


class LatencyRing:
    """The latest ``capacity`` handled messages, oldest overwritten first: ``(end time, duration_s, ok)`` kept
    as three columns of raw values (two ``array('d')``, a ``bytearray``) written in place, not as a tuple and two
    floats per message: a message no longer allocates three objects and frees three made 2,000 messages
    earlier (long out of the processor's caches); a column write touches a few bytes next to the previous
    message's. Readers get the tuples back (``items``), oldest first. Mutated only from the runtime's event
    loop."""

    __slots__ = ("capacity", "_ends", "_durations", "_oks", "_next", "_size")

    def __init__(self, capacity: int = WINDOW_SAMPLES) -> None:
        if capacity < 1:
            raise ValueError(f"a latency ring holds at least one message, not {capacity}")
        self.capacity = capacity
        self._ends = array("d", bytes(8 * self.capacity))
        self._durations = array("d", bytes(8 * self.capacity))
        self._oks = bytearray(self.capacity)
        self._next = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[tuple[float, float, bool]]:
        return iter(self.items())

    def extend(self, ends: Iterable[float], durations: Iterable[float], oks: Iterable[int]) -> None:
        """Append messages given column by column (``oks``: true or 1 for ok), oldest first (C-level copies, no
        object per message)."""
        cap = self.capacity
        new_ends, new_durations, new_oks = array("d", ends), array("d", durations), bytes(oks)
        n = len(new_ends)
        if n > cap:
            new_ends, new_durations, new_oks, n = new_ends[-cap:], new_durations[-cap:], new_oks[-cap:], cap
        i = self._next
        k = min(n, cap - i)  # up to the end of the columns, the rest from their start
        self._ends[i:i + k], self._durations[i:i + k], self._oks[i:i + k] = (
            new_ends[:k], new_durations[:k], new_oks[:k])
        if k < n:
            self._ends[:n - k], self._durations[:n - k], self._oks[:n - k] = (
                new_ends[k:], new_durations[k:], new_oks[k:])
        self._next = (i + n) % cap
        self._size = min(cap, self._size + n)

    def items(self) -> list[tuple[float, float, bool]]:
        """The messages kept, oldest first."""
        start = (self._next - self._size) % self.capacity
        spans = ((start, start + self._size),) if start + self._size <= self.capacity else (
            (start, self.capacity), (0, self._next))
        out: list[tuple[float, float, bool]] = []
        for a, b in spans:
            out.extend(zip(self._ends[a:b], self._durations[a:b], map(bool, self._oks[a:b]), strict=True))
        return out

    def nbytes(self) -> int:
        """Memory held (fixed: the columns are allocated whole)."""
        return sys.getsizeof(self._ends) + sys.getsizeof(self._durations) + sys.getsizeof(self._oks)


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


FLUSH_AT = 256
"""Ended deliveries the gate leaves in ``AgentStats.ended`` before the aggregates take them."""

ENDED_RECORD = struct.Struct("ddd")
"""One ended delivery in ``AgentStats.ended``: end time, duration_s, ok (1.0 or 0.0), as raw doubles (the C
accelerator writes the same three)."""


@dataclass(eq=False, slots=True)  # (slots: the gate's C accelerator reads the hot ones at their offsets)
class AgentStats:
    """Everything counted about one agent type. Mutated only from the runtime's event loop.

    The gate appends each ended delivery to ``ended`` (``end``: three raw doubles written into a bytearray, no
    object made; a failed one's error type to ``ended_errors``): all a message costs here, the hot path of an
    error storm. The aggregates — totals, errors by type, the latency histogram and sum, the latency window,
    the per-second counts — take those in batches (``absorb``: C-level passes over the batch, no Python code
    per message) before any of them is read and whenever ``FLUSH_AT`` are waiting, so every read is exact and
    current."""

    refused_by_reason: dict[str, int] = field(default_factory=dict)
    construction_errors: int = 0
    inflight: int = 0
    peak_inflight: int = 0
    waiting: int = 0
    message_types: set[str] = field(default_factory=set)
    dependencies: dict[str, DependencyStats] = field(default_factory=dict)
    construction_error_times: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW_SAMPLES))
    """When constructions failed (error records are sampled per signature, so they cannot be counted)."""
    ended: bytearray = field(default_factory=bytearray)
    """Deliveries ended since the aggregates last took them, in end order: ``ENDED_RECORD`` each."""
    ended_errors: list[str] = field(default_factory=list)
    """The error types of the failed ones among ``ended``, in the same order."""
    _handled_total: int = 0
    _errors_total: int = 0
    _errors_by_type: dict[str, int] = field(default_factory=dict)
    _bucket_counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS_S) + 1))
    _latency_sum_s: float = 0.0
    _window: LatencyRing = field(default_factory=lambda: LatencyRing(WINDOW_SAMPLES))
    _per_second: SecondCounters = field(default_factory=SecondCounters)

    def end(self, ended_at: float, duration_s: float, error_type: str | None) -> None:
        """One delivery ended (``error_type``: None when it succeeded). The gate's C accelerator does the same."""
        self.ended += ENDED_RECORD.pack(ended_at, duration_s, error_type is None)
        if error_type is not None:
            self.ended_errors.append(error_type)
        if len(self.ended) >= FLUSH_AT * ENDED_RECORD.size:
            self.absorb()

    @property
    def unabsorbed(self) -> int:
        """Ended deliveries the aggregates have not taken yet."""
        return len(self.ended) // ENDED_RECORD.size

    def absorb(self) -> None:
        """Add the ended deliveries waiting in ``ended`` to the aggregates."""
        batch = self.ended
        if not batch:
            return
        errors = self.ended_errors
        self.ended, self.ended_errors = bytearray(), []
        columns = array("d", batch)
        ends, durations, oks = columns[0::3], columns[1::3], bytes(map(int, columns[2::3]))
        self._handled_total += len(ends)
        self._latency_sum_s += sum(durations)
        buckets = self._bucket_counts
        for i, n in Counter(map(_BUCKET_OF, durations)).items():
            buckets[i] += n
        self._window.extend(ends, durations, oks)
        self._per_second.ended(ends, oks)
        if errors:
            self._errors_total += len(errors)
            by_type = self._errors_by_type
            for error_type, n in Counter(errors).items():
                by_type[error_type] = by_type.get(error_type, 0) + n

    @property
    def handled_total(self) -> int:
        self.absorb()
        return self._handled_total

    @property
    def errors_total(self) -> int:
        self.absorb()
        return self._errors_total

    @property
    def errors_by_type(self) -> dict[str, int]:
        self.absorb()
        return self._errors_by_type

    @property
    def bucket_counts(self) -> list[int]:
        """Handled messages per latency bucket (``LATENCY_BUCKETS_S``, then +Inf)."""
        self.absorb()
        return self._bucket_counts

    @property
    def latency_sum_s(self) -> float:
        self.absorb()
        return self._latency_sum_s

    @property
    def window(self) -> LatencyRing:
        """The latest ``WINDOW_SAMPLES`` handled messages: ``(end time, duration_s, ok)``, oldest first."""
        self.absorb()
        return self._window

    @window.setter
    def window(self, window: LatencyRing) -> None:
        self.absorb()
        self._window = window

    @property
    def per_second(self) -> SecondCounters:
        """Exact handled / error / refused counts per second of the last hour."""
        self.absorb()
        return self._per_second

    def refused(self, reason: str) -> None:
        self.refused_by_reason[reason] = self.refused_by_reason.get(reason, 0) + 1
        self._per_second.refused(time.time())

    def recent(self, window_s: float, now: float | None = None) -> list[tuple[float, float, bool]]:
        cutoff = (time.time() if now is None else now) - window_s
        samples = self.window.items()  # appended in time order: bisect for the window start
        start = bisect.bisect_left(samples, cutoff, key=itemgetter(0))
        return samples[start:]

    def dependency(self, name: str, kind: str) -> DependencyStats:
        stats = self.dependencies.get(name)
        if stats is None:
            stats = self.dependencies[name] = DependencyStats(name=name, kind=kind)
        return stats


_BUCKET_OF = functools.partial(bisect.bisect_left, LATENCY_BUCKETS_S)
"""A duration's latency bucket (its index in ``AgentStats.bucket_counts``)."""
