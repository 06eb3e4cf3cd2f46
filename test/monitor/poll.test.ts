/**
 * One monitor poll with real Redis and real HTTP against a bridge that is down: the poll raises
 * "runtime unreachable" through the alert queue once, and does not resolve what it can no longer see.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { IncidentStore } from '../../src/incidents/store.js';
import { freePort } from '../../src/local/redis.js';
import { Queues } from '../../src/queues/queues.js';
import { createBridges } from '../../src/runtime/index.js';
import { MONITOR_ALERTS } from '../../src/monitor/evaluate.js';
import { monitorKeys, pollRuntime, type MonitorContext } from '../../src/monitor/poll.js';
import { ALERTS_AHEAD_PRIORITY } from '../../src/incidents/jobs.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
});
afterAll(() => redis.disconnect());

describe('pollRuntime', () => {
  it('a bridge that is down: one unreachable alert, earlier findings carried over, not resolved', async () => {
    const deadPort = await freePort();
    const config = loadConfig({ AUTOGEN_RUNTIMES: `gone=http://127.0.0.1:${deadPort}`, AUTOGEN_RUNTIME_GONE_TOKEN: 't', ALERT_CHANNEL: 'C0X', LOG_LEVEL: 'silent', BRIDGE_TIMEOUT_MS: '500' });
    const prefix = `{t${randomUUID().slice(0, 8)}}`;
    const queues = new Queues(redis, prefix, { attempts: 1, backoffMs: 10 });
    const bridges = createBridges(config);
    const ctx: MonitorContext = {
      config, redis, keyPrefix: `${prefix}:`, queues, store: new IncidentStore(redis, { keyPrefix: `${prefix}:` }),
      logger: createLogger(config), bridgeFor: (r) => bridges.bridgeFor(r), now: () => new Date(),
    };
    try {
      // an earlier poll saw a slow agent
      const earlier = { [`${MONITOR_ALERTS.slow}/ChatAgent`]: { source: 'monitor', kind: 'monitor', fingerprint: 'f1', status: 'firing', labels: { alertname: MONITOR_ALERTS.slow, runtime: 'gone' }, annotations: {}, startsAt: new Date().toISOString(), endsAt: null, generatorURL: null, groupKey: null } };
      await redis.set(monitorKeys(`${prefix}:`, 'gone').firing, JSON.stringify(earlier));
      expect(await pollRuntime(ctx, 'gone', 'poll-1')).toMatchObject({ status: 'polled', reachable: false, raised: 1, resolved: 0 });
      expect(await pollRuntime(ctx, 'gone', 'poll-2')).toMatchObject({ status: 'polled', reachable: false, raised: 0, resolved: 0 });
      const jobs = await queues.get('alert').getJobs(['prioritized']);
      const alerts = jobs.flatMap((j) => (j.data as { alerts: { labels: Record<string, string>; status: string }[] }).alerts);
      expect(alerts.map((a) => `${a.status}:${a.labels.alertname}`)).toEqual([`firing:${MONITOR_ALERTS.unreachable}`]);
      // a transition goes ahead of any backlog of alerts from other sources
      expect(jobs.map((j) => j.priority)).toEqual([ALERTS_AHEAD_PRIORITY]);
      const firing = JSON.parse((await redis.get(monitorKeys(`${prefix}:`, 'gone').firing)) ?? '{}') as Record<string, unknown>;
      expect(Object.keys(firing).sort()).toEqual([`${MONITOR_ALERTS.slow}/ChatAgent`, MONITOR_ALERTS.unreachable].sort());
    } finally {
      await queues.close();
      await bridges.close();
    }
  });

  it('one poll of a runtime at a time', async () => {
    const config = loadConfig({ AUTOGEN_RUNTIMES: 'busy=http://127.0.0.1:9', AUTOGEN_RUNTIME_BUSY_TOKEN: 't', LOG_LEVEL: 'silent' });
    const prefix = `{t${randomUUID().slice(0, 8)}}`;
    const queues = new Queues(redis, prefix, { attempts: 1, backoffMs: 10 });
    const bridges = createBridges(config);
    try {
      await redis.set(monitorKeys(`${prefix}:`, 'busy').lock, 'someone-else', 'PX', 10_000);
      const ctx: MonitorContext = {
        config, redis, keyPrefix: `${prefix}:`, queues, store: new IncidentStore(redis, { keyPrefix: `${prefix}:` }),
        logger: createLogger(config), bridgeFor: (r) => bridges.bridgeFor(r), now: () => new Date(),
      };
      expect(await pollRuntime(ctx, 'busy', 'poll-x')).toMatchObject({ status: 'skipped' });
      expect(await redis.get(monitorKeys(`${prefix}:`, 'busy').lock)).toBe('someone-else');
    } finally {
      await queues.close();
      await bridges.close();
    }
  });
});
