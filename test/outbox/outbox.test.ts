/**
 * The outbox on real Redis with a real notify worker posting to the Slack sandbox: posted ts for the
 * caller, thread replies by key, coalesced updates, Retry-After on 429, the per-channel rate.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { QueueEvents } from 'bullmq';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/poll.js';
import { ChannelRate, fileTitle } from '../../src/outbox/index.js';
import { md } from '../../src/slack/blocks/mrkdwn.js';

let sandbox: Sandbox;
let bot: TestBot;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  bot = await startTestBot({ sandbox });
});

afterAll(async () => {
  await bot.stop();
  await sandbox.stop();
});

const outbox = () => {
  const w = bot.worker;
  if (!w) throw new Error('worker not started');
  return w.deps.outbox;
};

describe('outbox', () => {
  it('posts, stores the ts under the caller\'s key and returns it as the job result', async () => {
    const events = new QueueEvents('notify', { connection: { url: inject('redisUrl') } as never, prefix: bot.config.queues.prefix });
    await events.waitUntilReady();
    const jobId = await outbox().post({ channel: 'C0POST', text: md`hello`, ts_key: 'report-1' });
    const job = await bot.worker?.deps.queues.get('notify').getJob(jobId);
    const result = (await job?.waitUntilFinished(events, 10_000)) as { status: string; ts: string };
    await events.close();
    expect(result.status).toBe('sent');
    const posted = sandbox.messages.find((m) => m.channel === 'C0POST');
    expect(posted?.text).toBe('hello');
    expect(result.ts).toBe(posted?.ts);
    expect(await outbox().postedTs('report-1')).toBe(posted?.ts);
    expect(await outbox().waitForTs('report-1', 1_000)).toBe(posted?.ts);
  });

  it('a thread reply by key waits for its parent, then lands in its thread', async () => {
    await outbox().post({ channel: 'C0THREAD', text: md`reply`, thread_ts_key: 'parent-1' });
    await outbox().post({ channel: 'C0THREAD', text: md`parent`, ts_key: 'parent-1' });
    const reply = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0THREAD' && m.text === 'reply'), { what: 'reply' });
    const parent = sandbox.messages.find((m) => m.channel === 'C0THREAD' && m.text === 'parent');
    expect(reply.thread_ts).toBe(parent?.ts);
  });

  it('coalesces updates: of a burst for one key, the newest is applied last and older pending ones are dropped', async () => {
    await outbox().post({ channel: 'C0UPD', text: md`v0`, ts_key: 'upd-1' });
    await waitFor(() => outbox().postedTs('upd-1'), { what: 'parent ts' });
    for (let i = 1; i <= 5; i += 1) await outbox().update({ channel: 'C0UPD', ts_key: 'upd-1', text: md`v${i}`, coalesce_key: 'upd-1' });
    const msg = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0UPD' && m.text === 'v5'), { what: 'last update' });
    expect(msg.edits.at(-1)?.text).toBe('v5');
    expect(msg.edits.length).toBeLessThanOrEqual(5);
  });

  it('on 429 waits for Retry-After and then delivers (no error, no duplicate)', async () => {
    sandbox.rateLimit('chat.postMessage', 1, 1);
    await outbox().post({ channel: 'C0RL', text: md`after the limit` });
    await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0RL'), { what: 'post after 429' });
    const calls = sandbox.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C0RL');
    expect(calls).toHaveLength(2);
    expect(sandbox.messages.filter((m) => m.channel === 'C0RL')).toHaveLength(1);
  });

  it('ephemeral messages and file uploads go through the same queue', async () => {
    await outbox().ephemeral({ channel: 'C0EPH', user: 'U0BOB', text: md`only you` });
    await outbox().upload({ channel: 'C0EPH', filename: 'logs.txt', content: 'line 1\nline 2', title: fileTitle('Logs') });
    await waitFor(() => sandbox.ephemerals.find((e) => e.user === 'U0BOB'), { what: 'ephemeral' });
    const file = await waitFor(() => sandbox.files.find((f) => f.channel === 'C0EPH'), { what: 'file' });
    expect(file.content).toBe('line 1\nline 2');
  });

  it('per-channel rate (GCRA in Redis): a burst is allowed, then callers are told how long to wait; other channels are unaffected', async () => {
    const redis = new Redis(inject('redisUrl'));
    const rate = new ChannelRate(redis, `{rate-${Date.now()}}:`, { ratePerS: 1, burst: 2 });
    const t0 = 1_000_000;
    expect(await rate.reserve('C1', t0)).toBe(0);
    expect(await rate.reserve('C1', t0)).toBe(0);
    const wait = await rate.reserve('C1', t0);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(1000);
    expect(await rate.reserve('C2', t0)).toBe(0);
    expect(await rate.reserve('C1', t0 + wait)).toBe(0);
    await rate.pause('C2', t0 + 30_000, t0);
    expect(await rate.reserve('C2', t0 + 1_000)).toBeGreaterThan(20_000);
    redis.disconnect();
  });
});

describe('outbox: a parent that never appears', () => {
  it('a reply whose parent was never posted fails with SLACK_PARENT_MISSING after the wait limit instead of waiting forever', async () => {
    const queue = bot.worker!.deps.queues;
    // created long ago (BullMQ's own `timestamp` option): as if it had been waiting for its parent since then
    const id = await queue.add('notify', { kind: 'post', channel: 'C0ORPHAN', text: 'reply', thread_ts_key: 'never-posted', priority: 'normal', unfurl: false }, { timestamp: Date.now() - 2 * 3_600_000 });
    const job = await waitFor(async () => {
      const j = await queue.get('notify').getJob(id);
      return j && (await j.getState()) === 'failed' ? j : undefined;
    }, { timeoutMs: 10_000, what: 'the orphan reply to fail' });
    expect(job.failedReason).toContain('SLACK_PARENT_MISSING');
    expect(sandbox.messages.some((m) => m.channel === 'C0ORPHAN')).toBe(false);
  });

  it('a reply whose parent is merely late still waits for it (within the limit)', async () => {
    await outbox().post({ channel: 'C0LATE', text: md`late reply`, thread_ts_key: 'late-parent' });
    await outbox().post({ channel: 'C0LATE', text: md`late parent`, ts_key: 'late-parent' });
    const reply = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0LATE' && m.text === 'late reply'), { what: 'reply' });
    expect(reply.thread_ts).toBe(await outbox().postedTs('late-parent'));
  });
});
