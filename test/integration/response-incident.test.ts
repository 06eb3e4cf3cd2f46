/**
 * From fault to fix without anyone typing a command: a cascade fault in the real demo fleet → the bot's
 * monitor raises alerts → one incident thread → the matching runbook posts its plan in that thread →
 * an allowed approver approves → the cascade's origin is isolated, verified as mitigated → the incident's
 * audit record holds all of it.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/stream.js';
import { scheduleMonitors } from '../../src/monitor/schedule.js';
import type { Sandbox } from '../support/sandbox.js';
import type { LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import {
  ALICE, agentState, blocksText, planIdOf, startResponseTest, waitForOutcome, type ResponseBot, type ResponseTest,
} from '../support/response-bot.js';

const CHANNEL = 'C0INCIDENTS';
let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: ResponseBot;
let redis: Redis;
let rt: ResponseTest | undefined;

beforeAll(async () => {
  rt = await startResponseTest({
    fleet: { enableFaults: true, rate: 10 }, runbooks: { ttlS: 60, settleS: 1 },
    env: { MONITOR_ENABLED: 'true', MONITOR_INTERVAL_S: '1', ALERT_CHANNEL: CHANNEL },
  });
  ({ sandbox, fleet, bot, redis } = rt);
  await scheduleMonitors(bot.worker!.deps.queues, bot.config, bot.logger);
}, 90_000);

afterAll(() => rt?.stop());

describe('incident → plan → approval → isolation', () => {
  it('a cascade fault leads to an incident whose thread gets the plan; approving it isolates the origin', async () => {
    const res = await fetch(`${fleet.url}/v1/faults`, {
      method: 'POST', headers: { authorization: `Bearer ${fleet.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fault: 'cascade', agent_type: 'ChatAgent', params: {} }),
    });
    expect(res.status).toBe(200);

    const plan = await waitFor(() => sandbox.messages.find((m) => m.channel === CHANNEL && m.thread_ts !== undefined && blocksText(m).includes('Recovery plan:')),
      { what: 'a plan in an incident thread', timeoutMs: 60_000 });
    const root = sandbox.messages.find((m) => m.channel === CHANNEL && m.ts === plan.thread_ts);
    expect(root).toBeDefined();
    const shown = blocksText(plan);
    expect(shown).toContain('Agent cascade failure');
    expect(shown).toContain('proposed for the incident');
    // Matched by the incident's alert or by its diagnosis's finding — whichever the plan was made from first
    // (plans follow the diagnosis once it is known); either way the cascade runbook.
    expect(shown).toMatch(/Matched on (alertname=AutoGenAgentHighErrorRate|finding cascade)/);
    expect(shown).toContain('isolate `RetrieverAgent`');
    const incidentId = /inc-[a-z0-9]+/.exec(shown)?.[0];
    expect(incidentId).toBeDefined();

    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
    await waitFor(async () => (await agentState(fleet, 'RetrieverAgent')).isolated, { what: 'RetrieverAgent isolated' });
    // The action took effect; the isolated origin is silent, not healthy: mitigated, not fixed.
    const outcome = await waitForOutcome(sandbox, CHANNEL, plan.thread_ts!, 'Mitigated, cause still present');
    expect(blocksText(outcome)).toContain('RetrieverAgent: isolated');

    // The incident moved to "mitigating", by the approver, and its root says so.
    await waitFor(() => root!.edits.some((e) => JSON.stringify(e.blocks).includes('Mitigating')), { what: 'root edited to mitigating' });

    const audit = await readAudit(redis, bot.prefix, { subject: incidentId! });
    expect(audit.map((e) => e.type)).toEqual(['plan.proposed', 'approval.approved', 'action.executed', 'verify.passed']);
    expect(audit[0]).toMatchObject({ actor: 'incident', plan_id: planIdOf(plan) });
  }, 120_000);
});
