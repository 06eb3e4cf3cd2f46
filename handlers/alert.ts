/**
 * `alert` jobs (src/incidents/jobs.ts): apply an alert to its incident, flush an incident's thread,
 * start its automatic diagnosis, reconcile a truncated Alertmanager group, apply a button click, answer
 * `/autogen incidents`. Thin: the decisions live in src/incidents.
 */
import { applyIncidentAction, listOpenIncidents } from '../src/incidents/actions.js';
import { applyAlertEvents } from '../src/incidents/apply.js';
import { incidentContext } from '../src/incidents/context.js';
import { startAutomaticDiagnosis } from '../src/incidents/follow-ups.js';
import { checkStaleIncidents } from '../src/incidents/stale.js';
import { reconcileTruncated } from '../src/incidents/truncation.js';
import { flushIncident } from '../src/incidents/thread.js';
import { slackMembership } from '../src/incidents/visibility.js';
import { isRerun, type Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';

export function createAlertProcessor(deps: WorkerDeps): Processor<'alert'> {
  const ctx = incidentContext(deps, { readGraphNow: true });
  // reconciliation and the stale check keep their own state in Redis
  const isMember = slackMembership(deps.slack, deps.logger);
  const loops = { ...ctx, redis: deps.redis, keyPrefix: deps.keyPrefix, runtimes: deps.config.runtimes, monitor: deps.config.monitor };
  return async (p, job, token) => {
    switch (p.kind) {
      case 'alerts':
        return applyAlertEvents(ctx, p.alerts, isRerun(job), new Date(p.received_at));
      case 'flush':
        return flushIncident(ctx, p.incident_id, job);
      case 'opened':
        return startAutomaticDiagnosis(ctx, p.incident_id, p.waits, job, token);
      case 'reconcile':
        return reconcileTruncated(loops, p, job, token);
      case 'stale':
        return checkStaleIncidents(loops);
      case 'action':
        return applyIncidentAction(ctx, {
          incidentId: p.incident_id, action: p.action, user: p.user, channel: p.channel, silenceS: p.silence_s, into: p.into, requestedAt: new Date(p.requested_at),
        });
      case 'list':
        return { open: await listOpenIncidents(ctx, p.channel, p.user, isMember, p.response_url) };
    }
  };
}
