/**
 * Interactions no feature listener claims, as Slack really sends them: signed requests through the real
 * Bolt app (with a worker, so ephemerals reach the sandbox). Every documented payload shape must be acked
 * (200), never left to Bolt's 404 after 3 s, and a payload Bolt cannot route must not become a 500.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { signedHeaders } from '../../sandbox/signing.js';
import { startTestSandbox, SANDBOX_SIGNING_SECRET, type Sandbox } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/poll.js';
import { pino } from 'pino';
import { interactionErrorHandler, interactionPayload, malformedReason, notOneOf, notPrefixedBy, unknownActionText } from '../../src/slack/listeners/unknown.js';
import { claimsOf, FEATURES } from '../../src/slack/features/index.js';
import { GLANCE_SHORTCUT } from '../../src/slack/listeners/home.js';

let sandbox: Sandbox;
let bot: TestBot;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  bot = await startTestBot({ sandbox, runtimes: { prod: { url: 'http://127.0.0.1:9', token: 't' } } });
});

afterAll(async () => {
  await bot.stop();
  await sandbox.stop();
});

type Json = Record<string, unknown>;

/** Sends `payload` as Slack does (form field `payload`, signed over the exact bytes). */
async function sendPayload(payload: Json): Promise<{ status: number; text: string }> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const res = await request(bot.eventsUrl, {
    method: 'POST',
    body,
    headers: signedHeaders(SANDBOX_SIGNING_SECRET, body, Math.floor(Date.now() / 1000)),
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  return { status: res.statusCode, text: await res.body.text() };
}

const team = { id: 'T0SANDBOX', domain: 'sandbox' };
const user = (id = 'U0ALICE') => ({ id, username: 'alice', name: 'alice', team_id: 'T0SANDBOX' });
const trigger = () => `${Date.now()}.1.${randomBytes(6).toString('hex')}`;
const common = () => ({ api_app_id: 'A0SANDBOX', token: 'sandbox-verification-token', team, enterprise: null, is_enterprise_install: false, trigger_id: trigger() });
const button = (actionId: string) => ({ type: 'button', action_id: actionId, block_id: 'b1', text: { type: 'plain_text', text: 'Old' }, value: 'v', action_ts: `${Date.now() / 1000}` });

function blockActions(channel: string | undefined, action: Json, extra: Json = {}): Json {
  return {
    type: 'block_actions',
    ...common(),
    user: user(),
    ...(channel ? {
      channel: { id: channel, name: 'ops' },
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: channel, is_ephemeral: false },
      message: { type: 'message', ts: '1700000000.000100', text: 'an old report', user: 'U0SANDBOXBOT', bot_id: 'B0SANDBOX', blocks: [] },
      response_url: `${sandbox.url}/response/${randomBytes(4).toString('hex')}`,
    } : {}),
    actions: [action],
    ...extra,
  };
}

function ephemeralsIn(channel: string) {
  return sandbox.ephemerals.filter((e) => e.channel === channel);
}

describe('catch-all patterns (pure)', () => {
  it('actions: every id outside the prefixes the features claim, none inside', () => {
    const { actionPrefixes } = claimsOf(FEATURES);
    expect(actionPrefixes).toEqual(expect.arrayContaining(['diag:', 'guide:', 'incident:', 'plan:']));
    const re = notPrefixedBy(actionPrefixes);
    for (const p of actionPrefixes) expect(re.test(`${p}anything`), p).toBe(false);
    for (const id of ['legacy_button', 'overflow-1', 'diag', 'plan_approve', 'Diag:logs', '']) expect(re.test(id), id).toBe(true);
  });

  it('shortcuts: everything but the bot own callback ids (exact match only)', () => {
    const re = notOneOf([GLANCE_SHORTCUT]);
    expect(re.test(GLANCE_SHORTCUT)).toBe(false);
    expect(re.test(`${GLANCE_SHORTCUT}_old`)).toBe(true);
    expect(re.test('create_incident')).toBe(true);
  });

  it('with nothing claimed, every id is unknown (an empty alternation must not match nothing)', () => {
    for (const id of ['diag:logs', 'x', '']) {
      expect(notPrefixedBy([]).test(id), id).toBe(true);
      expect(notOneOf([]).test(id), id).toBe(true);
    }
  });

  it('the ephemeral escapes the id, keeps its code span closed and names the code', () => {
    const text = unknownActionText('old`<!channel>&<http://x|y>');
    expect(text).toContain('INTERACTION_UNKNOWN');
    expect(text).toContain('not known to this version of AutoGen Ops');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<http');
    expect(unknownActionText('x'.repeat(400)).length).toBeLessThan(600);
  });

  it('names why a payload cannot be routed', () => {
    expect(malformedReason({ type: 'block_actions', team, actions: [{}] })).toBe('block_actions payload without a user');
    expect(malformedReason({ type: 'shortcut', user: { id: 'U1' }, team: null })).toBe('shortcut payload without a team');
    expect(malformedReason({ type: 'shortcut', user: { id: 'U1', team_id: 'T1' } as never, team: null })).toBeUndefined();
    expect(malformedReason({ type: 'block_actions', user: { id: 'U1' }, team })).toBe('block_actions payload without actions');
    expect(malformedReason({ user: { id: 'U1' } })).toBe('interaction payload without a type');
    expect(interactionPayload('payload=%7B%22type%22%3A%22shortcut%22%7D')).toEqual({ type: 'shortcut' });
    expect(interactionPayload('payload=not-json')).toBeUndefined();
    expect(interactionPayload('command=%2Fautogen')).toBeUndefined();
  });
});

describe('receiver error handler: the reason and detail reach the log', () => {
  function run(rawBody: string, error: Error) {
    const lines: Json[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l) as Json); } });
    const res = { headersSent: false, status: 0, writeHead(s: number) { this.status = s; return this; }, end() { return this; } };
    return interactionErrorHandler(logger)({ error, request: { rawBody: Buffer.from(rawBody) } as never, response: res as never }).then((acked) => ({ acked, status: res.status, lines }));
  }

  it('an interaction without user: 200, warned with the reason and the ids', async () => {
    const body = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', team, actions: [{ action_id: 'x1' }] }) }).toString();
    const out = await run(body, new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect(out).toMatchObject({ acked: true, status: 200 });
    expect(out.lines[0]).toMatchObject({ level: 40, reason: 'block_actions payload without a user', action_id: 'x1' });
  });

  it('any other failure: 500 with the error detail logged at error level', async () => {
    const out = await run('command=%2Fautogen', new Error('listener exploded'));
    expect(out).toMatchObject({ acked: false, status: 500 });
    expect(out.lines[0]).toMatchObject({ level: 50 });
    expect(JSON.stringify(out.lines[0])).toContain('listener exploded');
  });
});

describe('interactions no listener claims are acked through the app', () => {
  it('block_actions: an unknown button in a channel message → 200 and an ephemeral with INTERACTION_UNKNOWN, id escaped', async () => {
    const res = await sendPayload(blockActions('C0MSG', button('legacy:<!channel>')));
    expect(res.status).toBe(200);
    const eph = await waitFor(() => ephemeralsIn('C0MSG')[0], { what: 'ephemeral in C0MSG' });
    expect(eph.user).toBe('U0ALICE');
    expect(eph.text).toContain('INTERACTION_UNKNOWN');
    expect(eph.text).toContain('legacy:&lt;!channel&gt;');
    expect(eph.text).not.toContain('<!channel>');
  });

  it('block_actions from an ephemeral message (no `message`) → 200 and the ephemeral', async () => {
    const payload = blockActions('C0EPH', button('old_ephemeral_button'));
    delete payload.message;
    payload.container = { type: 'message', message_ts: '1700000000.000200', channel_id: 'C0EPH', is_ephemeral: true };
    const res = await sendPayload(payload);
    expect(res.status).toBe(200);
    const eph = await waitFor(() => ephemeralsIn('C0EPH')[0], { what: 'ephemeral in C0EPH' });
    expect(eph.text).toContain('`old_ephemeral_button`');
  });

  it('block_actions from App Home (container type view, no channel) → 200', async () => {
    const res = await sendPayload(blockActions(undefined, button('home_old_button'), {
      container: { type: 'view', view_id: 'V0HOME' },
      view: { id: 'V0HOME', type: 'home', callback_id: '', blocks: [], state: { values: {} }, hash: 'h', team_id: 'T0SANDBOX', app_id: 'A0SANDBOX' },
    }));
    expect(res.status).toBe(200);
  });

  it('an overflow menu → 200 and the ephemeral', async () => {
    const res = await sendPayload(blockActions('C0OVERFLOW', {
      type: 'overflow', action_id: 'row_menu', block_id: 'b2', action_ts: `${Date.now() / 1000}`,
      selected_option: { text: { type: 'plain_text', text: 'Mute' }, value: 'mute' },
    }));
    expect(res.status).toBe(200);
    const eph = await waitFor(() => ephemeralsIn('C0OVERFLOW')[0], { what: 'ephemeral in C0OVERFLOW' });
    expect(eph.text).toContain('`row_menu`');
  });

  it('a static select → 200 and the ephemeral', async () => {
    const res = await sendPayload(blockActions('C0SELECT', {
      type: 'static_select', action_id: 'pick_runtime', block_id: 'b3', action_ts: `${Date.now() / 1000}`,
      selected_option: { text: { type: 'plain_text', text: 'prod' }, value: 'prod' },
      placeholder: { type: 'plain_text', text: 'Runtime' },
    }));
    expect(res.status).toBe(200);
    const eph = await waitFor(() => ephemeralsIn('C0SELECT')[0], { what: 'ephemeral in C0SELECT' });
    expect(eph.text).toContain('INTERACTION_UNKNOWN');
  });

  it('a global shortcut (no channel, no response_url) → 200', async () => {
    const res = await sendPayload({ type: 'shortcut', ...common(), user: user(), callback_id: 'open_incident_form', action_ts: `${Date.now() / 1000}` });
    expect(res.status).toBe(200);
  });

  it('an unknown message shortcut → 200', async () => {
    const res = await sendPayload({
      type: 'message_action', ...common(), user: user(), callback_id: 'summarise_thread', action_ts: `${Date.now() / 1000}`,
      channel: { id: 'C0MSGSC', name: 'ops' },
      message: { type: 'message', ts: '1700000000.000300', text: 'hello', user: 'U0BOB' },
      message_ts: '1700000000.000300',
      response_url: `${sandbox.url}/response/${randomBytes(4).toString('hex')}`,
    });
    expect(res.status).toBe(200);
  });

  const view = (callbackId: string) => ({
    id: 'V0MODAL', team_id: 'T0SANDBOX', type: 'modal', callback_id: callbackId, private_metadata: '', blocks: [],
    state: { values: { b: { a: { type: 'plain_text_input', value: 'x' } } } }, hash: 'h', title: { type: 'plain_text', text: 'Old' },
    close: null, submit: { type: 'plain_text', text: 'Go' }, root_view_id: 'V0MODAL', previous_view_id: null, app_id: 'A0SANDBOX',
    external_id: '', app_installed_team_id: 'T0SANDBOX', bot_id: 'B0SANDBOX',
  });

  it('a view_submission → 200 with no errors (the modal closes)', async () => {
    const res = await sendPayload({ type: 'view_submission', ...common(), user: user(), view: view('old_modal'), response_urls: [] });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('errors');
  });

  it('a view_closed → 200', async () => {
    const res = await sendPayload({ type: 'view_closed', ...common(), user: user(), view: view('old_modal'), is_cleared: false });
    expect(res.status).toBe(200);
  });

  it('a known prefix is still handled by its own listener only (no second ack, no unknown ephemeral)', async () => {
    const res = await sendPayload(blockActions('C0KNOWN', button('diag:logs')));
    expect(res.status).toBe(200);
    const eph = await waitFor(() => ephemeralsIn('C0KNOWN')[0], { what: 'ephemeral in C0KNOWN' });
    expect(eph.text).toContain('ACTION_PAYLOAD_INVALID');
    expect(ephemeralsIn('C0KNOWN').some((e) => e.text.includes('INTERACTION_UNKNOWN'))).toBe(false);
  });

  it('a block_actions payload without user is acked, not a 500', async () => {
    const payload = blockActions('C0NOUSER', button('legacy_button'));
    delete payload.user;
    const res = await sendPayload(payload);
    expect(res.status).toBe(200);
  });

  it('a known action without user (Bolt cannot build its source) is acked, not a 500', async () => {
    const payload = blockActions('C0NOUSER2', button('diag:logs'));
    delete payload.user;
    const res = await sendPayload(payload);
    expect(res.status).toBe(200);
  });

  it('an org-wide shortcut with neither team nor user is acked, not a 500', async () => {
    const res = await sendPayload({ type: 'shortcut', ...common(), team: null, callback_id: 'open_incident_form' });
    expect(res.status).toBe(200);
  });
});
