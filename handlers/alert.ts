/**
 * `alert` jobs (src/incidents/jobs.ts): apply an alert to its incident, flush an incident's thread,
 * start its automatic diagnosis, reconcile a truncated Alertmanager group, apply a button click, answer
 * `/autogen incidents`. Thin: the decisions live in src/incidents.
 */
import { applyIncidentAction, listOpenIncidents } from '../src/incidents/actions.js';
import { applyAlertEvents } from '../src/incidents/apply.js';
import { incidentContext } from '../src/incidents/context.js';
import { startAutomaticDiagnosis } from '../src/incidents/follow-ups.js';
import { reconcileGroup } from '../src/incidents/reconcile.js';
import { flushIncident } from '../src/incidents/thread.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';

export function createAlertProcessor(deps: WorkerDeps): Processor<'alert'> {
  const ctx = incidentContext(deps);
  return async (p, job, token) => {
    switch (p.kind) {
      case 'alerts':
        return applyAlertEvents(ctx, p.alerts, job.attemptsMade > 0, new Date(p.received_at));
      case 'flush':
        return flushIncident(ctx, p.incident_id, job);
      case 'opened':
        return startAutomaticDiagnosis(ctx, p.incident_id, p.waits, job, token);
      case 'reconcile':
        return reconcileGroup(ctx, { source: p.source, groupKey: p.group_key, receiver: p.receiver, groupLabels: p.group_labels });
      case 'action':
        return applyIncidentAction(ctx, {
          incidentId: p.incident_id, action: p.action, user: p.user, channel: p.channel, silenceS: p.silence_s, requestedAt: new Date(p.requested_at),
        });
      case 'list':
        return { open: await listOpenIncidents(ctx, p.channel, p.user) };
    }
  };
}
