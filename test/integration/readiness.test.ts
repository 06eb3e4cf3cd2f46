/**
 * Readiness with a real Redis stopped and started again (by its PID, on the same port): the bot's, the
 * intake's and the worker's `/readyz` answer 503 with a coded JSON reason while Redis is down and 200 once
 * it is back, while `/healthz` (liveness) stays 200 on the bot and the worker; and each Redis connection
 * logs both ends of the outage ("redis unreachable", then "redis reachable again" with how long it lasted).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedis } from '../../src/local/redis.js';
import { startIntakeRole, type IntakeRole } from '../../src/intake/role.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { waitFor } from '../support/poll.js';

interface Line { level: number; msg: string; event?: string; dependency?: string; connection?: string; down_ms?: number }

let redis: LocalRedis;
let sandbox: Sandbox;
let bot: TestBot;
let intake: IntakeRole | undefined;
let workerPort: number;
const lines: Line[] = [];

beforeAll(async () => {
  redis = await startLocalRedis();
  sandbox = await startTestSandbox();
  const collector = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        try { lines.push(JSON.parse(line) as Line); } catch { /* not a log line */ }
      }
      done();
    },
  });
  bot = await startTestBot({
    sandbox,
    logDestination: collector,
    env: {
      REDIS_URL: redis.url, LOG_LEVEL: 'info', READINESS_TIMEOUT_MS: '500',
      ALERT_SOURCES: 'am=bearer:readiness-test-token-0123', ALERT_CHANNEL: 'C0READY', ALERT_INTAKE_PORT: '0', MONITOR_ENABLED: 'false',
    },
  });
  intake = await startIntakeRole(bot.config, bot.logger, { port: 0 });
  workerPort = await bot.worker!.serveHealth(0);
}, 60_000);

afterAll(async () => {
  await intake?.stop();
  await bot?.stop();
  await sandbox?.stop();
  await redis?.stop();
});

const base = (): string => bot.eventsUrl.replace('/slack/events', '');
const doors = (): Record<string, string> => ({ bot: base(), intake: intake!.intake.url, worker: `http://127.0.0.1:${workerPort}` });

async function get(url: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function allReady(): Promise<boolean> {
  for (const url of Object.values(doors())) if ((await fetch(`${url}/readyz`)).status !== 200) return false;
  return true;
}

describe('/readyz reflects Redis and the queues; /healthz stays liveness', () => {
  it('ready with Redis up, 503 with a reason while it is down, ready again once it is back; the logs say both', async () => {
    await waitFor(allReady, { what: 'every door ready', timeoutMs: 20_000 });
    const up = await get(`${base()}/readyz`);
    expect(up).toEqual({ status: 200, json: { status: 'ready', checks: { redis: 'ok', queues: 'ok' } } });

    const port = redis.port;
    await redis.stop();
    for (const [name, url] of Object.entries(doors())) {
      const down = await waitFor(async () => {
        const r = await get(`${url}/readyz`);
        return r.status === 503 ? r : undefined;
      }, { what: `${name} not ready`, timeoutMs: 20_000 });
      expect(down.json, name).toMatchObject({ status: 'not_ready', checks: { redis: 'down', queues: 'unknown' }, error: { code: 'NOT_READY_REDIS' } });
      expect(typeof down.json.reason, name).toBe('string');
    }
    // liveness does not follow Redis: restarting the bot or the worker would not bring it back
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
    expect((await fetch(`${doors().worker}/healthz`)).status).toBe(200);
    await waitFor(() => ['bot', 'worker', 'intake'].every((c) => lines.some((l) => l.event === 'dependency_down' && l.connection === c)), { what: 'a "redis unreachable" line per connection', timeoutMs: 20_000 });

    redis = await startLocalRedis({ port });
    await waitFor(allReady, { what: 'every door ready again', timeoutMs: 30_000 });
    const upLines = await waitFor(() => {
      const found = ['bot', 'worker', 'intake'].map((c) => lines.find((l) => l.event === 'dependency_up' && l.connection === c));
      return found.every((l) => l !== undefined) ? found : undefined;
    }, { what: 'a "redis reachable again" line per connection', timeoutMs: 20_000 });
    for (const l of upLines) {
      expect(l).toMatchObject({ msg: 'redis reachable again', dependency: 'redis', level: 30 });
      expect(l!.down_ms).toBeGreaterThan(0);
    }
    // one warning per outage and connection, not one per reconnect attempt
    for (const c of ['bot', 'worker', 'intake']) {
      expect(lines.filter((l) => l.event === 'dependency_down' && l.connection === c)).toHaveLength(1);
    }
  }, 120_000);
});
