/**
 * `diag:` buttons under a diagnose report (Show logs, Run again, Propose recovery): ack at once, then
 * enqueue the job the button asks for, answering in the report's thread. Part of the diagnose feature
 * (src/slack/features/diagnose.ts).
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { z } from 'zod';
import { OpsError } from '../../errors.js';
import { DIAG_ACTIONS } from '../../diagnosis/follow-ups.js';
import { AgentType, RuntimeName } from '../../queues/payloads.js';
import type { EnqueueRequest } from '../commands/types.js';
import type { BotDeps } from '../deps.js';
import { ackThenEnqueue } from './enqueue.js';
import { parseButtonValue } from './button-value.js';

const DiagValue = z.object({ a: AgentType, r: RuntimeName });

/** The action_id prefix of the diagnose report's buttons (`DIAG_ACTIONS`). */
export const DIAG_ACTION_PREFIX = 'diag:';

/** Pure: the job a `diag:` button asks for, or a coded error. */
export function diagActionJob(actionId: string, rawValue: string | undefined, where: { channel: string; user: string; thread_ts: string | undefined; requestId: string; now: Date }, knownRuntimes: readonly string[]): EnqueueRequest | OpsError {
  const parsed = parseButtonValue(DiagValue, rawValue, actionId);
  if (parsed instanceof OpsError) return parsed;
  if (!knownRuntimes.includes(parsed.r)) return new OpsError('RUNTIME_UNKNOWN', { runtime: parsed.r, known: knownRuntimes });
  const common = { agent: parsed.a, runtime: parsed.r, channel: where.channel, user: where.user, ...(where.thread_ts ? { thread_ts: where.thread_ts } : {}) };
  switch (actionId) {
    case DIAG_ACTIONS.logs:
      return { queue: 'diagnose', jobId: `diaglogs-${where.requestId}`, payload: { ...common, mode: 'logs', source: 'button', requested_at: where.now.toISOString() } };
    case DIAG_ACTIONS.rerun:
      return { queue: 'diagnose', jobId: `diag-${where.requestId}`, payload: { ...common, mode: 'report', source: 'button', requested_at: where.now.toISOString() } };
    case DIAG_ACTIONS.recover:
      return { queue: 'respond', jobId: `recover-${where.requestId}`, payload: { ...common, source: 'diag:recover' } };
    default:
      return new OpsError('ACTION_UNKNOWN', { action_id: actionId });
  }
}

export function registerDiagActions(app: App, deps: BotDeps): void {
  app.action<BlockAction<ButtonAction>>({ action_id: new RegExp(`^${DIAG_ACTION_PREFIX}`) }, async ({ ack, body, action }) => {
    const log = deps.logger.child({ surface: 'action', action_id: action.action_id, user: body.user.id });
    const asker = body.channel?.id ? { channel: body.channel.id, user: body.user.id } : undefined;
    // A click on an ephemeral message has no `message`: reply in the channel instead of a thread.
    await ackThenEnqueue(ack, deps, log, 'diag action', asker, ({ channel, user }) => diagActionJob(action.action_id, action.value, {
      channel, user, thread_ts: body.message?.ts, requestId: body.trigger_id ?? `${body.user.id}-${action.action_ts}`, now: deps.now(),
    }, Object.keys(deps.config.runtimes.byName)));
  });
}
