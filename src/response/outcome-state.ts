/**
 * What happened to a plan after approval, stored next to its action outcomes in `<prefix>run:<planId>`:
 * the baseline reading (for verification), the verify result, Keep / revert, and markers that make every
 * audit entry and post of the flows written once even when a job is retried. Plus rendering the outcome
 * message from it.
 */
import type { RedisClient } from '../redis/connect.js';
import type { AuditInput } from '../audit/stream.js';
import type { TemporaryState } from './plan-view.js';
import type { PlanPresenter } from './presenter.js';
import type { MessageView } from '../view/message.js';
import type { Plan } from './plan.js';
import type { RecoveryJudgement } from './recovery.js';
import { loadOutcomes, runKey, type ActionOutcome, type RunOutcome } from './run.js';
import type { RuntimeView } from './runtime-view.js';
import type { VerifyOutcome } from './verify-checks.js';

export interface Settled {
  readonly by: string;
  readonly at: number;
  readonly why?: 'ttl' | 'verify_failed' | 'manual' | 'run_failed';
}

export interface RunState {
  readonly outcomes: readonly ActionOutcome[];
  readonly run: RunOutcome | null;
  readonly baseline: RuntimeView | null;
  readonly actedAt: string | null;
  readonly verify: VerifyOutcome | null;
  /** The latest verdict on the incident's symptom (rewritten by every later look). */
  readonly recovery: RecoveryJudgement | null;
  /** The reading taken right after the temporary actions were released, and when (ISO). */
  readonly releaseBaseline: RuntimeView | null;
  readonly releasedAt: string | null;
  readonly kept: Settled | null;
  readonly reverted: Settled | null;
  readonly attempts: { count: number; max: number } | null;
}

function parse<T>(raw: string | undefined): T | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}

/** A time stored as JSON (`"2025-…"`) or, by an earlier version, as the bare ISO string. */
function isoField(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const value = raw.startsWith('"') ? parse<string>(raw) : raw;
  return value !== null && Number.isFinite(Date.parse(value)) ? value : null;
}

export async function loadRunState(redis: RedisClient, prefix: string, planId: string): Promise<RunState> {
  const [outcomes, f] = await Promise.all([loadOutcomes(redis, prefix, planId), redis.hgetall(runKey(prefix, planId))]);
  return {
    outcomes: [...outcomes.values()].sort((a, b) => a.index - b.index),
    run: parse<RunOutcome>(f.run),
    baseline: parse<RuntimeView>(f.baseline),
    // Stored through `setOnce`, i.e. as JSON: a raw ISO string would not parse as a date.
    actedAt: isoField(f.acted_at),
    verify: parse<VerifyOutcome>(f.verify),
    recovery: parse<RecoveryJudgement>(f.recovery),
    releaseBaseline: parse<RuntimeView>(f.release_baseline),
    releasedAt: isoField(f.released_at),
    kept: parse<Settled>(f.kept),
    reverted: parse<Settled>(f.reverted),
    attempts: parse<{ count: number; max: number }>(f.attempts),
  };
}

/** Sets `field` only if unset; returns the value now stored and whether this call set it. */
export async function setOnce<T>(redis: RedisClient, prefix: string, planId: string, field: string, value: T): Promise<{ value: T; won: boolean }> {
  const key = runKey(prefix, planId);
  const won = (await redis.hsetnx(key, field, JSON.stringify(value))) === 1;
  if (won) return { value, won };
  return { value: (parse<T>((await redis.hget(key, field)) ?? undefined) ?? value), won };
}

/** Writes an audit event once per `marker` (at least once: a crash between the two may repeat it). */
export async function auditOnce(redis: RedisClient, prefix: string, planId: string, marker: string, write: (e: AuditInput) => Promise<void>, event: AuditInput): Promise<void> {
  const key = runKey(prefix, planId);
  if (await redis.hexists(key, `audited:${marker}`)) return;
  await write(event);
  await redis.hset(key, `audited:${marker}`, '1');
}

/** Temporary actions the plan applied for real (not dry runs), with the bridge's action ids. */
export function appliedTemporaries(plan: Plan, outcomes: readonly ActionOutcome[]): ActionOutcome[] {
  return outcomes.filter((o) => (o.status === 'applied' || o.status === 'replayed') && o.actionId && plan.actions[o.index]?.temporary);
}

export function temporaryState(plan: Plan, state: RunState): TemporaryState {
  const temps = appliedTemporaries(plan, state.outcomes);
  const revertAt = temps.map((t) => t.expiresAt).filter((x): x is string => !!x).sort().pop() ?? null;
  return {
    active: temps.length > 0 && !state.kept && !state.reverted,
    revertAt,
    kept: state.kept ? { by: state.kept.by, at: state.kept.at } : null,
    reverted: state.reverted ? { by: state.reverted.by, at: state.reverted.at, why: state.reverted.why === 'run_failed' ? 'verify_failed' : (state.reverted.why ?? 'manual') } : null,
  };
}

/** The outcome message for the plan's current state. */
export function renderOutcome(presenter: Pick<PlanPresenter, 'outcome'>, plan: Plan, state: RunState): MessageView {
  const run: RunOutcome = state.run ?? { planId: plan.id, actions: state.outcomes, ok: false, dryRunOnly: false };
  const rechecking = state.reverted !== null && state.recovery?.verdict === 'mitigated' && state.recovery.stage === 'after_action';
  const msg = presenter.outcome(plan, { run, verify: state.verify, recovery: state.recovery, rechecking, attempts: state.attempts, temporary: temporaryState(plan, state) });
  return { text: msg.text, blocks: msg.blocks };
}
