/**
 * The `execute` job: run an approved plan through the bridge (idempotency keys, kill switch, circuit
 * breaker, dry-run-only mode — see `run.ts`), then post the outcome in the thread and either schedule the
 * verification after the settle time, or — when an action failed — revert what was applied, count the
 * failed attempt and escalate after the seed's three.
 */
import { OpsError } from '../errors.js';
import { auditAgentsOf } from './bridge-actions.js';
import { loadPlan, supersedePlan, PLAN_RETENTION_MS } from '../approvals/consume.js';
import { mustEscalate, recentAttempts, recordFailedAttempt } from './attempts.js';
import type { ResponseDeps } from './context.js';
import { incidentsOf, linkIncident, noteRan } from './links.js';
import { appliedTemporaries, auditOnce, loadRunState, renderOutcome, setOnce } from './outcome-state.js';
import type { Plan } from './plan.js';
import { outcomeMessageKey, planMessageKey, threadOf } from './propose.js';
import { readRuntime } from './read-view.js';
import { runKey, runPlan, type ActionOutcome, type RunOutcome } from './run.js';
import { describeOpenBreaker, readAutomation, reserveAction } from './safety.js';

function auditTypeOf(o: ActionOutcome): 'action.executed' | 'action.failed' | 'action.blocked' {
  return o.status === 'failed' ? 'action.failed' : o.status === 'blocked' ? 'action.blocked' : 'action.executed';
}

/** Posts (first time) or edits the outcome message of `plan`. */
export async function showOutcome(deps: ResponseDeps, plan: Plan, first: boolean): Promise<void> {
  const state = await loadRunState(deps.redis, deps.prefix, plan.id);
  const msg = renderOutcome(deps.presenter, plan, state);
  if (first) {
    await deps.outbox.post({ channel: plan.channel, ...threadOf(plan), text: msg.text, blocks: msg.blocks, ts_key: outcomeMessageKey(plan.id), priority: 'high' }, `outcome-post-${plan.id}`);
  } else {
    await deps.outbox.update({ channel: plan.channel, ts_key: outcomeMessageKey(plan.id), text: msg.text, blocks: msg.blocks, coalesce_key: outcomeMessageKey(plan.id), priority: 'high' });
  }
}

/** Reverts the plan's applied temporary actions now (each once; `gone` = already reverted by the bridge). */
export async function revertTemporaries(deps: ResponseDeps, plan: Plan, outcomes: readonly ActionOutcome[], by: string, why: 'verify_failed' | 'manual' | 'run_failed'): Promise<boolean> {
  const temps = appliedTemporaries(plan, outcomes);
  if (temps.length === 0) return false;
  const bridge = deps.bridgeFor(plan.runtime);
  const results: Record<string, string> = {};
  for (const t of temps) results[t.actionId ?? ''] = await bridge.settle(t.actionId ?? '', 'revert');
  const now = deps.now();
  const { won } = await setOnce(deps.redis, deps.prefix, plan.id, 'reverted', { by, at: now.getTime(), why });
  if (won) {
    await auditOnce(deps.redis, deps.prefix, plan.id, 'reverted', deps.audit, {
      type: 'revert.executed', at: now.toISOString(), actor: by, incident_id: plan.incidentId, plan_id: plan.id, runtime: plan.runtime, runbook_id: plan.runbookId,
      data: { why, actions: temps.map((t) => ({ action_id: t.actionId, action: t.action, target: t.target, ...auditAgentsOf(t, plan.names), result: results[t.actionId ?? ''] })) },
    });
  }
  return true;
}

/** A failed attempt for the plan's failure: counted once per plan; escalates at the runbook's maximum. */
export async function countFailure(deps: ResponseDeps, plan: Plan, outcomes: readonly ActionOutcome[], why: string): Promise<void> {
  const now = deps.now();
  const windowMs = plan.escalation.windowS * 1000;
  const tried = outcomes.filter((o) => o.status !== 'blocked').map((o) => deps.presenter.actionSummary(o));
  const count = await recordFailedAttempt(deps.redis, deps.prefix, plan.failureKey, { planId: plan.id, runbookId: plan.runbookId, tried, outcome: why, at: now.toISOString() }, now.getTime(), windowMs);
  await setOnce(deps.redis, deps.prefix, plan.id, 'attempts', { count, max: plan.escalation.maxAttempts });
  if (mustEscalate(count, plan.escalation.maxAttempts)) {
    const attempts = await recentAttempts(deps.redis, deps.prefix, plan.failureKey, now.getTime(), windowMs);
    const msg = deps.presenter.escalation(plan, attempts, plan.escalation.maxAttempts);
    await deps.outbox.post({ channel: plan.channel, ...threadOf(plan), text: msg.text, blocks: msg.blocks, priority: 'high' }, `escalate-${plan.id}`);
    await auditOnce(deps.redis, deps.prefix, plan.id, 'escalated', deps.audit, {
      type: 'escalated', at: now.toISOString(), actor: 'system', incident_id: plan.incidentId, plan_id: plan.id, runtime: plan.runtime, runbook_id: plan.runbookId,
      data: { failure: plan.failureKey, attempts, oncall_group: plan.escalation.oncallGroup },
    });
  }
}

/** A pending plan of the same failure is superseded by `plan`, which ran; its incidents follow `plan`. */
async function supersedeBy(deps: ResponseDeps, otherId: string, plan: Plan): Promise<void> {
  const other = await loadPlan(deps.redis, deps.prefix, otherId);
  const now = deps.now().getTime();
  if (!other || !(await supersedePlan(deps.redis, deps.prefix, otherId, plan.id, now))) return;
  for (const id of await incidentsOf(deps.redis, deps.prefix, other.plan)) await linkIncident(deps.redis, deps.prefix, plan.id, id, PLAN_RETENTION_MS);
  const msg = deps.presenter.plan(other.plan, { status: 'superseded', at: now, byPlan: plan.id });
  await deps.outbox.update({ channel: other.plan.channel, ts_key: planMessageKey(otherId), text: msg.text, blocks: msg.blocks, coalesce_key: planMessageKey(otherId) });
  deps.logger.info({ plan_id: otherId, by_plan: plan.id }, 'pending plan superseded by the plan of the same failure that ran');
}

export async function carryOutPlan(deps: ResponseDeps, planId: string): Promise<RunOutcome | null> {
  const rec = await loadPlan(deps.redis, deps.prefix, planId);
  if (!rec) throw new OpsError('PLAN_NOT_FOUND', { plan_id: planId });
  const log = deps.logger.child({ plan_id: planId, runtime: rec.plan.runtime, incident_id: rec.plan.incidentId });
  if (rec.status !== 'approved') {
    // Only an approved record runs; anything else reaching here is ignored (and says so in the logs).
    log.warn({ status: rec.status }, 'execute job for a plan that is not approved; ignored');
    return null;
  }
  const plan = rec.plan;
  const bridge = deps.bridgeFor(plan.runtime);
  const audit = (o: ActionOutcome): Promise<void> => auditOnce(deps.redis, deps.prefix, plan.id, `action:${o.index}`, deps.audit, {
    type: auditTypeOf(o), at: o.at, actor: rec.decidedBy ?? 'unknown', incident_id: plan.incidentId, plan_id: plan.id, runtime: plan.runtime, runbook_id: plan.runbookId,
    data: {
      index: o.index, action: o.action, target: o.target, ...auditAgentsOf(o, plan.names), params: o.body, status: o.status, idempotency_key: o.idempotencyKey,
      action_id: o.actionId ?? null, before: o.before ?? null, after: o.after ?? null, expires_at: o.expiresAt ?? null,
      ...(o.teamEffect ? { team_effect: o.teamEffect } : {}),
      ...(o.error ? { error: o.error } : {}), approvers: rec.approvers,
    },
  });
  const run = await runPlan(deps.redis, deps.prefix, plan, {
    act: (a, body, key) => bridge.act(a.path, body, key),
    automationEnabled: async () => (await readAutomation(deps.redis, deps.prefix)).enabled,
    reserve: (key) => reserveAction(deps.redis, deps.prefix, plan.runtime, key, deps.now().getTime(), deps.settings.breaker),
    describeBreaker: (ans) => describeOpenBreaker(plan.runtime, ans, deps.settings.breaker.windowMs),
    now: deps.now,
    onOutcome: audit,
    ...(deps.afterBridgeCall ? { afterBridgeCall: deps.afterBridgeCall } : {}),
  }, { dryRunOnly: deps.settings.dryRunOnly, retentionMs: PLAN_RETENTION_MS });

  const key = runKey(deps.prefix, plan.id);
  await deps.redis.hset(key, 'run', JSON.stringify(run));
  if (run.ok && !run.dryRunOnly) {
    // The baseline the verification compares against: read right after the last action applied.
    const last = run.actions[run.actions.length - 1];
    const targets = [...new Set(plan.checks.flatMap((c) => c.targets ?? []))];
    const reading = await readRuntime(bridge, { messagesFor: [] });
    await setOnce(deps.redis, deps.prefix, plan.id, 'baseline', reading.view);
    await setOnce(deps.redis, deps.prefix, plan.id, 'acted_at', last?.at ?? deps.now().toISOString());
    // It is the failure's plan now: other channels' pending plans for the same agents are not needed.
    for (const id of await noteRan(deps.redis, deps.prefix, plan, PLAN_RETENTION_MS)) await supersedeBy(deps, id, plan);
    const note = `plan ${plan.id}: ${run.actions.map((a) => deps.presenter.actionSummary(a)).join('; ')}`;
    for (const id of await incidentsOf(deps.redis, deps.prefix, plan)) await deps.moveIncident(id, 'mitigate', rec.decidedBy ?? 'automation', note);
    log.info({ targets }, 'plan ran; verification scheduled');
    await showOutcome(deps, plan, true);
    await deps.queues.add('verify', { kind: 'verify', plan_id: plan.id }, { jobId: `verify-${plan.id}`, delay: Math.round(plan.settleS * 1000) });
    return run;
  }
  if (!run.ok && run.stoppedBy === 'action_failed') {
    await revertTemporaries(deps, plan, run.actions, 'system', 'run_failed');
    await countFailure(deps, plan, run.actions, run.stopReason ?? 'an action failed');
  }
  await showOutcome(deps, plan, true);
  log.info({ ok: run.ok, stopped_by: run.stoppedBy, dry_run_only: run.dryRunOnly }, 'plan run finished');
  return run;
}

/**
 * The last attempt of an `execute` or `verify` job failed on a transient error (the bridge stayed down):
 * say so in the thread with what ran so far, and count a failed attempt. Temporary actions that did apply
 * still revert by themselves at their TTL (the bridge keeps that timer).
 */
export async function reportGaveUp(deps: ResponseDeps, planId: string, stage: 'run' | 'verify', reason: string): Promise<void> {
  const rec = await loadPlan(deps.redis, deps.prefix, planId);
  if (!rec) return;
  const plan = rec.plan;
  const state = await loadRunState(deps.redis, deps.prefix, planId);
  const why = stage === 'run'
    ? `the runtime could not be reached to run the plan (${reason}); temporary actions that applied revert at their TTL`
    : `the runtime could not be reached to verify the plan (${reason}); temporary actions revert at their TTL`;
  if (stage === 'run' || !state.run) {
    const run: RunOutcome = { planId, actions: state.outcomes, ok: false, dryRunOnly: deps.settings.dryRunOnly, stoppedBy: 'action_failed', stopReason: why };
    await deps.redis.hset(runKey(deps.prefix, planId), 'run', JSON.stringify(run));
  } else {
    await setOnce(deps.redis, deps.prefix, planId, 'verify', { passed: false, results: [{ check: 'reachable', target: null, passed: false, evidence: why }] });
  }
  await auditOnce(deps.redis, deps.prefix, planId, `gave-up:${stage}`, deps.audit, {
    type: stage === 'run' ? 'action.failed' : 'verify.failed', at: deps.now().toISOString(), actor: 'system', incident_id: plan.incidentId, plan_id: planId,
    runtime: plan.runtime, runbook_id: plan.runbookId, data: { error: why },
  });
  await countFailure(deps, plan, state.outcomes, why);
  await showOutcome(deps, plan, stage === 'run');
}
