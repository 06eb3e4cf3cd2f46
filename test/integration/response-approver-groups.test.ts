/**
 * Approvers named by a Slack user group whose members only Slack knows (not in APPROVAL_GROUPS): the bot
 * asks `usergroups.users.list` (the sandbox answers from the groups the test defines), caches the answer
 * for APPROVAL_GROUPS_TTL_S and asks again after it. On real parts (demo fleet, Redis, bot + worker,
 * Slack sandbox), through signed clicks.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/stream.js';
import { loadPlan } from '../../src/approvals/consume.js';
import { readAutomation } from '../../src/response/safety.js';
import type { Sandbox, SandboxMessage } from '../support/sandbox.js';
import type { LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import {
  ALICE, MALLORY, TestClock, agentState, blocksText, planIdOf, resetFleet, startResponseTest, waitForEphemeral, waitForOutcome, waitForPlan, type ResponseBot, type ResponseTest,
} from '../support/response-bot.js';

const SLACK_GROUP = 'S0SLACKONLYSRE';
const DANA = 'U0DANA';
const ERIN = 'U0ERIN';
const TTL_S = 30;

/** A runbook whose only approvers are the members of a group APPROVAL_GROUPS does not list. */
const SLACK_GROUP_RUNBOOK = `id: test-slack-group
title: Test only — backpressure, approved by a Slack user group
scenario: test_slack_group
risk: medium
match:
  labels:
    alertname: TestSlackGroup
steps:
  - action: backpressure
    target: incident_agent
    temporary: true
    params: { max_inflight: 2, max_wait_s: 30 }
approval:
  groups: [${SLACK_GROUP}]
verify:
  settle_s: 1
  checks:
    - check: backpressured
      target: incident_agent
ttl_s: 60
`;

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: ResponseBot;
let redis: Redis;
let rt: ResponseTest | undefined;
const clock = new TestClock();

beforeAll(async () => {
  rt = await startResponseTest({
    fleet: { enableFaults: true, rate: 10 },
    runbooks: { ttlS: 60, settleS: 1, extra: { 'test-slack-group.yaml': SLACK_GROUP_RUNBOOK } },
    clock,
    env: { APPROVAL_GROUPS_TTL_S: String(TTL_S) },
  });
  ({ sandbox, fleet, bot, redis } = rt);
}, 90_000);

afterAll(() => rt?.stop());

afterEach(async () => {
  await resetFleet(fleet);
});

async function askPlan(channel: string): Promise<SandboxMessage> {
  const before = sandbox.messages.length;
  await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent test-slack-group', channel, user: ALICE });
  return waitForPlan(sandbox, channel, before);
}

const lookups = (): string[] => sandbox.callsOf('usergroups.users.list').map((c) => String(c.args.usergroup));

describe('approver groups from Slack user groups', () => {
  it('a member of the Slack user group approves; a non-member is refused (coded ephemeral, audited)', async () => {
    sandbox.defineUserGroup(SLACK_GROUP, [DANA]);
    const plan = await askPlan('C0SLACKGROUP');
    expect(blocksText(plan)).toContain(`a member of <!subteam^${SLACK_GROUP}>`);

    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', MALLORY);
    const eph = await waitForEphemeral(sandbox, MALLORY, 'APPROVER_NOT_ALLOWED');
    expect(eph.text).toContain(`You are not allowed to decide on this plan. Who can: a member of <!subteam^${SLACK_GROUP}>.`);
    const refused = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(refused.find((e) => e.type === 'approval.refused')).toMatchObject({ actor: MALLORY, data: { code: 'APPROVER_NOT_ALLOWED' } });
    expect((await loadPlan(redis, bot.prefix, planIdOf(plan)))?.status).toBe('pending');
    expect((await agentState(fleet, 'ToolAgent')).max_inflight).toBeNull();
    expect(lookups()).toEqual([SLACK_GROUP]);

    // DANA is a member only in Slack: her click runs the plan (Slack's answer is cached: no second call).
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', DANA);
    await waitForOutcome(sandbox, 'C0SLACKGROUP', plan.ts, 'Fixed and verified');
    expect((await agentState(fleet, 'ToolAgent')).max_inflight).toBe(2);
    const audit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(audit.find((e) => e.type === 'approval.approved')).toMatchObject({ actor: DANA });
    expect(lookups()).toEqual([SLACK_GROUP]);
  });

  it('membership is asked again after the TTL: a removed member is refused, a new one approves', async () => {
    sandbox.defineUserGroup(SLACK_GROUP, [ERIN]);
    const plan = await askPlan('C0SLACKREFRESH');
    const callsBefore = lookups().length;
    clock.offsetMs = (TTL_S + 1) * 1000; // past the cache's TTL, well inside the approval's validity

    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', DANA);
    await waitForEphemeral(sandbox, DANA, 'APPROVER_NOT_ALLOWED');
    expect(lookups().length).toBe(callsBefore + 1);
    expect((await loadPlan(redis, bot.prefix, planIdOf(plan)))?.status).toBe('pending');

    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ERIN);
    await waitFor(async () => (await agentState(fleet, 'ToolAgent')).max_inflight === 2, { what: 'ToolAgent backpressured' });
    const audit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(audit.find((e) => e.type === 'approval.refused')).toMatchObject({ actor: DANA, data: { code: 'APPROVER_NOT_ALLOWED' } });
    expect(audit.find((e) => e.type === 'approval.approved')).toMatchObject({ actor: ERIN });
    expect(lookups().length).toBe(callsBefore + 1);
  });

  it('the kill switch: only a member of an approver group (as Slack lists it) may switch automation back on', async () => {
    sandbox.defineUserGroup(SLACK_GROUP, [ERIN]);
    const channel = 'C0SLACKKILL';
    await sandbox.sendCommand(bot.eventsUrl, { text: 'automation off', channel, user: MALLORY });
    await waitFor(() => sandbox.messages.find((m) => m.channel === channel && m.text.includes('switched response automation *off*')), { what: 'automation off' });
    await sandbox.sendCommand(bot.eventsUrl, { text: 'automation on', channel, user: MALLORY });
    await waitForEphemeral(sandbox, MALLORY, 'AUTOMATION_ON_NOT_ALLOWED');
    expect((await readAutomation(redis, bot.prefix)).enabled).toBe(false);
    await sandbox.sendCommand(bot.eventsUrl, { text: 'automation on', channel, user: ERIN });
    await waitFor(async () => (await readAutomation(redis, bot.prefix)).enabled, { what: 'automation on again' });
    expect((await readAutomation(redis, bot.prefix)).by).toBe(ERIN);
  });
});
