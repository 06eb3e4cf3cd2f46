/**
 * The bot's HTTP doors (docs/security.md): Slack bodies bounded before buffering, /metrics on its own port
 * or behind a bearer token and never on a public interface by default, HOST on loopback by default.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { metricsAuthorized, metricsPlacement } from '../../src/slack/http-doors.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox.stop();
});

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

function padded(sandboxBody: string, bytes: number): string {
  return `${sandboxBody}&pad=${'x'.repeat(bytes)}`;
}

describe('Slack endpoint: body size bounded before buffering', () => {
  let bot: TestBot;
  let small: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ sandbox, worker: false }); // default limit: 1 MiB
    small = await startTestBot({ sandbox, worker: false, env: { SLACK_MAX_BODY_BYTES: '4096' } });
  });
  afterAll(async () => {
    await bot.stop();
    await small.stop();
  });

  it('a correctly signed body over the default 1 MiB gets 413 SLACK_BODY_TOO_LARGE with a reason', async () => {
    const rawBody = padded(sandbox.commandBody({ text: 'help' }), 1_200_000);
    const res = await sandbox.sendCommand(bot.eventsUrl, { text: 'help', rawBody });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ error: { code: 'SLACK_BODY_TOO_LARGE', details: { limit_bytes: 1024 * 1024 } } });
    expect(String((res.json?.error as { hint?: string } | undefined)?.hint)).toContain('SLACK_MAX_BODY_BYTES');
  });

  it('a chunked body (no Content-Length) is cut at the configured limit too', async () => {
    const chunk = Buffer.alloc(1024, 0x61);
    let sent = 0;
    const res = await request(small.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': 'v0=00', 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)) },
      body: Readable.from((function* () { while (sent < 64) { sent += 1; yield chunk; } })()),
    });
    const json = (await res.body.json()) as { error: { code: string; details: { limit_bytes: number } } };
    expect(res.statusCode).toBe(413);
    expect(json.error).toMatchObject({ code: 'SLACK_BODY_TOO_LARGE', details: { limit_bytes: 4096 } });
  });

  it('a request within the limit still goes through Bolt\'s signature check and listeners', async () => {
    const ok = await sandbox.sendCommand(small.eventsUrl, { text: 'help' });
    expect(ok.status).toBe(200);
    expect(String(ok.json?.text)).toContain('/autogen');
    const forged = await sandbox.sendCommand(small.eventsUrl, { text: 'help', secret: 'not-the-signing-secret' });
    expect(forged.status).toBe(401);
  });
});

describe('/metrics', () => {
  it('METRICS_TOKEN: 401 METRICS_UNAUTHORIZED without the bearer token, 200 with it', async () => {
    const bot = await startTestBot({ sandbox, worker: false, env: { METRICS_TOKEN } });
    try {
      const url = bot.eventsUrl.replace('/slack/events', '/metrics');
      const anon = await fetch(url);
      expect(anon.status).toBe(401);
      expect(((await anon.json()) as { error: { code: string } }).error.code).toBe('METRICS_UNAUTHORIZED');
      const wrong = await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789' } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('autogen_ops_slash_commands_total');
    } finally {
      await bot.stop();
    }
  });

  it('METRICS_PORT: served on its own listener only, not beside /slack/events', async () => {
    const bot = await startTestBot({ sandbox, worker: false, env: { METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' } });
    try {
      const metricsPort = bot.bot.slack.metricsPort;
      expect(metricsPort).toBeDefined();
      expect(metricsPort).not.toBe(bot.bot.slack.port);
      expect((await fetch(bot.eventsUrl.replace('/slack/events', '/metrics'))).status).toBe(404);
      expect((await fetch(bot.eventsUrl.replace('/slack/events', '/healthz'))).status).toBe(200);
      const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(own.status).toBe(200);
      expect(await own.text()).toContain('autogen_ops_process_resident_memory_bytes');
    } finally {
      await bot.stop();
    }
  });

  it('is never placed on a public interface by default', () => {
    const place = (env: Record<string, string>) => metricsPlacement(loadConfig(env));
    expect(place({})).toBe('main-port'); // HOST defaults to loopback
    expect(place({ HOST: '0.0.0.0' })).toBe('off');
    expect(place({ HOST: '::' })).toBe('off');
    expect(place({ HOST: '0.0.0.0', METRICS_TOKEN })).toBe('main-port');
    expect(place({ HOST: '0.0.0.0', METRICS_PORT: '9464' })).toBe('own-port');
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics.host).toBe('127.0.0.1');
  });

  it('compares the token as a bearer credential', () => {
    expect(metricsAuthorized(undefined, undefined)).toBe(true);
    expect(metricsAuthorized(undefined, METRICS_TOKEN)).toBe(false);
    expect(metricsAuthorized(METRICS_TOKEN, METRICS_TOKEN)).toBe(false);
    expect(metricsAuthorized(`Bearer ${METRICS_TOKEN}`, METRICS_TOKEN)).toBe(true);
    expect(metricsAuthorized(`Bearer ${METRICS_TOKEN}x`, METRICS_TOKEN)).toBe(false);
  });
});

describe('HOST', () => {
  it('defaults to loopback for the bot and the alert intake; 0.0.0.0 only when set', () => {
    const c = loadConfig({});
    expect(c.slack.host).toBe('127.0.0.1');
    expect(c.alerts.intake.host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0', ALERT_INTAKE_HOST: '0.0.0.0' }).slack.host).toBe('0.0.0.0');
  });
});
