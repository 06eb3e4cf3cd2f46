/**
 * Chaos (a): Redis restarted in the middle of an alert storm. One bot process (with its intake) and two
 * worker processes on a Redis of the test's own (AOF, `appendfsync always`, as docs/operations.md asks of
 * production); a third of the way through the storm Redis is stopped by its PID (SIGTERM) and kept down
 * until the senders have been refused a few times, then started again on the same port and folder. The
 * senders resend what was refused (503 + Retry-After), the processes reconnect, and afterwards every
 * accepted alert is in its incident and every incident has exactly one thread.
 * Bounded in `make test`; `CHAOS_SCALE=full` (`make chaos`) sends 10,000 alerts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedis } from '../../src/local/redis.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { waitFor } from '../support/poll.js';
import { reportCounts, scaled } from './counts.js';
import { logTails } from './processes.js';
import { expectNothingLost } from './scenario.js';
import { explainMissingRoots, runStorm, settleAndCount, startStormSystem, type StormSystem } from './storm.js';

const ALERTS = scaled(1_000, 10_000);
const INCIDENTS = scaled(10, 20);
/** Redis stays down until the senders were refused this many times (then it is started again). */
const REFUSALS_WHILE_DOWN = scaled(30, 60);

let dir: string;
let redis: LocalRedis;
let sandbox: Sandbox;
let system: StormSystem | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'chaos-redis-'));
  redis = await startLocalRedis({ persistDir: dir });
  sandbox = await startTestSandbox();
  system = await startStormSystem({ redisUrl: redis.url, sandbox, bots: 1, workers: 2, incidents: INCIDENTS });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await sandbox?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('chaos: Redis restarted mid-storm', () => {
  it('nothing accepted is lost, no thread is posted twice', async () => {
    const sys = system!;
    let downMs = 0;
    const result = await runStorm(sys, {
      alerts: ALERTS, incidents: INCIDENTS,
      events: [{
        at: 0.33, what: 'Redis restart',
        async run(progress) {
          const port = redis.port;
          const t0 = Date.now();
          await redis.stop();
          const refusedBefore = progress.resent;
          await waitFor(() => progress.resent - refusedBefore >= REFUSALS_WHILE_DOWN || progress.sent >= ALERTS, { timeoutMs: 30_000, what: 'senders refused while Redis is down' }).catch(() => undefined);
          redis = await startLocalRedis({ port, persistDir: dir });
          downMs = Date.now() - t0;
        },
      }],
    });
    const counts = await settleAndCount(sys, result, { incidents: INCIDENTS, timeoutMs: scaled(90_000, 240_000) });
    reportCounts('redis restart mid-storm', {
      alerts: counts.alerts, posts: counts.posts,
      notes: { 'notify jobs failed': counts.notifyFailed, 'redis down ms': downMs, 'requests resent': result.resent, 'gave up': result.gaveUp, incidents: counts.incidents, misplaced: counts.misplaced, 'identical replies': counts.identicalReplies, 'drained s': counts.drainedS.toFixed(1) },
    });
    const diag = `${await explainMissingRoots(sys)}\n${logTails([...sys.bots, ...sys.workers])}`;
    expect(result.resent, 'the restart was seen by the senders').toBeGreaterThan(0);
    expectNothingLost(result, counts, { alerts: ALERTS, incidents: INCIDENTS, diag });
    expect(counts.notifyFailed, diag).toBe(0);
  }, 300_000);
});
