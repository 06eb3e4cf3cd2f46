"""Process resource figures (RSS, CPU, memory and disk use) and an RSS history for leak trends."""

from __future__ import annotations

import asyncio
import time
from collections import deque

import psutil

RSS_SAMPLE_INTERVAL_S = 2.0
RSS_HISTORY_SAMPLES = 300
"""Samples kept: 300 x 2 s = the last 10 minutes."""


class ProcessStats:
    def __init__(self, sample_interval_s: float = RSS_SAMPLE_INTERVAL_S) -> None:
        self._process = psutil.Process()
        self._process.cpu_percent(None)
        self._interval = sample_interval_s
        self.rss_history: deque[tuple[float, int]] = deque(maxlen=RSS_HISTORY_SAMPLES)
        self._cpu = 0.0
        self._task: asyncio.Task[None] | None = None

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
        self._cpu = self._process.cpu_percent(None)
        self.rss_history.append((time.time(), self.rss_bytes()))

    def rss_bytes(self) -> int:
        return int(self._process.memory_info().rss)

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
