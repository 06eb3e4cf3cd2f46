"""What the bridge's per-hop records and exact counting cost under an error storm: the timed storm of
``bridge_overhead.py`` (same fleets, same worker, every request failing with three chained handler errors),
with bridged fleets whose parts are stubbed out, measured in the same run. (The bridge keeps only a sample
of its records once a storm exceeds its per-second budgets; ``records`` says what the sample still costs.)

Variants (bridged fleets with parts of the bridge replaced by no-ops, in their own process only — not a
valid bridge, they answer nothing true):
- ``records``: the message log (no entries, no links), the routine event buffer and the notable (failure)
  event buffer: what the records still kept (the sample) cost.
- ``all``: ``records`` plus error capture (a fixed group per agent type) and the statistics' aggregates: every
  per-hop record off, leaving the send wrapper, the gate's counters and clock reads, the hooks and the server.

The parent alternates rounds among plain, bridged and the variants (rotating order; BENCH_PROCESSES
processes per variant, default 6, taken in turn — with 3, a run once put a variant doing strictly less work
above the full bridge; every fleet pinned to one CPU as ``bridge_overhead.py`` does); RESULT lines are
CPU-per-request ratios to plain (medians of rounds), and the share of the bridge's extra CPU that each
variant removes.

    .venv/bin/python bench/bridge_ablation.py [rounds] [requests_per_round]
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import statistics
import subprocess
import sys
from typing import Any

VARIANTS = ("plain", "bridged", "records", "all")


def stub(variant: str) -> None:
    """Replaces parts of the bridge with no-ops in this process (see the module docstring)."""
    if variant not in ("records", "all"):
        return
    collector = importlib.import_module("autogen_ops_bridge.collector")
    log = importlib.import_module("autogen_ops_bridge.message_log")

    class Null:
        def append(self, item: object) -> None:
            pass

        def __len__(self) -> int:
            return 0

        def popleft(self) -> Any:
            raise IndexError

        def __iter__(self) -> Any:
            return iter(())

    init = collector.EventCollector.__init__

    def collector_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._routine = Null()
        self._notable = Null()

    collector.EventCollector.__init__ = collector_init
    # no message linked: each delivery's record lives while it is handled, as past the trace budget
    log.MessageLog.sent = lambda self, message_id, sender, recipient, message, kind: None
    if variant == "all":
        capture_module = importlib.import_module("autogen_ops_bridge.error_capture")
        stats = importlib.import_module("autogen_ops_bridge.stats")
        capture = capture_module.ErrorCapture.capture
        fixed: dict[str, Any] = {}

        def fixed_capture(self: Any, exc: BaseException, now: float, *args: Any) -> Any:
            group = fixed.get(self.agent_type)
            if group is None:
                group = fixed[self.agent_type] = capture(self, exc, now, *args)
            else:
                group.last_sampled = False  # as a storm's unsampled errors: no log record kept
            return group

        capture_module.ErrorCapture.capture = fixed_capture
        def drop(self: Any) -> None:  # the aggregates take nothing: only the gate's list appends are left
            self.ended.clear()
            self.ended_errors.clear()

        stats.AgentStats.absorb = drop


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        sys.path.insert(0, here)
        import bridge_overhead

        variant = sys.argv[2]
        stub(variant)
        asyncio.run(bridge_overhead.worker(variant != "plain", 100, 16, True))
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 18
    requests = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    per_variant = int(os.environ.get("BENCH_PROCESSES", "6"))
    procs = {(v, i): subprocess.Popen([sys.executable, __file__, "--worker", v], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
             for v in VARIANTS for i in range(per_variant)}

    def run(variant: str, n: int, index: int) -> dict[str, float]:
        proc = procs[(variant, index)]
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(f"{n}\n")
        proc.stdin.flush()
        result: dict[str, float] = json.loads(proc.stdout.readline())
        if "stalled" in result:  # (see bridge_overhead.ROUND_TIMEOUT_S)
            raise SystemExit(f"a {variant} fleet left {result['stalled']:.0f} of {n} requests unanswered: "
                             "the run is void")
        return result

    results: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
    try:
        for proc in procs.values():
            assert proc.stdout is not None
            json.loads(proc.stdout.readline())  # ready
        for v, i in procs:
            run(v, 300, i)  # warm-up, not counted
        for r in range(rounds):
            # round r uses the (r mod N)-th process of each variant: a process's own speed (memory layout, hash
            # seed), which differs by several per cent between processes of the very same code, counts once per
            # process, not for the whole run
            order = list(VARIANTS[r % len(VARIANTS):] + VARIANTS[:r % len(VARIANTS)])
            for v in order if r % 2 == 0 else reversed(order):
                results[v].append(run(v, requests, r % per_variant))
    finally:
        for proc in procs.values():
            assert proc.stdin is not None
            proc.stdin.write("\n")
            proc.stdin.flush()
            proc.wait(60)
    if min(r["failed"] for rs in results.values() for r in rs) < 0.9:
        raise SystemExit("the error storm did not happen: fewer than 90 % of the requests failed")
    cpu = {v: statistics.median(r["cpu_us"] for r in results[v]) for v in VARIANTS}
    print(f"rounds={rounds} requests/round={requests}; median CPU per request: "
          + ", ".join(f"{v} {cpu[v]:.0f} us" for v in VARIANTS))
    extra = cpu["bridged"] - cpu["plain"]
    for v in VARIANTS[1:]:
        removed = ""
        if v != "bridged" and extra > 0:
            removed = f", removes {(cpu['bridged'] - cpu[v]) / extra:.0%} of the bridge's extra CPU"
        print(f"RESULT bridge error storm, {v}: CPU per request ratio to plain = {cpu[v] / cpu['plain']:.3f}{removed}")


if __name__ == "__main__":
    main()
