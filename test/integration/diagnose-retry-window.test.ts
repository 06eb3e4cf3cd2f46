/**
 * A runtime restarting during a diagnosis: the real demo fleet is stopped, `/autogen diagnose ChatAgent`
 * posts the "runtime unreachable" report at once (saying until when the bot keeps trying), the fleet is
 * started again on the same port, and the same report is EDITED (chat.update through the outbox) into the
 * real diagnosis — one message, no second post.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBlocks } from '../../sandbox/render.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { reportCounts } from '../chaos/counts.js';

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: TestBot;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  fleet = await startTestFleet({ name: 'restarting', rate: 5 });
  bot = await startTestBot({
    sandbox,
    runtimes: { demo: { url: fleet.url, token: fleet.token } },
    env: { DIAGNOSE_ATTEMPTS: '2', BRIDGE_TIMEOUT_MS: '1000', DIAGNOSE_RETRY_WINDOW_S: '120' },
  });
}, 90_000);

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fleet?.stop(), sandbox?.stop()]);
});

describe('a diagnosis keeps trying while its runtime restarts', () => {
  it('posts "unreachable" at once, then edits that report when the runtime answers again', async () => {
    const port = Number(new URL(fleet.url).port);
    await fleet.stop();

    const ack = await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose ChatAgent', channel: 'C0RESTART' });
    expect(ack.status).toBe(200);
    const report = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0RESTART' && m.thread_ts === undefined), { timeoutMs: 30_000, what: 'the unreachable report' });
    expect(report.text).toContain('unreachable');
    expect(renderBlocks(report.blocks)).toMatch(/Trying again until \d\d:\d\d:\d\d UTC; this report is edited when the runtime answers\./);
    expect(report.edits).toHaveLength(0);

    fleet = await startTestFleet({ name: 'restarting', rate: 5, port });
    const edited = await waitFor(() => report.edits.at(-1), { timeoutMs: 60_000, what: 'the edited report' });
    const text = renderBlocks(edited.blocks);
    expect(text).toMatch(/The runtime answered again after \d+ s; this replaces the "unreachable" report\./);
    expect(text).not.toContain('Runtime unreachable');
    expect(text).toContain('ChatAgent on demo');
    // one report in the channel: the edit replaced it, nothing was posted twice
    const posts = sandbox.messages.filter((m) => m.channel === 'C0RESTART' && m.thread_ts === undefined);
    reportCounts('bridge restart mid-diagnosis (chaos b)', { posts: { expected: 1, made: posts.length, duplicated: Math.max(0, posts.length - 1) }, notes: { 'report edits': report.edits.length } });
    expect(posts).toHaveLength(1);
  }, 120_000);
});
