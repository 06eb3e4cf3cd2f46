/**
 * Verification means recovery, on real parts — the demo AutoGen fleet, real Redis, the bot's own monitor,
 * the real bot (signed requests) and worker, the Slack sandbox. A failing PlannerAgent makes its caller
 * ChatAgent fail; the incident's plan isolates the origin (PlannerAgent). ChatAgent does not tolerate an
 * isolated dependency, so it keeps failing: the outcome is "mitigated, cause still present" (not "fixed"),
 * with the bridge's true refusal counts, and the incident is "mitigating". `/autogen recover` for the same
 * agent links to the incident's plan instead of proposing a second one. Once the fault is cleared and the
 * isolation released, the next look says "resolved" and the incident is resolved by the verification.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/stream.js';
import { IncidentStore } from '../../src/incidents/store.js';
import { monitorKeys } from '../../src/monitor/poll.js';
import { scheduleMonitors } from '../../src/monitor/schedule.js';
import type { Sandbox } from '../support/sandbox.js';
import type { LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import {
  ALICE, agentState, blocksText, bridgePost, injectFault, planIdOf, startResponseTest, waitForEphemeral, waitForOutcome, type ResponseBot, type ResponseTest,
} from '../support/response-bot.js';

const CHANNEL = 'C0VERIFY';
let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: ResponseBot;
let redis: Redis;
let rt: ResponseTest | undefined;

beforeAll(async () => {
  rt = await startResponseTest({
    fleet: { enableFaults: true, rate: 10 }, runbooks: { ttlS: 300, settleS: 1 },
    env: { MONITOR_ENABLED: 'true', MONITOR_INTERVAL_S: '1', ALERT_CHANNEL: CHANNEL, ALERT_AUTO_DIAGNOSE: 'false' },
  });
  ({ sandbox, fleet, bot, redis } = rt);
  await scheduleMonitors(bot.worker!.deps.queues, bot.config, bot.logger);
}, 90_000);

afterAll(() => rt?.stop());

/** The count `pattern` captures in `text`, or -1 when it is not there. */
function refusedIn(text: string, pattern: RegExp): number {
  const m = pattern.exec(text);
  return m ? Number(m[1]) : -1;
}

describe('verification checks the symptom, not only the action', () => {
  it('isolating the origin while its caller still fails is "mitigated"; after the fault is cleared and the isolation released it is "resolved"', async () => {
    await injectFault(fleet, 'exception', 'PlannerAgent');
    await waitFor(async () => (await agentState(fleet, 'ChatAgent')).error_rate >= 0.5, { what: 'ChatAgent failing because PlannerAgent fails', timeoutMs: 30_000 });

    // The monitor opens the incident; its plan isolates the origin of the cascade only.
    const plan = await waitFor(() => sandbox.messages.find((m) => m.channel === CHANNEL && m.thread_ts !== undefined && blocksText(m).includes('Recovery plan:')),
      { what: 'the incident\'s plan in its thread', timeoutMs: 60_000 });
    const planId = planIdOf(plan);
    expect(blocksText(plan)).toContain('isolate `PlannerAgent`');
    expect(blocksText(plan)).not.toMatch(/isolate `ChatAgent`/);
    const incidentId = /inc-[a-z0-9]+/.exec(blocksText(plan))?.[0];
    expect(incidentId).toBeDefined();
    const store = new IncidentStore(redis, { keyPrefix: bot.prefix });

    // `/autogen recover` for the same agent and runbook is the same plan: the user is pointed at it.
    const plansBefore = sandbox.messages.filter((m) => blocksText(m).includes('Recovery plan:')).length;
    await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ChatAgent demo agent-cascade-failure', channel: CHANNEL, user: ALICE });
    const pointer = await waitForEphemeral(sandbox, ALICE, 'The same recovery plan');
    expect(pointer.text).toContain(planId);
    expect(pointer.text).toContain('waiting for approval');
    expect(sandbox.messages.filter((m) => blocksText(m).includes('Recovery plan:'))).toHaveLength(plansBefore);

    // Approve: PlannerAgent is isolated, ChatAgent keeps failing (it does not tolerate an isolated dependency).
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);
    await waitFor(async () => (await agentState(fleet, 'PlannerAgent')).isolated, { what: 'PlannerAgent isolated' });
    const outcome = await waitForOutcome(sandbox, CHANNEL, plan.thread_ts!, 'ChatAgent still fails', 30_000);
    const mitigated = blocksText(outcome);
    expect(mitigated).toContain('Mitigated, cause still present');
    expect(mitigated).not.toContain('Fixed and verified');
    // ChatAgent is the incident's agent or joined it, and PlannerAgent's caller in the bridge's message graph.
    expect(mitigated).toMatch(/ChatAgent \([a-z ,]*caller\): (\d+) of \1 failed in the \d+ s since the action \(100\.0 %, over 5\.0 % — still failing\)/);
    expect(mitigated).toMatch(/PlannerAgent \(acted on[a-z ,]*\): isolated — 0 handled, [1-9]\d* refused/);
    // Refusals are the bridge's own count, never "0 refused" while it refused deliveries.
    expect((await agentState(fleet, 'PlannerAgent')).refused_total ?? 0).toBeGreaterThan(0);
    expect(refusedIn(mitigated, /PlannerAgent: 0 message\(s\) handled since the action(?: \(\d+ were in flight\))?, (\d+) refused/)).toBeGreaterThan(0);

    // The incident is "mitigating", not resolved, and its root says so; the monitor holds the isolated
    // agent's alerts (its silence is not health).
    await waitFor(async () => (await store.get(incidentId!))?.state === 'mitigating', { what: 'incident mitigating' });
    const root = sandbox.messages.find((m) => m.channel === CHANNEL && m.ts === plan.thread_ts)!;
    await waitFor(() => root.edits.some((e) => JSON.stringify(e.blocks).includes('Mitigating')), { what: 'root edited to mitigating' });
    const heldKey = monitorKeys(bot.prefix, 'demo').held;
    const held = async (): Promise<Record<string, { releasedAt: number | null }>> => JSON.parse((await redis.get(heldKey)) ?? '{}') as Record<string, { releasedAt: number | null }>;
    await waitFor(async () => (await held()).PlannerAgent?.releasedAt === null, { what: 'the monitor holding PlannerAgent\'s alerts' });

    // Clear the fault and release the isolation: the next look judges ChatAgent since the release.
    await bridgePost(fleet, '/v1/faults', {}, 'DELETE');
    await sandbox.clickButton(bot.eventsUrl, outcome, 'plan:revert', ALICE);
    await waitFor(async () => !(await agentState(fleet, 'PlannerAgent')).isolated, { what: 'PlannerAgent released' });
    const resolved = await waitForOutcome(sandbox, CHANNEL, plan.thread_ts!, 'Fixed and verified — resolved', 30_000);
    expect(blocksText(resolved)).toMatch(/ChatAgent \([a-z ,]*caller\): 0 of [1-9]\d* failed in the \d+ s since the release/);
    await waitFor(async () => (await store.get(incidentId!))?.state === 'resolved', { what: 'incident resolved by the verification' });
    expect(await store.get(incidentId!)).toMatchObject({ resolvedBy: 'verification' });
    // The monitor judges PlannerAgent by its figures again once it handled messages after the release.
    await waitFor(async () => (await held()).PlannerAgent === undefined, { what: 'the monitor judging PlannerAgent again' });

    // The record: the first verdict (action took effect, mitigated), the release, and the verdict after it.
    const audit = await readAudit(redis, bot.prefix, { subject: planId });
    const verdicts = audit.filter((e) => e.type.startsWith('verify.')).map((e) => `${String(e.data.stage ?? 'after_action')}:${String(e.data.verdict)}`);
    expect(verdicts).toEqual(['after_action:mitigated', 'after_release:resolved']);
    expect(audit.find((e) => e.type === 'revert.executed')?.data).toMatchObject({ why: 'manual' });
  }, 180_000);
});
