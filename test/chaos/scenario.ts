/**
 * What the storm scenarios with faults share beyond the storm itself (storm.ts): the expectations on the
 * storm's counts, and recovery plans proposed and approved through the bots while the storm runs (the real
 * demo fleet as the runtime), then counted: each approved plan's action on the bridge (its own record) and
 * its outcome in the plan's thread.
 */
import { expect } from 'vitest';
import { readAudit } from '../../src/audit/stream.js';
import type { ChaosCounts } from './counts.js';
import type { LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { ALICE, BOB, ONCALL, bridgeGet, fastRunbooks, planIdOf, waitForPlan } from '../support/response-bot.js';
import type { StormCounts, StormEvent, StormResult, StormSystem } from './storm.js';

/**
 * Every storm scenario's promise: every request accepted in the end (none given up), every accepted alert
 * in its own incident, one incident and exactly one thread root per storm incident (`diag` explains a miss).
 */
export function expectNothingLost(result: StormResult, counts: StormCounts, expected: { alerts: number; incidents: number; diag: string }): void {
  expect(result.gaveUp).toBe(0);
  expect(counts.alerts.accepted).toBe(expected.alerts);
  expect(counts.alerts.lost, expected.diag).toBe(0);
  expect(counts.misplaced).toBe(0);
  expect(counts.incidents).toBe(expected.incidents);
  expect(counts.posts.made, expected.diag).toBe(expected.incidents);
  expect(counts.posts.duplicated).toBe(0);
}

/**
 * Sends a slash command or a click as a load balancer would: to a bot that is alive, and again to the
 * next one when the connection is refused or reset (a bot killed in between). Slack itself does not
 * resend; the load balancer's health check (`/readyz`) is what takes a dead bot out of rotation.
 */
export async function viaLiveBot<T>(sys: StormSystem, turn: number, send: (eventsUrl: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    const live = sys.eventsUrls.filter((_, i) => sys.bots[i]!.alive());
    try {
      return await send(live[(turn + attempt) % live.length]!);
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
}

/** The environment of a storm system whose plans run on `fleet`: the demo runtime, quick runbooks, ALICE and BOB approve. */
export function approvalEnv(fleet: LocalFleet): Record<string, string> {
  return {
    AUTOGEN_RUNTIMES: `demo=${fleet.url}`, AUTOGEN_RUNTIME_DEMO_TOKEN: fleet.token,
    RUNBOOKS_DIR: fastRunbooks({ ttlS: 120, settleS: 1 }),
    APPROVAL_GROUPS: `S0AUTOGENSRE=${ALICE},${BOB};${ONCALL}=U0CAROL`,
  };
}

export interface ApprovedPlan { agent: string; channel: string; ts: string; planId: string }

/** What became of the approved plans: actions on the bridge, outcomes in their threads, plan messages per channel. */
export interface PlanOutcomes {
  executed: number; executedTwice: number; outcomes: number; outcomesDuplicated: number; planPosts: number[];
  /** What a duplicate was, when there is one: the replies of a thread that holds more than one, the posts of a channel with more than one plan. */
  extraReplies: string[];
}

export interface StormApprovals {
  readonly plans: ApprovedPlan[];
  /** Whatever failed while proposing or approving (expected: nothing). */
  readonly errors: unknown[];
  /** The storm event (at 5 % of the storm) that proposes and approves a plan per agent. */
  readonly event: StormEvent;
  /** Waits (bounded) until every approved plan was verified, then counts what became of them. */
  outcomes(): Promise<PlanOutcomes>;
}

/**
 * A `message-timeout` plan per agent of `agents`, each asked for in a channel of its own (`<channelPrefix><i>`)
 * and approved by ALICE, command and click each through a live bot.
 */
export function stormApprovals(sys: StormSystem, fleet: LocalFleet, agents: readonly string[], channelPrefix: string): StormApprovals {
  const plans: ApprovedPlan[] = [];
  const errors: unknown[] = [];
  const { sandbox } = sys;
  const approve = async (): Promise<void> => {
    await Promise.all(agents.map(async (agent, i) => {
      const channel = `${channelPrefix}${i}`;
      const ack = await viaLiveBot(sys, i, (url) => sandbox.sendCommand(url, { text: `recover ${agent} message-timeout`, channel, user: ALICE }));
      expect(ack.status).toBe(200);
      const plan = await waitForPlan(sandbox, channel, 0, 60_000);
      const click = await viaLiveBot(sys, i + 1, (url) => sandbox.clickButton(url, plan, 'plan:approve', ALICE));
      expect(click.status).toBe(200);
      plans.push({ agent, channel, ts: plan.ts, planId: planIdOf(plan) });
    })).catch((err: unknown) => { errors.push(err); });
  };
  return {
    plans, errors,
    event: { at: 0.05, what: 'plans proposed and approved', run: approve },
    async outcomes() {
      const audit = async (planId: string) => readAudit(sys.redis, `${sys.prefix}:`, { subject: planId });
      await waitFor(async () => {
        for (const p of plans) if (!(await audit(p.planId)).some((e) => e.type === 'verify.passed' || e.type === 'verify.failed')) return false;
        return true;
      }, { timeoutMs: 60_000, intervalMs: 300, what: 'every approved plan verified' }).catch(() => undefined);
      const { actions } = await bridgeGet<{ actions: { action_id: string; target: string }[] }>(fleet, '/v1/actions');
      const o: PlanOutcomes = { executed: 0, executedTwice: 0, outcomes: 0, outcomesDuplicated: 0, planPosts: [], extraReplies: [] };
      for (const p of plans) {
        const onBridge = actions.filter((a) => a.target === p.agent).length;
        o.executed += Math.min(onBridge, 1);
        o.executedTwice += Math.max(0, onBridge - 1);
        const replies = sandbox.messages.filter((m) => m.channel === p.channel && m.thread_ts === p.ts && !m.text.includes('was lost; resuming'));
        o.outcomes += Math.min(replies.length, 1);
        o.outcomesDuplicated += Math.max(0, replies.length - 1);
        if (replies.length > 1) o.extraReplies.push(`${p.agent}: ${replies.map((m) => m.text.slice(0, 160)).join(' | ')}`);
      }
      const roots = agents.map((_, i) => sandbox.messages.filter((m) => m.channel === `${channelPrefix}${i}` && m.thread_ts === undefined));
      o.planPosts = roots.map((r) => r.length);
      for (const r of roots) if (r.length > 1) o.extraReplies.push(`${r[0]!.channel} (plan posts): ${r.map((m) => `${m.ts} ${m.text.slice(0, 120)}`).join(' | ')}`);
      return o;
    },
  };
}

/** The scenario's posts and actions for `reportCounts`: the storm's roots plus a plan message and an outcome per approved plan. */
export function countsWithPlans(posts: StormCounts['posts'], approvals: StormApprovals, o: PlanOutcomes): Pick<ChaosCounts, 'posts' | 'actions'> {
  return {
    posts: {
      expected: posts.expected + 2 * o.planPosts.length,
      made: posts.made + o.planPosts.reduce((s, n) => s + n, 0) + o.outcomes + o.outcomesDuplicated,
      duplicated: posts.duplicated + o.planPosts.reduce((s, n) => s + Math.max(0, n - 1), 0) + o.outcomesDuplicated,
    },
    actions: { approved: approvals.plans.length, executed: o.executed, executedTwice: o.executedTwice },
  };
}

/** Every plan proposed once and approved, its action run exactly once, one outcome in its thread. */
export function expectEachPlanRanOnce(approvals: StormApprovals, o: PlanOutcomes, diag: string): void {
  const n = o.planPosts.length;
  expect(approvals.errors).toEqual([]);
  expect(approvals.plans).toHaveLength(n);
  expect(o.planPosts, o.extraReplies.join('\n')).toEqual(o.planPosts.map(() => 1));
  expect(o.executed, diag).toBe(n);
  expect(o.executedTwice).toBe(0);
  expect(o.outcomes).toBe(n);
  expect(o.outcomesDuplicated, `${o.extraReplies.join('\n')}\n${diag}`).toBe(0);
}
