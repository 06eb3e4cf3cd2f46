/**
 * Bad input and a dead runtime never leave the thread silent: an unknown runbook is refused with a coded
 * ephemeral; a runtime whose bridge dies between approval and execution makes the run retry with back-off
 * and then say, in the thread, that it gave up — and the failed attempt is counted.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/stream.js';
import type { Sandbox } from '../support/sandbox.js';
import type { LocalFleet } from '../support/fleet.js';
import {
  ALICE, blocksText, planIdOf, startResponseTest, waitForEphemeral, waitForOutcome, waitForPlan, type ResponseBot, type ResponseTest,
} from '../support/response-bot.js';

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: ResponseBot;
let redis: Redis;
let rt: ResponseTest | undefined;

beforeAll(async () => {
  rt = await startResponseTest({ fleet: { rate: 2 }, runbooks: { ttlS: 60, settleS: 1 }, env: { BRIDGE_TIMEOUT_MS: '500', BRIDGE_CONNECT_TIMEOUT_MS: '200', JOB_ATTEMPTS: '3' } });
  ({ sandbox, fleet, bot, redis } = rt);
}, 90_000);

afterAll(() => rt?.stop());

describe('bad input and a dead runtime', () => {
  it('an unknown runbook is refused with a coded ephemeral naming the known ones', async () => {
    await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent no-such-runbook', channel: 'C0UNKNOWN', user: ALICE });
    const eph = await waitForEphemeral(sandbox, ALICE, 'RUNBOOK_UNKNOWN');
    expect(eph.text).toContain('No runbook has that id or scenario. Known: agent-cascade-failure, agent-wont-start,');
  });

  it('a plan for an agent the runtime does not have is refused like every other subcommand, and nothing else is planned', async () => {
    const before = sandbox.messages.filter((m) => m.channel === 'C0NOAGENT').length;
    await sandbox.sendCommand(bot.eventsUrl, { text: 'recover NoSuchAgent', channel: 'C0NOAGENT', user: ALICE });
    const eph = await waitForEphemeral(sandbox, ALICE, 'AGENT_NOT_FOUND');
    expect(eph.text).toContain('`NoSuchAgent` is not registered in runtime');
    expect(sandbox.messages.filter((m) => m.channel === 'C0NOAGENT').length).toBe(before);
  });

  it('the bridge dies after approval: the run retries, then the thread says it gave up and the attempt counts', async () => {
    const plan = await (async () => {
      const before = sandbox.messages.length;
      await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent message-timeout', channel: 'C0DOWN', user: ALICE });
      return waitForPlan(sandbox, 'C0DOWN', before);
    })();
    await fleet.stop();
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);

    const outcome = await waitForOutcome(sandbox, 'C0DOWN', plan.ts, 'could not be reached to run the plan', 30_000);
    expect(blocksText(outcome)).toContain('RUNTIME_UNREACHABLE');
    expect(blocksText(outcome)).toContain('Failed attempt 1 of 3 for this failure');
    const audit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    expect(audit.map((e) => e.type)).toEqual(['plan.proposed', 'approval.approved', 'action.failed']);
  });
});
