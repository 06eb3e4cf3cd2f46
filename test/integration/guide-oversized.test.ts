/**
 * Oversized inputs still post: a real fleet driven to over 1,000 handler errors, analysed by
 * `/autogen logs` end to end; and an inspect report of a 100 KB saved state delivered through the real
 * outbox and notify worker to the Slack sandbox. Every posted message is checked against Slack's limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBlocks } from '../../sandbox/render.js';
import { inspectReport } from '../../src/diagnosis/inspect.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnosis/thresholds.js';
import { guideReportMessage } from '../../src/slack/blocks/guide.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { agent, runtimeInfo } from '../diagnosis/fixtures.js';
import { expectWithinSlackLimits } from '../support/slack-limits.js';

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: TestBot;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  fleet = await startTestFleet({ name: 'busy', faults: ['exception:ChatAgent'], rate: 150 });
  bot = await startTestBot({ sandbox, runtimes: { busy: { url: fleet.url, token: fleet.token } } });
}, 90_000);

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fleet?.stop(), sandbox?.stop()]);
});

describe('oversized inputs', () => {
  it('more than 1,000 errors: the log report posts within Slack\'s limits and the full analysis is attached', async () => {
    await waitFor(async () => {
      const res = await fetch(`${fleet.url}/v1/agents/ChatAgent`, { headers: { authorization: `Bearer ${fleet.token}` } });
      return ((await res.json()) as { errors_total: number }).errors_total > 1000;
    }, { timeoutMs: 60_000, intervalMs: 500, what: '1,000 errors' });
    const ack = await sandbox.sendCommand(bot.eventsUrl, { text: 'logs ChatAgent 30m', channel: 'C0BIG' });
    expect(ack.status).toBe(200);
    const msg = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0BIG'), { timeoutMs: 30_000, what: 'log report' });
    expectWithinSlackLimits(msg);
    const text = renderBlocks(msg.blocks);
    const count = /❌ InjectedFaultError ×([\d,]+)/.exec(text);  // a true count, whatever the bridge sampled
    expect(Number(count?.[1]?.replaceAll(',', ''))).toBeGreaterThan(1000);
    const file = await waitFor(() => sandbox.files.find((f) => f.channel === 'C0BIG' && f.content.length > 0), { timeoutMs: 20_000, what: 'analysis file' });
    expect(file.content).toMatch(/^### InjectedFaultError ×\d{1,3}(,\d{3})+/m);
  });

  it('a 100 KB saved state: the inspect report goes through the outbox and posts; the state goes as a file', async () => {
    const state = { default: { history: Array.from({ length: 2500 }, (_, i) => ({ turn: i, text: `message ${i} ${'x'.repeat(30)}` })) } };
    expect(JSON.stringify(state).length).toBeGreaterThan(100_000);
    const report = inspectReport({ runtime: 'busy', agent: agent('ChatAgent', { saved_state: state }), info: runtimeInfo(), thresholds: DEFAULT_THRESHOLDS, now: new Date() });
    const msg = guideReportMessage(report);
    expectWithinSlackLimits(msg);
    const outbox = bot.worker!.deps.outbox;
    await outbox.post({ channel: 'C0STATE', text: msg.text, blocks: msg.blocks, ts_key: 'state-report' });
    await outbox.upload({ channel: 'C0STATE', filename: report.attachment!.filename, content: report.attachment!.content, thread_ts_key: 'state-report' });
    const posted = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0STATE'), { timeoutMs: 20_000, what: 'inspect report' });
    expect(renderBlocks(posted.blocks)).toContain('Internal state');
    const file = await waitFor(() => sandbox.files.find((f) => f.channel === 'C0STATE' && f.content.length > 0), { timeoutMs: 20_000, what: 'state file' });
    expect(file.thread_ts).toBe(posted.ts);
    expect(JSON.parse(file.content)).toEqual(state);
  });
});
