/**
 * Delivery of one `notify` job to the Slack Web API: the per-channel rate, coalesced updates, threads by
 * key, Retry-After on 429, and the posted ts stored for the caller. Called by `handlers/notify.ts`.
 * Slack's refusals are answered, never dropped: a message refused as too large (`invalid_blocks`,
 * `msg_blocks_too_long`, `msg_too_long`) is posted again shrunk (`shrink`); a channel the bot is not in
 * (`channel_not_found`, `not_in_channel`) is answered through the slash command's response_url when the
 * job has one, else logged as a warning saying to invite the bot (docs/internals.md, "Slack's refusals") —
 * except a recovery plan's first post (`plan_id`), which only its channel may hold: `refused`, sent nowhere.
 *
 * Posting once. Slack has no idempotency key for chat.postMessage, and a run can lose Slack's answer after
 * Slack stored the message (its worker killed, the connection dropped, the request timed out): the job's
 * next run would post it again. So every post carries its job in the message's metadata, and a run claims
 * the job's posting and marks when it sends (`outbox:attempt:<job>`, cleared when Slack's answer is recorded
 * or was a refusal). A run that finds another's fresh claim waits until that run could still get its answer
 * (`answerWindowMs`: a live run of a stalled job); one that finds an earlier send whose answer is missing
 * looks for the message in the channel or thread (conversations.history / conversations.replies, the
 * `*:history` scopes; on a 429 it waits Retry-After and looks again) and records it instead of posting.
 * Where the history cannot be read it posts again and says in the log that the message may show twice.
 */
import { DelayedError, type Job } from 'bullmq';
import type { RedisClient } from '../redis/connect.js';
import type { WebClient } from '@slack/web-api';
import { request } from 'undici';
import { OpsError } from '../errors.js';
import { runScript } from '../redis/scripts.js';
import type { Logger } from '../log.js';
import { cutMrkdwn, fitBlocks, SAFE_TEXT_CHARS, textOnly } from '../slack/blocks/shrink.js';
import { code, md } from '../slack/blocks/mrkdwn.js';
import type { NotifyJob } from '../queues/payloads.js';
import type { ChannelRate, RateLane } from './rate.js';
import { CLOSED_DM_TTL_S, COALESCE_TTL_S, outboxKeys, TS_TTL_S } from './keys.js';

export interface DeliveryContext {
  client: WebClient;
  redis: RedisClient;
  /** Key prefix (with trailing ':'). */
  keyPrefix: string;
  rate: ChannelRate;
  now: () => number;
  job: Job;
  token: string | undefined;
  /** Where a shrunk re-post or an answer through response_url is logged (info: an expected event). */
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** POSTs to a response_url (default: undici, bounded); tests may replace it. */
  respond?: (url: string, body: Record<string, unknown>) => Promise<void>;
  /** How long a run may wait for Slack's answer to a post, ms (the client's timeout and a margin). */
  answerWindowMs: number;
  /** Test hook: runs after Slack answered a post, before its ts is recorded (to kill the worker there). */
  afterPosted?: (ts: string) => Promise<void>;
}

export type DeliveryResult =
  /** `via: 'response_url'`: the bot is not in the channel; the person who asked got it ephemerally. */
  | { status: 'sent'; channel: string; ts?: string; via?: 'response_url' }
  | { status: 'skipped'; reason: 'superseded' | 'already_sent'; ts?: string }
  /** A plan's first post (`plan_id`) the channel refused: not sent anywhere; the caller closes the plan. */
  | { status: 'refused'; channel: string; slack_error: string };

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
    return new OpsError(transient ? 'SLACK_UNAVAILABLE' : 'SLACK_API_ERROR', { slack_error: slackError }, { detail: md`Slack said: ${code(slackError)}.` });
  }
  if (e.code === 'slack_webapi_http_error' && e.statusCode !== undefined && e.statusCode < 500 && e.statusCode !== 408) {
    return new OpsError('SLACK_API_ERROR', { status: e.statusCode });
  }
  return new OpsError('SLACK_UNAVAILABLE', { reason: e.code ?? e.message ?? 'unknown' }, { cause: err });
}

/** A parent message's ts; or, while it has none, whether Slack refused it for good (its error), in one read. */
type Resolved = string | undefined | { missing: string; refused: string | null };

async function resolveTs(ctx: DeliveryContext, direct: string | undefined, key: string | undefined): Promise<Resolved> {
  if (direct) return direct;
  if (!key) return undefined;
  const keys = outboxKeys(ctx.keyPrefix);
  const [ts, refused] = await ctx.redis.mget(keys.ts(key), keys.unposted(key));
  return ts ?? { missing: key, refused: refused ?? null };
}

/** The content a coalesced edit sends: the newest written for its key, with that content's sequence number. */
interface Newest { seq: number; content: Content }

/**
 * What a coalesced edit job sends when it runs: the newest content of its key (`Outbox.update` writes it with
 * its sequence number), or 'superseded' when that content was sent already (by an earlier run). A job queued
 * before contents were kept (or whose content expired) sends its own payload unless a newer one exists.
 */
async function newestEdit(ctx: DeliveryContext, key: string, ownSeq: number): Promise<Newest | 'superseded' | undefined> {
  const keys = outboxKeys(ctx.keyPrefix);
  const [seqRaw, latestRaw, editedRaw] = await ctx.redis.mget(keys.coalesce(key), keys.latest(key), keys.edited(key));
  const seq = Number(seqRaw ?? 0);
  const edited = Number(editedRaw ?? 0);
  if (latestRaw === null || latestRaw === undefined) return ownSeq < seq || ownSeq <= edited ? 'superseded' : undefined;
  if (seq <= edited) return 'superseded';
  return { seq, content: JSON.parse(latestRaw) as Content };
}

/** How long to wait for a parent message's ts (posted by another job) before asking again, ms. */
const PARENT_WAIT_MS = 500;
/**
 * How long a reply or edit waits for its parent at most, from when it was due, ms. A parent whose post
 * failed for good (or whose ts outlived TS_TTL_S) never appears: without a limit the job waited forever.
 */
export const PARENT_WAIT_MAX_MS = 30 * 60_000;

/**
 * The message to reply to or edit has no ts yet. If Slack refused it for good (the bot cannot post in its
 * channel) it never will: the reply answers through its own response_url, as its parent would have, or
 * fails at once saying why. Otherwise the parent may still come: ask again shortly.
 */
async function parentMissing(payload: NotifyJob, ctx: DeliveryContext, content: Content, parent: { missing: string; refused: string | null }): Promise<DeliveryResult> {
  const { missing: key, refused } = parent;
  if (refused === null) return waitForParent(ctx, key);
  if (payload.kind !== 'update' && 'response_url' in payload && payload.response_url) {
    return notAMember(payload, ctx, content, refused, undefined);
  }
  throw new OpsError('SLACK_PARENT_MISSING', { ts_key: key, parent_refused: refused }, { detail: md`Slack refused the first message (${code(refused)}), so nothing can follow it there.` });
}

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

  let newest: Newest | undefined;
  if (payload.kind === 'update' && payload.coalesce_key !== undefined && payload.coalesce_seq !== undefined) {
    const found = await newestEdit(ctx, payload.coalesce_key, payload.coalesce_seq);
    if (found === 'superseded') return { status: 'skipped', reason: 'superseded' };
    newest = found;
  }
  if (payload.kind === 'post') {
    const sent = await ctx.redis.get(keys.sent(jobId));
    if (sent) return { status: 'skipped', reason: 'already_sent', ts: sent };
  }

  let content: Content = payload.kind === 'upload' ? { text: '' } : newest?.content ?? { text: payload.text, ...(payload.blocks ? { blocks: payload.blocks } : {}) };
  const threadTs = payload.kind === 'post' || payload.kind === 'upload'
    ? await resolveTs(ctx, payload.thread_ts, payload.thread_ts_key)
    : undefined;
  if (typeof threadTs === 'object') return parentMissing(payload, ctx, content, threadTs);
  const updateTs = payload.kind === 'update' ? await resolveTs(ctx, payload.ts, payload.ts_key) : undefined;
  if (typeof updateTs === 'object') return parentMissing(payload, ctx, content, updateTs);

  // a DM between others Slack refused before: the bot can never post there, the answer goes straight to the response_url
  if (isDirectMessage(payload.channel) && 'response_url' in payload && payload.response_url && await ctx.redis.exists(keys.closedDm(payload.channel))) {
    return notAMember(payload, ctx, content, 'channel_not_found', undefined, true);
  }

  const lane: RateLane = payload.kind === 'update' ? 'edit' : 'post';
  if (payload.kind !== 'ephemeral') {
    const wait = await ctx.rate.reserve(payload.channel, ctx.now(), lane);
    if (wait > 0) return delay(ctx, wait);
  }
  if (payload.kind === 'post') {
    const [wait, earlierAt] = await runScript(ctx.redis, 'outboxPostAttempt', [keys.attempt(jobId)], { now: ctx.now(), window: ctx.answerWindowMs, ttl: TS_TTL_S });
    if (wait > 0) return delay(ctx, wait);
    if (earlierAt > 0) {
      const earlier = await findEarlierPost(payload, ctx, threadTs, earlierAt);
      if (typeof earlier === 'object') return delay(ctx, earlier.retryAfterS * 1000);
      if (earlier) return { status: 'skipped', reason: 'already_sent', ts: await recordPosted(payload, ctx, earlier) };
      // not found: sending now, the claim renewed with it (the window covers Slack's answer), the send marked
      const now = String(ctx.now());
      await ctx.redis.hset(keys.attempt(jobId), 'claim', now, 'sent', now);
    }
  }
  for (let step = 0; ; step += 1) {
    try {
      const result = await send(payload, ctx, content, threadTs, updateTs);
      if (newest && payload.kind === 'update' && payload.coalesce_key !== undefined) {
        // sent: the content is dropped unless a newer one came meanwhile (memory: one content per message being edited)
        await runScript(ctx.redis, 'outboxEdited', [keys.coalesce(payload.coalesce_key), keys.latest(payload.coalesce_key), keys.edited(payload.coalesce_key)], { seq: newest.seq, ttl: COALESCE_TTL_S });
      }
      return result;
    } catch (err) {
      const slackError = slackErrorOf(err);
      const smaller = payload.kind === 'upload' ? undefined : shrink(content, slackError, step);
      if (smaller) {
        ctx.logger?.info({ job_id: jobId, kind: payload.kind, channel: payload.channel, slack_error: slackError, step: step + 1, blocks: content.blocks?.length ?? 0, text_chars: content.text.length }, 'Slack refused the message as too large; posting it again shrunk');
        content = smaller;
        continue; // (a post's attempt mark stays: this run sends it again now)
      }
      // Slack answered with a refusal: nothing was posted, the next run need not look for it
      if (payload.kind === 'post' && slackAnswered(err)) await ctx.redis.del(keys.attempt(jobId));
      if (slackError !== undefined && NOT_A_MEMBER.includes(slackError)) {
        if (isDirectMessage(payload.channel)) await ctx.redis.set(keys.closedDm(payload.channel), slackError, 'EX', CLOSED_DM_TTL_S);
        return notAMember(payload, ctx, content, slackError, err);
      }
      const c = classifySlackError(err);
      if (c instanceof OpsError) throw c;
      const until = ctx.now() + c.retryAfterS * 1000;
      await ctx.rate.pause(payload.channel, until, ctx.now(), lane);
      return delay(ctx, c.retryAfterS * 1000);
    }
  }
}

/** A message's text and blocks as sent (they change when Slack refuses them as too large). */
interface Content { text: string; blocks?: Record<string, unknown>[] }

/** A 1:1 direct message: the bot's own with someone (it can post), or one between others (it never can). */
function isDirectMessage(channel: string): boolean {
  return channel.startsWith('D');
}

/** Slack's answers meaning "the bot cannot post in that conversation": it is not a member (or cannot see it). */
const NOT_A_MEMBER: readonly string[] = ['channel_not_found', 'not_in_channel'];

/** Slack answered the call (a refusal, a 429, an HTTP error status): it was not carried out. */
function slackAnswered(err: unknown): boolean {
  const c = (err ?? {}) as SlackishError;
  return c.code === 'slack_webapi_platform_error' || c.code === 'slack_webapi_rate_limited_error' || c.code === 'slack_webapi_http_error';
}

/** The `event_type` of the metadata every post carries (its job), so a later run can find it. */
export const POST_METADATA_TYPE = 'autogen_ops_post';
/** How far before the earlier run sent it a post is looked for (Slack's clock and ours differ), ms; at most how many pages of 200. */
const LOOK_BACK_SKEW_MS = 60_000;
const LOOK_BACK_PAGES = 5;

/** What identifies a post job's message in its metadata: the job under this deployment's prefix. */
function postMarker(ctx: DeliveryContext): string {
  return `${ctx.keyPrefix}${ctx.job.id ?? 'unknown'}`;
}

interface HistoryPage { messages?: { ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }[]; response_metadata?: { next_cursor?: string } }

/**
 * The ts of this job's message, posted by an earlier run whose answer was lost; `retryAfterS` when Slack
 * rate-limited the look-up (look again then); or undefined (not found, or the history cannot be read: then
 * the post is sent again, which may show it twice — said in the log).
 */
async function findEarlierPost(payload: NotifyJob & { kind: 'post' }, ctx: DeliveryContext, threadTs: string | undefined, sentAt: number): Promise<string | { retryAfterS: number } | undefined> {
  const marker = postMarker(ctx);
  const where = { channel: payload.channel, oldest: ((sentAt - LOOK_BACK_SKEW_MS) / 1000).toFixed(6), include_all_metadata: true, limit: 200 };
  try {
    let cursor: string | undefined;
    for (let page = 0; page < LOOK_BACK_PAGES; page += 1) {
      const args = { ...where, ...(cursor ? { cursor } : {}) };
      const res: HistoryPage = threadTs ? await ctx.client.conversations.replies({ ...args, ts: threadTs }) : await ctx.client.conversations.history(args);
      const found = res.messages?.find((m) => m.metadata?.event_type === POST_METADATA_TYPE && m.metadata.event_payload?.post === marker);
      if (found?.ts) {
        ctx.logger?.info({ job_id: ctx.job.id, channel: payload.channel, ts: found.ts }, 'an earlier run of this post lost Slack\'s answer; found the message in Slack, not posting it again');
        return found.ts;
      }
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  } catch (err) {
    const c = classifySlackError(err);
    if (!(c instanceof OpsError)) return c;
    ctx.logger?.warn({ job_id: ctx.job.id, channel: payload.channel, code: 'SLACK_API_ERROR', slack_error: slackErrorOf(err) ?? String((err as SlackishError).code ?? err) },
      'an earlier run of this post lost Slack\'s answer and the channel cannot be read to check (the bot needs channels:history, groups:history, im:history); posting it again: it may show twice');
    return undefined;
  }
}

/** Records a post's ts: the job's sent mark and the caller's key; the attempt mark is done with. */
async function recordPosted(payload: NotifyJob & { kind: 'post' }, ctx: DeliveryContext, ts: string): Promise<string> {
  const keys = outboxKeys(ctx.keyPrefix);
  const jobId = ctx.job.id ?? 'unknown';
  const multi = ctx.redis.multi().set(keys.sent(jobId), ts, 'EX', TS_TTL_S).del(keys.attempt(jobId));
  if (payload.ts_key) multi.set(keys.ts(payload.ts_key), ts, 'EX', TS_TTL_S);
  await multi.exec();
  return ts;
}

function slackErrorOf(err: unknown): string | undefined {
  const e = (err ?? {}) as SlackishError;
  return e.code === 'slack_webapi_platform_error' ? e.data?.error : undefined;
}

/**
 * The next, smaller form of a message Slack refused as too large, or undefined (not a size refusal, or
 * nothing left to shrink): blocks cut to Slack's limits, then text alone; a too long text cut to what
 * Slack recommends (blocks, which carry the content, kept).
 */
export function shrink(content: Content, slackError: string | undefined, step: number): Content | undefined {
  if (slackError === 'invalid_blocks' || slackError === 'msg_blocks_too_long') {
    if (!content.blocks?.length) return undefined;
    const fitted = fitBlocks(content.blocks);
    if (step === 0 && JSON.stringify(fitted) !== JSON.stringify(content.blocks)) return { text: content.text, blocks: fitted };
    return { text: textOnly(content.text, content.blocks) };
  }
  if (slackError === 'msg_too_long') {
    const max = step === 0 ? SAFE_TEXT_CHARS : Math.floor(SAFE_TEXT_CHARS / 4);
    if (content.text.length <= max) return undefined;
    return { ...content, text: cutMrkdwn(content.text, max) };
  }
  return undefined;
}

/**
 * The bot is not in the channel (a private channel or a DM it was not invited to). With the slash command's
 * response_url the person who asked gets the message there — ephemeral, or `in_channel` for an announcement
 * the command makes (`response_type`) — with how to invite the bot; a file cannot go through a response_url,
 * so the person is told it was not shared. Without one it is a clear warning (what to do) and the job fails
 * for good: nothing is dropped silently. `direct`: a DM Slack refused before, not asked again.
 */
async function notAMember(payload: NotifyJob, ctx: DeliveryContext, content: Content, slackError: string, err: unknown, direct = false): Promise<DeliveryResult> {
  const responseUrl = 'response_url' in payload ? payload.response_url : undefined;
  const where = { job_id: ctx.job.id, kind: payload.kind, channel: payload.channel, slack_error: slackError, ...(direct ? { direct: true } : {}) };
  // this message will have no ts in the channel: what follows it (replies, edits) must not wait for one
  if (payload.kind === 'post' && payload.ts_key) await ctx.redis.set(outboxKeys(ctx.keyPrefix).unposted(payload.ts_key), slackError, 'EX', TS_TTL_S);
  if (payload.kind === 'post' && payload.plan_id !== undefined) {
    // a plan others approve, whose edits and thread need this message: never made private through the response_url
    ctx.logger?.info({ ...where, plan_id: payload.plan_id }, 'the bot is not a member of the channel; the recovery plan was not posted anywhere (it will be closed)');
    return { status: 'refused', channel: payload.channel, slack_error: slackError };
  }
  if (!responseUrl) {
    ctx.logger?.warn({ ...where, code: 'SLACK_API_ERROR' }, 'the bot is not a member of the channel and has no response_url to answer through; invite it (/invite @autogen-ops)');
    const c = classifySlackError(err);
    throw c instanceof OpsError ? c : new OpsError('SLACK_API_ERROR', { slack_error: slackError });
  }
  const responseType = payload.kind === 'post' ? payload.response_type ?? 'ephemeral' : 'ephemeral';
  const note = notMemberNote(payload.channel, responseType);
  const noted = (c: Content): Record<string, unknown> => ({
    text: `${note}\n${c.text}`,
    ...(c.blocks ? { blocks: fitBlocks([{ type: 'context', elements: [{ type: 'mrkdwn', text: note }] }, ...c.blocks]) } : {}),
  });
  const body = payload.kind === 'upload'
    ? { response_type: 'ephemeral', replace_original: false, text: `${note}\nThe file ${code(payload.filename)} could not be shared here: run the command in a channel I am in to get it.` }
    : { response_type: responseType, replace_original: false, ...noted(content) };
  await (ctx.respond ?? postToResponseUrl)(responseUrl, body);
  ctx.logger?.info({ ...where, via: 'response_url', response_type: body.response_type }, 'the bot is not a member of the channel; fell back to the command\'s response_url to answer the person who asked');
  return { status: 'sent', channel: payload.channel, via: 'response_url' };
}

/** The line on top of a message delivered through response_url instead of the channel. */
export function notMemberNote(channel: string, responseType: 'ephemeral' | 'in_channel' = 'ephemeral'): string {
  const dm = channel.startsWith('D');
  if (responseType === 'in_channel') {
    return dm
      ? '📣 Posted through the command: I am not part of this conversation.'
      : '📣 Posted through the command: I am not a member of this channel. To let me post here myself, invite me: `/invite @autogen-ops`.';
  }
  return dm
    ? '🔒 I cannot post in this conversation (a direct message I am not part of), so only you see this. Run the command in a channel I am in to share it.'
    : '🔒 I am not a member of this channel, so only you see this. To share reports here, invite me: `/invite @autogen-ops`.';
}

/** POSTs a message to a response_url (Slack's, or the sandbox's), bounded in time; a refusal throws. */
async function postToResponseUrl(url: string, body: Record<string, unknown>): Promise<void> {
  const res = await request(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, headersTimeout: 10_000, bodyTimeout: 10_000 });
  await res.body.text();
  if (res.statusCode >= 400) {
    throw new OpsError(res.statusCode >= 500 || res.statusCode === 429 ? 'SLACK_UNAVAILABLE' : 'SLACK_API_ERROR', { response_url_status: res.statusCode });
  }
}

async function send(payload: NotifyJob, ctx: DeliveryContext, content: Content, threadTs: string | undefined, updateTs: string | undefined): Promise<DeliveryResult> {
  switch (payload.kind) {
    case 'post': {
      const res = await ctx.client.chat.postMessage({
        channel: payload.channel,
        text: content.text,
        ...(content.blocks ? { blocks: content.blocks as never } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: payload.unfurl,
        unfurl_media: payload.unfurl,
        metadata: { event_type: POST_METADATA_TYPE, event_payload: { post: postMarker(ctx) } },
      });
      const ts = res.ts;
      if (ts) await ctx.afterPosted?.(ts);
      if (ts) await recordPosted(payload, ctx, ts);
      return { status: 'sent', channel: res.channel ?? payload.channel, ...(ts ? { ts } : {}) };
    }
    case 'update': {
      const res = await ctx.client.chat.update({
        channel: payload.channel,
        ts: updateTs as string,
        text: content.text,
        ...(content.blocks ? { blocks: content.blocks as never } : {}),
      });
      return { status: 'sent', channel: payload.channel, ...(res.ts ? { ts: res.ts } : {}) };
    }
    case 'ephemeral': {
      await ctx.client.chat.postEphemeral({
        channel: payload.channel,
        user: payload.user,
        text: content.text,
        ...(content.blocks ? { blocks: content.blocks as never } : {}),
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
}
