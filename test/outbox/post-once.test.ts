/**
 * Posting once when Slack's answer is lost (src/outbox/deliver.ts, "Posting once"): Slack stored the message
 * but the connection dropped before the answer (as when the worker is killed in between). The job's next run
 * finds the message by its metadata (conversations.history, or .replies for a thread) and records it instead
 * of posting again; without the history scopes it posts again and warns that the message may show twice; a
 * run that finds another run's fresh attempt waits for it instead of posting beside it. Real Redis, a real
 * notify worker, the Slack sandbox; the pino output is captured and read back.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { outboxKeys } from '../../src/outbox/keys.js';
import { POST_METADATA_TYPE } from '../../src/outbox/deliver.js';
import { startWorkerRole, type WorkerRole } from '../../src/roles/worker.js';
import { testEnv } from '../support/bot.js';
import { waitFor } from '../support/poll.js';
import { escapeText, md } from '../../src/slack/blocks/mrkdwn.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';

interface LogLine { level: number; msg: string; job_id?: string; slack_error?: string }

const WARN = 40;
let sandbox: Sandbox;
let worker: WorkerRole;
const lines: LogLine[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  // a short client timeout: a run waits for another run's answer at most this plus a margin
  const config = loadConfig(testEnv({ sandbox, env: { SLACK_REQUEST_TIMEOUT_MS: '1000', LOG_LEVEL: 'info' } }));
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk)) as LogLine); cb(); } });
  worker = startWorkerRole(config, createLogger({ log: { level: 'info' } }, stream));
});

afterAll(async () => {
  await worker.stop(2_000);
  await sandbox.stop();
});

const outbox = () => worker.deps.outbox;
const postsIn = (channel: string) => sandbox.messages.filter((m) => m.channel === channel);
const callsIn = (method: string, channel: string) => sandbox.callsOf(method).filter((c) => c.args.channel === channel);

describe('a post whose answer Slack never gave back', () => {
  it('is found in the channel by its metadata and recorded, not posted again', async () => {
    sandbox.loseAnswers('chat.postMessage', 1);
    const jobId = await outbox().post({ channel: 'C0LOST', text: md`posted once`, ts_key: 'lost-1' });
    const ts = await waitFor(() => outbox().postedTs('lost-1'), { what: 'the post recorded', timeoutMs: 20_000 });

    expect(postsIn('C0LOST').map((m) => m.text)).toEqual(['posted once']);
    expect(ts).toBe(postsIn('C0LOST')[0]?.ts);
    expect(postsIn('C0LOST')[0]?.metadata).toEqual({ event_type: POST_METADATA_TYPE, event_payload: { post: `${worker.deps.keyPrefix}${jobId}` } });
    expect(callsIn('chat.postMessage', 'C0LOST')).toHaveLength(1);
    expect(callsIn('conversations.history', 'C0LOST').length).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.job_id === jobId && l.msg.includes('found the message in Slack'))).toBe(true);
    // done with: no attempt mark left behind
    expect(await worker.deps.redis.exists(outboxKeys(worker.deps.keyPrefix).attempt(jobId))).toBe(0);
  });

  it('a thread reply is looked for in its thread (conversations.replies)', async () => {
    await outbox().post({ channel: 'C0LOSTT', text: md`parent`, ts_key: 'lost-parent' });
    const parent = await waitFor(() => outbox().postedTs('lost-parent'), { what: 'the parent' });
    sandbox.loseAnswers('chat.postMessage', 1);
    const jobId = await outbox().post({ channel: 'C0LOSTT', text: md`reply once`, thread_ts_key: 'lost-parent', ts_key: 'lost-reply' });
    await waitFor(() => outbox().postedTs('lost-reply'), { what: 'the reply recorded', timeoutMs: 20_000 });

    expect(postsIn('C0LOSTT').filter((m) => m.thread_ts === parent).map((m) => m.text)).toEqual(['reply once']);
    expect(callsIn('conversations.replies', 'C0LOSTT').map((c) => c.args.ts)).toContain(parent);
    expect(lines.some((l) => l.job_id === jobId && l.msg.includes('found the message in Slack'))).toBe(true);
  });

  it('a post refused as too large, sent again shrunk, whose answer is lost: found too, not posted a third time', async () => {
    const limit = sandbox.maxTextChars;
    sandbox.maxTextChars = 4_500;
    try {
      sandbox.loseAnswers('chat.postMessage', 1);
      await outbox().post({ channel: 'C0SHRUNK', text: md`${escapeText('x'.repeat(5_000))}`, ts_key: 'shrunk-1' });
      await waitFor(() => outbox().postedTs('shrunk-1'), { what: 'the post recorded', timeoutMs: 20_000 });
      expect(postsIn('C0SHRUNK')).toHaveLength(1);
      // refused, then stored with its answer lost; the next run looked instead of posting
      expect(callsIn('chat.postMessage', 'C0SHRUNK')).toHaveLength(2);
      expect(callsIn('conversations.history', 'C0SHRUNK').length).toBeGreaterThanOrEqual(1);
    } finally {
      sandbox.maxTextChars = limit;
    }
  });

  it('a look-up Slack rate-limits is made again after Retry-After, not given up for a second post', async () => {
    sandbox.loseAnswers('chat.postMessage', 1);
    sandbox.rateLimit('conversations.history', 1, 1);
    const jobId = await outbox().post({ channel: 'C0LOOK429', text: md`looked for twice`, ts_key: 'look429-1' });
    await waitFor(() => outbox().postedTs('look429-1'), { what: 'the post recorded', timeoutMs: 20_000 });
    expect(postsIn('C0LOOK429')).toHaveLength(1);
    expect(callsIn('conversations.history', 'C0LOOK429')).toHaveLength(2);
    expect(lines.some((l) => l.job_id === jobId && l.level === WARN)).toBe(false);
  });

  it('without the history scopes it posts again and warns that the message may show twice', async () => {
    sandbox.grantedScopes.delete('channels:history');
    try {
      sandbox.loseAnswers('chat.postMessage', 1);
      const jobId = await outbox().post({ channel: 'C0NOSCOPE', text: md`maybe twice`, ts_key: 'noscope-1' });
      await waitFor(() => outbox().postedTs('noscope-1'), { what: 'the post recorded', timeoutMs: 20_000 });

      expect(postsIn('C0NOSCOPE').map((m) => m.text)).toEqual(['maybe twice', 'maybe twice']);
      const warned = lines.find((l) => l.job_id === jobId && l.level === WARN);
      expect(warned?.slack_error).toBe('missing_scope');
      expect(warned?.msg).toContain('it may show twice');
    } finally {
      sandbox.grantedScopes.add('channels:history');
    }
  });

  it('a refusal Slack answered leaves nothing to look for: the retry posts without reading the channel', async () => {
    sandbox.rateLimit('chat.postMessage', 1, 1);
    await outbox().post({ channel: 'C0ANSWERED', text: md`after a 429`, ts_key: 'answered-1' });
    await waitFor(() => outbox().postedTs('answered-1'), { what: 'the post recorded' });
    expect(postsIn('C0ANSWERED')).toHaveLength(1);
    expect(callsIn('chat.postMessage', 'C0ANSWERED')).toHaveLength(2);
    expect(callsIn('conversations.history', 'C0ANSWERED')).toHaveLength(0);
  });

  it('a run that finds another run\'s fresh attempt waits for it, and takes its answer instead of posting beside it', async () => {
    const keys = outboxKeys(worker.deps.keyPrefix);
    const jobId = 'post-once-concurrent';
    // another live run (a stalled job's first worker) sent the message a moment ago and is waiting for Slack's answer
    await worker.deps.redis.hset(keys.attempt(jobId), 'claim', String(Date.now()), 'sent', String(Date.now()));
    await outbox().post({ channel: 'C0CONCUR', text: md`one of two runs` }, jobId);
    const job = await worker.deps.queues.get('notify').getJob(jobId);
    await waitFor(async () => (await job?.getState()) === 'delayed', { what: 'this run to wait for the other' });
    // the other run gets its answer and records it
    await worker.deps.redis.set(keys.sent(jobId), '1700000000.000001', 'EX', 60);
    const result: unknown = await waitFor(async () => (await worker.deps.queues.get('notify').getJob(jobId))?.returnvalue ?? undefined, { what: 'the job done', timeoutMs: 20_000 });
    expect(result).toMatchObject({ status: 'skipped', reason: 'already_sent' });
    expect(callsIn('chat.postMessage', 'C0CONCUR')).toHaveLength(0);
  });
});
