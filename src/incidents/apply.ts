/**
 * Applying one alert event: group it (pure), merge it into its incident atomically (store), then act on
 * what changed — open the thread for a new incident, or ask for a coalesced flush.
 */
import { OpsError } from '../errors.js';
import type { NormalizedAlert } from './alert.js';
import { scopeOf, type AgentEdge } from './grouping.js';
import { routeChannel } from './routing.js';
import { severityFromLabels } from './severity.js';
import { onIncidentOpened, type FollowUpContext } from './follow-ups.js';
import type { ApplyResult } from './store.js';
import { postRoot, requestFlush } from './thread.js';

export interface ApplyContext extends FollowUpContext {
  /** Learned agent dependencies of a runtime (cached by the caller). */
  learnedEdges(runtime: string): Promise<readonly AgentEdge[]>;
}

/**
 * `retry`: this is a retried job — the first attempt may have stored the alert and died before its
 * follow-ups, so they are all done again (each is idempotent: root post and plan by job id, flushes
 * coalesce).
 */
export async function applyAlertEvent(ctx: ApplyContext, alert: NormalizedAlert, retry = false, followedUp: Set<string> = new Set()): Promise<ApplyResult> {
  const grouping = ctx.config.grouping;
  const runtimeLabel = grouping.runtimeLabels.map((n) => alert.labels[n]).find((v) => v !== undefined && v !== '');
  const learned = runtimeLabel ? await ctx.learnedEdges(runtimeLabel) : [];
  const scope = scopeOf(alert.labels, grouping, learned);
  const severity = severityFromLabels(alert.labels, ctx.config.defaultSeverity);
  const defaultChannel = ctx.config.channel;
  const channel = routeChannel(alert.labels, severity, ctx.config.routes, defaultChannel ?? '');
  if (channel === '') {
    throw new OpsError('CONFIG_INVALID', { problems: ['ALERT_CHANNEL: not set, and no ALERT_ROUTES rule matched this alert'] });
  }
  const result = await ctx.store.applyAlert({ alert, scope, severity, channel }, ctx.now().getTime());
  if (result.incidentId === '') return result;
  // a retried job redoes the follow-ups once per incident, not once per alert
  const redo = retry && !followedUp.has(result.incidentId);
  followedUp.add(result.incidentId);
  const fields = { incident_id: result.incidentId, runtime: scope.runtime ?? undefined, agent: scope.agent ?? undefined };
  if (result.created || redo) {
    await postRoot(ctx, result.incidentId);
    const incident = await ctx.store.get(result.incidentId);
    if (incident) await onIncidentOpened(ctx, incident, alert);
    if (result.created) ctx.logger.info({ ...fields, fingerprint: alert.fingerprint, channel }, 'incident opened');
  }
  if (result.needsFlush || redo) await requestFlush(ctx, result.incidentId);
  if (result.resolvedNow) ctx.logger.info(fields, 'incident resolved: all its alerts resolved');
  return result;
}

/** Alerts applied at once per job (each is one atomic script; their order does not matter). */
const APPLY_CONCURRENCY = 16;

/** Applies a list of alert events; returns what changed (for the job's result and logs). */
export async function applyAlertEvents(ctx: ApplyContext, alerts: readonly NormalizedAlert[], retry = false): Promise<{ applied: number; changed: number; opened: string[] }> {
  let next = 0;
  let changed = 0;
  const opened: string[] = [];
  const followedUp = new Set<string>();
  await Promise.all(Array.from({ length: Math.min(APPLY_CONCURRENCY, alerts.length) }, async () => {
    for (;;) {
      const i = next;
      next += 1;
      if (i >= alerts.length) return;
      const r = await applyAlertEvent(ctx, alerts[i]!, retry, followedUp);
      if (r.changed) changed += 1;
      if (r.created) opened.push(r.incidentId);
    }
  }));
  return { applied: alerts.length, changed, opened };
}
