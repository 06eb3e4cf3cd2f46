/**
 * Chaos on Redis Cluster (issue 18, part 3): three masters and three replicas started by the test from
 * Debian's `redis-server` (test/support/redis-cluster.ts); one bot process (with its intake) and two worker
 * processes given only `REDIS_CLUSTER_NODES`. An alert storm goes through the intake while recovery plans
 * are proposed and approved through the bot (the real demo fleet as the runtime), and a third of the way
 * through, the master serving the project's slot (`{hash tag}` of QUEUE_PREFIX) is failed over to its
 * replica (`CLUSTER FAILOVER`). Afterwards: every accepted alert is in its incident, one thread per incident,
 * every approved plan ran its action once on the bridge with one outcome in its thread — and every key the
 * processes wrote (queues, incidents, plans, audit, outbox, rate limits, the monitor's state), on every
 * master, carries the prefix's hash tag (one slot: Cluster-safe).
 * Bounded in `make test` (1,000 alerts); `CHAOS_SCALE=full` (`make chaos`) sends 10,000.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { fleetAvailable, startTestFleet, type LocalFleet } from '../support/fleet.js';
import { startRedisCluster, type LocalRedisCluster } from '../support/redis-cluster.js';
import { reportCounts, scaled } from './counts.js';
import { logTails } from './processes.js';
import { approvalEnv, countsWithPlans, expectEachPlanRanOnce, expectNothingLost, stormApprovals } from './scenario.js';
import { explainMissingRoots, runStorm, settleAndCount, startStormSystem, type StormSystem } from './storm.js';

const ALERTS = scaled(1_000, 10_000);
const INCIDENTS = scaled(10, 20);
const PLAN_AGENTS = ['ToolAgent', 'ChatAgent'] as const;

let cluster: LocalRedisCluster | undefined;
let sandbox: Sandbox;
let fleet: LocalFleet;
let system: StormSystem | undefined;

beforeAll(async () => {
  [cluster, sandbox, fleet] = await Promise.all([
    startRedisCluster({ masters: 3, replicasPerMaster: 1 }), startTestSandbox(), startTestFleet({ rate: 5, name: 'cluster-fleet' }),
  ]);
  system = await startStormSystem({
    redisUrl: cluster.url, redisEnv: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') }, sandbox, bots: 1, workers: 2, incidents: INCIDENTS,
    env: {
      ...approvalEnv(fleet),
      // the monitor's polls (job schedulers, per-runtime state) write to the Cluster too
      MONITOR_ENABLED: 'true', MONITOR_INTERVAL_S: '1',
    },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await Promise.all([fleet?.stop(), sandbox?.stop()]);
  await cluster?.stop();
});

/** Every key on every master of the cluster (SCAN runs per node: a Cluster has no global keyspace). */
async function keysOnMasters(c: LocalRedisCluster): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const address of await c.masters()) {
    const conn = new Redis({ host: '127.0.0.1', port: c.node(address).port, lazyConnect: true });
    try {
      await conn.connect();
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await conn.scan(cursor, 'COUNT', 1_000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      out.set(address, keys);
    } finally {
      conn.disconnect();
    }
  }
  return out;
}

describe.runIf(fleetAvailable())('chaos: Redis Cluster, the storm and approvals through a master failover', () => {
  it('nothing accepted is lost, one thread per incident, every approval runs once; every key in the prefix\'s slot', async () => {
    const sys = system!;
    const c = cluster!;
    // plans proposed and approved through the one bot while the storm runs
    const approvals = stormApprovals(sys, fleet, PLAN_AGENTS, 'C0CLUSTER');
    const failedOver: string[] = [];
    const result = await runStorm(sys, {
      alerts: ALERTS, incidents: INCIDENTS,
      events: [
        approvals.event,
        {
          at: 0.33, what: 'failover of the prefix\'s master',
          async run() {
            const master = await c.masterOf(sys.prefix);
            const replica = await c.replicaOf(master);
            await c.failover(replica);
            failedOver.push(`${master} -> ${replica}`);
          },
        },
      ],
    });
    const counts = await settleAndCount(sys, result, { incidents: INCIDENTS, timeoutMs: scaled(90_000, 300_000) });
    const outcomes = await approvals.outcomes();

    // Cluster-safety: all keys (BullMQ's and the project's) in the slot of the prefix's hash tag, on one master
    const byMaster = await keysOnMasters(c);
    const tag = sys.prefix.slice(0, sys.prefix.indexOf('}') + 1);
    const allKeys = [...byMaster.values()].flat();
    const outside = allKeys.filter((k) => !k.startsWith(tag));
    const mastersWithKeys = [...byMaster.entries()].filter(([, keys]) => keys.length > 0).map(([a]) => a);

    reportCounts('Redis Cluster: storm + approvals, master failover mid-storm', {
      alerts: counts.alerts,
      ...countsWithPlans(counts.posts, approvals, outcomes),
      notes: {
        failover: failedOver.join(', '), 'requests resent': result.resent, 'gave up': result.gaveUp, incidents: counts.incidents,
        misplaced: counts.misplaced, 'keys': allKeys.length, 'keys outside the slot': outside.length,
        'storm s': result.stormS.toFixed(1), 'drained s': counts.drainedS.toFixed(1),
      },
    });
    const diag = `${await explainMissingRoots(sys)}\n${logTails([...sys.bots, ...sys.workers])}`;
    expect(failedOver, 'the failover happened during the storm').toHaveLength(1);
    expectNothingLost(result, counts, { alerts: ALERTS, incidents: INCIDENTS, diag });
    expect(counts.notifyFailed, diag).toBe(0);
    expectEachPlanRanOnce(approvals, outcomes, diag);
    expect(allKeys.length).toBeGreaterThan(0);
    expect(allKeys.filter((k) => k.includes(':monitor:')).length, 'the monitor polled on the Cluster').toBeGreaterThan(0);
    expect(outside.slice(0, 20)).toEqual([]);
    expect(mastersWithKeys).toEqual([await c.masterOf(sys.prefix)]);
  }, 420_000);
});
