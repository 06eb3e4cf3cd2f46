/**
 * The seed's other emergency scenarios on the real demo fleet: message-queue overflow → backpressure,
 * critical incident → degrade named features under the two-person rule, then Keep; an agent that will not
 * start → restart fails three times → automation stops and the on-call group is called with everything tried.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/stream.js';
import type { Sandbox, SandboxMessage } from '../support/sandbox.js';
import type { LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import {
  ALICE, BOB, MALLORY, ONCALL, agentState, blocksText, bridgeGet, fastRunbooks, hasButton, injectFault, planIdOf, resetFleet, startResponseBot, startResponseTest, waitForEphemeral, waitForOutcome, waitForPlan, type ResponseBot, type ResponseTest,
} from '../support/response-bot.js';

/** A runbook whose check cannot pass (an isolated agent handles no message): verification must fail. */
const WRONG_FIX = `id: test-wrong-fix
title: Test only — isolate, then expect the agent to keep handling messages
scenario: test_only
risk: high
match:
  labels:
    alertname: TestOnly
steps:
  - action: isolate
    target: incident_agent
    temporary: true
approval:
  groups: [S0AUTOGENSRE]
verify:
  settle_s: 1
  checks:
    - check: handling_messages
      min: 1
ttl_s: 60
`;

/** A low-risk runbook marked to run without approval (allowed only with RESPONSE_ALLOW_AUTO_RUN=true). */
const AUTO_CLEAR = `id: test-auto-clear
title: Test only — clear caches without asking
scenario: test_only_auto
risk: low
match:
  labels:
    alertname: TestOnlyAuto
steps:
  - action: clear_caches
approval:
  groups: [S0AUTOGENSRE]
  auto_run: true
verify:
  settle_s: 1
  checks:
    - check: agent_running
      target: { select: agent_type, agent_type: RetrieverAgent }
`;

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: ResponseBot;
let redis: Redis;
let rt: ResponseTest | undefined;

beforeAll(async () => {
  rt = await startResponseTest({ fleet: { enableFaults: true, rate: 10 }, runbooks: { ttlS: 60, settleS: 1, extra: { 'test-wrong-fix.yaml': WRONG_FIX } } });
  ({ sandbox, fleet, bot, redis } = rt);
}, 90_000);

afterAll(() => rt?.stop());

afterEach(async () => {
  await resetFleet(fleet);
});

async function ask(channel: string, text: string, user = ALICE): Promise<SandboxMessage> {
  const before = sandbox.messages.length;
  await sandbox.sendCommand(bot.eventsUrl, { text, channel, user });
  return waitForPlan(sandbox, channel, before);
}

describe('emergency scenarios', () => {
  it('message-queue overflow: backpressure bounds the flooded agent, verified', async () => {
    await injectFault(fleet, 'flood', 'ToolAgent');
    await waitFor(async () => (await bridgeGet<{ queue_depth: number }>(fleet, '/v1/runtime')).queue_depth > 10, { what: 'queue backlog' });
    const plan = await ask('C0FLOOD', 'recover ToolAgent');
    expect(blocksText(plan)).toContain('Message queue overflow');
    expect(blocksText(plan)).toContain('backpressure `ToolAgent`: max in-flight 4, senders wait up to 30 s');
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
    const outcome = await waitForOutcome(sandbox, 'C0FLOOD', plan.ts, 'Fixed and verified');
    expect(blocksText(outcome)).toContain('ToolAgent: max in-flight 4');
    const tool = await agentState(fleet, 'ToolAgent');
    expect(tool.max_inflight).toBe(4);
    expect(tool.inflight).toBeLessThanOrEqual(4);
  });

  it('critical incident: degrade named features with two distinct approvers, then Keep', async () => {
    // Asked for by someone who is not an approver: a high-risk plan never counts its requester.
    const plan = await ask('C0DEGRADE', 'recover ChatAgent critical-degradation', MALLORY);
    expect(blocksText(plan)).toContain('degrade the runtime: features off `web_search`, `reranking`');
    expect(blocksText(plan)).toContain('two different people must approve');
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
    expect((await waitForEphemeral(sandbox, ALICE, 'recorded (1 of 2)')).text).toContain('second, different approver');
    await waitFor(() => plan.edits.some((e) => JSON.stringify(e.blocks).includes(`approved so far by <@${ALICE}>`)), { what: 'partial approval shown' });
    expect((await bridgeGet<{ features: Record<string, boolean> }>(fleet, '/v1/runtime')).features.web_search).toBe(true);
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
    expect((await waitForEphemeral(sandbox, ALICE, 'APPROVAL_SAME_PERSON')).text).toContain('the two-person rule needs someone else');
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', BOB);
    const outcome = await waitForOutcome(sandbox, 'C0DEGRADE', plan.ts, 'Fixed and verified');
    expect(blocksText(outcome)).toContain('feature web_search: off');
    const rt = await bridgeGet<{ features: Record<string, boolean>; degraded: { active: boolean } }>(fleet, '/v1/runtime');
    expect(rt).toMatchObject({ features: { web_search: false, reranking: false }, degraded: { active: true } });
    expect(hasButton(outcome, 'plan:keep')).toBe(true);

    await sandbox.clickButton(bot.eventsUrl, outcome, 'plan:keep', BOB);
    await waitForOutcome(sandbox, 'C0DEGRADE', plan.ts, `Kept by <@${BOB}>`);
    const { actions } = await bridgeGet<{ actions: { action: string; expires_at: string | null }[] }>(fleet, '/v1/actions');
    expect(actions.filter((a) => a.action === 'degrade' && a.expires_at !== null)).toEqual([]);
    const audit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(audit.map((e) => e.type)).toEqual(['plan.proposed', 'approval.recorded', 'approval.refused', 'approval.approved', 'action.executed', 'verify.passed', 'revert.kept']);
    expect(audit.find((e) => e.type === 'approval.approved')?.data.approvers).toEqual([expect.objectContaining({ user: ALICE }), expect.objectContaining({ user: BOB })]);
  });

  it('an agent that will not start: three failed restarts escalate to the on-call group with everything tried', async () => {
    await injectFault(fleet, 'missing_module', 'ToolAgent');
    await waitFor(async () => (await agentState(fleet, 'ToolAgent')).construction_errors > 0, { what: 'construction errors' });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const plan = await ask('C0NOSTART', 'recover ToolAgent');
      expect(blocksText(plan)).toContain('restart `ToolAgent`');
      await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
      const outcome = await waitForOutcome(sandbox, 'C0NOSTART', plan.ts, `Failed attempt ${attempt} of 3`);
      expect(blocksText(outcome)).toContain('The plan failed');
      expect(blocksText(outcome)).toMatch(/No module named/);
    }
    const escalation = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0NOSTART' && blocksText(m).includes('Automation stopped for this failure')), { what: 'escalation' });
    const text = blocksText(escalation);
    expect(text).toContain(`<!subteam^${ONCALL}>`);
    expect(text).toContain('3 failed attempts in the last 60 min');
    expect(text.match(/restart ToolAgent \(instance default\)/g)).toHaveLength(3);

    // A fourth request gets no plan: automation stopped for this failure.
    const before = sandbox.messages.length;
    await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent', channel: 'C0NOSTART', user: ALICE });
    const stopped = await waitFor(() => sandbox.messages.slice(before).find((m) => m.channel === 'C0NOSTART' && blocksText(m).includes('Automation stopped for this failure')), { what: 'no fourth plan' });
    expect(hasButton(stopped, 'plan:approve')).toBe(false);
    expect(sandbox.messages.slice(before).some((m) => blocksText(m).includes('Recovery plan:'))).toBe(false);
  });

  it('a failed verification reverts the temporary actions at once and counts the attempt', async () => {
    const plan = await ask('C0WRONG', 'recover ToolAgent test-wrong-fix');
    // A high-risk plan: approved by an allowed approver other than its requester.
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', BOB);
    const outcome = await waitForOutcome(sandbox, 'C0WRONG', plan.ts, 'because verification failed');
    const text = blocksText(outcome);
    expect(text).toContain('Ran, but verification failed');
    expect(text).toMatch(/:x: ToolAgent: 0 message\(s\) handled since the action \(at least 1\)/);
    expect(text).toContain('Failed attempt 1 of 3 for this failure');
    expect(hasButton(outcome, 'plan:keep')).toBe(false);
    expect((await agentState(fleet, 'ToolAgent')).isolated).toBe(false);
    const audit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(audit.map((e) => e.type)).toEqual(['plan.proposed', 'approval.approved', 'action.executed', 'verify.failed', 'revert.executed']);
    expect(audit[4]!.data).toMatchObject({ why: 'verify_failed', actions: [expect.objectContaining({ target: 'ToolAgent', result: 'done' })] });
  });

  it('dry-run-only mode: an approved plan asks the bridge for a dry run and changes nothing', async () => {
    const dry = await startResponseBot({ sandbox, fleet, runbooksDir: fastRunbooks({ ttlS: 60, settleS: 1 }), env: { RESPONSE_DRY_RUN_ONLY: 'true' } });
    try {
      const before = sandbox.messages.length;
      await sandbox.sendCommand(dry.eventsUrl, { text: 'recover ToolAgent message-timeout', channel: 'C0DRYRUN', user: ALICE });
      const plan = await waitForPlan(sandbox, 'C0DRYRUN', before);
      expect(blocksText(plan)).toContain('Dry-run-only mode is on');
      await sandbox.clickButton(dry.eventsUrl, plan, 'plan:approve', ALICE);
      const outcome = await waitForOutcome(sandbox, 'C0DRYRUN', plan.ts, 'Dry run only');
      expect(blocksText(outcome)).toContain('dry run: nothing changed');
      expect((await agentState(fleet, 'ToolAgent')).max_inflight).toBeNull();
      const audit = await readAudit(redis, dry.prefix, { subject: planIdOf(plan) });
      expect(audit.find((e) => e.type === 'action.executed')?.data).toMatchObject({ status: 'dry_run', params: { agent_type: 'ToolAgent', max_inflight: 2 } });
    } finally {
      await dry.stop();
    }
  });

  it('auto-run: off by default — a low-risk auto_run runbook still waits for approval; with RESPONSE_ALLOW_AUTO_RUN it runs by itself', async () => {
    const dir = fastRunbooks({ ttlS: 60, settleS: 1, extra: { 'test-auto-clear.yaml': AUTO_CLEAR } });
    const off = await startResponseBot({ sandbox, fleet, runbooksDir: dir });
    const on = await startResponseBot({ sandbox, fleet, runbooksDir: dir, env: { RESPONSE_ALLOW_AUTO_RUN: 'true' } });
    try {
      let before = sandbox.messages.length;
      await sandbox.sendCommand(off.eventsUrl, { text: 'recover RetrieverAgent test-auto-clear', channel: 'C0AUTOOFF', user: ALICE });
      const waiting = await waitForPlan(sandbox, 'C0AUTOOFF', before);
      expect(hasButton(waiting, 'plan:approve')).toBe(true);

      before = sandbox.messages.length;
      await sandbox.sendCommand(on.eventsUrl, { text: 'recover RetrieverAgent test-auto-clear', channel: 'C0AUTOON', user: ALICE });
      const ran = await waitForPlan(sandbox, 'C0AUTOON', before);
      expect(hasButton(ran, 'plan:approve')).toBe(false);
      expect(blocksText(ran)).toContain('Ran without approval');
      await waitForOutcome(sandbox, 'C0AUTOON', ran.ts, 'Fixed and verified');
      const audit = await readAudit(redis, on.prefix, { subject: planIdOf(ran) });
      expect(audit.find((e) => e.type === 'approval.approved')).toMatchObject({ actor: 'automation', data: { auto_run: true } });
    } finally {
      await off.stop();
      await on.stop();
    }
  });
});
