"""Process resource figures (RSS, CPU, memory and disk use) and an RSS history for leak trends."""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import Callable

import psutil

RSS_SAMPLE_INTERVAL_S = 2.0
RSS_HISTORY_SAMPLES = 300
"""Samples kept: 300 x 2 s = the last 10 minutes."""
MIN_CPU_WINDOW_S = 1.0
"""Shortest interval a CPU percentage is computed over (see ``ProcessStats.sample``)."""


class ProcessStats:
    def __init__(self, sample_interval_s: float = RSS_SAMPLE_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic,
                 cpu_seconds: Callable[[], float] | None = None) -> None:
        self._process = psutil.Process()
        self._interval = sample_interval_s
        self.rss_history: deque[tuple[float, int]] = deque(maxlen=RSS_HISTORY_SAMPLES)
        self._clock = clock
        self._cpu_seconds = cpu_seconds or self._process_cpu_seconds
        self._cpu_mark = (clock(), self._cpu_seconds())
        self._cpu = 0.0
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def _process_cpu_seconds() -> float:
        # os.times(): the process's user + system time, as psutil's cpu_times() reads it, in one call
        # instead of a /proc file parsed in Python (sampled every few seconds for as long as the bridge runs)
        t = os.times()
        return float(t.user + t.system)

    def start(self) -> None:
        self.sample()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="ops-bridge-process-stats")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self.sample()

    def sample(self) -> None:
        """Records RSS, and CPU use since the last CPU reading once at least ``MIN_CPU_WINDOW_S`` has
        passed: the kernel counts CPU time in ticks (10 ms), so over a few milliseconds one tick reads as
        thousands of per cent (psutil's ``cpu_percent`` has the same trap); until then the last figure
        stands."""
        now, cpu = self._clock(), self._cpu_seconds()
        since, cpu_then = self._cpu_mark
        if now - since >= MIN_CPU_WINDOW_S:
            self._cpu = max(0.0, (cpu - cpu_then) / (now - since) * 100.0)
            self._cpu_mark = (now, cpu)
        self.rss_history.append((time.time(), self.rss_bytes()))

    def rss_bytes(self) -> int:
        rss = _statm_rss()
        return int(self._process.memory_info().rss) if rss is None else rss

    def cpu_percent(self) -> float:
        return float(self._cpu)

    def memory_percent(self) -> float:
        return float(self._process.memory_percent())

    @staticmethod
    def disk_percent(path: str = "/") -> float:
        try:
            return float(psutil.disk_usage(path).percent)
        except OSError:
            return 0.0


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STATM = "/proc/self/statm"


def _statm_rss() -> int | None:
    """The resident set size from Linux's ``/proc/self/statm`` (what psutil's ``memory_info().rss`` reads
    there, without its Python layers: sampled every few seconds for as long as the bridge runs); ``None``
    elsewhere."""
    try:
        fd = os.open(_STATM, os.O_RDONLY)
    except OSError:
        return None
    try:
        fields = os.read(fd, 256).split()
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(fields) < 2 or not fields[1].isdigit():
        return None
    return int(fields[1]) * _PAGE_SIZE
