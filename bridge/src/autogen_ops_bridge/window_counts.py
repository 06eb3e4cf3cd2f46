"""Exact counts over recent time windows: one slot per second, for up to an hour.

The latency samples (``AgentStats.window``) are capped by count, so under load they cover less time than
asked; these counters are what makes "N errors in the last 60 s" a true count whatever the traffic."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

HORIZON_S = 3600
"""The longest window the counters can answer for (seconds)."""
_LOOP_UP_TO_S = 600
"""Windows of up to this many seconds are summed over their own seconds' slots (a 60 s window ~18 times faster
than a pass over the hour's slots); longer ones by one pass over every slot (faster for them). Two loops, not
one list of slots and three sums over it: that measured 10–45 % slower."""


@dataclass(slots=True)
class WindowCounts:
    handled: int
    errors: int
    refused: int


class SecondCounters:
    """Handled / error / refused counts per second of wall time; a slot is reused once its second is an
    hour old. Mutated only from the runtime's event loop."""

    __slots__ = ("_stamp", "_handled", "_errors", "_refused")

    def __init__(self) -> None:
        self._stamp = [-1] * HORIZON_S
        self._handled = [0] * HORIZON_S
        self._errors = [0] * HORIZON_S
        self._refused = [0] * HORIZON_S

    def _slot(self, now: float) -> int:
        sec = int(now)
        i = sec % HORIZON_S
        if self._stamp[i] != sec:
            self._stamp[i] = sec
            self._handled[i] = self._errors[i] = self._refused[i] = 0
        return i

    def ended(self, ends: Iterable[float], oks: Iterable[int]) -> None:
        """Count handled messages given as their end times and whether each was ok (true or 1), oldest first
        (C-level passes over the batch). A second older than the one its slot holds now is past the horizon:
        not counted."""
        handled, errors, stamps = self._handled, self._errors, self._stamp
        # (second, ok) pairs first seen in time order: a slot is taken by its seconds oldest first
        seconds_ok = zip(map(int, ends), oks, strict=True)
        for (sec, ok), n in Counter(seconds_ok).items():
            if stamps[sec % HORIZON_S] > sec:
                continue
            i = self._slot(sec)
            handled[i] += n
            if not ok:
                errors[i] += n

    def refused(self, now: float) -> None:
        self._refused[self._slot(now)] += 1

    def over(self, window_s: float, now: float | None = None) -> WindowCounts:
        """Counts of the seconds that started within the last ``window_s`` seconds (at most an hour)."""
        now = time.time() if now is None else now
        newest = int(now)
        oldest = newest - max(1, min(HORIZON_S, int(round(window_s)))) + 1
        stamps = self._stamp
        handled = errors = refused = 0
        if newest - oldest >= _LOOP_UP_TO_S:  # a long window: one pass over every slot
            for i, sec in enumerate(stamps):
                if oldest <= sec <= newest:
                    handled += self._handled[i]
                    errors += self._errors[i]
                    refused += self._refused[i]
        else:
            for sec in range(oldest, newest + 1):  # a second's counts are at its slot while its stamp is there
                i = sec % HORIZON_S
                if stamps[i] == sec:
                    handled += self._handled[i]
                    errors += self._errors[i]
                    refused += self._refused[i]
        return WindowCounts(handled, errors, refused)
