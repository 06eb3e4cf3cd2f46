/**
 * Button clicks. Action ids carry a feature prefix: `diag:` (diagnosis follow-ups, here), `incident:`,
 * `plan:` (registered by their features below). A listener acks at once, then enqueues.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { z } from 'zod';
import { isOpsError, OpsError } from '../../errors.js';
import { DIAG_ACTIONS } from '../../diagnosis/follow-ups.js';
import { GUIDE_ACTION_PREFIX } from '../../diagnosis/guide-follow-ups.js';
import { AgentType, RuntimeName } from '../../queues/payloads.js';
import { errorAckText } from '../commands/index.js';
import type { EnqueueRequest } from '../commands/types.js';
import type { BotDeps } from '../deps.js';
import { enqueueWithin } from './enqueue.js';
import { registerPlanActions } from './plan-actions.js';
import { registerGuideActions } from './guide-actions.js';
import { registerIncidentActions } from './incident-actions.js';

const DiagValue = z.object({ a: AgentType, r: RuntimeName });

/** Every feature's action_id prefix registered below; any other id goes to the catch-all (`unknown.ts`). */
export const OWN_ACTION_PREFIXES: readonly string[] = ['diag:', GUIDE_ACTION_PREFIX, 'incident:', 'plan:'];

/** Pure: the job a `diag:` button asks for, or a coded error. */
export function diagActionJob(actionId: string, rawValue: string | undefined, where: { channel: string; user: string; thread_ts: string | undefined; requestId: string; now: Date }, knownRuntimes: readonly string[]): EnqueueRequest | OpsError {
  let parsed: z.infer<typeof DiagValue>;
  try {
    parsed = DiagValue.parse(JSON.parse(rawValue ?? ''));
  } catch {
    return new OpsError('ACTION_PAYLOAD_INVALID', { action_id: actionId });
  }
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

function registerDiagActions(app: App, deps: BotDeps): void {
  app.action<BlockAction<ButtonAction>>({ action_id: /^diag:/ }, async ({ ack, body, action }) => {
    await ack();
    const log = deps.logger.child({ surface: 'action', action_id: action.action_id, user: body.user.id });
    const channel = body.channel?.id;
    if (!channel) {
      log.warn('diag action without a channel; ignored');
      return;
    }
    // A click on an ephemeral message has no `message`: reply in the channel instead of a thread.
    const job = diagActionJob(action.action_id, action.value, {
      channel, user: body.user.id, thread_ts: body.message?.ts, requestId: body.trigger_id ?? `${body.user.id}-${action.action_ts}`, now: deps.now(),
    }, Object.keys(deps.config.runtimes.byName));
    try {
      if (job instanceof OpsError) throw job;
      const jobId = await enqueueWithin(deps.queues, job);
      log.info({ queue: job.queue, job_id: jobId }, 'action queued');
    } catch (err) {
      const e = isOpsError(err) ? err : new OpsError('QUEUE_UNAVAILABLE', {}, { cause: err });
      log.warn({ err, code: e.code }, 'action rejected');
      await deps.outbox.ephemeral({ channel, user: body.user.id, text: errorAckText(e) }).catch((e2: unknown) => log.error({ err: e2 }, 'could not tell the user'));
    }
  });
}

export function register(app: App, deps: BotDeps): void {
  registerDiagActions(app, deps);
  registerPlanActions(app, deps);
  registerGuideActions(app, deps);
  registerIncidentActions(app, deps);
}
