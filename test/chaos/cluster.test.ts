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
import { readAudit } from '../../src/audit/stream.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { fleetAvailable, startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { startRedisCluster, type LocalRedisCluster } from '../support/redis-cluster.js';
import { ALICE, BOB, ONCALL, bridgeGet, fastRunbooks, planIdOf, waitForPlan } from '../support/response-bot.js';
import { reportCounts, scaled } from './counts.js';
import { logTails } from './processes.js';
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
      AUTOGEN_RUNTIMES: `demo=${fleet.url}`, AUTOGEN_RUNTIME_DEMO_TOKEN: fleet.token,
      RUNBOOKS_DIR: fastRunbooks({ ttlS: 120, settleS: 1 }),
      APPROVAL_GROUPS: `S0AUTOGENSRE=${ALICE},${BOB};${ONCALL}=U0CAROL`,
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
    const plans: { agent: string; channel: string; ts: string; planId: string }[] = [];
    const approvalErrors: unknown[] = [];
    const approve = async (): Promise<void> => {
      await Promise.all(PLAN_AGENTS.map(async (agent, i) => {
        const channel = `C0CLUSTER${i}`;
        const ack = await sandbox.sendCommand(sys.eventsUrls[0]!, { text: `recover ${agent} message-timeout`, channel, user: ALICE });
        expect(ack.status).toBe(200);
        const plan = await waitForPlan(sandbox, channel, 0, 60_000);
        const click = await sandbox.clickButton(sys.eventsUrls[0]!, plan, 'plan:approve', ALICE);
        expect(click.status).toBe(200);
        plans.push({ agent, channel, ts: plan.ts, planId: planIdOf(plan) });
      })).catch((err: unknown) => { approvalErrors.push(err); });
    };
    const failedOver: string[] = [];
    const result = await runStorm(sys, {
      alerts: ALERTS, incidents: INCIDENTS,
      events: [
        { at: 0.05, what: 'plans proposed and approved', run: approve },
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

    const audit = async (planId: string) => readAudit(sys.redis, `${sys.prefix}:`, { subject: planId });
    await waitFor(async () => {
      for (const p of plans) if (!(await audit(p.planId)).some((e) => e.type === 'verify.passed' || e.type === 'verify.failed')) return false;
      return true;
    }, { timeoutMs: 60_000, intervalMs: 300, what: 'every approved plan verified' }).catch(() => undefined);
    const { actions } = await bridgeGet<{ actions: { action_id: string; target: string }[] }>(fleet, '/v1/actions');
    let executed = 0;
    let executedTwice = 0;
    let outcomes = 0;
    let outcomesDuplicated = 0;
    for (const p of plans) {
      const onBridge = actions.filter((a) => a.target === p.agent).length;
      executed += Math.min(onBridge, 1);
      executedTwice += Math.max(0, onBridge - 1);
      const replies = sandbox.messages.filter((m) => m.channel === p.channel && m.thread_ts === p.ts && !m.text.includes('was lost; resuming'));
      outcomes += Math.min(replies.length, 1);
      outcomesDuplicated += Math.max(0, replies.length - 1);
    }
    const planPosts = PLAN_AGENTS.map((_, i) => sandbox.messages.filter((m) => m.channel === `C0CLUSTER${i}` && m.thread_ts === undefined).length);

    // Cluster-safety: all keys (BullMQ's and the project's) in the slot of the prefix's hash tag, on one master
    const byMaster = await keysOnMasters(c);
    const tag = sys.prefix.slice(0, sys.prefix.indexOf('}') + 1);
    const allKeys = [...byMaster.values()].flat();
    const outside = allKeys.filter((k) => !k.startsWith(tag));
    const mastersWithKeys = [...byMaster.entries()].filter(([, keys]) => keys.length > 0).map(([a]) => a);

    reportCounts('Redis Cluster: storm + approvals, master failover mid-storm', {
      alerts: counts.alerts,
      posts: {
        expected: INCIDENTS + 2 * PLAN_AGENTS.length,
        made: counts.posts.made + planPosts.reduce((s, n) => s + n, 0) + outcomes + outcomesDuplicated,
        duplicated: counts.posts.duplicated + planPosts.reduce((s, n) => s + Math.max(0, n - 1), 0) + outcomesDuplicated,
      },
      actions: { approved: plans.length, executed, executedTwice },
      notes: {
        failover: failedOver.join(', '), 'requests resent': result.resent, 'gave up': result.gaveUp, incidents: counts.incidents,
        misplaced: counts.misplaced, 'keys': allKeys.length, 'keys outside the slot': outside.length,
        'storm s': result.stormS.toFixed(1), 'drained s': counts.drainedS.toFixed(1),
      },
    });
    const diag = `${await explainMissingRoots(sys)}\n${logTails([...sys.bots, ...sys.workers])}`;
    expect(approvalErrors).toEqual([]);
    expect(failedOver, 'the failover happened during the storm').toHaveLength(1);
    expect(result.gaveUp).toBe(0);
    expect(counts.alerts.accepted).toBe(ALERTS);
    expect(counts.alerts.lost, diag).toBe(0);
    expect(counts.misplaced).toBe(0);
    expect(counts.incidents).toBe(INCIDENTS);
    expect(counts.posts.made, diag).toBe(INCIDENTS);
    expect(counts.posts.duplicated).toBe(0);
    expect(counts.notifyFailed, diag).toBe(0);
    expect(plans).toHaveLength(PLAN_AGENTS.length);
    expect(planPosts).toEqual(PLAN_AGENTS.map(() => 1));
    expect(executed, diag).toBe(PLAN_AGENTS.length);
    expect(executedTwice).toBe(0);
    expect(outcomes).toBe(PLAN_AGENTS.length);
    expect(outcomesDuplicated).toBe(0);
    expect(allKeys.length).toBeGreaterThan(0);
    expect(allKeys.filter((k) => k.includes(':monitor:')).length, 'the monitor polled on the Cluster').toBeGreaterThan(0);
    expect(outside.slice(0, 20)).toEqual([]);
    expect(mastersWithKeys).toEqual([await c.masterOf(sys.prefix)]);
  }, 420_000);
});
