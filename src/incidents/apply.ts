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

export async function applyAlertEvent(ctx: ApplyContext, alert: NormalizedAlert): Promise<ApplyResult> {
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
  const log = ctx.logger.child({ incident_id: result.incidentId, runtime: scope.runtime ?? undefined, agent: scope.agent ?? undefined });
  if (result.created) {
    await postRoot(ctx, result.incidentId);
    const incident = await ctx.store.get(result.incidentId);
    if (incident) await onIncidentOpened(ctx, incident, alert);
    log.info({ fingerprint: alert.fingerprint, channel }, 'incident opened');
  }
  if (result.changed) await requestFlush(ctx, result.incidentId);
  if (result.resolvedNow) log.info('incident resolved: all its alerts resolved');
  return result;
}
