/**
 * One plan per incident, and none left waiting for a problem that is gone:
 * - a new plan proposed for an incident (another runbook: what the incident is about changed) supersedes
 *   the incident's own older plans still waiting for approval ("Replaced by a newer plan — see below");
 * - a plan asked for an incident whose diagnosis changed so that no runbook matches it any more closes the
 *   incident's own older plans still waiting for approval ("Closed: the diagnosis changed; this plan no
 *   longer matches — no runbook matches the new finding"): approving one would act on a stale cause;
 * - when an incident resolves, its plans still waiting for approval are closed ("Closed: incident resolved,
 *   nothing ran") — unless another incident the plan acts for is still active. A plan that runs or ran is
 *   left alone: its own verification speaks for it.
 * - a plan whose own message Slack refused (the bot cannot post in its channel; it did not know when the
 *   command was typed) is closed at once: no one could approve it, and its edits, expiry and outcome thread
 *   would wait for a message that never comes (`closeUnsharedPlan`; the caller tells the person who asked).
 * Closing reuses the plan record's atomic `superseded` state (decided by `incident-resolved` or
 * `diagnosis-changed`), so a click on its Approve button afterwards is refused like any decided plan's.
 *
 * Redis: `incident-plans:<incidentId>` → set of the plan ids proposed for or linked to it (links.ts).
 */
import type { RedisClient } from '../redis/connect.js';
import { DIAGNOSIS_CHANGED, INCIDENT_RESOLVED, NEWER_PLAN, PLAN_NOT_SHARED } from '../approvals/close-reasons.js';
import { loadPlan, supersedePlan, type PlanRecord } from '../approvals/consume.js';
import { IncidentStore } from '../incidents/store.js';
import type { ResponseDeps } from './context.js';
import { incidentPlansKey, incidentsOf } from './links.js';
import type { Plan } from './plan.js';
import { planMessageKey } from './message-keys.js';

/** Remembers `planId` among the plans of `incidentId`. */
export async function notePlanOfIncident(redis: RedisClient, prefix: string, planId: string, incidentId: string, retentionMs: number): Promise<void> {
  const key = incidentPlansKey(prefix, incidentId);
  await redis.multi().sadd(key, planId).pexpire(key, retentionMs).exec();
}

async function planIdsOf(deps: Pick<ResponseDeps, 'redis' | 'prefix'>, incidentId: string): Promise<string[]> {
  return (await deps.redis.smembers(incidentPlansKey(deps.prefix, incidentId))).sort();
}

/** `plan` was just proposed for its incident: the incident's own older pending plans give way to it. */
export async function supersedeOlderPlansOfIncident(deps: ResponseDeps, plan: Plan): Promise<string[]> {
  if (!plan.incidentId) return [];
  const now = deps.now().getTime();
  const superseded: string[] = [];
  for (const id of await planIdsOf(deps, plan.incidentId)) {
    if (id === plan.id) continue;
    const rec = await loadPlan(deps.redis, deps.prefix, id);
    if (!rec || rec.status !== 'pending' || rec.plan.incidentId !== plan.incidentId || now >= rec.expiresAt) continue;
    // not `pl-…`: the message says "replaced by a newer plan", not "another plan of the same failure ran"
    if (!(await supersedePlan(deps.redis, deps.prefix, id, `${NEWER_PLAN}${plan.id}`, now))) continue;
    const msg = deps.presenter.plan(rec.plan, { status: 'superseded', at: now });
    await deps.outbox.update({ channel: rec.plan.channel, ts_key: planMessageKey(id), text: msg.text, blocks: msg.blocks, coalesce_key: planMessageKey(id) });
    await deps.audit({ type: 'plan.superseded', at: new Date(now).toISOString(), actor: 'system', incident_id: plan.incidentId, plan_id: id, runtime: rec.plan.runtime, runbook_id: rec.plan.runbookId, data: { by_plan: plan.id, runbook: plan.runbookId } });
    deps.logger.info({ plan_id: id, by_plan: plan.id, incident_id: plan.incidentId }, 'pending plan superseded by a newer plan for its incident');
    superseded.push(id);
  }
  return superseded;
}

/**
 * A plan was asked for `incidentId` and no runbook matches what it is about now (its new diagnosis'
 * `findings` and its alerts): the incident's own plans still waiting for approval were made from an earlier
 * diagnosis, so they are closed and their messages say why. Returns the closed ids.
 */
export async function closeUnmatchedPlansOfIncident(deps: ResponseDeps, incidentId: string, findings: readonly string[]): Promise<string[]> {
  const now = deps.now().getTime();
  const closed: string[] = [];
  for (const id of await planIdsOf(deps, incidentId)) {
    const rec = await loadPlan(deps.redis, deps.prefix, id);
    if (!rec || rec.status !== 'pending' || rec.plan.incidentId !== incidentId || now >= rec.expiresAt) continue;
    if (!(await supersedePlan(deps.redis, deps.prefix, id, DIAGNOSIS_CHANGED, now))) continue;
    const msg = deps.presenter.plan(rec.plan, { status: 'closed', at: now, why: 'diagnosis_changed' });
    await deps.outbox.update({ channel: rec.plan.channel, ts_key: planMessageKey(id), text: msg.text, blocks: msg.blocks, coalesce_key: planMessageKey(id) });
    await deps.audit({ type: 'plan.closed', at: new Date(now).toISOString(), actor: 'system', incident_id: incidentId, plan_id: id, runtime: rec.plan.runtime, runbook_id: rec.plan.runbookId,
      data: { reason: 'the diagnosis changed: no runbook matches the new finding', findings: [...findings] } });
    deps.logger.info({ plan_id: id, incident_id: incidentId }, 'pending plan closed: the incident\'s new diagnosis matches no runbook');
    closed.push(id);
  }
  return closed;
}

/** The `close` job: `incidentId` resolved; close its plans still waiting for approval. Returns the closed ids. */
export async function closePlansOfIncident(deps: ResponseDeps, incidentId: string): Promise<string[]> {
  const store = new IncidentStore(deps.redis, { keyPrefix: deps.prefix });
  const now = deps.now().getTime();
  const closed: string[] = [];
  for (const id of await planIdsOf(deps, incidentId)) {
    const rec = await loadPlan(deps.redis, deps.prefix, id);
    if (!rec || rec.status !== 'pending' || now >= rec.expiresAt) continue;
    let needed = false;
    for (const other of await incidentsOf(deps.redis, deps.prefix, rec.plan)) {
      const inc = await store.get(other);
      if (inc && inc.state !== 'resolved') needed = true;
    }
    if (needed) continue;
    if (!(await supersedePlan(deps.redis, deps.prefix, id, INCIDENT_RESOLVED, now))) continue;
    const msg = deps.presenter.plan(rec.plan, { status: 'closed', at: now, why: 'incident_resolved' });
    await deps.outbox.update({ channel: rec.plan.channel, ts_key: planMessageKey(id), text: msg.text, blocks: msg.blocks, coalesce_key: planMessageKey(id) });
    await deps.audit({ type: 'plan.closed', at: new Date(now).toISOString(), actor: 'system', incident_id: incidentId, plan_id: id, runtime: rec.plan.runtime, runbook_id: rec.plan.runbookId, data: { reason: 'incident resolved while the plan awaited approval' } });
    deps.logger.info({ plan_id: id, incident_id: incidentId }, 'pending plan closed: its incident resolved, nothing ran');
    closed.push(id);
  }
  return closed;
}

/**
 * The `unshared` job: Slack refused the first post of plan `planId` (`slackError`: the bot cannot post in
 * its channel). The plan, still waiting for approval, is closed (nothing ran; its message was never posted,
 * so there is none to edit) and audited. Returns the closed plan's record, or null when it is unknown or was
 * decided meanwhile (then nothing changes).
 */
export async function closeUnsharedPlan(deps: ResponseDeps, planId: string, slackError: string): Promise<PlanRecord | null> {
  const rec = await loadPlan(deps.redis, deps.prefix, planId);
  if (!rec || rec.status !== 'pending') return null;
  const now = deps.now().getTime();
  if (!(await supersedePlan(deps.redis, deps.prefix, planId, PLAN_NOT_SHARED, now))) return null;
  await deps.audit({ type: 'plan.closed', at: new Date(now).toISOString(), actor: 'system', incident_id: rec.plan.incidentId, plan_id: planId, runtime: rec.plan.runtime, runbook_id: rec.plan.runbookId,
    data: { reason: 'the plan could not be posted in its channel (the bot is not a member); no approver could see it', channel: rec.plan.channel, slack_error: slackError } });
  deps.logger.info({ plan_id: planId, channel: rec.plan.channel, slack_error: slackError }, 'pending plan closed: Slack refused its post in the channel, nothing ran');
  return rec;
}
