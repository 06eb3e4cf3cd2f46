"""Which records the bridge keeps under load, with every event still counted.

Under an error storm the bridge's cost was its records, not its counters: each kept record is long-lived
memory written once per message (a message-log entry, a log event, a failure event), and rings of them
churn through the processor's caches at the application's expense. So past a per-second budget per key
(an agent type) the bridge counts an event and keeps no record of it. Every kept record carries the
key's running count when it was kept (its *ordinal*): a reader derives how many events each kept record
stands for — itself and the events of its key after it that were not kept, up to the next kept one
(``stands_for``). Because a budget opens anew each second, the events a record stands for fall within the
same second as the record.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


class Budget:
    """The first ``per_s`` events of each key in each wall-clock second are kept; all are counted.
    Mutated only from the runtime's event loop."""

    __slots__ = ("per_s", "_second", "_used", "totals")

    def __init__(self, per_s: int) -> None:
        self.per_s = per_s
        self._second = -1
        self._used: dict[str, int] = {}
        self.totals: dict[str, int] = {}
        """Events counted per key since start (kept or not)."""

    def admit(self, key: str, now: float) -> int:
        """Count one event of ``key``: its ordinal (the key's count including it) when it is to be kept,
        else 0."""
        totals = self.totals
        ordinal = totals.get(key, 0) + 1
        totals[key] = ordinal
        second = int(now)
        used = self._used
        if second != self._second:
            self._second = second
            used.clear()
        n = used.get(key, 0)
        if n >= self.per_s:
            return 0
        used[key] = n + 1
        return ordinal


def stands_for(kept: Sequence[tuple[K, int]], totals: Mapping[K, int]) -> list[int]:
    """For kept records given oldest first as ``(key, ordinal)``: how many events each stands for, in the
    same order. A record without an ordinal (0: not counted by a budget) stands for itself."""
    counts = [1] * len(kept)
    following: dict[K, int] = {}
    for i in range(len(kept) - 1, -1, -1):
        key, ordinal = kept[i]
        if ordinal <= 0:
            continue
        after = following.get(key)
        if after is None:  # the newest kept one of its key: it stands for every event counted since
            after = max(ordinal, totals.get(key, ordinal)) + 1
        following[key] = ordinal
        counts[i] = max(1, after - ordinal)
    return counts
