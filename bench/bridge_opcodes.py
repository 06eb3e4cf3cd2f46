"""Bridge overhead in Python bytecodes: how many bytecode instructions the interpreter executes per chat
request through the demo fleet, with and without the bridge attached, counted exactly (``sys.settrace``
with opcode events) in the same run, and which functions the difference is in.

Why this figure: under an error storm the clock (``bridge_overhead.py``) has tracked the bridge's share of
bytecodes more closely than its share of machine instructions (``bridge_instructions.py``): the bridge's
bytecodes are cheap ones in instructions (attribute loads, small calls), but each still costs the
interpreter's dispatch. Unlike the clock on a shared VM, this count repeats exactly, so it shows whether a
change to the hot path is worth anything before a long timed A/B. (The count is of bytecodes only: work in
C, the garbage collector included, is not in it.)

Both sides run in their own process, one after the other, the same requests (``clients`` concurrent
clients, ``requests`` each, after a warm-up of as many); the tracer is on for the measured requests only.
Tracing slows a fleet a hundredfold, so the bridge's per-second record budgets are never exceeded under it:
mode ``storm-sampled`` sets them to zero (the steady state of a storm faster than them), ``storm`` keeps
them (every message recorded), ``healthy`` runs without the fault.

    .venv/bin/python bench/bridge_opcodes.py [requests] [clients] [storm-sampled|storm|healthy]
"""

from __future__ import annotations

import asyncio
import collections
import json
import subprocess
import sys
from types import FrameType
from typing import Any

TOKEN = "bench-token-0123456789"


def child(bridged: bool, mode: str, requests: int, clients: int) -> None:
    from autogen_ops_bridge import collector, message_log
    from autogen_ops_bridge.demo.fleet import Fleet, FleetOptions

    if mode == "storm-sampled":  # read when the bridge is made
        message_log.TRACES_PER_S = collector.ROUTINE_PER_S = 0
    counts: collections.Counter[str] = collections.Counter()

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        code = frame.f_code
        key = f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_name}"

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "opcode":
                counts[key] += 1
            return local
        return local

    async def main() -> None:
        fleet = Fleet(FleetOptions(token=TOKEN, rate=0, instances=100, capacity=None, attach_bridge=bridged,
                                   name="bench", freeze_gc=True))
        await fleet.start()
        if mode != "healthy":
            await fleet.faults.inject("dead_dependency", "RetrieverAgent", {})

        async def client(n: int, offset: int) -> None:
            for i in range(n):
                try:
                    await fleet.ask("x", fleet.keys[(i + offset) % len(fleet.keys)])
                except Exception:  # noqa: BLE001 - a storm's requests fail: that is what is measured
                    pass

        await asyncio.gather(*(client(requests, j) for j in range(clients)))  # warm-up
        sys.settrace(tracer)
        await asyncio.gather(*(client(requests, j) for j in range(clients)))
        sys.settrace(None)
        await fleet.stop()

    asyncio.run(main())
    print(json.dumps(counts), flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2] == "bridged", sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    mode = sys.argv[3] if len(sys.argv) > 3 else "storm-sampled"
    if mode not in ("storm-sampled", "storm", "healthy"):
        raise SystemExit(f"unknown mode {mode!r}: storm-sampled, storm or healthy")
    total = requests * clients
    counts: dict[str, collections.Counter[str]] = {}
    for side in ("plain", "bridged"):
        out = subprocess.run([sys.executable, __file__, "--child", side, mode, str(requests), str(clients)],
                             capture_output=True, text=True, check=True).stdout
        counts[side] = collections.Counter(json.loads(out.strip().splitlines()[-1]))
    plain, bridged = (sum(counts[side].values()) / total for side in ("plain", "bridged"))
    from autogen_ops_bridge import _accel

    print(f"mode={mode} requests={total} (clients={clients}): bytecodes per request plain {plain:,.0f}, "
          f"bridged {bridged:,.0f} (+{bridged - plain:,.0f}); bridge C accelerator {_accel.speedups is not None}")
    diff = collections.Counter({k: counts["bridged"][k] - counts["plain"][k]
                                for k in counts["bridged"].keys() | counts["plain"].keys()})
    for key, n in diff.most_common(12):
        print(f"  {n / total:8,.0f}  {key}")
    print(f"RESULT bridge bytecodes per request ratio ({mode}, with/without) = {bridged / plain:.4f}")


if __name__ == "__main__":
    main()
