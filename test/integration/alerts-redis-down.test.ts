/**
 * Redis goes away under the intake: the sender gets 503 + Retry-After (so it retries and nothing is
 * lost); once Redis is back, the resent notification — twice, as Alertmanager's retries do — is processed
 * exactly once: one incident, one thread.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedis } from '../../src/local/redis.js';
import { amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';

let redis: LocalRedis;
let h: AlertHarness;

beforeAll(async () => {
  redis = await startLocalRedis();
  h = await startAlertHarness({ workers: 1, env: { REDIS_URL: redis.url, ALERT_ROUTES: 'team=down -> C0DOWN' } });
}, 60_000);

afterAll(async () => {
  await h?.stop();
  await redis?.stop();
});

describe('intake with Redis down', () => {
  it('503 + Retry-After while down; once back, a resend is processed once', async () => {
    const body = JSON.stringify(amNotification([{
      status: 'firing', fingerprint: 'down-1', startsAt: new Date(Date.now() - 10_000).toISOString(),
      labels: { alertname: 'AutoGenRuntimeQueueBacklog', runtime: 'prod', team: 'down', severity: 'warning' },
      annotations: { summary: 'queue backlog 385 messages > 10' },
    }]));
    const port = redis.port;
    await redis.stop();

    const down = await h.postAlertmanager(body);
    expect(down.status).toBe(503);
    expect((down.json as { error: { code: string } }).error.code).toBe('QUEUE_UNAVAILABLE');

    redis = await startLocalRedis({ port });
    await waitFor(async () => (await fetch(`${h.intake.intake.url}/healthz`)).status === 200, { what: 'intake sees Redis again', timeoutMs: 20_000 });
    expect((await h.postAlertmanager(body)).status).toBe(202);
    expect((await h.postAlertmanager(body)).status).toBe(202);

    const root = await waitFor(() => h.roots('C0DOWN')[0], { what: 'the incident thread', timeoutMs: 30_000 });
    const q = new Queue('alert', { connection: h.redis, prefix: h.bot.config.queues.prefix });
    try {
      await waitFor(async () => (await q.getJobs(['completed'])).some((j) => (j.data as { kind: string }).kind === 'alerts'), { what: 'alert job done' });
      const alertJobs = (await q.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed'])).filter((j) => (j.data as { kind: string }).kind === 'alerts');
      expect(alertJobs).toHaveLength(1);
    } finally {
      await q.close();
    }
    const [incident] = await h.store.listActive();
    expect(incident).toMatchObject({ alertsTotal: 1, alertsFiring: 1, channel: 'C0DOWN' });
    expect(h.roots('C0DOWN')).toEqual([root]);
  }, 90_000);
});
