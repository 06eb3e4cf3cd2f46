/**
 * The sandbox page's server side (sandbox/web.ts) without a bot: static files with a strict CSP, the JSON
 * endpoints' guards (same origin, JSON only, known users and channels), files as downloads, the state and
 * live events of what the bot posted. The whole story with the real bot is test/e2e/browser.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { attachWeb, findElement, safeFilename, type SandboxWeb } from '../../sandbox/web.js';
import { startTestSandbox, SANDBOX_BOT_TOKEN, type Sandbox } from '../support/sandbox.js';
import { waitFor } from '../support/poll.js';

let sandbox: Sandbox;
let web: SandboxWeb;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  web = attachWeb(sandbox, {
    botEventsUrl: 'http://127.0.0.1:9/slack/events',
    users: [{ id: 'U0A', name: 'alice' }],
    channels: [{ id: 'C0OPS', name: 'ops' }],
  });
});
afterAll(async () => { web.close(); await sandbox.stop(); });

async function api(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await request(`${sandbox.apiUrl}${method}`, { method: 'POST', headers: { authorization: `Bearer ${SANDBOX_BOT_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(args) });
  return (await res.body.json()) as Record<string, unknown>;
}

async function page(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const res = await request(`${sandbox.url}${path}`, { method: (init.method ?? 'GET') as 'GET', headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

describe('sandbox page server', () => {
  it('serves the page and its script with a CSP that allows only its own scripts', async () => {
    const html = await page('/');
    expect(html.status).toBe(200);
    expect(html.text).toContain('<script type="module" src="/ui/app.js">');
    expect(String(html.headers['content-security-policy'])).toContain("script-src 'self'");
    expect((await page('/ui/app.js')).status).toBe(200);
    expect((await page('/ui/nothing')).status).toBe(404);
  });

  it('refuses commands from another origin, without JSON, or for unknown users and channels — with the reason', async () => {
    const body = JSON.stringify({ user: 'U0A', channel: 'C0OPS', text: '/autogen help' });
    const other = await page('/ui/command', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.test' }, body });
    expect(other.status).toBe(403);
    const form = await page('/ui/command', { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    expect(form.status).toBe(415);
    const who = await page('/ui/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'U0X', channel: 'C0OPS', text: '/autogen help' }) });
    expect(who.status).toBe(400);
    expect(who.text).toContain('unknown user');
    const cmd = await page('/ui/command', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'U0A', channel: 'C0OPS', text: '/deploy now' }) });
    expect(cmd.status).toBe(400);
    expect(cmd.text).toContain('/deploy is not a command of this app');
    expect(sandbox.acks).toHaveLength(0);
    // without a fleet there is no control panel
    expect(JSON.parse((await page('/ui/faults')).text)).toEqual({ available: false });
  });

  it('state and live events carry what the bot posts and edits; uploaded files download as attachments', async () => {
    const events: string[] = [];
    const res = await request(`${sandbox.url}/ui/events`);
    res.body.on('data', (c: Buffer) => events.push(c.toString()));
    const posted = await api('chat.postMessage', { channel: 'C0OPS', text: '*hi*', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }] });
    await api('chat.update', { channel: 'C0OPS', ts: posted.ts, text: 'edited' });
    await waitFor(() => events.join('').includes('"edited":true'), { what: 'the edit on the event stream' });
    expect(events.join('')).toContain('event: posted');

    const up = await api('files.getUploadURLExternal', { filename: '../snap shot.json', length: 2 });
    await request(String(up.upload_url), { method: 'POST', body: '{}' });
    await api('files.completeUploadExternal', { files: [{ id: up.file_id, title: 'Snapshot' }], channel_id: 'C0OPS' });
    const state = JSON.parse((await page('/ui/state')).text) as { messages: { ts: string; text: string }[]; files: { id: string }[] };
    expect(state.messages.find((m) => m.ts === posted.ts)?.text).toBe('edited');
    expect(state.files.map((f) => f.id)).toContain(up.file_id);
    const file = await page(`/ui/files/${String(up.file_id)}`);
    expect(file.status).toBe(200);
    expect(file.headers['content-disposition']).toBe('attachment; filename="_snap_shot.json"');
    expect(file.text).toBe('{}');
    res.body.destroy();
  });

  it('finds interactive elements in actions blocks and section accessories; file names are made safe', () => {
    const blocks = [
      { type: 'section', block_id: 's', accessory: { type: 'button', action_id: 'a:1' } },
      { type: 'actions', block_id: 'b', elements: [{ type: 'button', action_id: 'a:2' }] },
    ];
    expect(findElement(blocks, 'a:1')?.blockId).toBe('s');
    expect(findElement(blocks, 'a:2', 'b')?.element).toEqual({ type: 'button', action_id: 'a:2' });
    expect(findElement(blocks, 'a:2', 's')).toBeUndefined();
    expect(safeFilename('')).toBe('file');
    expect(safeFilename('a"b\r\n.txt')).toBe('a_b_.txt');
  });
});
