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
import { readAudit } from '../../src/audit/stream.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { fleetAvailable, startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { ALICE, BOB, ONCALL, bridgeGet, fastRunbooks, planIdOf, waitForPlan } from '../support/response-bot.js';
import { reportCounts, scaled } from './counts.js';
import { logTails } from './processes.js';
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
    env: {
      AUTOGEN_RUNTIMES: `demo=${fleet.url}`, AUTOGEN_RUNTIME_DEMO_TOKEN: fleet.token,
      RUNBOOKS_DIR: fastRunbooks({ ttlS: 120, settleS: 1 }),
      APPROVAL_GROUPS: `S0AUTOGENSRE=${ALICE},${BOB};${ONCALL}=U0CAROL`,
    },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await Promise.all([fleet?.stop(), sandbox?.stop()]);
});

/**
 * Sends a slash command or a click as a load balancer would: to a bot that is alive, and again to the
 * next one when the connection is refused or reset (a bot killed in between). Slack itself does not
 * resend; the load balancer's health check (`/readyz`) is what takes a dead bot out of rotation.
 */
async function viaLiveBot<T>(sys: StormSystem, turn: number, send: (eventsUrl: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    const live = sys.eventsUrls.filter((_, i) => sys.bots[i]!.alive());
    try {
      return await send(live[(turn + attempt) % live.length]!);
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
}

describe.runIf(fleetAvailable())('chaos: 2 bots + 3 workers, one of each SIGKILLed mid-storm', () => {
  it('one thread per incident, every accepted alert in its incident, every approval run once', async () => {
    const sys = system!;
    const plans: { agent: string; channel: string; ts: string; planId: string }[] = [];
    const approvalErrors: unknown[] = [];
    const approve = async (): Promise<void> => {
      // plans proposed and approved while the storm runs, each through a live bot (the one the load balancer picks)
      await Promise.all(PLAN_AGENTS.map(async (agent, i) => {
        const channel = `C0APPROVE${i}`;
        const ack = await viaLiveBot(sys, i, (url) => sandbox.sendCommand(url, { text: `recover ${agent} message-timeout`, channel, user: ALICE }));
        expect(ack.status).toBe(200);
        const plan = await waitForPlan(sandbox, channel, 0, 60_000);
        const click = await viaLiveBot(sys, i + 1, (url) => sandbox.clickButton(url, plan, 'plan:approve', ALICE));
        expect(click.status).toBe(200);
        plans.push({ agent, channel, ts: plan.ts, planId: planIdOf(plan) });
      })).catch((err: unknown) => { approvalErrors.push(err); });
    };
    const killed: string[] = [];
    const result = await runStorm(sys, {
      alerts: ALERTS, incidents: INCIDENTS,
      events: [
        { at: 0.05, what: 'plans proposed and approved', run: approve },
        { at: 0.33, what: 'SIGKILL bot-0', async run() { await sys.bots[0]!.kill(); killed.push(`bot-0 (pid ${sys.bots[0]!.pid})`); } },
        { at: 0.5, what: 'SIGKILL worker-0', async run() { await sys.workers[0]!.kill(); killed.push(`worker-0 (pid ${sys.workers[0]!.pid})`); } },
      ],
    });
    const counts = await settleAndCount(sys, result, { incidents: INCIDENTS, timeoutMs: scaled(90_000, 300_000) });

    // every approved plan: its action on the bridge, its outcome in the thread
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
    const planPosts = PLAN_AGENTS.map((_, i) => sandbox.messages.filter((m) => m.channel === `C0APPROVE${i}` && m.thread_ts === undefined).length);
    reportCounts('2 bots + 3 workers, one of each SIGKILLed mid-storm', {
      alerts: counts.alerts,
      posts: {
        expected: INCIDENTS + 2 * PLAN_AGENTS.length,
        made: counts.posts.made + planPosts.reduce((s, n) => s + n, 0) + outcomes + outcomesDuplicated,
        duplicated: counts.posts.duplicated + planPosts.reduce((s, n) => s + Math.max(0, n - 1), 0) + outcomesDuplicated,
      },
      actions: { approved: plans.length, executed, executedTwice },
      notes: {
        killed: killed.join(' + '), 'requests resent': result.resent, 'gave up': result.gaveUp, incidents: counts.incidents,
        misplaced: counts.misplaced, 'identical replies': counts.identicalReplies, 'storm s': result.stormS.toFixed(1), 'drained s': counts.drainedS.toFixed(1),
      },
    });
    const diag = logTails([...sys.bots, ...sys.workers]);
    expect(approvalErrors).toEqual([]);
    expect(killed, 'both kills happened during the storm').toHaveLength(2);
    expect(result.gaveUp).toBe(0);
    expect(counts.alerts.accepted).toBe(ALERTS);
    expect(counts.alerts.lost, diag).toBe(0);
    expect(counts.misplaced).toBe(0);
    expect(counts.incidents).toBe(INCIDENTS);
    expect(counts.posts.made, diag).toBe(INCIDENTS);
    expect(counts.posts.duplicated).toBe(0);
    expect(plans).toHaveLength(PLAN_AGENTS.length);
    expect(planPosts).toEqual(PLAN_AGENTS.map(() => 1));
    expect(executed, diag).toBe(PLAN_AGENTS.length);
    expect(executedTwice).toBe(0);
    expect(outcomes).toBe(PLAN_AGENTS.length);
    expect(outcomesDuplicated).toBe(0);
    // the remaining workers still take jobs (the dead one is gone from the queue's listeners)
    await waitForWorkers(sys, 2);
  }, 420_000);
});
