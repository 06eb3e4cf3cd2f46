"""The bridge's own memory: an estimate of the bytes its buffers hold (message log, log collector, error
records and formatted tracebacks, latency windows), reported as ``bridge_buffer_bytes`` so that a leak
check can subtract it from the process's RSS. The buffers are bounded; under an error storm they fill up
to their bounds, which looks like growth to a check that does not know them.

An estimate, not a measurement: sizes come from ``sys.getsizeof`` of the buffers and of a sample of
their records (records of one application look alike), so reading it costs a few hundred microseconds.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .message_log import MessageLog
from .stats import AgentStats

if TYPE_CHECKING:
    from .attach import Bridge

SAMPLE = 32
"""Records measured per buffer; the rest are assumed to look like them."""
_FLOAT = sys.getsizeof(1.0)


def bridge_buffer_bytes(bridge: Bridge) -> int:
    """Estimated bytes held by the bridge's buffers."""
    total = message_log_bytes(bridge.log) + bridge.collector.buffer_bytes()
    for gate in list(bridge.gates.values()):
        total += gate.errors.buffer_bytes() + stats_bytes(gate.stats)
    return total


def message_log_bytes(log: MessageLog) -> int:
    """The message log: its index and, from a sample, its entries with their hops and strings."""
    entries = log.entries()
    if not entries:
        return log.index_bytes()
    step = max(1, len(entries) // SAMPLE)
    sample = entries[::step]
    per_entry = 0
    for entry in sample:
        size = sys.getsizeof(entry) + sys.getsizeof(entry.hops) + sys.getsizeof(entry.children or ())
        if entry.hops:
            size += sys.getsizeof(entry.hops[0].message_id)  # shared by the entry's hops and the index key
        for hop in entry.hops:
            size += sys.getsizeof(hop) + sys.getsizeof(hop.sender or "") + sys.getsizeof(hop.error or "")
            size += _FLOAT * sum(1 for t in (hop.started_at, hop.dispatched_at, hop.handler_started_at,
                                             hop.finished_at) if t is not None)
            if hop.kind == "send":  # a send's recipient string is its own; a delivery's is the instance's
                size += sys.getsizeof(hop.recipient)
        per_entry += size
    return log.index_bytes() + per_entry * len(entries) // len(sample)


def stats_bytes(stats: AgentStats) -> int:
    """An agent type's sample windows (latency samples, construction-failure times, dependency call
    durations)."""
    total = stats.window.nbytes()
    times = stats.construction_error_times
    total += sys.getsizeof(times) + len(times) * _FLOAT
    for dep in list(stats.dependencies.values()):
        total += sys.getsizeof(dep.durations) + len(dep.durations) * _FLOAT
    return total
