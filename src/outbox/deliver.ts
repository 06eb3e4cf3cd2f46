/**
 * Delivery of one `notify` job to the Slack Web API: the per-channel rate, coalesced updates, threads by
 * key, Retry-After on 429, and the posted ts stored for the caller. Called by `handlers/notify.ts`.
 */
import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WebClient } from '@slack/web-api';
import { OpsError } from '../errors.js';
import type { NotifyJob } from '../queues/payloads.js';
import type { ChannelRate } from './rate.js';
import { outboxKeys, TS_TTL_S } from './keys.js';

export interface DeliveryContext {
  client: WebClient;
  redis: Redis;
  /** Key prefix (with trailing ':'). */
  keyPrefix: string;
  rate: ChannelRate;
  now: () => number;
  job: Job;
  token: string | undefined;
}

export type DeliveryResult =
  | { status: 'sent'; channel: string; ts?: string }
  | { status: 'skipped'; reason: 'superseded' | 'already_sent'; ts?: string };

/** Re-queues the job to run in `ms` without using an attempt (BullMQ DelayedError). */
async function delay(ctx: DeliveryContext, ms: number): Promise<never> {
  await ctx.job.moveToDelayed(ctx.now() + ms, ctx.token);
  throw new DelayedError();
}

interface SlackishError { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string }; message?: string }

/** Maps a @slack/web-api error to our catalogue (or a rate-limit signal). */
export function classifySlackError(err: unknown): { retryAfterS: number } | OpsError {
  const e = (err ?? {}) as SlackishError;
  if (e.code === 'slack_webapi_rate_limited_error') return { retryAfterS: Math.max(1, Number(e.retryAfter ?? 1)) };
  if (e.code === 'slack_webapi_platform_error') {
    const slackError = e.data?.error ?? 'unknown';
    const transient = ['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited'].includes(slackError);
    return new OpsError(transient ? 'SLACK_UNAVAILABLE' : 'SLACK_API_ERROR', { slack_error: slackError }, { detail: `Slack said: ${slackError}.` });
  }
  if (e.code === 'slack_webapi_http_error' && e.statusCode !== undefined && e.statusCode < 500 && e.statusCode !== 408) {
    return new OpsError('SLACK_API_ERROR', { status: e.statusCode });
  }
  return new OpsError('SLACK_UNAVAILABLE', { reason: e.code ?? e.message ?? 'unknown' }, { cause: err });
}

async function resolveTs(ctx: DeliveryContext, direct: string | undefined, key: string | undefined): Promise<string | undefined | 'missing'> {
  if (direct) return direct;
  if (!key) return undefined;
  const ts = await ctx.redis.get(outboxKeys(ctx.keyPrefix).ts(key));
  return ts ?? 'missing';
}

/** How long to wait for a parent message's ts (posted by another job) before asking again, ms. */
const PARENT_WAIT_MS = 500;
/**
 * How long a reply or edit waits for its parent at most, from when it was due, ms. A parent whose post
 * failed for good (or whose ts outlived TS_TTL_S) never appears: without a limit the job waited forever.
 */
export const PARENT_WAIT_MAX_MS = 30 * 60_000;

/** Asks again shortly while the parent may still come; fails for good past `PARENT_WAIT_MAX_MS`. */
async function waitForParent(ctx: DeliveryContext, key: string | undefined): Promise<never> {
  const due = ctx.job.timestamp + (ctx.job.opts.delay ?? 0);
  if (ctx.now() - due > PARENT_WAIT_MAX_MS) {
    throw new OpsError('SLACK_PARENT_MISSING', { ts_key: key ?? null, waited_ms: ctx.now() - due });
  }
  return delay(ctx, PARENT_WAIT_MS);
}

export async function deliverNotification(payload: NotifyJob, ctx: DeliveryContext): Promise<DeliveryResult> {
  const keys = outboxKeys(ctx.keyPrefix);
  const jobId = ctx.job.id ?? 'unknown';

  if (payload.kind === 'update' && payload.coalesce_key !== undefined && payload.coalesce_seq !== undefined) {
    const latest = Number(await ctx.redis.get(keys.coalesce(payload.coalesce_key)) ?? 0);
    if (payload.coalesce_seq < latest) return { status: 'skipped', reason: 'superseded' };
  }
  if (payload.kind === 'post') {
    const sent = await ctx.redis.get(keys.sent(jobId));
    if (sent) return { status: 'skipped', reason: 'already_sent', ts: sent };
  }

  const threadTs = payload.kind === 'post' || payload.kind === 'upload'
    ? await resolveTs(ctx, payload.thread_ts, payload.thread_ts_key)
    : undefined;
  if (threadTs === 'missing') return waitForParent(ctx, payload.kind === 'post' || payload.kind === 'upload' ? payload.thread_ts_key : undefined);
  const updateTs = payload.kind === 'update' ? await resolveTs(ctx, payload.ts, payload.ts_key) : undefined;
  if (updateTs === 'missing') return waitForParent(ctx, payload.kind === 'update' ? payload.ts_key : undefined);

  if (payload.kind !== 'ephemeral') {
    const wait = await ctx.rate.reserve(payload.channel, ctx.now());
    if (wait > 0) return delay(ctx, wait);
  }

  try {
    switch (payload.kind) {
      case 'post': {
        const res = await ctx.client.chat.postMessage({
          channel: payload.channel,
          text: payload.text,
          ...(payload.blocks ? { blocks: payload.blocks as never } : {}),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          unfurl_links: payload.unfurl,
          unfurl_media: payload.unfurl,
        });
        const ts = res.ts;
        if (ts) {
          const multi = ctx.redis.multi().set(keys.sent(jobId), ts, 'EX', TS_TTL_S);
          if (payload.ts_key) multi.set(keys.ts(payload.ts_key), ts, 'EX', TS_TTL_S);
          await multi.exec();
        }
        return { status: 'sent', channel: res.channel ?? payload.channel, ...(ts ? { ts } : {}) };
      }
      case 'update': {
        const res = await ctx.client.chat.update({
          channel: payload.channel,
          ts: updateTs as string,
          text: payload.text,
          ...(payload.blocks ? { blocks: payload.blocks as never } : {}),
        });
        return { status: 'sent', channel: payload.channel, ...(res.ts ? { ts: res.ts } : {}) };
      }
      case 'ephemeral': {
        await ctx.client.chat.postEphemeral({
          channel: payload.channel,
          user: payload.user,
          text: payload.text,
          ...(payload.blocks ? { blocks: payload.blocks as never } : {}),
          ...(payload.thread_ts ? { thread_ts: payload.thread_ts } : {}),
        });
        return { status: 'sent', channel: payload.channel };
      }
      case 'upload': {
        await ctx.client.files.uploadV2({
          channel_id: payload.channel,
          file: Buffer.from(payload.content, 'utf8'),
          filename: payload.filename,
          ...(payload.title ? { title: payload.title } : {}),
          ...(payload.initial_comment ? { initial_comment: payload.initial_comment } : {}),
          ...(threadTs ? { thread_ts: threadTs } : {}),
        } as never);
        return { status: 'sent', channel: payload.channel };
      }
    }
  } catch (err) {
    const c = classifySlackError(err);
    if (c instanceof OpsError) throw c;
    const until = ctx.now() + c.retryAfterS * 1000;
    await ctx.rate.pause(payload.channel, until, ctx.now());
    return delay(ctx, c.retryAfterS * 1000);
  }
}
