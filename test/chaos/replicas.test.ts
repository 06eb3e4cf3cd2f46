/**
 * Chaos (c, bot replica) and (e): 2 bot processes + 3 worker processes on one Redis under an alert storm,
 * with recovery plans approved while it runs (the real demo fleet as the runtime), and one bot and one
 * worker SIGKILLed on the way (the bot a third of the way through the storm, the worker half way). The
 * senders balance over the two intakes and resend what a dead bot refused; commands and clicks go to
 * whichever bot is alive. Afterwards: every incident has exactly one thread, every accepted alert is in
 * its incident, every approved plan ran its action exactly once (the bridge's own record) with one
 * outcome in its thread.
 * Bounded in `make test` (2,000 alerts); `CHAOS_SCALE=full` (`make chaos`) sends 10,000.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { fleetAvailable, startTestFleet, type LocalFleet } from '../support/fleet.js';
import { reportCounts, scaled } from './counts.js';
import { logTails } from './processes.js';
import { approvalEnv, countsWithPlans, expectEachPlanRanOnce, expectNothingLost, stormApprovals } from './scenario.js';
import { runStorm, settleAndCount, startStormSystem, waitForWorkers, type StormSystem } from './storm.js';

const ALERTS = scaled(1_000, 10_000);
const INCIDENTS = scaled(10, 20);
/** Agents a plan is approved for during the storm (one `message-timeout` plan each, in a channel of its own). */
const PLAN_AGENTS = ['ToolAgent', 'ChatAgent', 'PlannerAgent'] as const;

let sandbox: Sandbox;
let fleet: LocalFleet;
let system: StormSystem | undefined;

beforeAll(async () => {
  [sandbox, fleet] = await Promise.all([startTestSandbox(), startTestFleet({ rate: 5, name: 'chaos-fleet' })]);
  system = await startStormSystem({
    redisUrl: inject('redisUrl'), sandbox, bots: 2, workers: 3, incidents: INCIDENTS,
    env: approvalEnv(fleet),
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await Promise.all([fleet?.stop(), sandbox?.stop()]);
});

describe.runIf(fleetAvailable())('chaos: 2 bots + 3 workers, one of each SIGKILLed mid-storm', () => {
  it('one thread per incident, every accepted alert in its incident, every approval run once', async () => {
    const sys = system!;
    // plans proposed and approved while the storm runs, each through a live bot (the one the load balancer picks)
    const approvals = stormApprovals(sys, fleet, PLAN_AGENTS, 'C0APPROVE');
    const killed: string[] = [];
    const result = await runStorm(sys, {
      alerts: ALERTS, incidents: INCIDENTS,
      events: [
        approvals.event,
        { at: 0.33, what: 'SIGKILL bot-0', async run() { await sys.bots[0]!.kill(); killed.push(`bot-0 (pid ${sys.bots[0]!.pid})`); } },
        { at: 0.5, what: 'SIGKILL worker-0', async run() { await sys.workers[0]!.kill(); killed.push(`worker-0 (pid ${sys.workers[0]!.pid})`); } },
      ],
    });
    const counts = await settleAndCount(sys, result, { incidents: INCIDENTS, timeoutMs: scaled(90_000, 300_000) });

    // every approved plan: its action on the bridge, its outcome in the thread
    const outcomes = await approvals.outcomes();
    reportCounts('2 bots + 3 workers, one of each SIGKILLed mid-storm', {
      alerts: counts.alerts,
      ...countsWithPlans(counts.posts, approvals, outcomes),
      notes: {
        killed: killed.join(' + '), 'requests resent': result.resent, 'gave up': result.gaveUp, incidents: counts.incidents,
        misplaced: counts.misplaced, 'identical replies': counts.identicalReplies, 'storm s': result.stormS.toFixed(1), 'drained s': counts.drainedS.toFixed(1),
      },
    });
    const diag = logTails([...sys.bots, ...sys.workers]);
    expect(killed, 'both kills happened during the storm').toHaveLength(2);
    expectNothingLost(result, counts, { alerts: ALERTS, incidents: INCIDENTS, diag });
    expectEachPlanRanOnce(approvals, outcomes, diag);
    // the remaining workers still take jobs (the dead one is gone from the queue's listeners)
    await waitForWorkers(sys, 2);
  }, 420_000);
});
