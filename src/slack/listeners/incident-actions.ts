/**
 * Clicks on an incident root's buttons (`incident:` action ids, src/slack/blocks/incident.ts) and the choice
 * in the "Same incident as…" menu (a static_select): ack at once, then enqueue an `alert` job of kind
 * `action`; the worker applies it and explains refusals.
 */
import type { App, BlockAction, ButtonAction, StaticSelectAction } from '@slack/bolt';
import { z } from 'zod';
import { OpsError } from '../../errors.js';
import { IncidentId, type IncidentAction } from '../../incidents/jobs.js';
import { INCIDENT_ACTION_IDS } from '../blocks/incident.js';
import type { EnqueueRequest } from '../commands/types.js';
import type { BotDeps } from '../deps.js';
import { ackThenEnqueue } from './enqueue.js';
import { parseButtonValue } from './button-value.js';

/** The action_id prefix of an incident root's buttons and menu (`INCIDENT_ACTION_IDS`). */
export const INCIDENT_ACTION_PREFIX = 'incident:';

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
  const value = parseButtonValue(ButtonValue, rawValue, actionId);
  if (value instanceof OpsError) return value;
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
  app.action<BlockAction<ButtonAction | StaticSelectAction>>({ action_id: new RegExp(`^${INCIDENT_ACTION_PREFIX}`) }, async ({ ack, body, action }) => {
    const log = deps.logger.child({ surface: 'action', action_id: action.action_id, user: body.user.id });
    const asker = body.channel?.id ? { channel: body.channel.id, user: body.user.id } : undefined;
    // a button carries its value; the "Same incident as…" menu, the chosen option's
    const raw = action.type === 'static_select' ? action.selected_option?.value : action.value;
    await ackThenEnqueue(ack, deps, log, 'incident action', asker, ({ channel, user }) => incidentActionJob(action.action_id, raw, {
      channel, user, requestId: body.trigger_id ?? `${body.user.id}-${action.action_ts}`, now: deps.now(),
    }));
  });
}
