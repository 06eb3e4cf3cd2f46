/**
 * One plan per runtime, agents acted on and runbook (the plan's `failureKey`): a plan asked for by
 * `/autogen recover` and one asked for by an incident about the same agents and runbook are the same plan.
 * - A plan of the failure that runs (or ran, and its temporary actions are still in force on the bridge)
 *   is the plan for everyone: a later request anywhere links to it.
 * - Waiting for approval, a channel has one plan per failure: a second request there links to it (the same
 *   requester asking again refreshes it in place).
 * - When a plan runs, the other channels' pending plans of the same failure are superseded by it, and
 *   their incidents follow it.
 * Incidents linked to a plan move with it: mitigating when it runs, open or resolved as its verification
 * says.
 *
 * Redis (all under the prefix): `plan-slot:<channel>:<failureKey>` → the channel's newest plan of the
 * failure; `plan-pending:<failureKey>` → set of the failure's plans that were proposed (cleared as they
 * run or are superseded); `plan-ran:<failureKey>` → the plan of the failure that ran last;
 * `plan-incidents:<planId>` → set of the incident ids the plan acts for.
 */
import type { RedisClient } from '../redis/connect.js';
import { runScript } from '../redis/scripts.js';
import type { PlanRecord } from '../approvals/consume.js';
import type { RunState } from './outcome-state.js';
import { appliedTemporaries } from './outcome-state.js';
import type { Plan } from './plan.js';

export const planSlotKey = (prefix: string, channel: string, failureKey: string): string => `${prefix}plan-slot:${channel}:${failureKey}`;
export const pendingPlansKey = (prefix: string, failureKey: string): string => `${prefix}plan-pending:${failureKey}`;
export const ranPlanKey = (prefix: string, failureKey: string): string => `${prefix}plan-ran:${failureKey}`;
const linkedKey = (prefix: string, planId: string): string => `${prefix}plan-incidents:${planId}`;

/** Links `incidentId` to the plan (kept as long as the plan record). */
export async function linkIncident(redis: RedisClient, prefix: string, planId: string, incidentId: string, retentionMs: number): Promise<void> {
  const key = linkedKey(prefix, planId);
  const back = incidentPlansKey(prefix, incidentId);
  await redis.multi().sadd(key, incidentId).pexpire(key, retentionMs).sadd(back, planId).pexpire(back, retentionMs).exec();
}

/** Incident → the plans proposed for it or linked to it (to close them when it resolves). */
export const incidentPlansKey = (prefix: string, incidentId: string): string => `${prefix}incident-plans:${incidentId}`;

/** Every incident the plan acts for: its own, then the linked ones. */
export async function incidentsOf(redis: RedisClient, prefix: string, plan: Pick<Plan, 'id' | 'incidentId'>): Promise<string[]> {
  const linked = await redis.smembers(linkedKey(prefix, plan.id));
  return [...new Set([...(plan.incidentId ? [plan.incidentId] : []), ...linked.sort()])];
}

/**
 * Where a plan stands for a second request about the same failure:
 * - `pending`: waiting for approval (not expired);
 * - `running`: approved, not yet run or not yet verified;
 * - `in_force`: ran, took effect, and its temporary actions are still in force (or kept);
 * - `over`: anything else (rejected, superseded, expired, failed, reverted, or done with nothing in force).
 * `active`: the action ids the bridge reports active now (null: not read) — an action reverted on the
 * bridge directly is not in force, whatever the plan's record says.
 */
export type PlanLiveness = 'pending' | 'running' | 'in_force' | 'over';

export function livenessOf(rec: PlanRecord, state: RunState, nowMs: number, active: ReadonlySet<string> | null = null): PlanLiveness {
  if (rec.status === 'pending') return nowMs < rec.expiresAt ? 'pending' : 'over';
  if (rec.status !== 'approved') return 'over';
  if (!state.run) return 'running';
  if (!state.run.ok || state.run.dryRunOnly) return 'over';
  if (!state.verify) return 'running';
  if (!state.verify.passed || state.reverted) return 'over';
  const verdict = state.recovery?.verdict;
  if (verdict === 'not_effective' || verdict === 'unresolved') return 'over';
  const temps = appliedTemporaries(rec.plan, state.outcomes);
  const inForce = temps.filter((t) => active === null || active.has(t.actionId ?? ''));
  return inForce.length > 0 ? 'in_force' : 'over';
}

/** Whether a request is the one the plan was made for (then a pending plan is refreshed, not linked). */
export function sameRequester(plan: Plan, req: { incident_id?: string | undefined; channel: string; agent?: string | undefined }): boolean {
  if (req.incident_id) return plan.incidentId === req.incident_id;
  return plan.incidentId === null && plan.channel === req.channel && plan.subject.agent === (req.agent ?? null);
}

/**
 * Takes a slot for `planId` if it still holds `expected` ('' = none; plan-slot-claim.lua): two requests for the same failure
 * at once make one plan. Returns the plan id the slot holds afterwards.
 */
export async function claimSlot(redis: RedisClient, slot: string, expected: string, planId: string, retentionMs: number): Promise<string> {
  return String(await runScript(redis, 'planSlotClaim', [slot], { expected, plan: planId, ttl: retentionMs }));
}

/** Remembers a proposed plan among its failure's pending ones. */
export async function notePending(redis: RedisClient, prefix: string, plan: Pick<Plan, 'id' | 'failureKey'>, retentionMs: number): Promise<void> {
  const key = pendingPlansKey(prefix, plan.failureKey);
  await redis.multi().sadd(key, plan.id).pexpire(key, retentionMs).exec();
}

/**
 * `plan` ran: it is the failure's plan from now on. Returns the other plans proposed for the failure
 * (the caller supersedes those still pending).
 */
export async function noteRan(redis: RedisClient, prefix: string, plan: Pick<Plan, 'id' | 'failureKey'>, retentionMs: number): Promise<string[]> {
  const key = pendingPlansKey(prefix, plan.failureKey);
  const [, [, others]] = (await redis.multi().set(ranPlanKey(prefix, plan.failureKey), plan.id, 'PX', retentionMs).smembers(key).del(key).exec()) as [unknown, [unknown, string[]], unknown];
  return others.filter((id) => id !== plan.id).sort();
}
