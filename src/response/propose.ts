/**
 * Proposing a plan (the `respond` queue's `plan` job): read the runtime, match runbooks against the
 * incident's labels and findings, build the concrete plan, ask the bridge for a dry run of every action,
 * store the approval record and post the plan in the thread with Approve / Reject. A pending plan of the
 * same incident and runbook is refreshed in place (same id, new hash: its old buttons fail as stale).
 * Also the `expire` job (an unapproved plan's message turns into "Expired — New plan").
 */
import { labelOf, resolveAgentRef } from '../runtime/resolve-agent.js';
import type { RuntimeView } from './runtime-view.js';
import { randomBytes } from 'node:crypto';
import { isOpsError, OpsError } from '../errors.js';
import { auditAgentsOf } from './bridge-actions.js';
import { code, joinRich, rich } from '../view/rich-text.js';
import { autoApprove, loadPlan, storePlan, PLAN_RETENTION_MS, type PlanRecord } from '../approvals/consume.js';
import type { PlanView } from './plan-view.js';
import { mustEscalate, recentAttempts } from './attempts.js';
import type { ResponseDeps } from './context.js';
import { findingsFromView } from './findings.js';
import type { PlanRequest } from './jobs.js';
import { claimSlot, linkIncident, livenessOf, notePending, planSlotKey, ranPlanKey, sameRequester, type PlanLiveness } from './links.js';
import { findRunbook, matchRunbooksAcross, type LabelledMatch } from './match.js';
import { IncidentStore } from '../incidents/store.js';
import { loadRunState, temporaryState } from './outcome-state.js';
import { supersededReason } from '../approvals/close-reasons.js';
import { closeUnmatchedPlansOfIncident, notePlanOfIncident, supersedeOlderPlansOfIncident } from './plan-closing.js';
import { buildPlan, newPlanId, withPredictions, type ActionPrediction, type Plan } from './plan.js';
import { readRuntime } from './read-view.js';
import { readAutomation } from './safety.js';

/** Outbox keys of a plan's messages. */
export { outcomeMessageKey, planMessageKey } from './message-keys.js';
import { planMessageKey } from './message-keys.js';

/** Where a plan's replies go: the incident thread, or the thread of the plan message itself. */
export function threadOf(plan: Plan): { thread_ts: string } | { thread_ts_key: string } {
  if (plan.threadTs) return { thread_ts: plan.threadTs };
  return { thread_ts_key: plan.threadTsKey ?? planMessageKey(plan.id) };
}

export type ProposeOutcome =
  | { kind: 'proposed' | 'refreshed' | 'unchanged'; plan: Plan }
  | { kind: 'linked'; plan: Plan; liveness: Exclude<PlanLiveness, 'over'> }
  | { kind: 'no_plan'; reasons: string[] }
  | { kind: 'escalated'; failureKey: string };

/** The state a stored plan's message shows now. */
export function planViewOf(rec: PlanRecord, now: number, notes: { automationOff: boolean; dryRunOnly: boolean }): PlanView {
  switch (rec.status) {
    case 'approved':
      return { status: 'approved', approvers: rec.approvers, auto: rec.decidedBy === 'automation' };
    case 'rejected':
      return { status: 'rejected', by: rec.decidedBy ?? '', at: rec.decidedAt ?? now };
    case 'superseded': {
      const reason = supersededReason(rec.decidedBy);
      const at = rec.decidedAt ?? now;
      if (reason.kind === 'closed' && reason.why !== 'not_shared') return { status: 'closed', at, why: reason.why };
      return { status: 'superseded', at, byPlan: reason.kind === 'ran_instead' ? reason.byPlan : undefined };
    }
    case 'pending': {
      if (now >= rec.expiresAt) return { status: 'expired', at: rec.expiresAt };
      const note = notes.automationOff
        ? 'Automation is switched off: approving will not run anything until someone types `/autogen automation on`.'
        : notes.dryRunOnly ? 'Dry-run-only mode is on (RESPONSE_DRY_RUN_ONLY): approving asks the bridge for a dry run; nothing changes.' : undefined;
      return { status: 'pending', approvers: rec.approvers, ...(note ? { note } : {}) };
    }
  }
}

function whereToPost(req: PlanRequest): { thread_ts?: string; thread_ts_key?: string; response_url?: string } {
  // a slash command's answer reaches the person who asked even where the bot cannot post (the outbox)
  const reply = req.response_url ? { response_url: req.response_url } : {};
  if (req.thread_ts) return { thread_ts: req.thread_ts, ...reply };
  if (req.thread_ts_key) return { thread_ts_key: req.thread_ts_key, ...reply };
  return reply;
}

/** Dry-runs every action; a permanent bridge refusal makes the plan unavailable (with the reason). */
async function dryRun(deps: ResponseDeps, plan: Plan): Promise<{ ok: true; predictions: ActionPrediction[] } | { ok: false; reason: string }> {
  const bridge = deps.bridgeFor(plan.runtime);
  const predictions: ActionPrediction[] = [];
  for (const a of plan.actions) {
    try {
      const res = await bridge.act(a.path, { ...a.body, dry_run: true }, `dry-${plan.id}-${plan.hash.slice(0, 12)}-${a.index}`);
      predictions.push({ before: res.before ?? {}, after: res.after ?? {}, message: res.message ?? undefined, teamEffect: res.team_effect ?? undefined });
    } catch (err) {
      if (isOpsError(err) && !err.transient) {
        const d = err.details as { bridge_code?: string; bridge_message?: string };
        return { ok: false, reason: `the bridge refused the dry run of action ${a.index + 1} (${a.action} ${a.target ?? 'runtime'}): ${d.bridge_code ?? err.code}${d.bridge_message ? ` — ${d.bridge_message}` : ''}` };
      }
      throw err;
    }
  }
  return { ok: true, predictions };
}

/**
 * A person who asks for a plan for an agent the runtime does not have gets the error every other
 * subcommand gives — never a plan that acts on some other agent the runbook's selector happens to pick.
 */
function requireAskedAgent(req: PlanRequest, view: RuntimeView): void {
  if (!req.agent || req.source === 'incident') return;
  const registered = view.agents.filter((a) => a.registered);
  if (resolveAgentRef(req.agent, registered, req.runtime)) return;
  const known = registered.map(labelOf).sort();
  throw new OpsError('AGENT_NOT_FOUND', { runtime: req.runtime, agent: req.agent, known }, {
    detail: rich`${code(req.agent)} is not registered in runtime ${code(req.runtime)}; registered: ${known.length ? joinRich(known.map((k) => code(k)), ', ') : rich`none`}.`,
  });
}

export async function proposePlan(deps: ResponseDeps, req: PlanRequest): Promise<ProposeOutcome> {
  const now = deps.now();
  const log = deps.logger.child({ runtime: req.runtime, incident_id: req.incident_id, agent: req.agent });
  const bridge = deps.bridgeFor(req.runtime);
  const reading = await readRuntime(bridge, { messagesFor: 'failing' });
  requireAskedAgent(req, reading.view);
  const findings = [...new Set([...req.findings, ...findingsFromView(reading.view, req.agent, deps.findingThresholdsFor(req.runtime), reading.rssHistory)])].sort();
  // an incident's plan asked for without labels (after its diagnosis): each of its firing alerts' labels is tried
  const labelSets = req.labels ? [req.labels] : req.incident_id ? await incidentLabelSets(deps, req.incident_id) : [];
  const labels = labelSets[0] ?? {};
  const subject = { agent: req.agent, agents: req.agents };
  const actor = req.user ?? (req.source === 'incident' ? 'incident' : 'system');
  const post = whereToPost(req);

  let candidates: LabelledMatch[];
  if (req.runbook) {
    const rb = findRunbook(deps.runbooks, req.runbook);
    if (!rb) {
      const known = deps.runbooks.map((r) => r.id).join(', ');
      throw new OpsError('RUNBOOK_UNKNOWN', { runbook: req.runbook, known: deps.runbooks.map((r) => r.id) }, { detail: rich`Known: ${known}.` });
    }
    candidates = [{ runbook: rb, reasons: [`asked for ${rb.id}`], score: 0, labels }];
  } else {
    candidates = matchRunbooksAcross(deps.runbooks, labelSets, findings);
  }

  const reasons: string[] = [];
  let built: Plan | undefined;
  for (const m of candidates) {
    const build = (planId: string): ReturnType<typeof buildPlan> => buildPlan({
      runbook: m.runbook, view: reading.view, subject, runtime: req.runtime, incidentId: req.incident_id ?? null,
      requestedBy: actor, trigger: req.source === 'incident' ? 'incident' : 'command', matchReasons: m.reasons, planId, now,
      approvalTtlS: deps.settings.approvalTtlS, channel: req.channel, threadTs: req.thread_ts ?? null,
      threadTsKey: req.thread_ts_key ?? null, labels: m.labels, findings, askedRunbook: req.runbook ?? null,
    });
    let res = build(newPlanId(now, randomBytes(6).toString('hex')));
    if (!res.ok) {
      reasons.push(`${m.runbook.id}: ${res.problems.join('; ')}`);
      continue;
    }
    // One plan per runtime, agents acted on and runbook (see links.ts): a plan of the failure that runs or
    // is in force anywhere; else the requester's own pending plan, refreshed in place (its targets may have
    // changed); else another requester's pending plan of the failure in this channel.
    const ran = await livePlanThatRan(deps, res.plan);
    if (ran) {
      await linkToExisting(deps, req, ran.rec, ran.liveness, post);
      return { kind: 'linked', plan: ran.rec.plan, liveness: ran.liveness };
    }
    const own = await loadPlanAt(deps, requestSlotKey(deps, req, m.runbook.id));
    if (own && sameRequester(own.rec.plan, req) && livenessOf(own.rec, await loadRunState(deps.redis, deps.prefix, own.rec.plan.id), now.getTime()) === 'pending') {
      res = build(own.rec.plan.id);
      if (!res.ok) {
        reasons.push(`${m.runbook.id}: ${res.problems.join('; ')}`);
        continue;
      }
    } else {
      const slot = planSlotKey(deps.prefix, req.channel, res.plan.failureKey);
      const other = await loadPlanAt(deps, slot);
      const liveness = other ? livenessOf(other.rec, await loadRunState(deps.redis, deps.prefix, other.rec.plan.id), now.getTime()) : 'over';
      if (other && liveness !== 'over') {
        await linkToExisting(deps, req, other.rec, liveness, post);
        return { kind: 'linked', plan: other.rec.plan, liveness };
      }
      const holder = await claimSlot(deps.redis, slot, other?.id ?? (await deps.redis.get(slot)) ?? '', res.plan.id, PLAN_RETENTION_MS);
      if (holder !== res.plan.id) {
        // Another request for the same failure claimed the slot a moment ago: follow that plan.
        if (req.incident_id) await linkIncident(deps.redis, deps.prefix, holder, req.incident_id, PLAN_RETENTION_MS);
        const claimed = await loadPlan(deps.redis, deps.prefix, holder);
        if (claimed) {
          const seen = livenessOf(claimed, await loadRunState(deps.redis, deps.prefix, holder), now.getTime());
          const follow = seen === 'over' ? 'pending' : seen;
          await linkToExisting(deps, req, claimed, follow, post);
          return { kind: 'linked', plan: claimed.plan, liveness: follow };
        }
        log.info({ plan_id: holder }, 'a plan for the same failure is being proposed by another request; linked to it');
        return { kind: 'no_plan', reasons: [`plan ${holder} for the same agents is being proposed right now`] };
      }
    }
    const attempts = await recentAttempts(deps.redis, deps.prefix, res.plan.failureKey, now.getTime(), res.plan.escalation.windowS * 1000);
    if (mustEscalate(attempts.length, res.plan.escalation.maxAttempts)) {
      const msg = deps.presenter.escalation(res.plan, attempts, res.plan.escalation.maxAttempts);
      await deps.outbox.post({ channel: req.channel, ...post, text: msg.text, blocks: msg.blocks, priority: 'high' });
      await deps.audit({ type: 'plan.unavailable', at: now.toISOString(), actor, incident_id: req.incident_id ?? null, runtime: req.runtime, runbook_id: m.runbook.id,
        data: { reason: 'automation stopped for this failure: too many failed attempts', failure: res.plan.failureKey, attempts: attempts.length } });
      log.warn({ failure: res.plan.failureKey, attempts: attempts.length }, 'not proposing: attempts exhausted');
      return { kind: 'escalated', failureKey: res.plan.failureKey };
    }
    const dry = await dryRun(deps, res.plan);
    if (!dry.ok) {
      reasons.push(`${m.runbook.id}: ${dry.reason}`);
      continue;
    }
    built = withPredictions(res.plan, dry.predictions);
    await deps.redis.set(requestSlotKey(deps, req, m.runbook.id), built.id, 'PX', PLAN_RETENTION_MS);
    await deps.redis.set(planSlotKey(deps.prefix, req.channel, built.failureKey), built.id, 'PX', PLAN_RETENTION_MS);
    break;
  }

  if (!built) {
    const why = candidates.length === 0 ? [`no runbook matches (labels: ${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || 'none'}; findings: ${findings.join(', ') || 'none'})`] : reasons;
    // the incident's diagnosis changed and nothing matches it now: its pending plans act on a stale cause
    if (req.incident_id && candidates.length === 0) await closeUnmatchedPlansOfIncident(deps, req.incident_id, findings);
    const msg = deps.presenter.noPlan(req.runtime, why);
    await deps.outbox.post({ channel: req.channel, ...post, text: msg.text, blocks: msg.blocks });
    await deps.audit({ type: 'plan.unavailable', at: now.toISOString(), actor, incident_id: req.incident_id ?? null, runtime: req.runtime, data: { reasons: why, findings, labels } });
    return { kind: 'no_plan', reasons: why };
  }

  const plan = built;
  const stored = await storePlan(deps.redis, deps.prefix, plan, now.getTime());
  await notePending(deps.redis, deps.prefix, plan, PLAN_RETENTION_MS);
  if (plan.incidentId) {
    // one plan per incident: an older plan of the incident still waiting for approval gives way to this one
    await notePlanOfIncident(deps.redis, deps.prefix, plan.id, plan.incidentId, PLAN_RETENTION_MS);
    if (stored === 'stored') await supersedeOlderPlansOfIncident(deps, plan);
  }
  // Active incidents about the same agents follow this plan too (a plan asked for by command joins them).
  for (const id of await deps.incidentsAbout(plan.runtime, planAgents(plan, req))) {
    if (id !== plan.incidentId) await linkIncident(deps.redis, deps.prefix, plan.id, id, PLAN_RETENTION_MS);
  }
  if (stored === 'decided') {
    // Decided between reading the slot and storing: nothing to refresh.
    return { kind: 'unchanged', plan };
  }
  const automation = await readAutomation(deps.redis, deps.prefix);
  const auto = plan.approval.autoRun && deps.settings.allowAutoRun && plan.risk === 'low' && automation.enabled
    && await autoApprove(deps.redis, deps.prefix, plan.id, plan.hash, now.getTime());
  const record = await loadPlan(deps.redis, deps.prefix, plan.id);
  const view: PlanView = record
    ? planViewOf(record, now.getTime(), { automationOff: !automation.enabled, dryRunOnly: deps.settings.dryRunOnly })
    : { status: 'pending', approvers: [] };
  const msg = deps.presenter.plan(plan, view);
  const blocks = msg.blocks;
  if (stored === 'replaced') {
    await deps.outbox.update({ channel: plan.channel, ts_key: planMessageKey(plan.id), text: msg.text, blocks, coalesce_key: planMessageKey(plan.id) });
  } else if (stored === 'unchanged' && req.user && req.source !== 'incident') {
    // Asked again while the same plan waits for approval: point at it instead of posting it twice.
    await deps.outbox.ephemeral({ channel: plan.channel, user: req.user, text: rich`The same recovery plan (${code(plan.id)}, ${plan.runbookId}) is already waiting for approval in this channel; approve or reject it there.`, ...(req.response_url ? { response_url: req.response_url } : {}) });
    await deps.outbox.post({ channel: plan.channel, ...post, text: msg.text, blocks, ts_key: planMessageKey(plan.id), plan_id: plan.id, priority: 'high' }, `plan-post-${plan.id}`);
  } else {
    await deps.outbox.post({ channel: plan.channel, ...post, text: msg.text, blocks, ts_key: planMessageKey(plan.id), plan_id: plan.id, priority: 'high' }, `plan-post-${plan.id}`);
  }
  const expiresAt = Date.parse(plan.expiresAt);
  await deps.queues.add('respond', { kind: 'expire', plan_id: plan.id }, { jobId: `expire-${plan.id}-${expiresAt}`, delay: Math.max(0, expiresAt - now.getTime()) });
  await deps.audit({
    type: stored === 'stored' ? 'plan.proposed' : 'plan.refreshed', at: now.toISOString(), actor, incident_id: plan.incidentId, plan_id: plan.id,
    runtime: plan.runtime, runbook_id: plan.runbookId,
    data: {
      hash: plan.hash, risk: plan.risk, match: plan.matchReasons, findings, expires_at: plan.expiresAt,
      approvers: { users: plan.approval.users, groups: plan.approval.groups, required: plan.approval.required },
      actions: plan.actions.map((a) => ({ index: a.index, action: a.action, target: a.target, ...auditAgentsOf(a, plan.names), body: a.body, temporary: a.temporary, predicted: a.predicted ?? null })),
      checks: plan.checks,
    },
  });
  if (auto) {
    await deps.audit({ type: 'approval.approved', at: now.toISOString(), actor: 'automation', incident_id: plan.incidentId, plan_id: plan.id, runtime: plan.runtime, runbook_id: plan.runbookId, data: { auto_run: true } });
    await deps.queues.add('execute', { plan_id: plan.id, approved_by: 'automation' }, { jobId: `exec-${plan.id}` });
  }
  log.info({ plan_id: plan.id, runbook: plan.runbookId, stored }, 'plan proposed');
  return { kind: stored === 'stored' ? 'proposed' : stored === 'replaced' ? 'refreshed' : 'unchanged', plan };
}

/** The label sets of an incident's alerts for matching: its firing ones (all of them when none fires). */
async function incidentLabelSets(deps: ResponseDeps, incidentId: string): Promise<Readonly<Record<string, string>>[]> {
  const alerts = await new IncidentStore(deps.redis, { keyPrefix: deps.prefix }).alerts(incidentId);
  const firing = alerts.filter((a) => a.status === 'firing');
  return (firing.length > 0 ? firing : alerts).slice(0, 50).map((a) => a.detail.labels);
}

/** The requester's own plan of a runbook: per incident, or per channel, runtime and agent for `/autogen recover`. */
function requestSlotKey(deps: ResponseDeps, req: PlanRequest, runbookId: string): string {
  const subject = req.incident_id ?? `${req.channel}.${req.runtime}.${req.agent ?? 'runtime'}`;
  return `${deps.prefix}plan-request:${subject}:${runbookId}`;
}

async function loadPlanAt(deps: ResponseDeps, slot: string): Promise<{ id: string; rec: PlanRecord } | null> {
  const id = await deps.redis.get(slot);
  const rec = id ? await loadPlan(deps.redis, deps.prefix, id) : null;
  return id && rec ? { id, rec } : null;
}

/** The plan of the same failure that ran and still runs or is in force on the bridge, if any. */
async function livePlanThatRan(deps: ResponseDeps, plan: Plan): Promise<{ rec: PlanRecord; liveness: 'running' | 'in_force' } | null> {
  const id = await deps.redis.get(ranPlanKey(deps.prefix, plan.failureKey));
  const rec = id ? await loadPlan(deps.redis, deps.prefix, id) : null;
  if (!rec) return null;
  const state = await loadRunState(deps.redis, deps.prefix, rec.plan.id);
  const quick = livenessOf(rec, state, deps.now().getTime());
  if (quick !== 'running' && quick !== 'in_force') return null;
  // In force only while the bridge still holds its actions (someone may have released them there).
  const active = quick === 'in_force' ? new Set((await deps.bridgeFor(rec.plan.runtime).activeActions()).map((a) => a.action_id)) : null;
  const liveness = livenessOf(rec, state, deps.now().getTime(), active);
  return liveness === 'running' || liveness === 'in_force' ? { rec, liveness } : null;
}

/** The agents a plan is about: the one asked for, the incident's, and those it acts on. */
function planAgents(plan: Plan, req: PlanRequest): string[] {
  return [...new Set([...(req.agent ? [req.agent] : []), ...req.agents, ...plan.actions.flatMap((a) => (a.target ? [a.target] : []))])];
}

/**
 * A second request for a live plan of the same failure: link the request's incident to it (moving the
 * incident to mitigating at once when the plan already acts) and say where the plan is, instead of
 * proposing a second plan for the same agents.
 */
async function linkToExisting(deps: ResponseDeps, req: PlanRequest, existing: PlanRecord, liveness: Exclude<PlanLiveness, 'over'>, post: ReturnType<typeof whereToPost>): Promise<void> {
  const plan = existing.plan;
  const now = deps.now();
  const incidents = [...new Set([...(req.incident_id ? [req.incident_id] : []), ...await deps.incidentsAbout(plan.runtime, planAgents(plan, req))])];
  for (const id of incidents) {
    if (id === plan.incidentId) continue;
    await linkIncident(deps.redis, deps.prefix, plan.id, id, PLAN_RETENTION_MS);
    if (liveness !== 'pending') {
      const state = await loadRunState(deps.redis, deps.prefix, plan.id);
      if (state.run) await deps.moveIncident(id, 'mitigate', existing.decidedBy ?? 'automation', `plan ${plan.id} already acts: ${plan.actions.map((a) => deps.presenter.actionSummary(a)).join('; ')}`);
    }
  }
  const ts = await deps.outbox.postedTs(planMessageKey(plan.id));
  const state = await loadRunState(deps.redis, deps.prefix, plan.id);
  const msg = deps.presenter.linkedPlan(plan, {
    liveness, link: ts ? deps.presenter.messageLink(plan.channel, ts) : null, approvers: existing.approvers.map((a) => a.user),
    verdict: state.recovery?.verdict ?? null, revertAt: temporaryState(plan, state).revertAt ?? null, incidentLinked: req.incident_id !== undefined,
  });
  const key = `linked-${plan.id}-${req.incident_id ?? `${req.channel}-${req.requested_at ?? now.getTime()}`}`.replace(/[^\w.-]/g, '_');
  if (req.user && !req.thread_ts_key && req.source !== 'incident') {
    await deps.outbox.ephemeral({ channel: req.channel, user: req.user, text: msg.text, ...(req.thread_ts ? { thread_ts: req.thread_ts } : {}), ...(req.response_url ? { response_url: req.response_url } : {}) });
  } else {
    await deps.outbox.post({ channel: req.channel, ...post, text: msg.text, blocks: msg.blocks }, key);
  }
  deps.logger.info({ plan_id: plan.id, incident_id: req.incident_id, liveness, source: req.source }, 'request linked to the live plan of the same failure');
}

/**
 * At an approval deadline: an unapproved plan's message turns into "Expired — New plan". An approved plan
 * whose execute job was lost (its enqueue failed after the approval was consumed) is queued again here.
 */
export async function expirePlan(deps: ResponseDeps, planId: string): Promise<'expired' | 'not_yet' | 'requeued' | 'nothing'> {
  const rec = await loadPlan(deps.redis, deps.prefix, planId);
  if (!rec) return 'nothing';
  const now = deps.now().getTime();
  if (rec.status === 'approved') {
    const ran = await deps.redis.exists(`${deps.prefix}run:${planId}`);
    if (ran) return 'nothing';
    await deps.queues.add('execute', { plan_id: planId, approved_by: rec.decidedBy ?? 'unknown' }, { jobId: `exec-${planId}` });
    return 'requeued';
  }
  if (rec.status !== 'pending') return 'nothing';
  if (now < rec.expiresAt) return 'not_yet';
  const msg = deps.presenter.plan(rec.plan, { status: 'expired', at: rec.expiresAt });
  await deps.outbox.update({ channel: rec.plan.channel, ts_key: planMessageKey(planId), text: msg.text, blocks: msg.blocks, coalesce_key: planMessageKey(planId) });
  await deps.audit({ type: 'plan.expired', at: new Date(now).toISOString(), actor: 'system', incident_id: rec.plan.incidentId, plan_id: planId, runtime: rec.plan.runtime, runbook_id: rec.plan.runbookId, data: { expired_at: new Date(rec.expiresAt).toISOString() } });
  return 'expired';
}
