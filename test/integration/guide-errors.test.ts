/**
 * Bad input to the guide subcommands, end to end: what the parser can tell is answered in the ack
 * (nothing queued); what only the runtime can tell (unknown agent or message id, a window the bridge
 * refuses, a runtime that is down) is answered with a specific ephemeral message by the worker. None of it
 * stops the worker: a good command afterwards still gets its report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local/redis.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: TestBot;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const [f, deadPort] = await Promise.all([startTestFleet({ name: 'demo' }), freePort()]);
  fleet = f;
  bot = await startTestBot({
    sandbox,
    runtimes: { demo: { url: fleet.url, token: fleet.token }, down: { url: `http://127.0.0.1:${deadPort}`, token: 'nobody-listens' } },
    env: { DIAGNOSE_ATTEMPTS: '2', BRIDGE_TIMEOUT_MS: '1000', AUTOGEN_RUNTIME_DEMO_THRESHOLDS: '{"maxLogWindowH": 6}' },
  });
}, 90_000);

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fleet?.stop(), sandbox?.stop()]);
});

let seq = 0;
function channel(): string {
  seq += 1;
  return `C0ERR${seq}`;
}

/** Sends the command; returns the ack text (always an ephemeral answer, never an HTTP error). */
async function ack(text: string, ch: string): Promise<string> {
  const res = await sandbox.sendCommand(bot.eventsUrl, { text, channel: ch });
  expect(res.status).toBe(200);
  expect(res.json?.response_type).toBe('ephemeral');
  return String(res.json?.text);
}

/** Waits for the worker's ephemeral answer in `ch`. */
async function ephemeral(ch: string): Promise<string> {
  const e = await waitFor(() => sandbox.ephemerals.find((x) => x.channel === ch), { timeoutMs: 20_000, what: `ephemeral in ${ch}` });
  expect(e.user).toBe('U0SANDBOXUSER');
  return e.text;
}

/** Every guide job ever added in this run, whatever its state. */
async function guideJobCount(): Promise<number> {
  const counts = await bot.worker!.deps.queues.get('guide').getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('bad input caught when parsing: a specific ack, nothing queued', () => {
  it.each([
    ['perf', 'COMMAND_USAGE', '/autogen perf &lt;agent|runtime&gt; [runtime]'],
    ['inspect', 'COMMAND_USAGE', '/autogen inspect &lt;agent&gt; [runtime]'],
    ['message ChatAgent', 'COMMAND_USAGE', 'Name the sending and the receiving agent types'],
    ['trace', 'COMMAND_USAGE', 'Give the message id'],
    ['trace bad<id>', 'MESSAGE_ID_INVALID', 'Copy the id from a report'],
    ['inspect Chat/Ag/ent', 'AGENT_NAME_INVALID', 'Agent types use letters, digits'],
    ['health nowhere', 'RUNTIME_UNKNOWN', 'configured runtimes: `demo`, `down`'],
    ['logs ChatAgent 3x', 'LOG_WINDOW_INVALID', 'Give a duration such as `15m`'],
    ['logs ChatAgent 7h', 'LOG_WINDOW_TOO_LARGE', 'You asked for 7 h; the limit is 6 h'],
    ['logs ChatAgent 2d down', 'LOG_WINDOW_TOO_LARGE', 'the limit is 24 h'],
    ['logs ChatAgent PlannerAgent', 'COMMAND_USAGE', 'Cannot tell what `PlannerAgent` is'],
    ['snapshot demo extra', 'COMMAND_USAGE', 'Too many words'],
  ])('/autogen %s → %s', async (text, code, hint) => {
    const before = await guideJobCount();
    const answer = await ack(text, channel());
    expect(answer).toContain(`(${code})`);
    expect(answer).toContain(hint);
    expect(await guideJobCount()).toBe(before);
  });
});

describe('bad input only the runtime can tell: a specific ephemeral error from the worker', () => {
  it('an unknown agent type names the registered ones', async () => {
    const ch = channel();
    expect(await ack('inspect NoSuchAgent demo', ch)).toContain('Inspecting');
    const text = await ephemeral(ch);
    expect(text).toContain('(AGENT_NOT_FOUND)');
    expect(text).toContain('`NoSuchAgent` is not registered in runtime `demo`; registered: `ChatAgent`, `PlannerAgent`, `RetrieverAgent`, `ToolAgent`, `support/RoundRobinGroupChatManager`, `support/responder`, `support/triage`.');
    expect(sandbox.messages.some((m) => m.channel === ch)).toBe(false);
  });

  it('an unknown agent in message and logs likewise', async () => {
    const a = channel();
    await ack('message ChatAgent Ghost demo', a);
    expect(await ephemeral(a)).toContain('`Ghost` is not registered in runtime `demo`');
    const b = channel();
    await ack('logs Ghost 10m', b);
    expect(await ephemeral(b)).toContain('(AGENT_NOT_FOUND)');
  });

  it('an unknown message id', async () => {
    const ch = channel();
    await ack('trace 00000000-0000-0000-0000-000000000000 demo', ch);
    const text = await ephemeral(ch);
    expect(text).toContain('(MESSAGE_NOT_FOUND)');
    expect(text).toContain('Runtime `demo` has no message `00000000-0000-0000-0000-000000000000`');
  });

  it('a runtime that is down: the ephemeral error after the retries; health also reports it in the channel', async () => {
    const a = channel();
    await ack('inspect ChatAgent down', a);
    const text = await ephemeral(a);
    expect(text).toContain('(RUNTIME_UNREACHABLE)');
    expect(text).toContain('connection refused');
    expect(text).toContain('Check that the AutoGen process and its bridge are running');
    const b = channel();
    await ack('health down', b);
    expect(await ephemeral(b)).toContain('(RUNTIME_UNREACHABLE)');
    const report = await waitFor(() => sandbox.messages.find((m) => m.channel === b), { timeoutMs: 10_000, what: 'unreachable report' });
    expect(report.text).toContain('Runtime down is unreachable');
    expect(JSON.stringify(report.blocks)).toContain('Infrastructure › Network');
  });

  it('after all of that the worker still answers a good command', async () => {
    const failed = await bot.worker!.deps.queues.get('guide').getFailedCount();
    const ch = channel();
    await ack('health demo', ch);
    const report = await waitFor(() => sandbox.messages.find((m) => m.channel === ch), { timeoutMs: 20_000, what: 'health report' });
    expect(report.text).toContain('Health check');
    expect(await bot.worker!.deps.queues.get('guide').getFailedCount()).toBe(failed);
    expect(failed).toBe(0);
  });
});
