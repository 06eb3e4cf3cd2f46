/**
 * `guide:` buttons on guide reports (Inspect, Analyse logs, Take snapshot, Trace, Run again…): ack at
 * once, then enqueue the guide job the button's value names, answering in the report's thread. Registered
 * from `actions.ts` with the other features' prefixes.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { z } from 'zod';
import { isOpsError, OpsError } from '../../errors.js';
import { GUIDE_ACTION_PREFIX } from '../../diagnosis/guide-follow-ups.js';
import { MessageId } from '../../diagnosis/guide-job.js';
import { AgentType, RuntimeName } from '../../queues/payloads.js';
import { errorAckText } from '../commands/index.js';
import type { EnqueueRequest } from '../commands/types.js';
import type { BotDeps } from '../deps.js';
import { enqueueWithin } from './enqueue.js';

const ButtonValue = z.discriminatedUnion('t', [
  z.object({ t: z.literal('health'), r: RuntimeName }),
  z.object({ t: z.literal('snapshot'), r: RuntimeName }),
  z.object({ t: z.literal('perf'), r: RuntimeName, a: AgentType.optional() }),
  z.object({ t: z.literal('inspect'), r: RuntimeName, a: AgentType }),
  z.object({ t: z.literal('logs'), r: RuntimeName, a: AgentType.optional(), w: z.number().int().min(1).max(86_400).default(3600) }),
  z.object({ t: z.literal('message'), r: RuntimeName, f: AgentType, o: AgentType }),
  z.object({ t: z.literal('trace'), r: RuntimeName, m: MessageId }),
]);

export interface ActionWhere {
  readonly channel: string;
  readonly user: string;
  readonly thread_ts: string | undefined;
  readonly requestId: string;
  readonly now: Date;
}

/** Pure: the guide job a `guide:` button asks for, or a coded error. */
export function guideActionJob(actionId: string, rawValue: string | undefined, where: ActionWhere, knownRuntimes: readonly string[]): EnqueueRequest | OpsError {
  if (!actionId.startsWith(GUIDE_ACTION_PREFIX)) return new OpsError('ACTION_UNKNOWN', { action_id: actionId });
  let v: z.infer<typeof ButtonValue>;
  try {
    v = ButtonValue.parse(JSON.parse(rawValue ?? ''));
  } catch {
    return new OpsError('ACTION_PAYLOAD_INVALID', { action_id: actionId });
  }
  if (!knownRuntimes.includes(v.r)) return new OpsError('RUNTIME_UNKNOWN', { runtime: v.r, known: knownRuntimes });
  const common = {
    runtime: v.r,
    channel: where.channel,
    user: where.user,
    ...(where.thread_ts ? { thread_ts: where.thread_ts } : {}),
    source: 'button' as const,
    requested_at: where.now.toISOString(),
  };
  const jobId = `guide-${v.t}-${where.requestId}`;
  switch (v.t) {
    case 'health':
    case 'snapshot':
      return { queue: 'guide', jobId, payload: { tool: v.t, ...common } };
    case 'perf':
      return { queue: 'guide', jobId, payload: { tool: 'perf', ...common, ...(v.a ? { agent: v.a } : {}) } };
    case 'inspect':
      return { queue: 'guide', jobId, payload: { tool: 'inspect', ...common, agent: v.a } };
    case 'logs':
      return { queue: 'guide', jobId, payload: { tool: 'logs', ...common, window_s: v.w, level: 'WARNING', ...(v.a ? { agent: v.a } : {}) } };
    case 'message':
      return { queue: 'guide', jobId, payload: { tool: 'message', ...common, from: v.f, to: v.o } };
    case 'trace':
      return { queue: 'guide', jobId, payload: { tool: 'trace', ...common, message_id: v.m } };
  }
}

export function registerGuideActions(app: App, deps: BotDeps): void {
  app.action<BlockAction<ButtonAction>>({ action_id: new RegExp(`^${GUIDE_ACTION_PREFIX}`) }, async ({ ack, body, action }) => {
    await ack();
    const log = deps.logger.child({ surface: 'action', action_id: action.action_id, user: body.user.id });
    const channel = body.channel?.id;
    if (!channel) {
      log.warn('guide action without a channel; ignored');
      return;
    }
    // Answer in the report's thread: the thread it is in, or start one under it.
    const msg = body.message as { ts?: string; thread_ts?: string } | undefined;
    const job = guideActionJob(action.action_id, action.value, {
      channel,
      user: body.user.id,
      thread_ts: msg?.thread_ts ?? msg?.ts,
      requestId: body.trigger_id ?? `${body.user.id}-${action.action_ts}`,
      now: deps.now(),
    }, Object.keys(deps.config.runtimes.byName));
    try {
      if (job instanceof OpsError) throw job;
      const jobId = await enqueueWithin(deps.queues, job);
      log.info({ queue: job.queue, job_id: jobId }, 'guide action queued');
    } catch (err) {
      const e = isOpsError(err) ? err : new OpsError('QUEUE_UNAVAILABLE', {}, { cause: err });
      log.warn({ err, code: e.code }, 'guide action rejected');
      await deps.outbox.ephemeral({ channel, user: body.user.id, text: errorAckText(e) }).catch((e2: unknown) => log.error({ err: e2 }, 'could not tell the user'));
    }
  });
}
