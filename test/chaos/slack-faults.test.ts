/**
 * Chaos (d): Slack (the sandbox) rate-limiting every channel (429 `ratelimited` with Retry-After, one post
 * per second per channel) during a whole storm, and answering HTTP 503 to every call for a while in the
 * middle of it, until posts have spent all their attempts on the outage. One bot process and two worker processes. The posts are late, never lost and never
 * doubled: afterwards every incident has exactly one thread, no notify job failed for good, and every
 * accepted alert is in its incident.
 * Bounded in `make test`; `CHAOS_SCALE=full` (`make chaos`) sends more and keeps Slack down longer.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { waitFor } from '../support/poll.js';
import { reportCounts, scaled } from './counts.js';
import { logTails } from './processes.js';
import { runStorm, settleAndCount, startStormSystem, type StormSystem } from './storm.js';

const ALERTS = scaled(600, 4_000);
const INCIDENTS = scaled(6, 12);
/** Slack answers 503 until this many calls were refused that way. */
/** A failing post's attempts and back-off: short in the bounded form, the product's defaults in the full one. */
const ATTEMPTS = scaled(3, 5);
const BACKOFF_MS = scaled(500, 1_000);

let sandbox: Sandbox;
let system: StormSystem | undefined;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  sandbox.channelRate = { messages: 1, windowMs: 1_000, retryAfterS: 1 };
  // the bot's own pacing above Slack's, so the sandbox's 429 + Retry-After is what paces the posts
  system = await startStormSystem({ redisUrl: inject('redisUrl'), sandbox, bots: 1, workers: 2, incidents: INCIDENTS, env: {
    SLACK_CHANNEL_RATE_PER_S: '5', SLACK_CHANNEL_BURST: '5', ALERT_COALESCE_MS: '300',
    JOB_ATTEMPTS: String(ATTEMPTS), JOB_BACKOFF_MS: String(BACKOFF_MS),
  } });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await sandbox?.stop();
});

describe('chaos: Slack answering 429 and 5xx', () => {
  it('posts are late, not lost, not doubled', async () => {
    const sys = system!;
    let outageMs = 0;
    let outlasted = 0;
    const notify = new Queue('notify', { connection: sys.redis, prefix: sys.prefix });
    /** Notify jobs whose last attempt is spent or next (their attempts all used on the outage). */
    const spent = async (): Promise<number> => (await notify.getJobs(['delayed', 'waiting', 'prioritized', 'active'])).filter((j) => j.attemptsMade >= ATTEMPTS - 1).length;
    const refused = (): number => sandbox.refusals.filter((r) => r.error === 'http_503').length;
    const result = await runStorm(sys, {
      alerts: ALERTS, incidents: INCIDENTS,
      events: [{
        at: 0.3, what: 'Slack answers 503',
        async run() {
          const t0 = Date.now();
          sandbox.serverError = 503;
          // the outage lasts until posts have spent their attempts on it and been refused once more (the
          // point where they used to fail for good), bounded
          await waitFor(async () => (await spent()) >= 1, { timeoutMs: 60_000, intervalMs: 200, what: 'posts that spent their attempts' }).catch(() => undefined);
          const mark = refused();
          await waitFor(() => refused() - mark >= 2 * INCIDENTS, { timeoutMs: 60_000, what: 'their last attempts refused' }).catch(() => undefined);
          outlasted = await spent();
          sandbox.serverError = undefined;
          outageMs = Date.now() - t0;
        },
      }],
    }).finally(() => notify.close());
    const counts = await settleAndCount(sys, result, { incidents: INCIDENTS, timeoutMs: scaled(90_000, 240_000) });
    const rateLimited = sandbox.refusals.filter((r) => r.error === 'ratelimited').length;
    const unavailable = sandbox.refusals.filter((r) => r.error === 'http_503').length;
    reportCounts('Slack 429 + 5xx', {
      alerts: counts.alerts, posts: counts.posts,
      notes: { '429 answers': rateLimited, '503 answers': unavailable, 'outage ms': outageMs, 'posts that outlasted their attempts': outlasted, 'notify jobs failed': counts.notifyFailed, incidents: counts.incidents, 'identical replies': counts.identicalReplies, 'drained s': counts.drainedS.toFixed(1) },
    });
    const diag = logTails([...sys.bots, ...sys.workers]);
    expect(outlasted, 'posts outlasted their attempts (handlers/notify.ts)').toBeGreaterThan(0);
    expect(rateLimited, 'the rate limit was hit').toBeGreaterThan(0);
    expect(counts.alerts.lost, diag).toBe(0);
    expect(counts.incidents).toBe(INCIDENTS);
    expect(counts.posts.made, diag).toBe(INCIDENTS);
    expect(counts.posts.duplicated).toBe(0);
    expect(counts.notifyFailed, diag).toBe(0);
  }, 300_000);
});
