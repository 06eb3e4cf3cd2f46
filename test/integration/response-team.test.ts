/**
 * Recovery of an AgentChat team end to end on real parts — the demo fleet's team `support` (a
 * RoundRobinGroupChat of `triage` and `responder` on the fleet's runtime) with its tool backend down, real
 * Redis, the real bot (signed requests) and worker, the Slack sandbox: `/autogen recover triage` (the
 * participant's own name, not its `<name>_<team id>` type) proposes a plan whose message says what it does
 * to the team, allowed approvers approve it, the outcome says what the action did to the team, and the team
 * keeps answering: its runs still end by their termination condition, none hangs or fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../support/sandbox.js';
import type { LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import {
  ALICE, BOB, MALLORY, blocksText, bridgeGet, hasButton, injectFault, planIdOf, startResponseTest, waitForOutcome, waitForPlan, type ResponseBot, type ResponseTest,
} from '../support/response-bot.js';

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: ResponseBot;
let rt: ResponseTest | undefined;
let redis: ResponseTest['redis'];

interface TeamAgent {
  type: string; name: string; role: string; error_rate: number; degraded: boolean; isolated: boolean; refused_total: number;
  team: { name: string } | null;
}
interface TeamRuns { started: number; finished: number; failed: number; last_ended_by: string | null; last_stop_reason: string | null }

beforeAll(async () => {
  // rate 2: the team runs one task every 2 s (the demo's minimum interval), the core agents 2 messages/s.
  rt = await startResponseTest({ fleet: { enableFaults: true, rate: 2 }, runbooks: { ttlS: 60, settleS: 1 } });
  ({ sandbox, fleet, bot, redis } = rt);
}, 90_000);

afterAll(() => rt?.stop());

async function member(name: string): Promise<TeamAgent> {
  const { agents } = await bridgeGet<{ agents: TeamAgent[] }>(fleet, '/v1/agents');
  const found = agents.find((a) => a.team?.name === 'support' && a.name === name);
  if (!found) throw new Error(`no support/${name} in ${agents.map((a) => a.type).join(', ')}`);
  return found;
}

async function teamRuns(): Promise<TeamRuns> {
  const manager = (await bridgeGet<{ agents: TeamAgent[] }>(fleet, '/v1/agents')).agents.find((a) => a.team?.name === 'support' && a.role === 'manager');
  if (!manager) throw new Error('the support team has no manager');
  const detail = await bridgeGet<{ team_runs: TeamRuns | null }>(fleet, `/v1/agents/${manager.type}`);
  if (!detail.team_runs) throw new Error('no team_runs on the manager');
  return detail.team_runs;
}

describe('an AgentChat team whose tool backend is down', () => {
  it('recover <participant> proposes a plan saying what it does to the team; approved, the team keeps answering', async () => {
    const channel = 'C0TEAM';
    await waitFor(async () => (await member('triage').catch(() => undefined))?.type, { what: 'the support team registered' });
    await injectFault(fleet, 'tool_down', 'support/triage');
    await waitFor(async () => (await member('triage')).error_rate >= 0.05, { what: 'support/triage failing (tool errors)', timeoutMs: 20_000 });
    const triage = await member('triage');

    // Anyone may ask; this runbook (two-person, high risk) is approved by two approvers besides the requester.
    const ack = await sandbox.sendCommand(bot.eventsUrl, { text: 'recover triage', channel, user: MALLORY });
    expect(ack.status).toBe(200);
    const plan = await waitForPlan(sandbox, channel);
    const shown = blocksText(plan);
    // The dependency is down, so the network-partition runbook sheds the participant that calls it.
    expect(shown).toContain('Network partition');
    expect(shown).toContain('agents shed `support/triage`'); // the name people use, not the registered type
    expect(shown).not.toContain(triage.type);
    // The bridge's dry run says what the step does to the team; the runbook says it too.
    expect(shown).toContain(':busts_in_silhouette: *Team:* support/triage is switched off: it answers every turn with a refusal instead of calling its model; the team keeps running; 1 other participant (responder) unaffected');
    expect(shown).toContain('*What this runbook does to a team:* A shed AgentChat participant answers every turn with a refusal');
    expect(hasButton(plan, 'plan:approve')).toBe(true);
    expect((await member('triage')).degraded).toBe(false);

    expect((await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE)).status).toBe(200);
    await waitFor(() => plan.edits.some((e) => JSON.stringify(e.blocks).includes('(1 of 2)')), { what: 'first approval recorded' });
    expect((await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', BOB)).status).toBe(200);

    // The outcome says what the action did to the team, in the thread of the plan.
    const outcome = await waitForOutcome(sandbox, channel, plan.ts, 'busts_in_silhouette');
    const said = blocksText(outcome);
    expect(said).toContain('agents shed `support/triage`');
    expect(said).toContain('*Team:* support/triage is switched off: it answers every turn with a refusal');
    expect(said).toContain(planIdOf(plan));
    const before = await teamRuns();
    const refusedBefore = (await member('triage')).refused_total;

    // The team still answers while triage is switched off: triage answers its turns with a refusal, and
    // new runs start and end by their termination condition; none fails or hangs.
    const after = await waitFor(async () => {
      const runs = await teamRuns();
      return runs.finished >= before.finished + 2 ? runs : undefined;
    }, { what: 'two more runs of the support team finished', timeoutMs: 20_000 });
    const shed = await member('triage');
    expect(shed.degraded).toBe(true);
    expect(shed.refused_total).toBeGreaterThan(refusedBefore);
    expect(after.failed).toBe(before.failed);
    expect(after.last_ended_by).toBe('termination');
    expect(after.last_stop_reason).toContain('TERMINATE');

    // Verified: the participant asked about is judged by its name, as the plan acted on it.
    const judged = await waitForOutcome(sandbox, channel, plan.ts, 'The symptom');
    const verdict = blocksText(judged);
    expect(verdict).toContain('Mitigated, cause still present');
    expect(verdict).toContain(`${triage.type} (acted on, incident): degraded`);
    expect(verdict).not.toContain('not found in the runtime');
    // A shed participant still hears the team's conversation: what must stop is the turns it takes itself.
    expect(verdict).toMatch(new RegExp(`${triage.type}: 0 turn\\(s\\) taken since the action, \\d+ answered with a refusal`));

    // The audit log names the participant as people do (`support/triage`), the registered type kept beside it.
    const planId = planIdOf(plan);
    expect((await sandbox.sendCommand(bot.eventsUrl, { text: `audit ${planId}`, channel, user: ALICE })).status).toBe(200);
    const log = await waitFor(() => sandbox.ephemerals.find((e) => e.user === ALICE && e.channel === channel && e.text.includes('Audit log of')), { what: 'the audit log of the plan' });
    const applied = log.text.split('\n').find((l) => l.includes(' applied '));
    expect(applied).toContain('support/triage');
    expect(log.text).toContain('on support/triage'); // the plan.proposed line
    expect(log.text).not.toContain(triage.type);
    const rows = await redis.xrange(`${bot.prefix}audit:plan:${planId}`, '-', '+');
    const executed = rows.map(([, f]) => f).find((f) => f[f.indexOf('type') + 1] === 'action.executed');
    const data = JSON.parse(executed?.[executed.indexOf('data') + 1] ?? '{}') as { agents?: string[]; agent_types?: string[] };
    expect(data.agents).toContain('support/triage');
    expect(data.agent_types).toContain(triage.type); // the type stays, for machines
  }, 60_000);
});
