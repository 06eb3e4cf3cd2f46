/**
 * The fault matrix inside `make test`: AutoGen applications written for it (bare autogen-core agents that
 * re-raise, wrap or reword a downstream failure; a three-hop chain; AgentChat teams of every kind —
 * RoundRobin, Selector, Swarm, GraphFlow — whose tool or model fails or whose runs never terminate; a slow
 * agent; a leak; an error storm; a healthy app) run on real runtimes with the bridge, a
 * fault is turned on, and the bot's real pipeline must answer `diagnose`, `perf` and `health` as a senior
 * SRE would. Five cases run at a time (ten applications at once on two cores starve each other's probes),
 * each wait bounded; a wrong case fails its own test, by name. `make test` runs this file after the rest of
 * the suite, so that no other test competes with the applications for the CPU.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fleetPython } from '../support/fleet.js';
import { CASES } from './cases.js';
import { runMatrix } from './matrix.js';
import { explainWrong, formatMatrix, type CaseResult } from './score.js';

let results: readonly CaseResult[] = [];

beforeAll(async () => {
  results = await runMatrix(CASES, { python: fleetPython(), waitTimeoutMs: 75_000, concurrency: 5 });
  console.log(`Fault matrix\n${formatMatrix(results)}`);
}, 360_000);

describe('fault matrix: the bot on applications shaped unlike its demo fleet', () => {
  it.each(CASES.map((c) => [c.id, c.title] as const))('%s. %s', (id) => {
    const result = results.find((r) => r.id === id);
    expect(result?.answers.length, `case ${id} was not run`).toBeGreaterThan(0);
    expect(explainWrong(result!), `case ${id} answered wrong`).toEqual([]);
  });
});
