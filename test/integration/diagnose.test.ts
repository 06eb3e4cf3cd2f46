/**
 * End to end on real parts: a signed `/autogen diagnose …` reaches the bot (real Bolt HTTP receiver), a real
 * worker takes the job from real Redis, reads the real demo AutoGen fleet over HTTP, and posts the report
 * through the outbox to the Slack sandbox. Only Slack is a stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBlocks } from '../../sandbox/render.js';
import { startTestSandbox, type Sandbox, type SandboxMessage } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { freePort } from '../../src/local/redis.js';
import { waitFor } from '../support/poll.js';

let sandbox: Sandbox;
let faulty: LocalFleet;
let healthy: LocalFleet;
let bot: TestBot;
let deadPort: number;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  [faulty, healthy, deadPort] = await Promise.all([
    startTestFleet({ faults: ['cascade:ChatAgent'], name: 'faulty' }),
    startTestFleet({ name: 'healthy', rate: 5 }),
    freePort(),
  ]);
  bot = await startTestBot({
    sandbox,
    runtimes: {
      faulty: { url: faulty.url, token: faulty.token },
      healthy: { url: healthy.url, token: healthy.token },
      down: { url: `http://127.0.0.1:${deadPort}`, token: 'nobody-listens' },
    },
    env: { DIAGNOSE_ATTEMPTS: '2', BRIDGE_TIMEOUT_MS: '1000' },
  });
}, 90_000);

afterAll(async () => {
  await bot?.stop();
  await Promise.all([faulty?.stop(), healthy?.stop(), sandbox?.stop()]);
});

async function diagnose(text: string, channel: string): Promise<SandboxMessage> {
  const ack = await sandbox.sendCommand(bot.eventsUrl, { text, channel });
  expect(ack.status).toBe(200);
  expect(String(ack.json?.text)).toContain('Diagnosing');
  return waitFor(() => sandbox.messages.find((m) => m.channel === channel && m.thread_ts === undefined), { timeoutMs: 20_000, what: `report in ${channel}` });
}

function plain(msg: SandboxMessage): string {
  return renderBlocks(msg.blocks);
}

describe('/autogen diagnose against the real demo fleet', () => {
  it('a cascade fault on ChatAgent: the report names the failing origin, the cause and the fix', async () => {
    // the fleet's steady traffic must have produced errors first
    await waitFor(async () => {
      const res = await fetch(`${faulty.url}/v1/agents/ChatAgent`, { headers: { authorization: `Bearer ${faulty.token}` } });
      const body = (await res.json()) as { errors_total?: number };
      return (body.errors_total ?? 0) > 0;
    }, { timeoutMs: 20_000, what: 'errors in the faulty fleet' });
    const msg = await diagnose('diagnose ChatAgent faulty', 'C0FAULT');
    const text = plain(msg);
    expect(text).toContain('ChatAgent on faulty — Failing');
    expect(text).toMatch(/❌ Cascading failure — Cascading failure from RetrieverAgent: ChatAgent → PlannerAgent → RetrieverAgent/);
    expect(text).toContain('timed out');
    expect(text).toContain('Fix RetrieverAgent first');
    expect(text).toContain('Probable cause');
    // classified as the guide's log analysis classifies this cascade (test/integration/guide-faults.test.ts)
    expect(text).toContain('category: Application › Timeouts');
    expect(text).toMatch(/Flow classify: Application › Timeouts → collect: bridge \/healthz, runtime info, agent ChatAgent, errors and logs \(last \d+ min\) → analyse: 8 checks: \d ✅, .*\d ❌/);
    expect(text).toContain('verify: Re-run `/autogen diagnose ChatAgent faulty` after the fix');
    const buttons = msg.blocks.find((b) => b.type === 'actions');
    expect(JSON.stringify(buttons)).toContain('diag:logs');
    expect(JSON.stringify(buttons)).toContain('diag:recover');
  });

  it('"Show logs" on the report posts the agent\'s logs in its thread', async () => {
    const report = sandbox.messages.find((m) => m.channel === 'C0FAULT' && m.thread_ts === undefined);
    expect(report).toBeDefined();
    const click = await sandbox.clickButton(bot.eventsUrl, report as SandboxMessage, 'diag:logs');
    expect(click.status).toBe(200);
    const reply = await waitFor(() => sandbox.messages.find((m) => m.thread_ts === report?.ts), { timeoutMs: 15_000, what: 'logs reply' });
    expect(plain(reply)).toContain('Logs of ChatAgent on faulty');
    expect(plain(reply)).toContain('MessageHandlerExceptionEvent');
  });

  it('"Propose recovery" on the report queues a valid plan request for the response feature', async () => {
    const report = sandbox.messages.find((m) => m.channel === 'C0FAULT' && m.thread_ts === undefined) as SandboxMessage;
    const click = await sandbox.clickButton(bot.eventsUrl, report, 'diag:recover');
    expect(click.status).toBe(200);
    const respond = bot.worker?.deps.queues.get('respond');
    const job = await waitFor(async () => (await respond?.getJobs(['waiting', 'active', 'completed', 'failed', 'delayed']))?.find((j) => j.data.source === 'diag:recover'), { what: 'respond job' });
    expect(job.data).toMatchObject({ agent: 'ChatAgent', runtime: 'faulty', channel: 'C0FAULT', thread_ts: report.ts });
    expect(sandbox.ephemerals.filter((e) => e.channel === 'C0FAULT')).toHaveLength(0);
  });

  it('a healthy agent is reported healthy', async () => {
    const msg = await diagnose('diagnose ChatAgent healthy', 'C0HEALTHY');
    const text = plain(msg);
    expect(text).toContain('ChatAgent on healthy — Healthy');
    expect(text).not.toContain('❌');
    expect(text).toContain('✅ Registration and factory');
    expect(text).toContain('category: no problem found');
    expect(text).toContain('Flow classify: No problem found');
  });

  it('an agent type the runtime does not know: an ephemeral AGENT_NOT_FOUND with the registered types, no public report', async () => {
    const ack = await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose chatagent healthy', channel: 'C0TYPO' });
    expect(ack.status).toBe(200);
    const eph = await waitFor(() => sandbox.ephemerals.find((e) => e.channel === 'C0TYPO'), { timeoutMs: 20_000, what: 'ephemeral in C0TYPO' });
    expect(eph.text).toContain('`chatagent` is not registered in runtime `healthy`. Did you mean `ChatAgent`?');
    expect(eph.text).toContain('Registered: `ChatAgent`');
    expect(eph.text).toContain('(AGENT_NOT_FOUND)');
    expect(sandbox.messages.filter((m) => m.channel === 'C0TYPO')).toEqual([]);
  });

  it('the bridge down gives a "runtime unreachable" report, not silence', async () => {
    const msg = await diagnose('diagnose ChatAgent down', 'C0DOWN');
    const text = plain(msg);
    expect(text).toContain('ChatAgent on down — Runtime unreachable');
    expect(text).toContain('connection refused');
    expect(text).toContain('Check that the AutoGen process is running');
    expect(text).toContain('category: Infrastructure › Network');
  });
});
