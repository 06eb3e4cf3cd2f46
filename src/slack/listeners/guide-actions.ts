/**
 * `guide:` buttons on guide reports (Inspect, Analyse logs, Take snapshot, Trace, Run again…): ack at
 * once, then enqueue the guide job the button's value names, answering in the report's thread. Part of
 * the guide feature (src/slack/features/guide.ts).
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { z } from 'zod';
import { OpsError } from '../../errors.js';
import { GUIDE_ACTION_PREFIX } from '../../diagnosis/guide-follow-ups.js';
import { MessageId } from '../../diagnosis/guide-job.js';
import { AgentType, RuntimeName } from '../../queues/payloads.js';
import type { EnqueueRequest } from '../commands/types.js';
import type { BotDeps } from '../deps.js';
import { ackThenEnqueue } from './enqueue.js';
import { parseButtonValue } from './button-value.js';

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
  const v = parseButtonValue(ButtonValue, rawValue, actionId);
  if (v instanceof OpsError) return v;
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
    const log = deps.logger.child({ surface: 'action', action_id: action.action_id, user: body.user.id });
    const asker = body.channel?.id ? { channel: body.channel.id, user: body.user.id } : undefined;
    // Answer in the report's thread: the thread it is in, or start one under it.
    const msg = body.message as { ts?: string; thread_ts?: string } | undefined;
    await ackThenEnqueue(ack, deps, log, 'guide action', asker, ({ channel, user }) => guideActionJob(action.action_id, action.value, {
      channel,
      user,
      thread_ts: msg?.thread_ts ?? msg?.ts,
      requestId: body.trigger_id ?? `${body.user.id}-${action.action_ts}`,
      now: deps.now(),
    }, Object.keys(deps.config.runtimes.byName)));
  });
}
