/**
 * Chaos on Redis Cluster, the hard way (`make chaos` only): the master serving the project's slot is
 * SIGKILLed in the middle of an alert storm (no coordinated failover), and its replica is promoted after
 * `cluster-node-timeout` (2 s here). One bot (with its intake) and two workers given `REDIS_CLUSTER_NODES`;
 * the senders resend what the intake refused while the slot had no master. Afterwards every accepted alert
 * is in its incident and every incident has one thread; the intake's `/readyz` is polled through the outage
 * (its answers are printed) and is ready again at the end.
 * Redis replicates asynchronously, so an outright master loss could in principle drop its last
 * acknowledged writes (docs/operations.md, Topologies); on loopback the replica is current, and the
 * scenario asserts 0 lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { startRedisCluster, type LocalRedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/poll.js';
import { chaosScale, reportCounts } from './counts.js';
import { logTails } from './processes.js';
import { explainMissingRoots, runStorm, settleAndCount, startStormSystem, type StormSystem } from './storm.js';

const FULL = chaosScale() === 'full';
const ALERTS = 10_000;
const INCIDENTS = 20;

let cluster: LocalRedisCluster | undefined;
let sandbox: Sandbox | undefined;
let system: StormSystem | undefined;

beforeAll(async () => {
  if (!FULL) return;
  [cluster, sandbox] = await Promise.all([startRedisCluster({ masters: 3, replicasPerMaster: 1 }), startTestSandbox()]);
  system = await startStormSystem({
    redisUrl: cluster.url, redisEnv: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') }, sandbox, bots: 1, workers: 2, incidents: INCIDENTS,
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await sandbox?.stop();
  await cluster?.stop();
});

describe.runIf(FULL)('chaos: Redis Cluster, the slot\'s master SIGKILLed mid-storm', () => {
  it('its replica takes over; nothing accepted is lost, no thread is posted twice', async () => {
    const sys = system!;
    const c = cluster!;
    const notes: Record<string, string | number> = {};
    const readyz: number[] = [];
    const result = await runStorm(sys, {
      alerts: ALERTS, incidents: INCIDENTS,
      events: [{
        at: 0.33, what: 'SIGKILL of the prefix\'s master',
        async run() {
          const master = await c.masterOf(sys.prefix);
          const t0 = Date.now();
          await c.killNode(master);
          await waitFor(async () => {
            readyz.push(await fetch(`${sys.intakeUrls[0]}/readyz`).then((r) => r.status, () => 0));
            const now = await c.masterOf(sys.prefix).catch(() => master);
            return now !== master && now;
          }, { timeoutMs: 30_000, intervalMs: 100, what: 'a replica promoted' });
          notes.killed = master;
          notes['promoted after ms'] = Date.now() - t0;
        },
      }],
    });
    const counts = await settleAndCount(sys, result, { incidents: INCIDENTS, timeoutMs: 300_000 });
    const readyAtEnd = await fetch(`${sys.intakeUrls[0]}/readyz`).then((r) => r.status);
    reportCounts('Redis Cluster: the slot\'s master SIGKILLed mid-storm', {
      alerts: counts.alerts, posts: counts.posts,
      notes: {
        ...notes, 'readyz during the outage': `${readyz.filter((s) => s === 503).length}× 503 of ${readyz.length}`,
        'requests resent': result.resent, 'gave up': result.gaveUp, 'notify jobs failed': counts.notifyFailed, 'drained s': counts.drainedS.toFixed(1),
      },
    });
    const diag = `${await explainMissingRoots(sys)}\n${logTails([...sys.bots, ...sys.workers])}`;
    expect(notes.killed, 'the master was killed during the storm').toBeDefined();
    expect(result.gaveUp).toBe(0);
    expect(counts.alerts.accepted).toBe(ALERTS);
    expect(counts.alerts.lost, diag).toBe(0);
    expect(counts.misplaced).toBe(0);
    expect(counts.posts.made, diag).toBe(INCIDENTS);
    expect(counts.posts.duplicated).toBe(0);
    expect(counts.notifyFailed, diag).toBe(0);
    expect(readyAtEnd).toBe(200);
  }, 420_000);
});
