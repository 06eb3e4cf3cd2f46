/**
 * Redis Sentinel: one master, one replica and one sentinel started by the test from Debian's `redis-server`
 * (test/support/redis-sentinel.ts). A bot process and a worker process given only `REDIS_SENTINELS` and
 * `REDIS_SENTINEL_NAME` find the master through the sentinel and take an alert storm through the intake;
 * half way, the sentinel fails the master over to the replica (`SENTINEL FAILOVER`) and the processes
 * follow it. Afterwards every accepted alert is in its incident and every incident has one thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { startRedisSentinel, type LocalRedisSentinel } from '../support/redis-sentinel.js';
import { reportCounts } from '../chaos/counts.js';
import { logTails } from '../chaos/processes.js';
import { runStorm, settleAndCount, startStormSystem, type StormSystem } from '../chaos/storm.js';

const ALERTS = 200;
const INCIDENTS = 2;

let sentinel: LocalRedisSentinel | undefined;
let sandbox: Sandbox;
let system: StormSystem | undefined;

beforeAll(async () => {
  [sentinel, sandbox] = await Promise.all([startRedisSentinel({ replicas: 1 }), startTestSandbox()]);
  system = await startStormSystem({
    redisUrl: sentinel.url, redisEnv: { REDIS_SENTINELS: sentinel.sentinels.join(','), REDIS_SENTINEL_NAME: sentinel.name },
    sandbox, bots: 1, workers: 1, incidents: INCIDENTS,
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await sandbox?.stop();
  await sentinel?.stop();
});

describe('Redis Sentinel', () => {
  it('the bot and the worker find the master through the sentinel and follow a failover mid-storm', async () => {
    const sys = system!;
    const s = sentinel!;
    const moved: string[] = [];
    const result = await runStorm(sys, {
      alerts: ALERTS, incidents: INCIDENTS, batch: 5, concurrency: 2,
      events: [{
        at: 0.5, what: 'Sentinel failover',
        async run() {
          const before = await s.master();
          moved.push(`${before} -> ${await s.failover()}`);
        },
      }],
    });
    const counts = await settleAndCount(sys, result, { incidents: INCIDENTS, timeoutMs: 60_000 });
    reportCounts('Redis Sentinel: failover mid-storm', {
      alerts: counts.alerts, posts: counts.posts,
      notes: { failover: moved.join(', '), 'requests resent': result.resent, 'gave up': result.gaveUp, 'drained s': counts.drainedS.toFixed(1) },
    });
    const diag = logTails([...sys.bots, ...sys.workers]);
    expect(moved, 'the master moved during the storm').toHaveLength(1);
    expect(result.gaveUp).toBe(0);
    expect(counts.alerts, diag).toEqual({ accepted: ALERTS, applied: ALERTS, lost: 0 });
    expect(counts.posts, diag).toEqual({ expected: INCIDENTS, made: INCIDENTS, duplicated: 0 });
    expect(counts.notifyFailed, diag).toBe(0);
  }, 120_000);
});
