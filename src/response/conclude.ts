/**
 * After a plan ran (the `verify` queue):
 * - `verify`: after the settle time, re-read the runtime and check the runbook's success conditions
 *   against the baseline; passed → clear the failure's attempts, keep the temporary actions until their
 *   TTL (or Keep); failed → revert them now, count the attempt, escalate after the seed's three.
 * - `ttl`: at the TTL, confirm the bridge reverted the temporary actions and say so in the thread.
 * - `keep` / `revert`: the buttons on the outcome message.
 * Every step is safe to retry: results are set once, audit entries written once.
 */
import { OpsError } from '../errors.js';
import { loadPlan, type PlanRecord } from '../approvals/consume.js';
import { clearAttempts } from './attempts.js';
import { countFailure, revertTemporaries, showOutcome } from './carry-out.js';
import type { ResponseDeps } from './context.js';
import { appliedTemporaries, auditOnce, loadRunState, setOnce } from './outcome-state.js';
import { readRuntime } from './read-view.js';
import { evaluateChecks, type VerifyOutcome } from './verify-checks.js';

async function planOrThrow(deps: ResponseDeps, planId: string): Promise<PlanRecord> {
  const rec = await loadPlan(deps.redis, deps.prefix, planId);
  if (!rec) throw new OpsError('PLAN_NOT_FOUND', { plan_id: planId });
  return rec;
}

/** How long after the last TTL the bot looks again before saying "reverted" (the bridge's clock may lag). */
const TTL_RECHECK_MS = 1_000;
const TTL_MAX_ROUNDS = 10;

export async function verifyPlan(deps: ResponseDeps, planId: string): Promise<VerifyOutcome | null> {
  const { plan } = await planOrThrow(deps, planId);
  const state = await loadRunState(deps.redis, deps.prefix, planId);
  if (!state.run?.ok || !state.baseline) return null;
  let outcome = state.verify;
  if (!outcome) {
    const noDeliveryTargets = [...new Set(plan.checks.filter((c) => c.check === 'no_deliveries').flatMap((c) => c.targets ?? []))];
    const reading = await readRuntime(deps.bridgeFor(plan.runtime), { messagesFor: noDeliveryTargets });
    const since = new Date(state.actedAt ?? plan.createdAt);
    outcome = (await setOnce(deps.redis, deps.prefix, planId, 'verify', evaluateChecks(plan.checks, state.baseline, reading.view, since))).value;
  }
  const now = deps.now();
  await auditOnce(deps.redis, deps.prefix, planId, 'verify', deps.audit, {
    type: outcome.passed ? 'verify.passed' : 'verify.failed', at: now.toISOString(), actor: 'system', incident_id: plan.incidentId, plan_id: planId,
    runtime: plan.runtime, runbook_id: plan.runbookId, data: { settle_s: plan.settleS, results: outcome.results },
  });
  if (outcome.passed) {
    await clearAttempts(deps.redis, deps.prefix, plan.failureKey);
    const temps = appliedTemporaries(plan, state.outcomes);
    const last = temps.map((t) => Date.parse(t.expiresAt ?? '')).filter(Number.isFinite).sort((a, b) => a - b).pop();
    if (last !== undefined) {
      await deps.queues.add('verify', { kind: 'ttl', plan_id: planId, round: 0 }, { jobId: `ttl-${planId}-0`, delay: Math.max(0, last - now.getTime()) + TTL_RECHECK_MS });
    }
  } else {
    await revertTemporaries(deps, plan, state.outcomes, 'system', 'verify_failed');
    const failed = outcome.results.filter((r) => !r.passed).map((r) => r.evidence).join('; ');
    await countFailure(deps, plan, state.outcomes, `verification failed: ${failed}`);
  }
  await showOutcome(deps, plan, false);
  return outcome;
}

/** At the TTL: confirm the bridge reverted the temporary actions; look again shortly if not yet. */
export async function confirmTtlRevert(deps: ResponseDeps, planId: string, round: number): Promise<'reverted' | 'kept' | 'pending' | 'nothing'> {
  const { plan } = await planOrThrow(deps, planId);
  const state = await loadRunState(deps.redis, deps.prefix, planId);
  if (state.kept) return 'kept';
  if (state.reverted) return 'nothing';
  const temps = appliedTemporaries(plan, state.outcomes);
  if (temps.length === 0) return 'nothing';
  const active = new Set((await deps.bridgeFor(plan.runtime).activeActions()).map((a) => a.action_id));
  const still = temps.filter((t) => active.has(t.actionId ?? ''));
  if (still.length > 0) {
    if (round + 1 >= TTL_MAX_ROUNDS) {
      deps.logger.warn({ plan_id: planId, still: still.map((t) => t.actionId) }, 'temporary actions still active long after their TTL');
      return 'pending';
    }
    await deps.queues.add('verify', { kind: 'ttl', plan_id: planId, round: round + 1 }, { jobId: `ttl-${planId}-${round + 1}`, delay: TTL_RECHECK_MS * (round + 1) });
    return 'pending';
  }
  const now = deps.now();
  const { won } = await setOnce(deps.redis, deps.prefix, planId, 'reverted', { by: 'system', at: now.getTime(), why: 'ttl' });
  if (won) {
    const agents = await deps.bridgeFor(plan.runtime).agents();
    const after = Object.fromEntries(temps.flatMap((t) => {
      const a = agents.agents.find((x) => x.type === t.target);
      return a ? [[a.type, { isolated: a.isolated ?? null, backpressured: a.backpressured ?? null, degraded: a.degraded ?? null }]] : [];
    }));
    await auditOnce(deps.redis, deps.prefix, planId, 'reverted', deps.audit, {
      type: 'revert.executed', at: now.toISOString(), actor: 'system', incident_id: plan.incidentId, plan_id: planId, runtime: plan.runtime, runbook_id: plan.runbookId,
      data: { why: 'ttl', actions: temps.map((t) => ({ action_id: t.actionId, action: t.action, target: t.target, expired_at: t.expiresAt })), after },
    });
  }
  await showOutcome(deps, plan, false);
  return 'reverted';
}

/**
 * Keep (cancel the TTL of) or revert now the plan's temporary actions, as asked by `user` (an allowed
 * approver, checked by the listener). Returns the sentence for the user when nothing was done.
 */
export async function settleTemporaries(deps: ResponseDeps, planId: string, how: 'keep' | 'revert', user: string): Promise<string | null> {
  const { plan } = await planOrThrow(deps, planId);
  const state = await loadRunState(deps.redis, deps.prefix, planId);
  const hhmm = (ms: number): string => `${new Date(ms).toISOString().slice(11, 16)} UTC`;
  if (state.reverted) return `Nothing to do: the temporary actions were already reverted at ${hhmm(state.reverted.at)}.`;
  if (state.kept && how === 'keep') return `Nothing to do: <@${state.kept.by}> already kept them at ${hhmm(state.kept.at)}.`;
  const temps = appliedTemporaries(plan, state.outcomes);
  if (temps.length === 0) return 'Nothing to do: this plan applied no temporary action.';
  if (how === 'revert') {
    await revertTemporaries(deps, plan, state.outcomes, user, 'manual');
    await showOutcome(deps, plan, false);
    return null;
  }
  const bridge = deps.bridgeFor(plan.runtime);
  const results: Record<string, string> = {};
  for (const t of temps) results[t.actionId ?? ''] = await bridge.settle(t.actionId ?? '', 'keep');
  if (Object.values(results).every((r) => r === 'gone')) {
    // The bridge had already reverted them: record that instead of a Keep that holds nothing.
    await setOnce(deps.redis, deps.prefix, planId, 'reverted', { by: 'system', at: deps.now().getTime(), why: 'ttl' });
    await showOutcome(deps, plan, false);
    return 'Too late: the bridge had already reverted the temporary actions at their TTL.';
  }
  const now = deps.now();
  const { won, value } = await setOnce(deps.redis, deps.prefix, planId, 'kept', { by: user, at: now.getTime() });
  if (won) {
    await auditOnce(deps.redis, deps.prefix, planId, 'kept', deps.audit, {
      type: 'revert.kept', at: now.toISOString(), actor: user, incident_id: plan.incidentId, plan_id: planId, runtime: plan.runtime, runbook_id: plan.runbookId,
      data: { actions: temps.map((t) => ({ action_id: t.actionId, action: t.action, target: t.target, result: results[t.actionId ?? ''] })) },
    });
  }
  await showOutcome(deps, plan, false);
  return won ? null : `Nothing to do: <@${value.by}> already kept them.`;
}
