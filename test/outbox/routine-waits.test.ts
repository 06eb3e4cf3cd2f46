/**
 * Routine waits are not failures in the logs: a notify job put back by the per-channel rate or by Slack's
 * 429 is a debug line without a stack, a transient failure that will be retried an info line without a
 * stack; real failures (permanent, unexpected, the last attempt) stay warnings with the error. The pino
 * output of a real worker (real Redis, the Slack sandbox) is captured and read back.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { OpsError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { Queues, startWorkers } from '../../src/queues/index.js';
import { startWorkerRole, type WorkerRole } from '../../src/roles/worker.js';
import { testEnv, uniquePrefix } from '../support/bot.js';
import { waitFor } from '../support/poll.js';
import { md } from '../../src/slack/blocks/mrkdwn.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';

interface LogLine { level: number; msg: string; err?: { stack?: string }; code?: string; reason?: string; queue?: string }

function captureLogger(level: 'debug' | 'info' = 'debug') {
  const lines: LogLine[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk)) as LogLine); cb(); } });
  return { lines, logger: createLogger({ log: { level } }, stream) };
}

const WARN = 40;

describe('notify jobs waiting for their turn', () => {
  let sandbox: Sandbox;
  let worker: WorkerRole;
  const log = captureLogger();

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    // one message per second per channel, no burst: the second post to a channel must wait for its slot
    const config = loadConfig(testEnv({ sandbox, env: { SLACK_CHANNEL_RATE_PER_S: '2', SLACK_CHANNEL_BURST: '1', LOG_LEVEL: 'debug' } }));
    worker = startWorkerRole(config, log.logger);
  });

  afterAll(async () => {
    await worker.stop(2_000);
    await sandbox.stop();
  });

  it('rate-limit deferrals and a 429 with Retry-After are debug lines without a stack, not warnings', async () => {
    sandbox.rateLimit('chat.postMessage', 1, 1);
    for (let i = 1; i <= 4; i += 1) await worker.deps.outbox.post({ channel: 'C0WAITS', text: md`message ${i}` });
    await waitFor(() => sandbox.messages.filter((m) => m.channel === 'C0WAITS').length === 4, { what: 'all four posts delivered', timeoutMs: 20_000 });

    const deferred = log.lines.filter((l) => l.msg === 'job deferred');
    // the 429 and at least two rate-limit waits (four posts at 2/s without burst)
    expect(deferred.length).toBeGreaterThanOrEqual(3);
    expect(deferred.every((l) => l.level === 20 && l.err === undefined && l.queue === 'notify')).toBe(true);
    expect(log.lines.filter((l) => l.level >= WARN)).toEqual([]);
    expect(JSON.stringify(log.lines)).not.toContain('"stack"');
  });

  it('a real failure of a notify job is still a warning with its error', async () => {
    await worker.deps.queues.add('notify', { kind: 'post', channel: 'C0ORPHAN', text: 'reply', thread_ts_key: 'never-posted', priority: 'normal', unfurl: false }, { timestamp: Date.now() - 2 * 3_600_000 });
    const failed = await waitFor(() => log.lines.find((l) => l.msg === 'job failed permanently' && l.code === 'SLACK_PARENT_MISSING'), { what: 'the permanent failure logged', timeoutMs: 10_000 });
    expect(failed.level).toBe(WARN);
    expect(failed.err?.stack).toMatch(/^OpsError: The Slack message to reply to[^\n]*\n\s+at /);
  });
});

describe('retries in the logs', () => {
  const base = { runtime: 'prod', channel: 'C1', source: 'slash', requested_at: '2026-01-01T00:00:00.000Z' } as const;

  it('a transient failure that will be retried is an info line without a stack; an unexpected error and the last attempt are warnings', async () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const prefix = uniquePrefix();
    const queues = new Queues(redis, prefix, { attempts: 2, backoffMs: 10 });
    const log = captureLogger('info');
    const done: string[] = [];
    const workers = startWorkers({
      diagnose: async (payload, job) => {
        if (payload.agent === 'Flaky' && job.attemptsMade === 0) throw new OpsError('RUNTIME_UNREACHABLE', { reason: 'connect ECONNREFUSED' });
        if (payload.agent === 'Down') throw new OpsError('RUNTIME_UNREACHABLE', { reason: 'connect ECONNREFUSED' });
        if (payload.agent === 'Buggy') throw new TypeError('cannot read properties of undefined');
        done.push(payload.agent);
        return { ok: true };
      },
    }, { connection: redis, prefix, concurrency: 2, logger: log.logger });
    try {
      for (const agent of ['Flaky', 'Down', 'Buggy']) await queues.add('diagnose', { ...base, agent });
      await waitFor(() => done.includes('Flaky') && log.lines.filter((l) => l.msg.startsWith('job failed')).length >= 3, { what: 'all attempts logged', timeoutMs: 10_000 });

      const retried = log.lines.filter((l) => l.msg === 'job will be retried after a transient failure');
      expect(retried).toHaveLength(2); // Flaky's and Down's first attempts
      expect(retried.every((l) => l.level === 30 && l.code === 'RUNTIME_UNREACHABLE' && l.err === undefined)).toBe(true);
      const warnings = log.lines.filter((l) => l.level >= WARN);
      expect(warnings.map((l) => l.msg).sort()).toEqual(['job failed; no attempts left', 'job failed; no attempts left', 'job failed; will retry']);
      expect(warnings.every((l) => typeof l.err?.stack === 'string')).toBe(true);
    } finally {
      await workers.close(2_000);
      await queues.close();
      redis.disconnect();
    }
  });
});
