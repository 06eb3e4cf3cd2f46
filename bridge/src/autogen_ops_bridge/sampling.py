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


class ReceiverBudget:
    """A ``Budget`` keyed by the agent type of each event's receiver (``"type/key"``), with a cheap path once
    a type's budget is spent for the second: that receiver's events are counted by receiver (a set lookup and
    a dict increment, no string split, no budget call) and added to its type's count when the second is over
    or the counts are read (``totals``), so every ordinal and total stays exact. Mutated only from the
    runtime's event loop."""

    __slots__ = ("budget", "closed", "second", "pending")

    def __init__(self, per_s: int) -> None:
        self.budget = Budget(per_s)
        self.closed: set[str | None] = set()
        """Receivers whose type's budget is spent in ``second``."""
        self.second = -1
        self.pending: dict[str | None, int] = {}
        """Events of closed receivers counted and not yet added to ``budget.totals``."""

    def admit(self, receiver: str | None, now: float) -> tuple[str, int]:
        """Count one event for ``receiver``: its key, and its ordinal when it is to be kept (else 0). A hot
        caller may test ``closed`` and ``second`` and count into ``pending`` itself first, as this does."""
        second = int(now)
        if second == self.second:
            if receiver in self.closed:
                self.pending[receiver] = self.pending.get(receiver, 0) + 1
                return "", 0
        else:
            self._fold()
            self.second = second
        key = receiver.partition("/")[0] if type(receiver) is str else ""
        ordinal = self.budget.admit(key, now)
        if not ordinal:
            self.closed.add(receiver)
        return key, ordinal

    def totals(self) -> dict[str, int]:
        """Events counted per key since start (kept or not)."""
        self._fold()
        return self.budget.totals

    def _fold(self) -> None:
        totals = self.budget.totals
        for receiver, n in self.pending.items():
            key = receiver.partition("/")[0] if type(receiver) is str else ""
            totals[key] = totals.get(key, 0) + n
        self.pending.clear()
        self.closed.clear()
