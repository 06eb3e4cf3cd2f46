/**
 * The approval record of a plan, in Redis: one hash per plan holding the plan, the hash its buttons are
 * bound to, its status and its approvers. Every decision is one Lua script, so a double click or two bot
 * replicas clicking at once see exactly one "approved" — the only answer that runs the plan.
 *
 * Key: `<prefix>plan:<planId>`; fields `plan` (JSON), `hash`, `status`
 * (`pending|approved|rejected|superseded`), `approvers` (JSON `[{user, at}]`), `required` (1|2),
 * `expires_at` and `created_at` (epoch ms), `decided_by`, `decided_at`. The key lives `retentionMs` after
 * expiry so a late click is told "expired" or "already approved", never "unknown".
 */
import type { Redis } from 'ioredis';
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

const STORE = `
local k = KEYS[1]
local status = redis.call('HGET', k, 'status')
if status and status ~= 'pending' then return {'decided', status} end
local oldHash = redis.call('HGET', k, 'hash')
redis.call('HSET', k, 'plan', ARGV[1], 'hash', ARGV[2], 'status', 'pending', 'required', ARGV[3],
  'expires_at', ARGV[4], 'created_at', ARGV[5])
if oldHash ~= ARGV[2] then redis.call('HSET', k, 'approvers', '[]') end
redis.call('PEXPIRE', k, math.max(tonumber(ARGV[4]) - tonumber(ARGV[5]), 0) + tonumber(ARGV[6]))
if oldHash and oldHash ~= ARGV[2] then return {'replaced'} end
if oldHash then return {'unchanged'} end
return {'stored'}
`;

/**
 * Stores a new plan, or refreshes a pending one in place (same id, new content: its old buttons then
 * fail as stale, and partial approvals of the old content are dropped). A decided plan is not touched.
 */
export async function storePlan(redis: Redis, prefix: string, plan: Plan, now: number, retentionMs = PLAN_RETENTION_MS): Promise<'stored' | 'replaced' | 'unchanged' | 'decided'> {
  const res = (await redis.eval(STORE, 1, planKey(prefix, plan.id), JSON.stringify(plan), plan.hash,
    String(plan.approval.required), String(Date.parse(plan.expiresAt)), String(now), String(retentionMs))) as string[];
  return res[0] as 'stored' | 'replaced' | 'unchanged' | 'decided';
}

const APPROVE = `
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then return {'missing'} end
local f = redis.call('HMGET', k, 'status', 'hash', 'expires_at', 'approvers', 'required', 'decided_by', 'decided_at')
if f[1] ~= 'pending' then return {'decided', f[1], f[6] or '', f[7] or '0'} end
if f[2] ~= ARGV[1] then return {'stale'} end
if tonumber(ARGV[3]) >= tonumber(f[3]) then return {'expired', f[3]} end
local approvers = cjson.decode(f[4])
for _, a in ipairs(approvers) do
  if a.user == ARGV[2] then return {'same_approver', f[5]} end
end
table.insert(approvers, {user = ARGV[2], at = tonumber(ARGV[3])})
local enc = cjson.encode(approvers)
local required = tonumber(ARGV[4] or f[5])
if #approvers >= required then
  redis.call('HSET', k, 'approvers', enc, 'status', 'approved', 'decided_by', ARGV[2], 'decided_at', ARGV[3])
  return {'approved', enc}
end
redis.call('HSET', k, 'approvers', enc)
return {'recorded', enc, tostring(required)}
`;

const REJECT = `
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then return {'missing'} end
local f = redis.call('HMGET', k, 'status', 'hash', 'expires_at', 'decided_by', 'decided_at')
if f[1] ~= 'pending' then return {'decided', f[1], f[4] or '', f[5] or '0'} end
if f[2] ~= ARGV[1] then return {'stale'} end
if tonumber(ARGV[3]) >= tonumber(f[3]) then return {'expired', f[3]} end
redis.call('HSET', k, 'status', 'rejected', 'decided_by', ARGV[2], 'decided_at', ARGV[3])
return {'rejected'}
`;

const SUPERSEDE = `
local k = KEYS[1]
if redis.call('HGET', k, 'status') ~= 'pending' then return 0 end
redis.call('HSET', k, 'status', 'superseded', 'decided_by', ARGV[1], 'decided_at', ARGV[2])
return 1
`;

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
export async function consumeApproval(redis: Redis, prefix: string, planId: string, hash: string, userId: string, now: number): Promise<ConsumeAnswer> {
  return toAnswer((await redis.eval(APPROVE, 1, planKey(prefix, planId), hash, userId, String(now))) as string[]);
}

/** One reject click, atomically (same checks as approval; a rejected plan never runs). */
export async function rejectPlan(redis: Redis, prefix: string, planId: string, hash: string, userId: string, now: number): Promise<ConsumeAnswer> {
  return toAnswer((await redis.eval(REJECT, 1, planKey(prefix, planId), hash, userId, String(now))) as string[]);
}

/** Marks a pending plan superseded (a newer plan replaced it); returns whether it was pending. */
export async function supersedePlan(redis: Redis, prefix: string, planId: string, by: string, now: number): Promise<boolean> {
  return (await redis.eval(SUPERSEDE, 1, planKey(prefix, planId), by, String(now))) === 1;
}

/** The record of a plan, or null when unknown. */
export async function loadPlan(redis: Redis, prefix: string, planId: string): Promise<PlanRecord | null> {
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
export async function autoApprove(redis: Redis, prefix: string, planId: string, hash: string, now: number): Promise<boolean> {
  const res = (await redis.eval(APPROVE, 1, planKey(prefix, planId), hash, 'automation', String(now), '1')) as string[];
  return res[0] === 'approved';
}
