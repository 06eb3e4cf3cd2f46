/**
 * Clicks on an incident root's buttons (`incident:` action ids, src/slack/blocks/incident.ts) and the choice
 * in the "Same incident as…" menu (a static_select): ack at once, then enqueue an `alert` job of kind
 * `action`; the worker applies it and explains refusals.
 */
import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { z } from 'zod';
import { isOpsError, OpsError } from '../../errors.js';
import { IncidentId, type IncidentAction } from '../../incidents/jobs.js';
import { INCIDENT_ACTION_IDS } from '../blocks/incident.js';
import { errorAckText } from '../commands/index.js';
import type { EnqueueRequest } from '../commands/types.js';
import type { BotDeps } from '../deps.js';
import { enqueueWithin } from './enqueue.js';

const ButtonValue = z.object({ i: IncidentId, s: z.number().int().min(60).max(7 * 86_400).optional(), t: IncidentId.optional() });

const ACTIONS: Readonly<Record<string, IncidentAction>> = {
  [INCIDENT_ACTION_IDS.acknowledge]: 'acknowledge',
  [INCIDENT_ACTION_IDS.resolve]: 'resolve',
  [INCIDENT_ACTION_IDS.diagnose]: 'diagnose',
  [INCIDENT_ACTION_IDS.silence1h]: 'silence',
  [INCIDENT_ACTION_IDS.silence4h]: 'silence',
  [INCIDENT_ACTION_IDS.unsilence]: 'unsilence',
  [INCIDENT_ACTION_IDS.sameAs]: 'same-as',
  [INCIDENT_ACTION_IDS.merge]: 'merge',
};

/** Pure: the job an `incident:` button asks for, or a coded error. */
export function incidentActionJob(actionId: string, rawValue: string | undefined, where: { channel: string; user: string; requestId: string; now: Date }): EnqueueRequest | OpsError {
  const action = ACTIONS[actionId];
  if (!action) return new OpsError('ACTION_UNKNOWN', { action_id: actionId.slice(0, 100) });
  let value: z.infer<typeof ButtonValue>;
  try {
    value = ButtonValue.parse(JSON.parse(rawValue ?? ''));
  } catch {
    return new OpsError('ACTION_PAYLOAD_INVALID', { action_id: actionId });
  }
  if (action === 'merge' && value.t === undefined) return new OpsError('ACTION_PAYLOAD_INVALID', { action_id: actionId });
  return {
    queue: 'alert',
    jobId: `act-${where.requestId}`,
    payload: {
      kind: 'action', incident_id: value.i, action, user: where.user, channel: where.channel,
      ...(action === 'silence' ? { silence_s: value.s ?? 3_600 } : {}),
      ...(action === 'merge' ? { into: value.t } : {}),
      requested_at: where.now.toISOString(),
    },
  };
}

export function registerIncidentActions(app: App, deps: BotDeps): void {
  app.action<BlockAction<ButtonAction | StaticSelectAction>>({ action_id: /^incident:/ }, async ({ ack, body, action }) => {
    await ack();
    const log = deps.logger.child({ surface: 'action', action_id: action.action_id, user: body.user.id });
    const channel = body.channel?.id;
    if (!channel) {
      log.warn('incident action without a channel; ignored');
      return;
    }
    // a button carries its value; the "Same incident as…" menu, the chosen option's
    const raw = action.type === 'static_select' ? action.selected_option?.value : action.value;
    const job = incidentActionJob(action.action_id, raw, {
      channel, user: body.user.id, requestId: body.trigger_id ?? `${body.user.id}-${action.action_ts}`, now: deps.now(),
    });
    try {
      if (job instanceof OpsError) throw job;
      const jobId = await enqueueWithin(deps.queues, job);
      log.info({ job_id: jobId }, 'incident action queued');
    } catch (err) {
      const e = isOpsError(err) ? err : new OpsError('QUEUE_UNAVAILABLE', {}, { cause: err });
      log.warn({ err, code: e.code }, 'incident action rejected');
      await deps.outbox.ephemeral({ channel, user: body.user.id, text: errorAckText(e) }).catch((e2: unknown) => log.error({ err: e2 }, 'could not tell the user'));
    }
  });
}
