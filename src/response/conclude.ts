/**
 * After a plan ran (the `verify` queue):
 * - `verify`: after the settle time, re-read the runtime; the runbook's checks say whether the action took
 *   effect, the incident's symptom (`recovery.ts`) whether it is resolved, only mitigated, or not at all.
 *   Not effective → revert the temporary actions now, count the attempt, escalate after the seed's three;
 *   otherwise they stay until their TTL (or Keep). Linked incidents move as the verdict says.
 * - `recheck`: the symptom again — while a recovery is not confirmed, and after the temporary actions were
 *   released (an isolated agent's silence is not health: only after the release does it show).
 * - `ttl`: at the TTL, confirm the bridge reverted the temporary actions and say so in the thread.
 * - `keep` / `revert`: the buttons on the outcome message.
 * Every step is safe to retry: results are set once, audit entries written once.
 */
import { OpsError } from '../errors.js';
import { loadPlan, type PlanRecord } from '../approvals/consume.js';
import { clearAttempts } from './attempts.js';
import { countFailure, revertTemporaries, showOutcome } from './carry-out.js';
import type { ResponseDeps } from './context.js';
import { monitorStartsFresh } from '../monitor/poll.js';
import { incidentsOf } from './links.js';
import { appliedTemporaries, auditOnce, loadRunState, setOnce, type RunState } from './outcome-state.js';
import type { Plan } from './plan.js';
import { agentsActedOn, auditAgentsOf } from './bridge-actions.js';
import { readRuntime, type RuntimeReading } from './read-view.js';
import { judgeRecovery, type RecoveryJudgement, type RecoveryStage } from './recovery.js';
import { runKey } from './run.js';
import type { RuntimeView } from './runtime-view.js';
import { evaluateChecks, type VerifyOutcome } from './verify-checks.js';
import { mention, rich, type RichText } from '../view/rich-text.js';
import { hhmm } from '../text/time.js';

async function planOrThrow(deps: ResponseDeps, planId: string): Promise<PlanRecord> {
  const rec = await loadPlan(deps.redis, deps.prefix, planId);
  if (!rec) throw new OpsError('PLAN_NOT_FOUND', { plan_id: planId });
  return rec;
}

/** How long after the last TTL the bot looks again before saying "reverted" (the bridge's clock may lag). */
const TTL_RECHECK_MS = 1_000;
const TTL_MAX_ROUNDS = 10;
/** Looks at an unconfirmed symptom: at most this many, the delay doubling from the settle time (≥ 5 s). */
export const RECHECK_MAX_ROUNDS = 5;
const RECHECK_MAX_DELAY_MS = 120_000;

/** Agent types a plan acted on: the targets of its actions and those their bodies name (shed, tools' owners, restored). */
export function actedOn(plan: Plan): string[] {
  return [...new Set(plan.actions.flatMap(agentsActedOn))];
}

/** The agents the plan was asked about (the incident's, or the `/autogen recover` argument). */
function incidentAgentsOf(plan: Plan): string[] {
  return [...new Set([...(plan.subject.agent ? [plan.subject.agent] : []), ...plan.subject.agents])];
}

/** One reading with what judging needs: the acted-on agents' callers, and their deliveries. */
async function readForJudging(deps: ResponseDeps, plan: Plan, alsoMessagesFor: readonly string[] = []): Promise<RuntimeReading> {
  const acted = actedOn(plan);
  return readRuntime(deps.bridgeFor(plan.runtime), { messagesFor: [...new Set([...alsoMessagesFor, ...acted])], detailsFor: acted });
}

function judge(deps: ResponseDeps, plan: Plan, stage: RecoveryStage, actionsEffective: boolean, reference: RuntimeView | null, referenceAt: string | null, current: RuntimeView): RecoveryJudgement {
  const now = deps.now();
  const since = Date.parse(referenceAt ?? plan.createdAt);
  return judgeRecovery({
    stage, actionsEffective, actedOn: actedOn(plan), incidentAgents: incidentAgentsOf(plan), reference, current,
    elapsedS: Number.isFinite(since) ? Math.max(0, (now.getTime() - since) / 1000) : 0, errorRate: deps.errorRateFor(plan.runtime), now,
  });
}

function recheckDelayMs(plan: Plan, round: number): number {
  return Math.min(RECHECK_MAX_DELAY_MS, Math.max(5_000, plan.settleS * 1000) * 2 ** round);
}

/**
 * Whether the verdict needs another look: nothing went through the judged agents yet (no evidence either
 * way), or callers fail while nothing is held (they may still recover). A verdict that only a release can
 * change (an agent held, its callers' figures known) waits for the release instead.
 */
function needsAnotherLook(j: RecoveryJudgement): boolean {
  if (j.verdict === 'resolved') return !j.confirmed;
  if (j.verdict === 'mitigated') return !j.confirmed || !j.symptoms.some((s) => s.held !== null);
  return false;
}

/** Stores the latest verdict (rechecks rewrite it). */
async function storeVerdict(deps: ResponseDeps, planId: string, j: RecoveryJudgement): Promise<void> {
  await deps.redis.hset(runKey(deps.prefix, planId), 'recovery', JSON.stringify(j));
}

/**
 * What a verdict does beyond the outcome message, once per (stage, round): the audit entry, the attempt
 * count, and the linked incidents — resolved when the symptom is gone, back to open when the mitigation
 * ended without a recovery, mitigating meanwhile. `final`: no further look will follow.
 */
async function applyVerdict(deps: ResponseDeps, plan: Plan, state: RunState, j: RecoveryJudgement, round: number, final: boolean): Promise<void> {
  const now = deps.now();
  const marker = `judged:${j.stage}:${round}`;
  const changed = state.recovery?.verdict !== j.verdict || state.recovery.stage !== j.stage;
  // The first verdict is in the `verify` entry itself.
  const first = j.stage === 'after_action' && round === 0;
  if (!first && (changed || final)) {
    await auditOnce(deps.redis, deps.prefix, plan.id, marker, deps.audit, {
      type: j.verdict === 'resolved' || j.verdict === 'mitigated' ? 'verify.passed' : 'verify.failed', at: now.toISOString(), actor: 'system',
      incident_id: plan.incidentId, plan_id: plan.id, runtime: plan.runtime, runbook_id: plan.runbookId,
      data: { stage: j.stage, round, verdict: j.verdict, summary: j.summary, confirmed: j.confirmed, symptoms: j.symptoms },
    });
  }
  const note = `plan ${plan.id}: ${j.summary}`;
  const incidents = await incidentsOf(deps.redis, deps.prefix, plan);
  if (j.verdict === 'resolved' && (j.confirmed || final)) {
    await clearAttempts(deps.redis, deps.prefix, plan.failureKey);
    for (const id of incidents) await deps.moveIncident(id, 'resolve', 'verification', note);
    // The monitor's window lags: make it raise anew if these agents fail again, not stay silent.
    await monitorStartsFresh(deps.redis, deps.prefix, plan.runtime, j.symptoms.map((s) => s.agent), now.getTime());
  } else if (j.verdict === 'unresolved') {
    await countFailure(deps, plan, state.outcomes, `not resolved: ${j.summary}`);
    for (const id of incidents) await deps.moveIncident(id, 'unmitigate', 'verification', note);
  } else if (j.verdict === 'not_effective') {
    for (const id of incidents) await deps.moveIncident(id, 'unmitigate', 'verification', note);
  }
}

export async function verifyPlan(deps: ResponseDeps, planId: string): Promise<VerifyOutcome | null> {
  const { plan } = await planOrThrow(deps, planId);
  const state = await loadRunState(deps.redis, deps.prefix, planId);
  if (!state.run?.ok || !state.baseline) return null;
  let outcome = state.verify;
  let judgement = state.recovery;
  if (!outcome || !judgement) {
    const noDeliveryTargets = [...new Set(plan.checks.filter((c) => c.check === 'no_deliveries').flatMap((c) => c.targets ?? []))];
    const reading = await readForJudging(deps, plan, noDeliveryTargets);
    const since = new Date(state.actedAt ?? plan.createdAt);
    outcome = (await setOnce(deps.redis, deps.prefix, planId, 'verify', evaluateChecks(plan.checks, state.baseline, reading.view, since))).value;
    judgement = (await setOnce(deps.redis, deps.prefix, planId, 'recovery', judge(deps, plan, 'after_action', outcome.passed, state.baseline, state.actedAt, reading.view))).value;
  }
  const now = deps.now();
  await auditOnce(deps.redis, deps.prefix, planId, 'verify', deps.audit, {
    type: outcome.passed ? 'verify.passed' : 'verify.failed', at: now.toISOString(), actor: 'system', incident_id: plan.incidentId, plan_id: planId,
    runtime: plan.runtime, runbook_id: plan.runbookId,
    data: { settle_s: plan.settleS, results: outcome.results, verdict: judgement.verdict, summary: judgement.summary, symptoms: judgement.symptoms },
  });
  if (outcome.passed) {
    const temps = appliedTemporaries(plan, state.outcomes);
    const last = temps.map((t) => Date.parse(t.expiresAt ?? '')).filter(Number.isFinite).sort((a, b) => a - b).pop();
    if (last !== undefined) {
      await deps.queues.add('verify', { kind: 'ttl', plan_id: planId, round: 0 }, { jobId: `ttl-${planId}-0`, delay: Math.max(0, last - now.getTime()) + TTL_RECHECK_MS });
    }
    const again = needsAnotherLook(judgement);
    // The first verdict: the audit entry above; the incidents move (resolved, when confirmed).
    await applyVerdict(deps, plan, { ...state, recovery: judgement }, judgement, 0, !again);
    if (again) await deps.queues.add('verify', { kind: 'recheck', plan_id: planId, stage: 'after_action', round: 1 }, { jobId: `recheck-${planId}-after_action-1`, delay: recheckDelayMs(plan, 0) });
  } else {
    await revertTemporaries(deps, plan, state.outcomes, 'system', 'verify_failed');
    const failed = outcome.results.filter((r) => !r.passed).map((r) => r.evidence).join('; ');
    await countFailure(deps, plan, state.outcomes, `verification failed: ${failed}`);
    await applyVerdict(deps, plan, { ...state, recovery: judgement }, judgement, 0, true);
  }
  await showOutcome(deps, plan, false);
  return outcome;
}

/**
 * Another look at the symptom: `after_action` while a recovery is not confirmed (and nothing was released
 * yet), `after_release` once the temporary actions ended — judged against the reading taken at the release.
 */
export async function recheckPlan(deps: ResponseDeps, planId: string, stage: RecoveryStage, round: number): Promise<RecoveryJudgement | null> {
  const { plan } = await planOrThrow(deps, planId);
  const state = await loadRunState(deps.redis, deps.prefix, planId);
  if (!state.verify?.passed) return null;
  if (stage === 'after_action' && state.reverted) return null; // the release's own look takes over
  const reference = stage === 'after_release' ? state.releaseBaseline : state.baseline;
  const referenceAt = stage === 'after_release' ? state.releasedAt : state.actedAt;
  if (!reference) return null;
  const fresh = async (): Promise<RecoveryJudgement> => judge(deps, plan, stage, true, reference, referenceAt, (await readForJudging(deps, plan)).view);
  const { value: j } = await setOnce(deps.redis, deps.prefix, planId, `judged:${stage}:${round}`, await fresh());
  const again = needsAnotherLook(j) && round + 1 < RECHECK_MAX_ROUNDS;
  await applyVerdict(deps, plan, state, j, round, !again);
  await storeVerdict(deps, planId, { ...j, settled: !again });
  if (again) {
    await deps.queues.add('verify', { kind: 'recheck', plan_id: planId, stage, round: round + 1 }, { jobId: `recheck-${planId}-${stage}-${round + 1}`, delay: recheckDelayMs(plan, round) });
  }
  await showOutcome(deps, plan, false);
  return j;
}

/**
 * The temporary actions of a plan whose symptom was not confirmed gone were released: read the runtime now
 * (the reference of the next look) and look again after the settle time.
 */
async function lookAfterRelease(deps: ResponseDeps, plan: Plan, state: RunState): Promise<void> {
  const verdict = state.recovery?.verdict;
  if (!state.verify?.passed || !(verdict === 'mitigated' || (verdict === 'resolved' && !state.recovery?.confirmed))) return;
  const reading = await readForJudging(deps, plan);
  await setOnce(deps.redis, deps.prefix, plan.id, 'release_baseline', reading.view);
  await setOnce(deps.redis, deps.prefix, plan.id, 'released_at', deps.now().toISOString());
  await deps.queues.add('verify', { kind: 'recheck', plan_id: plan.id, stage: 'after_release', round: 0 }, { jobId: `recheck-${plan.id}-after_release-0`, delay: Math.max(1_000, plan.settleS * 1000) });
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
      data: { why: 'ttl', actions: temps.map((t) => ({ action_id: t.actionId, action: t.action, target: t.target, ...auditAgentsOf(t, plan.names), expired_at: t.expiresAt })), after },
    });
  }
  await lookAfterRelease(deps, plan, state);
  await showOutcome(deps, plan, false);
  return 'reverted';
}

/**
 * Keep (cancel the TTL of) or revert now the plan's temporary actions, as asked by `user` (an allowed
 * approver, checked by the listener). Returns the sentence for the user when nothing was done.
 */
export async function settleTemporaries(deps: ResponseDeps, planId: string, how: 'keep' | 'revert', user: string): Promise<RichText | null> {
  const { plan } = await planOrThrow(deps, planId);
  const state = await loadRunState(deps.redis, deps.prefix, planId);
  if (state.reverted) return rich`Nothing to do: the temporary actions were already reverted at ${hhmm(state.reverted.at)}.`;
  if (state.kept && how === 'keep') return rich`Nothing to do: ${mention(state.kept.by)} already kept them at ${hhmm(state.kept.at)}.`;
  const temps = appliedTemporaries(plan, state.outcomes);
  if (temps.length === 0) return rich`Nothing to do: this plan applied no temporary action.`;
  if (how === 'revert') {
    await revertTemporaries(deps, plan, state.outcomes, user, 'manual');
    await lookAfterRelease(deps, plan, state);
    await showOutcome(deps, plan, false);
    return null;
  }
  const bridge = deps.bridgeFor(plan.runtime);
  const results: Record<string, string> = {};
  for (const t of temps) results[t.actionId ?? ''] = await bridge.settle(t.actionId ?? '', 'keep');
  if (Object.values(results).every((r) => r === 'gone')) {
    // The bridge had already reverted them: record that instead of a Keep that holds nothing.
    await setOnce(deps.redis, deps.prefix, planId, 'reverted', { by: 'system', at: deps.now().getTime(), why: 'ttl' });
    await lookAfterRelease(deps, plan, state);
    await showOutcome(deps, plan, false);
    return rich`Too late: the bridge had already reverted the temporary actions at their TTL.`;
  }
  const now = deps.now();
  const { won, value } = await setOnce(deps.redis, deps.prefix, planId, 'kept', { by: user, at: now.getTime() });
  if (won) {
    await auditOnce(deps.redis, deps.prefix, planId, 'kept', deps.audit, {
      type: 'revert.kept', at: now.toISOString(), actor: user, incident_id: plan.incidentId, plan_id: planId, runtime: plan.runtime, runbook_id: plan.runbookId,
      data: { actions: temps.map((t) => ({ action_id: t.actionId, action: t.action, target: t.target, ...auditAgentsOf(t, plan.names), result: results[t.actionId ?? ''] })) },
    });
  }
  await showOutcome(deps, plan, false);
  return won ? null : rich`Nothing to do: ${mention(value.by)} already kept them.`;
}
