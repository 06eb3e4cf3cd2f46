import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { autoApprove, consumeApproval, loadPlan, rejectPlan, storePlan, supersedePlan } from '../../src/approvals/consume.js';
import { requesterRefusal } from '../../src/approvals/rules.js';
import { buildPlan } from '../../src/response/plan.js';
import { loadRunbookDir } from '../../src/response/runbook-loader.js';
import { agent, view } from '../response/view-fixture.js';
import { useTestRedis } from '../support/redis.js';

const { runbooks } = loadRunbookDir('runbooks');
const NOW = Date.parse('2026-01-02T03:04:05.000Z');

function makePlan(id: string, runbookId = 'agent-cascade-failure', errorRate = 0.4) {
  const runbook = runbooks.find((r) => r.id === runbookId);
  if (!runbook) throw new Error(runbookId);
  const v = view([agent('ToolAgent', { error_rate: errorRate }), agent('PlannerAgent', { error_rate: 0.3 }),
    agent('RetrieverAgent', { dependency_calls: [{ name: 'db' }] })], { dependencies: [{ name: 'db', reachable: false }] });
  const res = buildPlan({ runbook, view: v, subject: { agent: 'ToolAgent', agents: [] }, runtime: 'demo', incidentId: 'inc-1',
    requestedBy: 'U0ALICE', trigger: 'incident', matchReasons: [], planId: id, now: new Date(NOW), approvalTtlS: 900, channel: 'C0OPS', threadTs: null });
  if (!res.ok) throw new Error(res.problems.join('; '));
  return res.plan;
}

describe('approval record (real Redis)', () => {
  const { redis, prefix } = useTestRedis();

  it('a plan is approved exactly once; a replayed click is told who approved and when', async () => {
    const plan = makePlan('pl-once-1');
    expect(await storePlan(redis, prefix, plan, NOW)).toBe('stored');
    const first = await consumeApproval(redis, prefix, plan.id, plan.hash, 'U0ALICE', NOW + 1000);
    expect(first.kind).toBe('approved');
    const replay = await consumeApproval(redis, prefix, plan.id, plan.hash, 'U0ALICE', NOW + 2000);
    expect(replay).toEqual({ kind: 'decided', status: 'approved', by: 'U0ALICE', at: NOW + 1000 });
    const rec = await loadPlan(redis, prefix, plan.id);
    expect(rec).toMatchObject({ status: 'approved', decidedBy: 'U0ALICE', approvers: [{ user: 'U0ALICE', at: NOW + 1000 }] });
  });

  it('50 concurrent clicks from two connections (two replicas) approve once', async () => {
    const plan = makePlan('pl-race-1');
    await storePlan(redis, prefix, plan, NOW);
    const other = new Redis(inject('redisUrl'));
    try {
      const clicks = Array.from({ length: 50 }, (_, i) => consumeApproval(i % 2 ? other : redis, prefix, plan.id, plan.hash, i % 3 ? 'U0ALICE' : 'U0BOB', NOW + 10));
      const answers = await Promise.all(clicks);
      expect(answers.filter((a) => a.kind === 'approved')).toHaveLength(1);
      expect(answers.filter((a) => a.kind === 'decided')).toHaveLength(49);
    } finally {
      await other.quit();
    }
  });

  it('an expired approval does nothing and says when it expired', async () => {
    const plan = makePlan('pl-exp-1');
    await storePlan(redis, prefix, plan, NOW);
    const expiresAt = Date.parse(plan.expiresAt);
    expect(await consumeApproval(redis, prefix, plan.id, plan.hash, 'U0ALICE', expiresAt)).toEqual({ kind: 'expired', expiredAt: expiresAt });
    expect((await loadPlan(redis, prefix, plan.id))?.status).toBe('pending');
  });

  it('a stale plan hash fails; the refreshed plan is approvable', async () => {
    const old = makePlan('pl-stale-1');
    await storePlan(redis, prefix, old, NOW);
    const fresh = makePlan('pl-stale-1', 'agent-cascade-failure', 0.4);
    const changed = { ...fresh, hash: 'f'.repeat(64) };
    expect(await storePlan(redis, prefix, changed, NOW + 5)).toBe('replaced');
    expect(await consumeApproval(redis, prefix, old.id, old.hash, 'U0ALICE', NOW + 10)).toEqual({ kind: 'stale' });
    expect((await consumeApproval(redis, prefix, old.id, changed.hash, 'U0ALICE', NOW + 10)).kind).toBe('approved');
    // A decided plan is never overwritten by a refresh.
    expect(await storePlan(redis, prefix, old, NOW + 20)).toBe('decided');
  });

  it('two-person rule: the same person twice is refused, a second person runs it', async () => {
    const plan = makePlan('pl-two-1', 'network-partition');
    expect(plan.approval.required).toBe(2);
    await storePlan(redis, prefix, plan, NOW);
    const a = await consumeApproval(redis, prefix, plan.id, plan.hash, 'U0ALICE', NOW + 1);
    expect(a).toMatchObject({ kind: 'recorded', required: 2 });
    expect(await consumeApproval(redis, prefix, plan.id, plan.hash, 'U0ALICE', NOW + 2)).toEqual({ kind: 'same_approver', required: 2 });
    const b = await consumeApproval(redis, prefix, plan.id, plan.hash, 'U0BOB', NOW + 3);
    expect(b).toEqual({ kind: 'approved', approvers: [{ user: 'U0ALICE', at: NOW + 1 }, { user: 'U0BOB', at: NOW + 3 }] });
  });

  it('a rejected plan never runs; unknown plans are "missing"; superseded plans refuse clicks', async () => {
    const plan = makePlan('pl-rej-1');
    await storePlan(redis, prefix, plan, NOW);
    expect(await rejectPlan(redis, prefix, plan.id, plan.hash, 'U0BOB', NOW + 1)).toEqual({ kind: 'rejected' });
    expect(await consumeApproval(redis, prefix, plan.id, plan.hash, 'U0ALICE', NOW + 2)).toEqual({ kind: 'decided', status: 'rejected', by: 'U0BOB', at: NOW + 1 });
    expect(await consumeApproval(redis, prefix, 'pl-nope', plan.hash, 'U0ALICE', NOW)).toEqual({ kind: 'missing' });
    const sup = makePlan('pl-sup-1');
    await storePlan(redis, prefix, sup, NOW);
    expect(await supersedePlan(redis, prefix, sup.id, 'system', NOW + 1)).toBe(true);
    expect((await consumeApproval(redis, prefix, sup.id, sup.hash, 'U0ALICE', NOW + 2)).kind).toBe('decided');
  });

  it('four eyes under the two-person rule: two approvers other than the requester are needed', async () => {
    const plan = makePlan('pl-4eyes-1', 'network-partition');
    expect([plan.risk, plan.approval.required, plan.requestedBy]).toEqual(['high', 2, 'U0ALICE']);
    await storePlan(redis, prefix, plan, NOW);
    // The click path refuses the requester before consuming, so the requester is never recorded.
    const click = async (user: string, at: number) => requesterRefusal(plan, user, false)?.code ?? (await consumeApproval(redis, prefix, plan.id, plan.hash, user, at)).kind;
    expect(await click('U0ALICE', NOW + 1)).toBe('APPROVAL_BY_REQUESTER');
    expect(await click('U0BOB', NOW + 2)).toBe('recorded');
    expect(await click('U0ALICE', NOW + 3)).toBe('APPROVAL_BY_REQUESTER');
    expect((await loadPlan(redis, prefix, plan.id))?.status).toBe('pending');
    expect(await click('U0CAROL', NOW + 4)).toBe('approved');
    expect((await loadPlan(redis, prefix, plan.id))?.approvers.map((a) => a.user)).toEqual(['U0BOB', 'U0CAROL']);
  });

  it('auto-approval (low-risk auto_run) is also single-use', async () => {
    const plan = makePlan('pl-auto-1');
    await storePlan(redis, prefix, plan, NOW);
    expect(await autoApprove(redis, prefix, plan.id, plan.hash, NOW)).toBe(true);
    expect(await autoApprove(redis, prefix, plan.id, plan.hash, NOW)).toBe(false);
    expect((await loadPlan(redis, prefix, plan.id))?.decidedBy).toBe('automation');
  });

  it('the record outlives expiry for the retention time only', async () => {
    const plan = makePlan('pl-ttl-1');
    await storePlan(redis, prefix, plan, NOW, 60_000);
    const pttl = await redis.pttl(`${prefix}plan:${plan.id}`);
    // 15 minutes of validity (relative to the `now` passed in) plus one minute of retention.
    expect(pttl).toBeGreaterThan(15 * 60_000);
    expect(pttl).toBeLessThanOrEqual(16 * 60_000);
  });
});
