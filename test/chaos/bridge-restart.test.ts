/**
 * Chaos (b): the runtime's bridge (the real demo fleet) stopped in the middle of an approved action, then
 * started again on the same port. The plan is proposed while the bridge answers; the bridge is stopped;
 * the approval's run fails to reach it and retries with back-off (JOB_ATTEMPTS / JOB_BACKOFF_MS); the
 * bridge comes back; the action runs exactly once and the thread gets one outcome.
 * The other half of (b), the bridge stopped in the middle of a diagnosis, is
 * test/integration/diagnose-retry-window.test.ts (it prints its counts as `CHAOS … bridge restart mid-diagnosis`).
 * One plan in the bounded form; `CHAOS_SCALE=full` runs three (three agents), one after another.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/stream.js';
import { fleetAvailable, startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { ALICE, bridgeGet, planIdOf, startResponseTest, waitForPlan, type ResponseTest } from '../support/response-bot.js';
import { reportCounts, scaled } from './counts.js';

const AGENTS = ['ToolAgent', 'ChatAgent', 'PlannerAgent'] as const;
const ROUNDS = scaled(1, AGENTS.length);

let rt: ResponseTest | undefined;
/** The fleet started again by the test (rt.stop() stops the first one only). */
let restarted: LocalFleet | undefined;

beforeAll(async () => {
  rt = await startResponseTest({
    fleet: { rate: 5, name: 'restarting' }, runbooks: { ttlS: 120, settleS: 1 },
    env: { BRIDGE_TIMEOUT_MS: '1000', BRIDGE_CONNECT_TIMEOUT_MS: '300', JOB_ATTEMPTS: '10', JOB_BACKOFF_MS: '500' },
  });
}, 90_000);

afterAll(async () => {
  await rt?.stop();
  await restarted?.stop();
});

describe.runIf(fleetAvailable())('chaos: the bridge stopped mid-action, then back', () => {
  it('the approved action runs once when the bridge is back, with one outcome', async () => {
    const { sandbox, bot, redis } = rt!;
    let fleet = rt!.fleet;
    const port = Number(new URL(fleet.url).port);
    const execute = new Queue('execute', { connection: bot.worker!.deps.redis, prefix: bot.config.queues.prefix });
    let approved = 0;
    let executed = 0;
    let executedTwice = 0;
    let outcomes = 0;
    let duplicatedPosts = 0;
    let failedAttempts = 0;
    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        const channel = `C0BRIDGE${round}`;
        const agent = AGENTS[round]!;
        await sandbox.sendCommand(bot.eventsUrl, { text: `recover ${agent} message-timeout`, channel, user: ALICE });
        const plan = await waitForPlan(sandbox, channel, 0, 30_000);
        await fleet.stop();
        await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
        approved += 1;
        // the run has tried and failed to reach the bridge at least once before it comes back
        const tried = await waitFor(async () => {
          const jobs = await execute.getJobs(['delayed', 'waiting', 'active']);
          return jobs.find((j) => j.attemptsMade >= 1);
        }, { timeoutMs: 30_000, what: 'a failed attempt of the execute job' });
        failedAttempts += tried.attemptsMade;
        await restarted?.stop();
        fleet = restarted = await startTestFleet({ rate: 5, name: 'restarting', port });
        const planId = planIdOf(plan);
        await waitFor(async () => (await readAudit(redis, bot.prefix, { subject: planId })).some((e) => e.type === 'verify.passed' || e.type === 'verify.failed'), { timeoutMs: 60_000, what: 'the plan verified' });
        const { actions } = await bridgeGet<{ actions: { target: string }[] }>(fleet, '/v1/actions');
        const onBridge = actions.filter((a) => a.target === agent).length;
        const audit = await readAudit(redis, bot.prefix, { subject: planId });
        const inAudit = audit.filter((e) => e.type === 'action.executed').length;
        executed += Math.min(1, onBridge);
        executedTwice += Math.max(0, onBridge - 1) + Math.max(0, inAudit - 1);
        const replies = await waitFor(() => {
          const r = sandbox.messages.filter((m) => m.channel === channel && m.thread_ts === plan.ts);
          return r.length > 0 && r;
        }, { timeoutMs: 30_000, what: 'the outcome in the thread' });
        outcomes += Math.min(1, replies.length);
        duplicatedPosts += Math.max(0, replies.length - 1) + Math.max(0, sandbox.messages.filter((m) => m.channel === channel && m.thread_ts === undefined).length - 1);
      }
    } finally {
      await execute.close();
    }
    reportCounts('bridge restart mid-action', {
      posts: { expected: 2 * ROUNDS, made: 2 * ROUNDS - (ROUNDS - outcomes) + duplicatedPosts, duplicated: duplicatedPosts },
      actions: { approved, executed, executedTwice },
      notes: { 'failed attempts while the bridge was down': failedAttempts },
    });
    expect(failedAttempts).toBeGreaterThanOrEqual(ROUNDS);
    expect(executed).toBe(approved);
    expect(executedTwice).toBe(0);
    expect(outcomes).toBe(ROUNDS);
    expect(duplicatedPosts).toBe(0);
  }, 240_000);
});
