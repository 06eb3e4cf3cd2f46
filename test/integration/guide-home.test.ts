/**
 * The App Home tab, the message shortcut and the follow-up buttons of guide reports, end to end: signed
 * Slack requests to the real bot, real worker and Redis, the real demo fleet; the sandbox records the
 * views published and the messages posted.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { freePort } from '../../src/local/redis.js';
import { renderBlocks } from '../../sandbox/render.js';
import { signedHeaders } from '../../sandbox/signing.js';
import { GLANCE_SHORTCUT } from '../../src/slack/listeners/home.js';
import { startTestSandbox, SANDBOX_SIGNING_SECRET, type Sandbox } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { expectWithinSlackLimits } from '../support/slack-limits.js';

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: TestBot;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const [f, deadPort] = await Promise.all([startTestFleet({ name: 'demo', faults: ['dead_dependency:RetrieverAgent'] }), freePort()]);
  fleet = f;
  bot = await startTestBot({
    sandbox,
    runtimes: { demo: { url: fleet.url, token: fleet.token }, down: { url: `http://127.0.0.1:${deadPort}`, token: 'nobody-listens' } },
    env: { BRIDGE_TIMEOUT_MS: '1000' },
  });
}, 90_000);

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fleet?.stop(), sandbox?.stop()]);
});

/** Posts a signed request body as Slack does (events: JSON; interactions: form with `payload`). */
async function signedPost(body: string, contentType: string): Promise<number> {
  const res = await request(bot.eventsUrl, { method: 'POST', body, headers: signedHeaders(SANDBOX_SIGNING_SECRET, body, Math.floor(Date.now() / 1000), { 'content-type': contentType }) });
  await res.body.text();
  return res.statusCode;
}

describe('App Home and the message shortcut', () => {
  it('opening the Home tab publishes the commands and every runtime\'s health at a glance', async () => {
    const event = {
      token: 'sandbox-verification-token',
      team_id: sandbox.teamId,
      api_app_id: 'A0SANDBOX',
      event: { type: 'app_home_opened', user: 'U0HOMEUSER', channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` },
      type: 'event_callback',
      event_id: `Ev${randomBytes(6).toString('hex')}`,
      event_time: Math.floor(Date.now() / 1000),
    };
    expect(await signedPost(JSON.stringify(event), 'application/json')).toBe(200);
    const call = await waitFor(() => sandbox.callsOf('views.publish').find((c) => c.args.user_id === 'U0HOMEUSER'), { timeoutMs: 20_000, what: 'views.publish' });
    const view = (typeof call.args.view === 'string' ? JSON.parse(call.args.view) : call.args.view) as { type: string; blocks: Record<string, unknown>[] };
    expect(view.type).toBe('home');
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const text = renderBlocks(view.blocks);
    expect(text).toContain('Runtimes at a glance');
    expect(text).toMatch(/❌ demo — Failing \(Integration › Database\): Dependency vector-db unreachable/);
    expect(text).toMatch(/🔌 down — Runtime unreachable: connection refused/);
    for (const usage of ['health [runtime]', 'perf <agent|runtime> [runtime]', 'message <from> <to> [type] [runtime]', 'logs [agent] [since] [level] [runtime]', 'trace <message_id> [runtime]', 'inspect <agent> [runtime]', 'snapshot [runtime]', 'diagnose <agent> [runtime]']) {
      expect(text).toContain(`/autogen ${usage}`);
    }
  });

  it('the message shortcut answers the same glance ephemerally in the message\'s thread', async () => {
    const payload = {
      type: 'message_action',
      callback_id: GLANCE_SHORTCUT,
      trigger_id: `${Date.now()}.1.${randomBytes(4).toString('hex')}`,
      response_url: `${sandbox.url}/response/x`,
      team: { id: sandbox.teamId, domain: 'sandbox' },
      channel: { id: 'C0SHORTCUT', name: 'ops' },
      user: { id: 'U0SHORTCUT', name: 'operator' },
      message_ts: '1700000000.000100',
      message: { type: 'message', ts: '1700000000.000100', thread_ts: '1699999999.000050', text: 'is prod ok?' },
      token: 'sandbox-verification-token',
      is_enterprise_install: false,
      enterprise: null,
    };
    expect(await signedPost(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded')).toBe(200);
    const eph = await waitFor(() => sandbox.ephemerals.find((e) => e.channel === 'C0SHORTCUT'), { timeoutMs: 20_000, what: 'glance ephemeral' });
    expect(eph.user).toBe('U0SHORTCUT');
    expect(eph.text).toBe('AutoGen Ops: 0 of 2 runtimes healthy');
    expectWithinSlackLimits({ text: eph.text, blocks: eph.blocks });
    expect(renderBlocks(eph.blocks)).toContain('/autogen health [runtime]');
    const call = sandbox.callsOf('chat.postEphemeral').find((c) => c.args.channel === 'C0SHORTCUT');
    expect(call?.args.thread_ts).toBe('1699999999.000050');
  });
});

describe('follow-up buttons on guide reports', () => {
  it('"Analyse logs" on a failing health report posts the log analysis in the report\'s thread', async () => {
    const ack = await sandbox.sendCommand(bot.eventsUrl, { text: 'health demo', channel: 'C0BUTTONS' });
    expect(ack.status).toBe(200);
    const report = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0BUTTONS' && m.thread_ts === undefined), { timeoutMs: 20_000, what: 'health report' });
    expect(renderBlocks(report.blocks)).toContain('category: Integration › Database');
    const click = await sandbox.clickButton(bot.eventsUrl, report, 'guide:logs');
    expect(click.status).toBe(200);
    const reply = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0BUTTONS' && m.thread_ts === report.ts), { timeoutMs: 20_000, what: 'logs reply in thread' });
    const text = renderBlocks(reply.blocks);
    expect(text).toContain('Log analysis');
    expect(text).toMatch(/Integration › Database|connection refused/);
    const file = await waitFor(() => sandbox.files.find((f) => f.channel === 'C0BUTTONS' && f.content.length > 0), { timeoutMs: 15_000, what: 'analysis file' });
    expect(file.thread_ts).toBe(report.ts);
  });

  it('"Take snapshot" posts the snapshot in the same thread', async () => {
    const report = sandbox.messages.find((m) => m.channel === 'C0BUTTONS' && m.thread_ts === undefined)!;
    await sandbox.clickButton(bot.eventsUrl, report, 'guide:snapshot');
    const reply = await waitFor(() => sandbox.messages.find((m) => m.thread_ts === report.ts && m.text.includes('Debug snapshot')), { timeoutMs: 20_000, what: 'snapshot reply' });
    expect(renderBlocks(reply.blocks)).toContain('Snapshot of demo');
    await waitFor(() => sandbox.files.find((f) => f.filename.startsWith('snapshot-demo-') && f.thread_ts === report.ts && f.content.length > 0), { timeoutMs: 15_000, what: 'snapshot file' });
  });
});
