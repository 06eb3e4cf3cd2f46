#!/usr/bin/env bash
# Every benchmark, bounded in time; each prints its figures as ratios against a baseline measured in the
# same run (lines starting with RESULT). `make bench` runs this. Add yours below (one line each).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${AUTOGEN_OPS_PYTHON:-.venv/bin/python}"

echo "== slash-command ack latency and throughput vs a bare Bolt app (spine, issue 4)"
npx tsx bench/ack-latency.ts 200 3 32 5
echo "== /autogen diagnose end to end, demo fleet with 100 agent instances (spine, issue 4)"
npx tsx bench/diagnose-e2e.ts 30 100 "$PY"
echo "== approve click → isolation effective in the runtime, 1 worker and 2 workers racing (response, issue 6)"
npx tsx bench/approval-latency.ts 30 "$PY"
echo "== alert storm: 10,000 alerts / 20 incidents through the intake, 2 worker processes, Slack sandbox (alerts, issue 5)"
npx tsx bench/alert_storm.ts 10000 20 10 4 4 2
echo "== alert storm, the intake alone (no workers draining on the same cores) (alerts, issue 5)"
npx tsx bench/alert_storm.ts 10000 20 10 4 4 0
echo "== storm across 2 bots + 3 workers, on one Redis and on a Redis Cluster, as ratios to 1 bot + 1 worker (issue 18)"
npx tsx bench/storm_scale.ts 6000 20 10 8 4 single,scaled,cluster
echo "== Redis memory per 10,000 incidents: the incident store, and the whole path scaled from 1,000 (issue 18)"
npx tsx bench/redis_memory.ts 10000 5 1000
echo "== bridge overhead: demo fleet throughput and p99 with vs without the bridge, 100 ChatAgent instances (bridge, issue 3)"
"$PY" bench/bridge_overhead.py 600 24 16 100
echo "== bridge overhead, counted: instructions and simulated cache misses per request under callgrind (bridge, issue 3)"
"$PY" bench/bridge_instructions.py 200 100 16 100
echo "== bridge under an error storm: every request fails with three chained handler errors (dead vector-db), with vs without the bridge"
"$PY" bench/bridge_overhead.py 600 24 16 100 storm
echo "== bridge under an error storm, counted under callgrind"
"$PY" bench/bridge_instructions.py 200 100 16 100 storm
echo "== bridge under an error storm above its record budgets (a sample of the records kept, every event counted), counted under callgrind"
"$PY" bench/bridge_instructions.py 200 100 16 100 storm-sampled
echo "== bridge under an error storm, in Python bytecodes executed per request (exact; the clock tracks this share), above the record budgets and recording every message (issue 12)"
"$PY" bench/bridge_opcodes.py 10 16 storm-sampled
"$PY" bench/bridge_opcodes.py 10 16 storm
echo "== bridge under an error storm: what its per-hop records cost (stubbed variants side by side, issue 12)"
"$PY" bench/bridge_ablation.py 18 600
echo "== bridge on an AgentChat team, counted under callgrind: RoundRobinGroupChat runs with replayed model clients (issue 13)"
"$PY" bench/bridge_instructions.py 40 10 4 0 agentchat
