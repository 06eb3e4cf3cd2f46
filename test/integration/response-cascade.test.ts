/**
 * Emergency response end to end on real parts — the demo AutoGen fleet with a cascade fault, real Redis,
 * the real bot (signed requests) and worker, the Slack sandbox: a plan, an approval by an allowed user,
 * isolation that really stops delivery in the runtime, a verification that says "mitigated" (the origin
 * is isolated, not healthy), the TTL revert, the look after it ("not resolved": the fault is still
 * there), and a complete audit record.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/stream.js';
import type { Sandbox } from '../support/sandbox.js';
import type { LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import {
  ALICE, BOB, agentState, blocksText, bridgeGet, hasButton, planIdOf, startResponseTest, waitForOutcome, waitForPlan, type ResponseBot, type ResponseTest,
} from '../support/response-bot.js';

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: ResponseBot;
let redis: Redis;
let rt: ResponseTest | undefined;

beforeAll(async () => {
  rt = await startResponseTest({ fleet: { faults: ['cascade:ChatAgent'], rate: 10 }, runbooks: { ttlS: 6, settleS: 1 } });
  ({ sandbox, fleet, bot, redis } = rt);
}, 90_000);

afterAll(() => rt?.stop());

describe('cascade failure: plan, approval, isolation, verification, TTL revert, audit', () => {
  it('isolates the cascade origin only after an allowed approval, verifies it, reverts at the TTL and records everything', async () => {
    const channel = 'C0CASCADE';
    // The fleet's traffic must have made the cascade visible first.
    await waitFor(async () => (await agentState(fleet, 'RetrieverAgent')).error_rate >= 0.05, { what: 'RetrieverAgent failing' });

    const ack = await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ChatAgent', channel, user: ALICE });
    expect(ack.status).toBe(200);
    expect(String(ack.json?.text)).toContain('Planning a recovery for `ChatAgent`');
    const plan = await waitForPlan(sandbox, channel);
    const planId = planIdOf(plan);
    const shown = blocksText(plan);
    // Only the origin of the cascade is isolated; the agents upstream of it recover by themselves.
    expect(shown).toContain('isolate `RetrieverAgent` (mode refuse)');
    expect(shown).not.toMatch(/isolate `(ChatAgent|PlannerAgent)`/);
    expect(shown).toContain('Predicted: in_routing: true → false, isolated: false → true');
    expect(shown).toContain(':red_circle: high');
    expect(hasButton(plan, 'plan:approve') && hasButton(plan, 'plan:reject')).toBe(true);
    // Nothing ran before approval.
    expect((await agentState(fleet, 'RetrieverAgent')).isolated).toBe(false);

    const clickedAt = new Date().toISOString();
    // A high-risk plan: approved by an allowed approver other than its requester.
    expect((await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', BOB)).status).toBe(200);
    await waitFor(async () => (await agentState(fleet, 'RetrieverAgent')).isolated, { what: 'RetrieverAgent isolated' });

    // Isolation really stops delivery: every message to RetrieverAgent after the isolation is refused.
    const isolatedAt = Date.now();
    const refused = await waitFor(async () => {
      const { messages } = await bridgeGet<{ messages: { recipient: string; started_at: string; outcome: string }[] }>(fleet, '/v1/messages?agent=RetrieverAgent&limit=200');
      const after = messages.filter((m) => m.recipient.startsWith('RetrieverAgent/') && Date.parse(m.started_at) > isolatedAt);
      return after.length >= 3 ? after : undefined;
    }, { what: 'messages sent to RetrieverAgent after the isolation' });
    expect(refused.every((m) => m.outcome === 'refused')).toBe(true);

    // The plan message shows who approved and when, without buttons.
    await waitFor(() => plan.edits.some((e) => JSON.stringify(e.blocks).includes(`*Approved* by <@${BOB}>`)), { what: 'plan message edited' });
    expect(hasButton(plan, 'plan:approve')).toBe(false);

    // The outcome in the thread: the action took effect, but an isolated origin is silent, not healthy —
    // mitigated, with evidence, and Keep / Revert now until the TTL.
    const outcome = await waitForOutcome(sandbox, channel, plan.ts, 'Mitigated, cause still present');
    expect(blocksText(outcome)).not.toContain('Fixed and verified');
    expect(blocksText(outcome)).toContain('RetrieverAgent is isolated: silent, not healthy');
    expect(blocksText(outcome)).toContain('RetrieverAgent: isolated');
    expect(blocksText(outcome)).toMatch(/RetrieverAgent: 0 message\(s\) handled since the action/);
    expect(hasButton(outcome, 'plan:keep')).toBe(true);

    // At the TTL the bridge reverts the isolation by itself and the thread says so; the fault is still
    // there, so the look after the release finds the cascade again: not resolved.
    await waitForOutcome(sandbox, channel, plan.ts, 'because its TTL ran out', 30_000);
    expect((await agentState(fleet, 'RetrieverAgent')).isolated).toBe(false);
    await waitForOutcome(sandbox, channel, plan.ts, 'Not resolved — the cause is still present', 30_000);

    // A complete audit record, in order, each entry with its time.
    const entries = await readAudit(redis, bot.prefix, { subject: planId });
    const types = entries.map((e) => e.type);
    expect(types).toEqual(['plan.proposed', 'approval.approved', 'action.executed', 'verify.passed', 'revert.executed', 'verify.failed']);
    expect(entries[3]!.data).toMatchObject({ verdict: 'mitigated' });
    expect(entries[5]!.data).toMatchObject({ stage: 'after_release', verdict: 'unresolved' });
    expect(entries[0]).toMatchObject({ actor: ALICE, runtime: 'demo', runbook_id: 'agent-cascade-failure' });
    expect(entries[1]).toMatchObject({ actor: BOB });
    expect(entries[1]!.at >= clickedAt.slice(0, 19)).toBe(true);
    expect(entries[2]!.data).toMatchObject({
      action: 'isolate', target: 'RetrieverAgent', status: 'applied',
      params: { agent_type: 'RetrieverAgent', mode: 'refuse', ttl_s: 6 },
      before: { isolated: false }, after: { isolated: true },
    });
    expect(entries[4]!.data).toMatchObject({ why: 'ttl' });
    expect(entries.every((e) => /^\d{4}-\d\d-\d\dT/.test(e.at))).toBe(true);

    // `/autogen audit <plan> json` exports the same record as a file in the channel.
    await sandbox.sendCommand(bot.eventsUrl, { text: `audit ${planId} json`, channel, user: ALICE });
    const file = await waitFor(() => sandbox.files.find((f) => f.filename === `audit-${planId}.json` && f.content.length > 0), { what: 'audit export' });
    const exported = JSON.parse(file.content) as { subject: string; entries: { type: string }[] };
    expect(exported.subject).toBe(planId);
    expect(exported.entries.map((e) => e.type)).toEqual(types);
  });
});
