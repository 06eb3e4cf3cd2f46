/**
 * One plan per runtime, agents acted on and runbook: where a plan stands for a second request (pure), and
 * the Redis records that link requests and incidents to it (real Redis).
 */
import { describe, expect, it } from 'vitest';
import type { PlanRecord } from '../../src/approvals/consume.js';
import { claimSlot, incidentsOf, linkIncident, livenessOf, notePending, noteRan, sameRequester } from '../../src/response/links.js';
import { loadRunState, setOnce, type RunState } from '../../src/response/outcome-state.js';
import { buildPlan, type Plan } from '../../src/response/plan.js';
import type { RecoveryJudgement } from '../../src/response/recovery.js';
import { loadRunbookDir } from '../../src/response/runbook-loader.js';
import type { ActionOutcome } from '../../src/response/run.js';
import { useTestRedis } from '../support/redis.js';
import { agent, view } from './view-fixture.js';

const NOW = Date.parse('2026-01-02T03:04:05.000Z');
const { runbooks } = loadRunbookDir('runbooks');

function plan(over: { incidentId?: string | null; channel?: string; agent?: string } = {}): Plan {
  const runbook = runbooks.find((r) => r.id === 'agent-cascade-failure')!;
  const res = buildPlan({ runbook, view: view([agent('ToolAgent', { error_rate: 0.4 })]), subject: { agent: over.agent ?? 'ToolAgent', agents: [] }, runtime: 'demo',
    incidentId: over.incidentId === undefined ? 'inc-1' : over.incidentId, requestedBy: 'U0ALICE', trigger: 'incident', matchReasons: [], planId: 'pl-k1-abc',
    now: new Date(NOW), approvalTtlS: 900, channel: over.channel ?? 'C0OPS', threadTs: null });
  if (!res.ok) throw new Error(res.problems.join());
  return res.plan;
}

const p = plan();
const record = (status: PlanRecord['status']): PlanRecord => ({ plan: p, hash: p.hash, status, approvers: [], required: 1, expiresAt: NOW + 900_000, createdAt: NOW, decidedBy: null, decidedAt: null });
const applied: ActionOutcome = { index: 0, action: 'isolate', target: 'ToolAgent', body: {}, status: 'applied', idempotencyKey: 'k', actionId: 'act-1', expiresAt: '2026-01-02T03:19:05.000Z', at: '2026-01-02T03:04:06.000Z' };
const judged = (verdict: RecoveryJudgement['verdict']): RecoveryJudgement => ({ verdict, stage: 'after_action', summary: '', confirmed: true, symptoms: [], at: '' });
const state = (over: Partial<RunState> = {}): RunState => ({
  outcomes: [applied], run: { planId: p.id, actions: [applied], ok: true, dryRunOnly: false }, baseline: null, actedAt: null,
  verify: { passed: true, results: [] }, recovery: judged('mitigated'), releaseBaseline: null, releasedAt: null, kept: null, reverted: null, attempts: null, ...over,
});
const none = state({ outcomes: [], run: null, verify: null, recovery: null });

describe('where a plan stands for a second request about the same failure', () => {
  it('pending until it expires; running once approved until verified; in force while its temporary actions hold; else over', () => {
    expect(livenessOf(record('pending'), none, NOW)).toBe('pending');
    expect(livenessOf(record('pending'), none, NOW + 900_000)).toBe('over');
    expect(livenessOf(record('rejected'), none, NOW)).toBe('over');
    expect(livenessOf(record('superseded'), none, NOW)).toBe('over');
    expect(livenessOf(record('approved'), none, NOW)).toBe('running');
    expect(livenessOf(record('approved'), state({ verify: null }), NOW)).toBe('running');
    expect(livenessOf(record('approved'), state(), NOW)).toBe('in_force');
    expect(livenessOf(record('approved'), state({ recovery: judged('resolved') }), NOW)).toBe('in_force');
  });

  it('over once it failed, was not effective, came back after the release, was reverted — or the bridge no longer holds its actions', () => {
    expect(livenessOf(record('approved'), state({ run: { planId: p.id, actions: [], ok: false, dryRunOnly: false } }), NOW)).toBe('over');
    expect(livenessOf(record('approved'), state({ run: { planId: p.id, actions: [applied], ok: true, dryRunOnly: true } }), NOW)).toBe('over');
    expect(livenessOf(record('approved'), state({ verify: { passed: false, results: [] }, recovery: judged('not_effective') }), NOW)).toBe('over');
    expect(livenessOf(record('approved'), state({ recovery: judged('unresolved') }), NOW)).toBe('over');
    expect(livenessOf(record('approved'), state({ reverted: { by: 'system', at: NOW, why: 'ttl' } }), NOW)).toBe('over');
    expect(livenessOf(record('approved'), state(), NOW, new Set(['act-other']))).toBe('over');
    expect(livenessOf(record('approved'), state(), NOW, new Set(['act-1']))).toBe('in_force');
  });

  it('the same requester refreshes its own plan; an incident and a command about the same agents are different requesters', () => {
    expect(sameRequester(p, { incident_id: 'inc-1', channel: 'C0OPS' })).toBe(true);
    expect(sameRequester(p, { channel: 'C0OPS', agent: 'ToolAgent' })).toBe(false);
    const byCommand = plan({ incidentId: null });
    expect(sameRequester(byCommand, { channel: 'C0OPS', agent: 'ToolAgent' })).toBe(true);
    expect(sameRequester(byCommand, { incident_id: 'inc-1', channel: 'C0OPS', agent: 'ToolAgent' })).toBe(false);
    expect(sameRequester(byCommand, { channel: 'C0OTHER', agent: 'ToolAgent' })).toBe(false);
  });
});

describe('plan records in Redis', () => {
  const { redis, prefix } = useTestRedis();

  it('two requests for one failure at once: one claims the slot, the other is told which plan holds it', async () => {
    const slot = `${prefix}plan-slot:C0OPS:${p.failureKey}`;
    const [a, b] = await Promise.all([claimSlot(redis, slot, '', 'pl-a-1', 60_000), claimSlot(redis, slot, '', 'pl-b-1', 60_000)]);
    expect(new Set([a, b]).size).toBe(1);
    // A plan that is over is replaced only by whoever saw it.
    expect(await claimSlot(redis, slot, 'pl-stale-1', 'pl-c-1', 60_000)).toBe(a);
    expect(await claimSlot(redis, slot, a, 'pl-c-1', 60_000)).toBe('pl-c-1');
  });

  it('the plan that ran is the failure\'s plan: the other proposals are returned (to supersede) and forgotten', async () => {
    await notePending(redis, prefix, { id: 'pl-x-1', failureKey: 'f1' }, 60_000);
    await notePending(redis, prefix, { id: 'pl-x-2', failureKey: 'f1' }, 60_000);
    await notePending(redis, prefix, { id: 'pl-x-3', failureKey: 'f1' }, 60_000);
    expect(await noteRan(redis, prefix, { id: 'pl-x-2', failureKey: 'f1' }, 60_000)).toEqual(['pl-x-1', 'pl-x-3']);
    expect(await redis.get(`${prefix}plan-ran:f1`)).toBe('pl-x-2');
    expect(await noteRan(redis, prefix, { id: 'pl-x-2', failureKey: 'f1' }, 60_000)).toEqual([]);
  });

  it('incidents linked to a plan follow it, its own first', async () => {
    await linkIncident(redis, prefix, 'pl-l-1', 'inc-b', 60_000);
    await linkIncident(redis, prefix, 'pl-l-1', 'inc-a', 60_000);
    await linkIncident(redis, prefix, 'pl-l-1', 'inc-a', 60_000);
    expect(await incidentsOf(redis, prefix, { id: 'pl-l-1', incidentId: 'inc-own' })).toEqual(['inc-own', 'inc-a', 'inc-b']);
    expect(await incidentsOf(redis, prefix, { id: 'pl-none-1', incidentId: null })).toEqual([]);
  });

  it('the time of the action reads back as a time (it is stored as JSON), so "since the action" is never NaN', async () => {
    await setOnce(redis, prefix, 'pl-t-1', 'acted_at', '2026-01-02T03:04:06.000Z');
    const s = await loadRunState(redis, prefix, 'pl-t-1');
    expect(s.actedAt).toBe('2026-01-02T03:04:06.000Z');
    expect(Number.isNaN(new Date(s.actedAt!).getTime())).toBe(false);
  });
});
