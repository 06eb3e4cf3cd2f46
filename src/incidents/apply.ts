/**
 * Applying alert events: place each (group, severity, channel — pure), merge them into their incidents
 * atomically (store), then act on what changed — open the thread for a new incident, or ask for a
 * coalesced flush.
 */
import { OpsError } from '../errors.js';
import type { NormalizedAlert } from './alert.js';
import { scopeOf, type AgentEdge } from './grouping.js';
import { labelledEdges } from './call-graph.js';
import { routeChannel } from './routing.js';
import { severityFromLabels } from './severity.js';
import { onIncidentOpened, type FollowUpContext } from './follow-ups.js';
import type { ApplyAlertInput } from './store.js';
import { postRoot, requestFlush } from './thread.js';
import { afterIncidentResolved } from './resolved.js';
import { oneVoice } from './voices.js';

export interface ApplyContext extends FollowUpContext {
  /** Learned agent dependencies of a runtime (cached by the caller); '' for alerts naming no runtime. */
  learnedEdges(runtime: string): Promise<readonly AgentEdge[]>;
  /** Remembers dependencies alerts named themselves (topology labels) in the runtime's learned graph. */
  recordEdges?(runtime: string, edges: readonly AgentEdge[]): Promise<void>;
}

/** Where an alert goes: its incident scope, severity and channel (pure, given the learned dependencies). */
async function placeAlert(ctx: ApplyContext, alert: NormalizedAlert, labelled: ReadonlyMap<string, readonly AgentEdge[]>): Promise<ApplyAlertInput> {
  const grouping = ctx.config.grouping;
  const runtimeLabel = grouping.runtimeLabels.map((n) => alert.labels[n]).find((v) => v !== undefined && v !== '') ?? '';
  const own = labelled.get(runtimeLabel) ?? [];
  const learned = runtimeLabel !== '' || own.length > 0 ? await ctx.learnedEdges(runtimeLabel) : [];
  const scope = scopeOf(alert.labels, grouping, own.length > 0 ? [...learned, ...own] : learned);
  const severity = severityFromLabels(alert.labels, ctx.config.defaultSeverity);
  const channel = routeChannel(alert.labels, severity, ctx.config.routes, ctx.config.channel ?? '');
  if (channel === '') {
    throw new OpsError('CONFIG_INVALID', { problems: ['ALERT_CHANNEL: not set, and no ALERT_ROUTES rule matched this alert'] });
  }
  return { alert, scope, severity, channel };
}

/**
 * Applies a list of alert events (one job): all are merged into their incidents in one atomic store call
 * per batch, then each touched incident gets its follow-ups once — its thread opened if this job opened
 * it, a coalesced flush if this was its first change since the last one. Returns what changed.
 *
 * `retry`: this is a retried job — the first attempt may have stored the alerts and died before the
 * follow-ups, so they are all done again for every incident the job touches (each is idempotent: root
 * post and plan by job id, flushes coalesce).
 *
 * `receivedAt`: when the notification carrying the alerts was received (the job's `received_at`); it orders
 * the events of one fingerprint (the merge table of src/redis/scripts/incident-apply.lua). Without it, each event counts as the latest.
 */
export async function applyAlertEvents(
  ctx: ApplyContext, alerts: readonly NormalizedAlert[], retry = false, receivedAt?: Date,
): Promise<{ applied: number; changed: number; opened: string[] }> {
  const received = receivedAt === undefined || Number.isNaN(receivedAt.getTime()) ? {} : { receivedAt: receivedAt.getTime() };
  // one voice per problem: the monitor's and Alertmanager's alert about one agent and condition are one entry
  alerts = await oneVoice({ rules: ctx.config.grouping, conditions: ctx.config.conditions, decide: (key, a) => ctx.store.voice(key, a) }, alerts);
  // the dependencies this notification's alerts name themselves count for all of them, and are kept
  const labelled = labelledEdges(alerts, ctx.config.grouping);
  if (ctx.recordEdges) for (const [runtime, edges] of labelled) await ctx.recordEdges(runtime, edges);
  const inputs = await Promise.all(alerts.map(async (a) => ({ ...(await placeAlert(ctx, a, labelled)), ...received })));
  const results = await ctx.store.applyAlerts(inputs, ctx.now().getTime());
  const touched = new Map<string, { input: ApplyAlertInput; created: boolean; flush: boolean; resolvedNow: boolean }>();
  results.forEach((r, i) => {
    if (r.incidentId === '') return;
    const t = touched.get(r.incidentId) ?? { input: inputs[i]!, created: false, flush: false, resolvedNow: false };
    if (r.created) t.input = inputs[i]!;
    t.created ||= r.created;
    t.flush ||= r.needsFlush;
    t.resolvedNow ||= r.resolvedNow;
    touched.set(r.incidentId, t);
  });
  await Promise.all([...touched].map(async ([incidentId, t]) => {
    const { alert, scope, channel } = t.input;
    const fields = { incident_id: incidentId, runtime: scope.runtime ?? undefined, agent: scope.agent ?? undefined };
    // the root and the flush request go out together: a flush waits for the root's ts in the outbox anyway
    await Promise.all([
      (async () => {
        if (!t.created && !retry) return;
        const incident = await postRoot(ctx, incidentId);
        if (incident) await onIncidentOpened(ctx, incident, alert);
        if (t.created) ctx.logger.info({ ...fields, fingerprint: alert.fingerprint, channel }, 'incident opened');
      })(),
      t.flush || retry ? requestFlush(ctx, incidentId) : undefined,
    ]);
    if (t.resolvedNow) {
      ctx.logger.info(fields, 'incident resolved: all its alerts resolved');
      await afterIncidentResolved(ctx, incidentId);
    }
  }));
  const opened = [...touched].filter(([, t]) => t.created).map(([id]) => id);
  return { applied: alerts.length, changed: results.filter((r) => r.changed).length, opened };
}
