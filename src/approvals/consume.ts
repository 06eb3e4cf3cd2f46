/**
 * The approval record of a plan, in Redis: one hash per plan holding the plan, the hash its buttons are
 * bound to, its status and its approvers. Every decision is one Lua script, so a double click or two bot
 * replicas clicking at once see exactly one "approved" — the only answer that runs the plan
 * (src/redis/scripts/plan-*.lua).
 *
 * Key: `<prefix>plan:<planId>`; fields `plan` (JSON), `hash`, `status`
 * (`pending|approved|rejected|superseded`), `approvers` (JSON `[{user, at}]`), `required` (1|2),
 * `expires_at` and `created_at` (epoch ms), `decided_by`, `decided_at`. The key lives `retentionMs` after
 * expiry so a late click is told "expired" or "already approved", never "unknown".
 */
import type { RedisClient } from '../redis/connect.js';
import { runScript } from '../redis/scripts.js';
import type { Plan } from '../response/plan.js';
import type { Approver, ConsumeAnswer } from './rules.js';

export const PLAN_RETENTION_MS = 7 * 24 * 3600 * 1000;

export function planKey(prefix: string, planId: string): string {
  return `${prefix}plan:${planId}`;
}

export interface PlanRecord {
  readonly plan: Plan;
  readonly hash: string;
  readonly status: 'pending' | 'approved' | 'rejected' | 'superseded';
  readonly approvers: readonly Approver[];
  readonly required: number;
  readonly expiresAt: number;
  readonly createdAt: number;
  readonly decidedBy: string | null;
  readonly decidedAt: number | null;
}

/**
 * Stores a new plan, or refreshes a pending one in place (same id, new content: its old buttons then
 * fail as stale, and partial approvals of the old content are dropped). A decided plan is not touched.
 */
export async function storePlan(redis: RedisClient, prefix: string, plan: Plan, now: number, retentionMs = PLAN_RETENTION_MS): Promise<'stored' | 'replaced' | 'unchanged' | 'decided'> {
  const res = await runScript(redis, 'planStore', [planKey(prefix, plan.id)], {
    plan: JSON.stringify(plan), hash: plan.hash, required: plan.approval.required, expiresAt: Date.parse(plan.expiresAt), now, retention: retentionMs,
  });
  return res[0] as 'stored' | 'replaced' | 'unchanged' | 'decided';
}

function toAnswer(res: string[]): ConsumeAnswer {
  switch (res[0]) {
    case 'approved': return { kind: 'approved', approvers: JSON.parse(res[1] ?? '[]') as Approver[] };
    case 'recorded': return { kind: 'recorded', approvers: JSON.parse(res[1] ?? '[]') as Approver[], required: Number(res[2]) };
    case 'rejected': return { kind: 'rejected' };
    case 'decided': return { kind: 'decided', status: res[1] ?? '', by: res[2] ?? '', at: Number(res[3] ?? 0) };
    case 'stale': return { kind: 'stale' };
    case 'expired': return { kind: 'expired', expiredAt: Number(res[1]) };
    case 'same_approver': return { kind: 'same_approver', required: Number(res[1]) };
    default: return { kind: 'missing' };
  }
}

/**
 * One approval click, atomically: unknown plan, already decided, stale hash, expired, same approver
 * twice, recorded (two-person rule, first of two) or approved — the last exactly once per plan.
 */
export async function consumeApproval(redis: RedisClient, prefix: string, planId: string, hash: string, userId: string, now: number): Promise<ConsumeAnswer> {
  return toAnswer(await runScript(redis, 'planApprove', [planKey(prefix, planId)], { hash, user: userId, now }));
}

/** One reject click, atomically (same checks as approval; a rejected plan never runs). */
export async function rejectPlan(redis: RedisClient, prefix: string, planId: string, hash: string, userId: string, now: number): Promise<ConsumeAnswer> {
  return toAnswer(await runScript(redis, 'planReject', [planKey(prefix, planId)], { hash, user: userId, now }));
}

/** Marks a pending plan superseded (a newer plan replaced it); returns whether it was pending. */
export async function supersedePlan(redis: RedisClient, prefix: string, planId: string, by: string, now: number): Promise<boolean> {
  return (await runScript(redis, 'planSupersede', [planKey(prefix, planId)], { by, now })) === 1;
}

/** The record of a plan, or null when unknown. */
export async function loadPlan(redis: RedisClient, prefix: string, planId: string): Promise<PlanRecord | null> {
  const f = await redis.hgetall(planKey(prefix, planId));
  if (!f.plan || !f.hash) return null;
  return {
    plan: JSON.parse(f.plan) as Plan,
    hash: f.hash,
    status: (f.status ?? 'pending') as PlanRecord['status'],
    approvers: JSON.parse(f.approvers ?? '[]') as Approver[],
    required: Number(f.required ?? 1),
    expiresAt: Number(f.expires_at ?? 0),
    createdAt: Number(f.created_at ?? 0),
    decidedBy: f.decided_by ?? null,
    decidedAt: f.decided_at ? Number(f.decided_at) : null,
  };
}

/** Marks a plan approved without a click (runbook `auto_run`, low risk, allowed by config). Atomic; false if not pending. */
export async function autoApprove(redis: RedisClient, prefix: string, planId: string, hash: string, now: number): Promise<boolean> {
  const res = await runScript(redis, 'planApprove', [planKey(prefix, planId)], { hash, user: 'automation', now, required: 1 });
  return res[0] === 'approved';
}
