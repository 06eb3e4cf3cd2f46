/**
 * What follows an incident's resolution, whoever resolved it (its last alert, a person, the stale check
 * through its alerts): the response feature closes the incident's plans still awaiting approval
 * (a `close` job on the `respond` queue, src/response/plan-closing.ts). Never fails the caller: the
 * resolution itself is already stored.
 */
import type { Logger } from '../log.js';
import type { Queues } from '../queues/queues.js';

export async function afterIncidentResolved(ctx: { readonly queues: Queues; readonly logger: Logger; now(): Date }, incidentId: string): Promise<void> {
  try {
    await ctx.queues.add('respond', { kind: 'close', incident_id: incidentId }, {
      jobId: `close-${incidentId}-${ctx.now().getTime()}`, removeOnComplete: { age: 3_600 }, removeOnFail: { age: 86_400 },
    });
  } catch (err) {
    ctx.logger.warn({ err, incident_id: incidentId }, 'could not ask for the incident\'s pending plans to be closed');
  }
}
