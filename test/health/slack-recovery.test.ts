/**
 * Slack through the outbox's delivery: a post failing because Slack is unavailable starts an outage in the
 * worker's log (one warning), the next post that goes through ends it ("slack reachable again").
 */
import { Writable } from 'node:stream';
import { DelayedError, type Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { createNotifyProcessor, SLACK_OUTAGE_MAX_MS, SLACK_OUTAGE_RETRY_MS } from '../../handlers/notify.js';
import type { WorkerDeps } from '../../handlers/index.js';
import { createLogger } from '../../src/log.js';
import { ChannelRate } from '../../src/outbox/index.js';
import { useTestRedis } from '../support/redis.js';

describe('notify: Slack coming back is logged', () => {
  const { redis, prefix } = useTestRedis();

  it('one "slack unreachable" warning for failed posts, one "slack reachable again" on the first post that goes through', async () => {
    const lines: { level: number; msg: string; event?: string; down_ms?: number; failures?: number }[] = [];
    const out = new Writable({ write(c: Buffer, _e, done) { for (const l of c.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as never); done(); } });
    const logger = createLogger({ log: { level: 'info' } }, out);
    let failing = 2;
    const slack = {
      chat: {
        postMessage: async () => {
          if (failing-- > 0) throw Object.assign(new Error('An API error occurred: service_unavailable'), { code: 'slack_webapi_platform_error', data: { ok: false, error: 'service_unavailable' } });
          return { ok: true, ts: '1700000000.000100', channel: 'C0SLACK' };
        },
      },
    };
    const deps = {
      logger, redis, keyPrefix: prefix, slack, now: () => new Date(), config: { slack: { requestTimeoutMs: 10_000 } },
      rate: new ChannelRate(redis, prefix, { ratePerS: 50, burst: 20 }),
    } as unknown as WorkerDeps;
    const notify = createNotifyProcessor(deps);
    const job = (id: string) => ({ id, timestamp: Date.now(), opts: { attempts: 5 }, attemptsMade: 0 }) as unknown as Job;
    const post = { kind: 'post' as const, channel: 'C0SLACK', text: 'hello', priority: 'normal' as const, unfurl: false };
    await expect(notify(post, job('n1'))).rejects.toMatchObject({ code: 'SLACK_UNAVAILABLE' });
    await expect(notify(post, job('n1'))).rejects.toMatchObject({ code: 'SLACK_UNAVAILABLE' });
    await expect(notify(post, job('n1'))).resolves.toMatchObject({ status: 'sent' });
    await expect(notify(post, job('n2'))).resolves.toMatchObject({ status: 'sent' });
    await new Promise((r) => setImmediate(r));
    expect(lines.filter((l) => l.event !== undefined).map((l) => [l.level, l.event, l.msg])).toEqual([
      [40, 'dependency_down', 'slack unreachable'],
      [30, 'dependency_up', 'slack reachable again'],
    ]);
    expect(lines.find((l) => l.event === 'dependency_up')).toMatchObject({ failures: 2 });
  });

  it('a post whose attempts an outage spent asks again later without failing; past SLACK_OUTAGE_MAX_MS it fails for good', async () => {
    const logger = createLogger({ log: { level: 'silent' } });
    const slack = { chat: { postMessage: async () => { throw Object.assign(new Error('An API error occurred: service_unavailable'), { code: 'slack_webapi_platform_error', data: { ok: false, error: 'service_unavailable' } }); } } };
    const now = new Date();
    const deps = { logger, redis, keyPrefix: prefix, slack, now: () => now, config: { slack: { requestTimeoutMs: 10_000 } }, rate: new ChannelRate(redis, prefix, { ratePerS: 50, burst: 20 }) } as unknown as WorkerDeps;
    const notify = createNotifyProcessor(deps);
    const delayedTo: number[] = [];
    const job = (id: string, ageMs: number, attemptsMade: number) => ({
      id, timestamp: now.getTime() - ageMs, opts: { attempts: 3 }, attemptsMade,
      moveToDelayed: async (at: number) => { delayedTo.push(at); },
    }) as unknown as Job;
    const post = { kind: 'post' as const, channel: 'C0OUTAGE', text: 'hello', priority: 'normal' as const, unfurl: false };
    // not the last attempt: an ordinary failure (BullMQ retries it with back-off)
    await expect(notify(post, job('o1', 1_000, 0))).rejects.toMatchObject({ code: 'SLACK_UNAVAILABLE' });
    // the last attempt: re-delayed, no attempt used, not failed
    await expect(notify(post, job('o1', 5_000, 2))).rejects.toBeInstanceOf(DelayedError);
    expect(delayedTo).toEqual([now.getTime() + SLACK_OUTAGE_RETRY_MS]);
    // a post queued longer ago than SLACK_OUTAGE_MAX_MS: fails for good
    await expect(notify(post, job('o2', SLACK_OUTAGE_MAX_MS + 1, 2))).rejects.toMatchObject({ code: 'SLACK_UNAVAILABLE' });
    expect(delayedTo).toHaveLength(1);
  });
});
