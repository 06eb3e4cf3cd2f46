/**
 * Approvals that cannot be abused, on real parts (demo fleet, Redis, bot + worker, Slack sandbox): an
 * unauthorised click, an expired approval, a replayed click, a stale plan hash and two concurrent clicks
 * and the requester approving their own high-risk plan each do nothing but explain why; the kill switch and the circuit breaker stop actions.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/stream.js';
import { runPlan } from '../../src/response/run.js';
import { loadPlan } from '../../src/approvals/consume.js';
import { readAutomation } from '../../src/response/safety.js';
import type { Sandbox, SandboxMessage } from '../support/sandbox.js';
import type { LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import {
  ALICE, BOB, MALLORY, TestClock, agentState, blocksText, bridgeGet, hasButton, injectFault, planIdOf, resetFleet, startResponseBot, startResponseTest, waitForEphemeral, waitForOutcome, waitForPlan, type ResponseBot, type ResponseTest,
} from '../support/response-bot.js';

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: ResponseBot;
let redis: Redis;
let rt: ResponseTest | undefined;
const clock = new TestClock();

beforeAll(async () => {
  rt = await startResponseTest({ fleet: { enableFaults: true, rate: 10 }, runbooks: { ttlS: 60, settleS: 1 }, clock });
  ({ sandbox, fleet, bot, redis } = rt);
}, 90_000);

afterAll(() => rt?.stop());

afterEach(async () => {
  clock.offsetMs = 0;
  await resetFleet(fleet);
});

/** Asks for a backpressure plan for ToolAgent (runbook named) and returns its message. */
async function askPlan(channel: string, text = 'recover ToolAgent message-timeout'): Promise<SandboxMessage> {
  const before = sandbox.messages.length;
  await sandbox.sendCommand(bot.eventsUrl, { text, channel, user: ALICE });
  return waitForPlan(sandbox, channel, before);
}

const snapshotOf = (m: SandboxMessage): SandboxMessage => ({ ...m, blocks: structuredClone(m.blocks), edits: [] });

async function actionsFor(target: string): Promise<{ action_id: string; action: string; target: string }[]> {
  const { actions } = await bridgeGet<{ actions: { action_id: string; action: string; target: string }[] }>(fleet, '/v1/actions');
  return actions.filter((a) => a.target === target);
}

describe('approvals that cannot be abused', () => {
  it('an unauthorised click runs nothing and is told who can approve', async () => {
    const plan = await askPlan('C0UNAUTH');
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', MALLORY);
    const eph = await waitForEphemeral(sandbox, MALLORY, 'APPROVER_NOT_ALLOWED');
    expect(eph.text).toContain('You are not allowed to decide on this plan. Who can: a member of <!subteam^S0AUTOGENSRE>.');
    expect(hasButton(plan, 'plan:approve')).toBe(true);
    expect((await agentState(fleet, 'ToolAgent')).max_inflight).toBeNull();
    const rec = await loadPlan(redis, bot.prefix, planIdOf(plan));
    expect(rec?.status).toBe('pending');
    const audit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(audit.find((e) => e.type === 'approval.refused')).toMatchObject({ actor: MALLORY, data: { code: 'APPROVER_NOT_ALLOWED' } });
  });

  it('an expired approval runs nothing, says when it expired and offers a fresh plan', async () => {
    const plan = await askPlan('C0EXPIRED');
    clock.offsetMs = 16 * 60_000; // the default validity is 15 minutes
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
    const eph = await waitFor(() => sandbox.ephemerals.find((e) => e.user === ALICE && e.text.includes('APPROVAL_EXPIRED')), { what: 'expired ephemeral' });
    expect(eph.text).toMatch(/This approval has expired; nothing was done\. It expired at \d\d:\d\d UTC\./);
    expect((await agentState(fleet, 'ToolAgent')).max_inflight).toBeNull();
    // "New plan" in the refusal asks for the same plan again, for the current state.
    const before = sandbox.messages.length;
    const ephMsg: SandboxMessage = { channel: eph.channel, ts: '1.000001', text: eph.text, blocks: eph.blocks, thread_ts: undefined, edits: [] };
    await sandbox.clickButton(bot.eventsUrl, ephMsg, 'plan:replan', ALICE);
    const fresh = await waitForPlan(sandbox, 'C0EXPIRED', before);
    expect(planIdOf(fresh)).not.toBe(planIdOf(plan));
    expect(blocksText(fresh)).toContain('backpressure `ToolAgent`');
  });

  it('a replayed click after the plan ran does nothing and says who approved it and when', async () => {
    const plan = await askPlan('C0REPLAY');
    const original = snapshotOf(plan);
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
    await waitForOutcome(sandbox, 'C0REPLAY', plan.ts, 'Fixed and verified');
    await sandbox.clickButton(bot.eventsUrl, original, 'plan:approve', BOB);
    const eph = await waitForEphemeral(sandbox, BOB, 'PLAN_ALREADY_DECIDED');
    expect(eph.text).toMatch(new RegExp(`It was approved by <@${ALICE}> at \\d\\d:\\d\\d UTC and has run\\.`));
    const audit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(audit.filter((e) => e.type === 'action.executed')).toHaveLength(1);
    expect(await actionsFor('ToolAgent')).toHaveLength(1);
  });

  it('a button of a plan that changed since it was shown (stale hash) runs nothing', async () => {
    await injectFault(fleet, 'exception', 'ToolAgent');
    await waitFor(async () => (await agentState(fleet, 'ToolAgent')).error_rate >= 0.05, { what: 'ToolAgent failing' });
    const first = await askPlan('C0STALE', 'recover ToolAgent agent-cascade-failure');
    const shownBefore = snapshotOf(first);
    expect(blocksText(first)).toContain('isolate `ToolAgent`');
    expect(blocksText(first)).not.toContain('isolate `RetrieverAgent`');
    // The runtime moves on: RetrieverAgent starts failing too, so the same plan now isolates two agents.
    await injectFault(fleet, 'exception', 'RetrieverAgent');
    await waitFor(async () => (await agentState(fleet, 'RetrieverAgent')).error_rate >= 0.05, { what: 'RetrieverAgent failing' });
    await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent agent-cascade-failure', channel: 'C0STALE', user: ALICE });
    await waitFor(() => first.edits.some((e) => JSON.stringify(e.blocks).includes('isolate `RetrieverAgent`')), { what: 'plan refreshed in place' });
    expect(planIdOf(first)).toBe(planIdOf(shownBefore));
    await sandbox.clickButton(bot.eventsUrl, shownBefore, 'plan:approve', BOB);
    const eph = await waitForEphemeral(sandbox, BOB, 'PLAN_STALE');
    expect(eph.text).toContain('The plan changed after this button was shown; nothing was done.');
    expect((await agentState(fleet, 'ToolAgent')).isolated).toBe(false);
    expect((await loadPlan(redis, bot.prefix, planIdOf(first)))?.status).toBe('pending');
  });

  it('four eyes: the requester of a high-risk plan cannot approve it; another allowed approver can', async () => {
    await injectFault(fleet, 'exception', 'ToolAgent');
    await waitFor(async () => (await agentState(fleet, 'ToolAgent')).error_rate >= 0.05, { what: 'ToolAgent failing' });
    const plan = await askPlan('C0FOUREYES', 'recover ToolAgent agent-cascade-failure');
    expect(blocksText(plan)).toContain(':red_circle: high');
    expect(blocksText(plan)).toContain('*Who can approve:* a member of <!subteam^S0AUTOGENSRE>, not the requester');

    // ALICE asked for it and is an allowed approver, yet her click alone does nothing.
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
    const eph = await waitForEphemeral(sandbox, ALICE, 'APPROVAL_BY_REQUESTER');
    expect(eph.text).toContain('You asked for this plan, so your approval does not count; nothing was done. A high-risk plan needs an approval from a member of <!subteam^S0AUTOGENSRE>, other than its requester.');
    const refusedAudit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(refusedAudit.find((e) => e.type === 'approval.refused')).toMatchObject({ actor: ALICE, data: { code: 'APPROVAL_BY_REQUESTER', requested_by: ALICE } });
    expect(await loadPlan(redis, bot.prefix, planIdOf(plan))).toMatchObject({ status: 'pending', approvers: [] });
    expect((await agentState(fleet, 'ToolAgent')).isolated).toBe(false);
    expect(await actionsFor('ToolAgent')).toEqual([]);

    // BOB, another allowed approver, approves: the plan runs.
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', BOB);
    await waitFor(async () => (await agentState(fleet, 'ToolAgent')).isolated, { what: 'ToolAgent isolated' });
    const audit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(audit.find((e) => e.type === 'approval.approved')).toMatchObject({ actor: BOB, data: { approvers: [expect.objectContaining({ user: BOB })] } });
    expect((await actionsFor('ToolAgent')).map((a) => a.action)).toEqual(['isolate']);
  });

  it('two concurrent clicks run the plan once; the other is told it already ran', async () => {
    const plan = await askPlan('C0RACE');
    await Promise.all([
      sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE),
      sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', BOB),
    ]);
    await waitForOutcome(sandbox, 'C0RACE', plan.ts, 'Fixed and verified');
    const refused = await waitFor(() => sandbox.ephemerals.find((e) => (e.user === ALICE || e.user === BOB) && e.channel === 'C0RACE' && e.text.includes('PLAN_ALREADY_DECIDED')), { what: 'the losing click told' });
    expect(refused.text).toContain('nothing was done');
    const audit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(audit.filter((e) => e.type === 'approval.approved')).toHaveLength(1);
    expect(audit.filter((e) => e.type === 'action.executed')).toHaveLength(1);
    expect(await actionsFor('ToolAgent')).toHaveLength(1);
  });
});

describe('safety limits', () => {
  it('the kill switch: approving is refused while automation is off, and a run already queued is blocked', async () => {
    await sandbox.sendCommand(bot.eventsUrl, { text: 'automation off', channel: 'C0KILL', user: ALICE });
    await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0KILL' && m.text.includes('switched response automation *off*')), { what: 'kill switch announced' });
    const plan = await askPlan('C0KILL');
    expect(blocksText(plan)).toContain('Automation is switched off');
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
    expect((await waitForEphemeral(sandbox, ALICE, 'AUTOMATION_OFF')).text).toContain('Automation is switched off, so no recovery action runs.');
    expect((await agentState(fleet, 'ToolAgent')).max_inflight).toBeNull();
    await sandbox.sendCommand(bot.eventsUrl, { text: 'automation status', channel: 'C0KILL', user: BOB });
    expect((await waitForEphemeral(sandbox, BOB, 'Response automation')).text).toContain(`is *off* (switched by <@${ALICE}>`);

    // A run that was approved before the switch went off stops before its bridge call.
    const rec = await loadPlan(redis, bot.prefix, planIdOf(plan));
    const run = await runPlan(redis, `${bot.prefix}direct:`, rec!.plan, {
      act: () => { throw new Error('must not be called'); },
      automationEnabled: async () => (await readAutomation(redis, bot.prefix)).enabled,
      reserve: async () => ({ open: false, count: 1, repeated: false }),
      describeBreaker: () => '',
      now: () => new Date(),
      onOutcome: async () => undefined,
    }, { dryRunOnly: false, retentionMs: 60_000 });
    expect(run).toMatchObject({ ok: false, stoppedBy: 'kill_switch' });

    // Anyone may pull the emergency stop, but only a runbook approver may re-arm it.
    await sandbox.sendCommand(bot.eventsUrl, { text: 'automation on', channel: 'C0KILL', user: MALLORY });
    expect((await waitForEphemeral(sandbox, MALLORY, 'AUTOMATION_ON_NOT_ALLOWED')).text).toContain('Only an approver named in a runbook');
    expect((await readAutomation(redis, bot.prefix)).enabled).toBe(false);
    await sandbox.sendCommand(bot.eventsUrl, { text: 'automation on', channel: 'C0KILL', user: ALICE });
    await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0KILL' && m.text.includes('switched response automation *on*')), { what: 'back on' });
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
    await waitForOutcome(sandbox, 'C0KILL', plan.ts, 'Fixed and verified');
  });

  it('the circuit breaker opens after N actions per runtime and says so in the thread', async () => {
    const strict = await startResponseBot({ sandbox, fleet, runbooksDir: bot.config.response.runbooksDir, env: { RESPONSE_MAX_ACTIONS: '1', RESPONSE_ACTION_WINDOW_S: '600' } });
    try {
      const before = sandbox.messages.length;
      await sandbox.sendCommand(strict.eventsUrl, { text: 'recover PlannerAgent memory-exhaustion', channel: 'C0BREAKER', user: ALICE });
      const plan = await waitForPlan(sandbox, 'C0BREAKER', before);
      expect(blocksText(plan)).toContain('clear caches');
      expect(blocksText(plan)).toContain('restart `PlannerAgent`');
      await sandbox.clickButton(strict.eventsUrl, plan, 'plan:approve', ALICE);
      const outcome = await waitForOutcome(sandbox, 'C0BREAKER', plan.ts, 'circuit breaker is open');
      expect(blocksText(outcome)).toContain('Circuit breaker open for runtime demo: 1 actions in the last 10 min (limit 1)');
      const audit = await readAudit(redis, strict.prefix, { subject: planIdOf(plan) });
      expect(audit.filter((e) => e.type === 'action.executed').map((e) => e.data.action)).toEqual(['clear_caches']);
      expect(audit.find((e) => e.type === 'action.blocked')?.data).toMatchObject({ action: 'restart', target: 'PlannerAgent' });
    } finally {
      await strict.stop();
    }
  });
});
