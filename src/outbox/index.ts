/**
 * The outbox: the only path to Slack's Web API for posts. Producers call `post` / `update` / `ephemeral` /
 * `upload`, which enqueue `notify` jobs; `handlers/notify.ts` delivers them (`deliverNotification`) with a
 * per-channel rate, priority, coalesced updates and Retry-After on 429.
 *
 * Getting the posted ts: pass `ts_key` to `post`; the ts is stored under it (read with `postedTs`, wait
 * with `waitForTs`), later `update`s and thread replies may refer to the key instead of the ts, and the
 * notify job's return value carries `{ ts }`.
 */
import type { RedisClient } from '../redis/connect.js';
import type { JobsOptions } from 'bullmq';
import type { Queues } from '../queues/queues.js';
import type { NotifyJobInput } from '../queues/payloads.js';
import type { Mrkdwn } from '../slack/blocks/mrkdwn.js';
import type { Block } from '../slack/blocks/vocabulary.js';
import { plainSafeLine } from '../slack/blocks/incident-text.js';
import { renderRich } from '../slack/blocks/rich-text.js';
import type { RichText } from '../view/rich-text.js';
import { COALESCE_TTL_S, outboxKeys } from './keys.js';

export { deliverNotification, classifySlackError, type DeliveryContext, type DeliveryResult } from './deliver.js';
export { ChannelRate, type ChannelRateOptions } from './rate.js';
export { outboxKeys } from './keys.js';

type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/**
 * What reaches Slack as markup is `Mrkdwn` (escaped or built by our code, `src/slack/blocks/mrkdwn.ts`) and
 * blocks are our typed `Block`s: a raw string here is a type error. The domain's `RichText` (src/view) is
 * rendered to mrkdwn here. The queue payload stays plain JSON.
 */
type Marked<T> = Without<T, 'text' | 'blocks'> & { text: Mrkdwn | RichText; blocks?: readonly Block[] | undefined };
export type PostInput = Marked<Without<Extract<NotifyJobInput, { kind: 'post' }>, 'kind'>>;
export type UpdateInput = Marked<Without<Extract<NotifyJobInput, { kind: 'update' }>, 'kind' | 'coalesce_seq'>>;
export type EphemeralInput = Marked<Without<Extract<NotifyJobInput, { kind: 'ephemeral' }>, 'kind'>>;
/** A file: its title is shown as plain text (cleaned by `fileTitle`), its comment as mrkdwn. */
export type UploadInput = Without<Extract<NotifyJobInput, { kind: 'upload' }>, 'kind' | 'title' | 'initial_comment'>
  & { title?: FileTitle; initial_comment?: Mrkdwn };

declare const FILE_TITLE: unique symbol;
/** A file title cleaned of invisible and mention characters (`fileTitle`). */
export type FileTitle = string & { readonly [FILE_TITLE]: true };

/** A file title from any text: one line, invisible and bidi characters removed, mentions broken, ≤ 250. */
export function fileTitle(text: string): FileTitle {
  return plainSafeLine(text, 250) as FileTitle;
}

/** The queue payload of a marked message (text as mrkdwn, blocks as JSON objects). */
function payload<T extends { text: Mrkdwn | RichText; blocks?: readonly Block[] | undefined }>(msg: T): Omit<T, 'blocks' | 'text'> & { text: Mrkdwn; blocks?: Record<string, unknown>[] } {
  const { blocks, text, ...rest } = msg;
  const marked = { ...rest, text: renderRich(text) };
  return blocks === undefined ? marked : { ...marked, blocks: blocks as unknown as Record<string, unknown>[] };
}

/** BullMQ priority: lower runs first. New incidents and reports before updates. */
export const PRIORITY = { high: 1, normal: 5, low: 10 } as const;

export class Outbox {
  private readonly keys: ReturnType<typeof outboxKeys>;

  /** `keyPrefix` with trailing ':' (see `keyPrefix()` in src/queues). */
  constructor(private readonly queues: Queues, private readonly redis: RedisClient, keyPrefix: string) {
    this.keys = outboxKeys(keyPrefix);
  }

  private opts(priority: keyof typeof PRIORITY | undefined, jobId?: string): JobsOptions {
    return { priority: PRIORITY[priority ?? 'normal'], ...(jobId ? { jobId } : {}) };
  }

  /** Posts a message. `jobId` (optional) makes the enqueue idempotent. Returns the notify job id. */
  async post(msg: PostInput, jobId?: string): Promise<string> {
    return this.queues.add('notify', { kind: 'post', ...payload(msg) }, this.opts(msg.priority ?? 'normal', jobId));
  }

  /**
   * Edits a message (by `ts` or `ts_key`). With `coalesce_key`, edits coalesce: the newest content is kept
   * in Redis with its sequence number, and at most one edit job per key waits (BullMQ deduplication with
   * `keepLastIfActive`: while one waits or is delayed, a newer edit joins it; while one runs, exactly one
   * more follows). The job sends whatever is newest when it runs, so a superseded edit is never queued
   * behind another, and never sent after a newer one. Being one per key, a coalesced edit goes first
   * (`high`, whatever `priority` says); its Slack calls use the channel's edit lane (src/outbox/rate.ts).
   */
  async update(msg: UpdateInput): Promise<string> {
    const body = payload(msg);
    const key = msg.coalesce_key;
    if (key === undefined) return this.queues.add('notify', { kind: 'update', ...body }, this.opts(msg.priority ?? 'low'));
    const content = JSON.stringify({ text: body.text, ...(body.blocks ? { blocks: body.blocks } : {}) });
    // one transaction: the sequence number and the content it names are written together
    const res = await this.redis.multi()
      .incr(this.keys.coalesce(key))
      .expire(this.keys.coalesce(key), COALESCE_TTL_S)
      .set(this.keys.latest(key), content, 'EX', COALESCE_TTL_S)
      .exec();
    const [err, seq] = res?.[0] ?? [new Error('MULTI answered nothing'), undefined];
    if (err) throw err;
    return this.queues.add('notify', { kind: 'update', ...body, coalesce_seq: Number(seq) }, {
      ...this.opts('high'),
      deduplication: { id: `edit-${key}`, keepLastIfActive: true },
    });
  }

  async ephemeral(msg: EphemeralInput): Promise<string> {
    return this.queues.add('notify', { kind: 'ephemeral', ...payload(msg) }, this.opts(msg.priority ?? 'high'));
  }

  async upload(file: UploadInput): Promise<string> {
    return this.queues.add('notify', { kind: 'upload', ...file }, this.opts(file.priority ?? 'low'));
  }

  /** The ts of the message posted with `ts_key`, if it has been posted. */
  async postedTs(tsKey: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.ts(tsKey))) ?? undefined;
  }

  /** Waits (polling, bounded) until the message posted with `tsKey` exists; undefined on timeout. */
  async waitForTs(tsKey: string, timeoutMs: number, pollMs = 100): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ts = await this.postedTs(tsKey);
      if (ts !== undefined || Date.now() >= deadline) return ts;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
