"""CPU percentage of the bridge's process figures: never computed over a window too short to mean anything."""

from __future__ import annotations

from autogen_ops_bridge.process_stats import MIN_CPU_WINDOW_S, ProcessStats


class Clocks:
    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 5.0

    def advance(self, wall_s: float, cpu_s: float) -> None:
        self.wall += wall_s
        self.cpu += cpu_s


def test_one_cpu_tick_a_moment_after_start_is_not_thousands_of_per_cent() -> None:
    c = Clocks()
    stats = ProcessStats(clock=lambda: c.wall, cpu_seconds=lambda: c.cpu)
    c.advance(0.0005, 0.01)  # one 10 ms kernel tick lands half a millisecond after start
    stats.sample()
    assert stats.cpu_percent() == 0.0  # nothing measured yet, rather than 2,000 %


def test_cpu_percent_over_a_full_window_and_kept_between_windows() -> None:
    c = Clocks()
    stats = ProcessStats(clock=lambda: c.wall, cpu_seconds=lambda: c.cpu)
    c.advance(2.0, 0.5)
    stats.sample()
    assert stats.cpu_percent() == 25.0
    c.advance(MIN_CPU_WINDOW_S / 10, 0.01)  # too short: the last figure stands
    stats.sample()
    assert stats.cpu_percent() == 25.0
    c.advance(MIN_CPU_WINDOW_S, 0.9 * MIN_CPU_WINDOW_S)  # measured from the last reading on
    stats.sample()
    assert round(stats.cpu_percent(), 6) == round(100 * (0.01 + 0.9 * MIN_CPU_WINDOW_S) / (1.1 * MIN_CPU_WINDOW_S), 6)


def test_real_process_figures() -> None:
    stats = ProcessStats()
    stats.sample()
    assert 0.0 <= stats.cpu_percent()
    assert stats.rss_bytes() > 0
    assert len(stats.rss_history) == 1
