/**
 * What follows an incident's opening, each once per incident (idempotent job ids):
 * - the automatic diagnosis (the spine's `diagnose` job) in the thread, when the incident names an agent
 *   of a configured runtime — started by an `opened` job once the root's ts is known;
 * - a response plan request (the `respond` queue) so that a matching runbook posts its plan in the thread,
 *   when its alerts name a configured runtime. When the incident is diagnosed automatically, the plan waits
 *   for the diagnosis and is made from its findings (`onIncidentDiagnosed`; an alert that fires on the first
 *   error says little, the diagnosis says what is wrong); each later diagnosis ("Diagnose again") asks again,
 *   and a plan of another runbook supersedes the incident's pending one (src/response/plan-closing.ts).
 *   Otherwise (no automatic diagnosis, or none possible: no agent named) it is asked for at once.
 * An incident whose alerts name no runtime gets neither (never the default runtime's): the thread says so
 * and which label to add.
 * And "Diagnose again" from the root's button.
 */
import { AGENT_REF_RE } from '../identifiers.js';
import { DelayedError, type Job } from 'bullmq';
import type { Config } from '../config.js';
import { OpsError, isOpsError } from '../errors.js';
import { code, joinRich, plainText, rich, type RichText } from '../view/rich-text.js';
import type { PayloadInput } from '../queues/payloads.js';
import type { NormalizedAlert } from './alert.js';
import { shorten } from '../text/shorten.js';
import type { Incident } from './store.js';
import { rootKey, type ThreadContext } from './thread.js';

export interface FollowUpContext extends ThreadContext {
  readonly runtimes: Config['runtimes'];
}

/** An agent as the alert names it: a type, or an AgentChat participant's stable `<team>/<name>`. */
const AGENT_TYPE = AGENT_REF_RE;

/** A name (alert label values are untrusted) as inline code: the presenter escapes it, no mention can form. */
function quoted(name: string): RichText {
  return code(shorten(name.replace(/\s+/g, ' ').trim(), 100));
}

/**
 * Why an alert that names no runtime gets no diagnosis or plan, and the label that ties it to one. Never the
 * default runtime: an alert of another system, or of a runtime that is not configured, would be diagnosed and
 * acted on against the wrong runtime.
 */
function noRuntimeReason(runtimes: Config['runtimes'], runtimeLabels: readonly string[]): RichText {
  const labels = runtimeLabels.length > 0 ? runtimeLabels : ['runtime'];
  const names = Object.keys(runtimes.byName);
  const which = names.length > 0
    ? rich`naming one of the configured runtimes (${joinRich(names.slice(0, 10).map(quoted), ', ')}${names.length > 10 ? rich`, …` : rich``})`
    : rich`naming the runtime, once it is configured (AUTOGEN_RUNTIMES)`;
  return rich`the incident could not be tied to a runtime: its alerts have no ${joinRich(labels.map(quoted), ' or ')} label. Add the label ${quoted(labels[0]!)} to the alert rule, ${which}`;
}

/**
 * The agent and runtime a diagnosis of `incident` would look at, or why there is none (rich text, to
 * follow "No automatic diagnosis: "). `runtimeLabels`: the label names that name a runtime (ALERT_RUNTIME_LABELS).
 */
export function diagnosisTarget(
  incident: Incident, runtimes: Config['runtimes'], runtimeLabels: readonly string[],
): { agent: string; runtime: string } | { reason: RichText } {
  if (incident.runtime === null) return { reason: noRuntimeReason(runtimes, runtimeLabels) };
  if (!runtimes.byName[incident.runtime]) return { reason: rich`runtime ${quoted(incident.runtime)} is not configured (AUTOGEN_RUNTIMES)` };
  if (!incident.agent || !AGENT_TYPE.test(incident.agent)) return { reason: rich`the incident names no agent type` };
  return { agent: incident.agent, runtime: incident.runtime };
}

/** The runtime a response plan for `incident` is asked of: only the configured runtime its alerts name. */
function planRuntime(incident: Incident, runtimes: Config['runtimes']): string | undefined {
  return incident.runtime !== null && runtimes.byName[incident.runtime] ? incident.runtime : undefined;
}

/** Whether `incident`'s plan waits for its automatic diagnosis (which then asks for it with its findings). */
export function planFollowsDiagnosis(ctx: FollowUpContext, incident: Incident): boolean {
  return ctx.config.autoDiagnose && !('reason' in diagnosisTarget(incident, ctx.runtimes, ctx.config.grouping.runtimeLabels));
}

/**
 * Queues the plan request of `incident` under `jobId`. `labels`: the alert's labels to match runbooks on;
 * absent, the planner reads the labels of the incident's firing alerts (each is tried).
 */
async function requestIncidentPlan(
  ctx: FollowUpContext, incident: Incident, runtime: string,
  input: { labels?: Readonly<Record<string, string>>; findings: readonly string[]; jobId: string },
): Promise<boolean> {
  const labels = input.labels
    ? Object.fromEntries(Object.entries(input.labels).slice(0, 50).map(([k, v]) => [k.slice(0, 200), shorten(v, 1000)]))
    : undefined;
  const request = {
    kind: 'plan',
    runtime,
    channel: incident.channel,
    thread_ts_key: rootKey(incident.id),
    ...(incident.agent && AGENT_TYPE.test(incident.agent) ? { agent: incident.agent } : {}),
    agents: incident.agents.filter((a) => AGENT_TYPE.test(a)).slice(0, 50),
    incident_id: incident.id,
    ...(labels ? { labels } : {}),
    findings: input.findings.slice(0, 100).map((f) => f.slice(0, 100)),
    source: 'incident',
    requested_at: ctx.now().toISOString(),
  };
  try {
    // The `respond` payload is the response feature's PlanRequest (src/response/jobs.ts).
    await ctx.queues.add('respond', request as unknown as PayloadInput<'respond'>, { jobId: input.jobId });
    return true;
  } catch (err) {
    if (!isOpsError(err) || err.transient) throw err;
    ctx.logger.warn({ err, incident_id: incident.id }, 'response plan not requested: the respond queue refused the request');
    return false;
  }
}

/**
 * A diagnosis of `incidentId` concluded (the automatic one, or "Diagnose again"): ask for the incident's
 * plan from its findings (`findingIds`: the report's, see `findingsOfReport`). `diagnosisKey` makes one
 * request per diagnosis. The planner keeps one plan per incident and runbook: the same conclusion leaves
 * the pending plan as it is (refreshed in place if its targets moved), another runbook supersedes it.
 */
export async function onIncidentDiagnosed(ctx: FollowUpContext, incidentId: string, findingIds: readonly string[], diagnosisKey: string): Promise<string> {
  if (!ctx.config.autoPlan) return 'automatic plans are off';
  const incident = await ctx.store.get(incidentId);
  if (!incident) return 'incident gone';
  if (incident.state === 'resolved') return 'incident resolved';
  const runtime = planRuntime(incident, ctx.runtimes);
  if (!runtime) return 'no configured runtime';
  const jobId = `plan-${incidentId}-${diagnosisKey}`.replace(/[^\w.-]/g, '_').slice(0, 250);
  return (await requestIncidentPlan(ctx, incident, runtime, { findings: findingIds, jobId })) ? 'plan requested' : 'plan refused';
}

/** Called when an incident opens: queue the diagnosis starter and the plan request. */
export async function onIncidentOpened(ctx: FollowUpContext, incident: Incident, firstAlert: NormalizedAlert): Promise<void> {
  if (ctx.config.autoDiagnose) {
    await ctx.queues.add('alert', { kind: 'opened', incident_id: incident.id, waits: 0 }, { jobId: `opened-${incident.id}`, removeOnComplete: { age: 86_400 } });
  } else if (ctx.config.autoPlan && incident.runtime === null) {
    // no diagnosis note will say why nothing follows: say it here
    const reason = noRuntimeReason(ctx.runtimes, ctx.config.grouping.runtimeLabels);
    await ctx.outbox.post({ channel: incident.channel, thread_ts_key: rootKey(incident.id), text: rich`No automatic response plan: ${reason}.`, priority: 'normal' }, `inc-nodiag-${incident.id}`);
  }
  const runtime = planRuntime(incident, ctx.runtimes);
  // diagnosed automatically: the plan follows the diagnosis, made from its findings (onIncidentDiagnosed)
  if (ctx.config.autoPlan && runtime && !planFollowsDiagnosis(ctx, incident)) {
    await requestIncidentPlan(ctx, incident, runtime, { labels: firstAlert.labels, findings: [], jobId: `plan-${incident.id}` });
  }
}

/** How long an `opened` job waits for the root's ts before giving up, in 500 ms steps (~2 min). */
const MAX_WAITS = 240;

/**
 * The `opened` job: once the root is posted (its ts known), run the automatic diagnosis once.
 * Waits without spending attempts (BullMQ `moveToDelayed`).
 */
export async function startAutomaticDiagnosis(ctx: FollowUpContext, incidentId: string, waits: number, job: Job, token: string | undefined): Promise<string> {
  const incident = await ctx.store.get(incidentId);
  if (!incident) return 'incident gone';
  const target = diagnosisTarget(incident, ctx.runtimes, ctx.config.grouping.runtimeLabels);
  if ('reason' in target) {
    if (await ctx.store.claimDiagnosis(incidentId, ctx.now().getTime())) {
      const what = ctx.config.autoPlan && planRuntime(incident, ctx.runtimes) === undefined ? 'diagnosis or response plan' : 'diagnosis';
      await ctx.outbox.post({ channel: incident.channel, thread_ts_key: rootKey(incidentId), text: rich`No automatic ${what}: ${target.reason}.`, priority: 'normal' }, `inc-nodiag-${incidentId}`);
    }
    return plainText(target.reason);
  }
  const ts = await ctx.outbox.postedTs(rootKey(incidentId));
  if (ts === undefined) {
    if (waits >= MAX_WAITS) throw new OpsError('SLACK_UNAVAILABLE', { incident_id: incidentId, reason: 'the incident root was never posted' });
    await job.updateData({ kind: 'opened', incident_id: incidentId, waits: waits + 1 });
    await job.moveToDelayed(Date.now() + 500, token);
    throw new DelayedError();
  }
  if (!(await ctx.store.claimDiagnosis(incidentId, ctx.now().getTime()))) return 'already diagnosed';
  await ctx.queues.add('diagnose', {
    mode: 'report', agent: target.agent, runtime: target.runtime, channel: incident.channel, thread_ts: ts,
    source: 'alert', incident_id: incidentId, requested_at: ctx.now().toISOString(),
  }, { jobId: `diag-${incidentId}` });
  return 'diagnosis queued';
}

/** "Diagnose again": a fresh diagnosis in the thread; `INCIDENT_NOT_FOUND` or a reason when impossible. */
export async function diagnoseAgain(ctx: FollowUpContext, incident: Incident, user: string, requestedAt: Date): Promise<void> {
  const target = diagnosisTarget(incident, ctx.runtimes, ctx.config.grouping.runtimeLabels);
  if ('reason' in target) throw new OpsError('INCIDENT_NOT_DIAGNOSABLE', { incident_id: incident.id, reason: plainText(target.reason) }, { detail: rich`(${target.reason})` });
  const ts = await ctx.outbox.postedTs(rootKey(incident.id));
  await ctx.queues.add('diagnose', {
    mode: 'report', agent: target.agent, runtime: target.runtime, channel: incident.channel, user,
    ...(ts ? { thread_ts: ts } : {}), source: 'button', incident_id: incident.id, requested_at: requestedAt.toISOString(),
  }, { jobId: `diag-${incident.id}-${requestedAt.getTime()}` });
}
