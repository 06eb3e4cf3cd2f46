/**
 * Job payload schemas, one per queue. Validated when a job is added (`Queues.add`) and again in the worker
 * before the processor sees it (`parsePayload`), so a producer/worker version mismatch fails loudly
 * (`JOB_PAYLOAD_INVALID`, permanent) instead of misbehaving.
 *
 * Owners: diagnose + notify (spine). The others are starting points their features extend.
 */
import { z } from 'zod';
import type { QueueName } from './names.js';
import { AlertQueueJob, MonitorJob } from '../incidents/jobs.js';
import { GuideJob } from '../diagnosis/guide-job.js';
import { RespondJob, ExecuteJob, VerifyJob, PlanId } from '../response/jobs.js';

import { AgentRef, AgentType, ChannelId, MessageTs, ResponseUrl, RuntimeName, UserId } from '../identifiers.js';

export { AgentRef, AgentType, ChannelId, MessageTs, RuntimeName, UserId };
/** Redis key under which the outbox stores a posted message's ts. */
export const TsKey = z.string().min(1).max(200).regex(/^[\w:.{}@-]+$/);

export const DiagnoseJob = z.object({
  /** `report` = full diagnosis; `logs` = the "Show logs" follow-up. */
  mode: z.enum(['report', 'logs']).default('report'),
  /** What the user named: a type, a participant's name or `<team>/<participant>` (resolved by the worker). */
  agent: AgentRef,
  runtime: RuntimeName,
  channel: ChannelId,
  user: UserId.optional(),
  thread_ts: MessageTs.optional(),
  /** Where the request came from (slash command, button, alert, monitor). */
  source: z.enum(['slash', 'button', 'alert', 'monitor']),
  incident_id: z.string().max(200).optional(),
  /** Key under which the posted report's ts is stored (callers may wait for it). */
  ts_key: TsKey.optional(),
  /** A slash command's response_url: the answer goes there when the bot cannot post in the channel. */
  response_url: ResponseUrl.optional(),
  requested_at: z.iso.datetime(),
  /**
   * A second look after an "unreachable" report (handlers/diagnose.ts): ask the runtime once more and, when
   * it answers, edit the report stored under `report_ts_key`; until `until`, then give up.
   */
  recheck: z.object({
    /** The job id of the diagnosis that posted the report (keeps the chain's job ids apart). */
    origin: z.string().min(1).max(200),
    report_ts_key: TsKey,
    /** When the report said "unreachable". */
    since: z.iso.datetime(),
    until: z.iso.datetime(),
    n: z.number().int().min(1).max(100_000),
  }).optional(),
});
export type DiagnoseJob = z.infer<typeof DiagnoseJob>;

const Priority = z.enum(['high', 'normal', 'low']);
const BlocksJson = z.array(z.record(z.string(), z.unknown())).max(50);
const PostCommon = {
  channel: ChannelId,
  text: z.string().min(1).max(40_000),
  blocks: BlocksJson.optional(),
  priority: Priority.default('normal'),
};

export const NotifyJob = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('post'),
    ...PostCommon,
    thread_ts: MessageTs.optional(),
    /** Reply in the thread of the message whose ts is stored under this key (waits until it exists). */
    thread_ts_key: TsKey.optional(),
    /** Store the posted ts here (and skip the post if a retry finds it already set). */
    ts_key: TsKey.optional(),
    unfurl: z.boolean().default(false),
    /**
     * Where to answer the person who asked instead (a slash command's response_url, ephemeral) when Slack
     * refuses the channel (`channel_not_found`, `not_in_channel`: the bot is not a member).
     */
    response_url: ResponseUrl.optional(),
    /** Through the response_url: `ephemeral` (default, only the person who asked) or `in_channel` (an announcement). */
    response_type: z.enum(['ephemeral', 'in_channel']).optional(),
    /**
     * The recovery plan this message first shows. Refused by the channel, it is NOT sent through the
     * response_url (its approvers would not see it; its edits and thread would have no message): the
     * delivery answers `refused` and the plan is closed (`respond` job `unshared`, src/response/plan-closing.ts).
     */
    plan_id: PlanId.optional(),
  }),
  z.object({
    kind: z.literal('update'),
    ...PostCommon,
    ts: MessageTs.optional(),
    ts_key: TsKey.optional(),
    /** Updates sharing a key coalesce: only the newest not-yet-sent one is delivered. */
    coalesce_key: z.string().min(1).max(200).optional(),
    /** Sequence number assigned by the outbox; older sequences of the same key are dropped. */
    coalesce_seq: z.number().int().nonnegative().optional(),
  }).refine((j) => j.ts !== undefined || j.ts_key !== undefined, { message: 'update needs ts or ts_key' }),
  z.object({ kind: z.literal('ephemeral'), ...PostCommon, user: UserId, thread_ts: MessageTs.optional(), response_url: ResponseUrl.optional() }),
  z.object({
    kind: z.literal('upload'),
    channel: ChannelId,
    filename: z.string().min(1).max(200),
    title: z.string().max(250).optional(),
    content: z.string().max(1_000_000),
    initial_comment: z.string().max(4_000).optional(),
    thread_ts: MessageTs.optional(),
    thread_ts_key: TsKey.optional(),
    /** A slash command's response_url: told there (the file cannot go through it) when the bot cannot share in the channel. */
    response_url: ResponseUrl.optional(),
    priority: Priority.default('low'),
  }),
]);
export type NotifyJob = z.infer<typeof NotifyJob>;
export type NotifyJobInput = z.input<typeof NotifyJob>;

/** The response queues (#6): plan requests (also the `diag:recover` button), runs, verification. */
export { RespondJob, ExecuteJob, VerifyJob } from '../response/jobs.js';

export const PAYLOADS = {
  diagnose: DiagnoseJob,
  alert: AlertQueueJob,
  respond: RespondJob,
  execute: ExecuteJob,
  verify: VerifyJob,
  notify: NotifyJob,
  monitor: MonitorJob,
  guide: GuideJob,
} as const satisfies Record<QueueName, z.ZodType>;

export type PayloadOf<Q extends QueueName> = z.infer<(typeof PAYLOADS)[Q]>;
export type PayloadInput<Q extends QueueName> = z.input<(typeof PAYLOADS)[Q]>;
