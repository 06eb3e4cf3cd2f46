import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { alertsJobId } from '../../src/incidents/jobs.js';
import { alertsFromAlertmanager, alertmanagerPayloadSchema } from '../../src/intake/alertmanager.js';
import { signBody, signedHeaders } from '../../src/intake/auth.js';
import { startIntake, type IntakeServer } from '../../src/intake/server.js';
import { startLocalRedis } from '../../src/local/redis.js';

const fixture = readFileSync(new URL('./fixtures/alertmanager-v4-firing.json', import.meta.url), 'utf8');
const TOKEN = 'am-token-0123456789abcdef';
const HMAC = 'ci-hmac-secret-0123456789';
const sources = [
  { name: 'alertmanager', scheme: 'bearer' as const, secret: TOKEN },
  { name: 'ci', scheme: 'hmac' as const, secret: HMAC },
];
const logger = createLogger({ log: { level: 'silent' } });

interface Harness {
  intake: IntakeServer;
  queue: Queue;
  redis: Redis;
  prefix: string;
  close(): Promise<void>;
}

async function harness(redisUrl: string, maxBodyBytes = 64 * 1024): Promise<Harness> {
  const prefix = `{t-${randomUUID().slice(0, 8)}}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false, connectTimeout: 1_000 });
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const queue = new Queue('alert', { connection: redis, prefix });
  // BullMQ writes the queue's meta key once connected; wait for it so that "no trace" compares like with like
  const deadline = Date.now() + 5_000;
  while ((await redis.exists(`${prefix}:alert:meta`)) === 0) {
    if (Date.now() > deadline) throw new Error('queue meta key never appeared');
    await new Promise((r) => setTimeout(r, 20));
  }
  const intake = await startIntake(
    { host: '127.0.0.1', port: 0, maxBodyBytes, sources, dedupeWindowS: 3_600, keyPrefix: `${prefix}:`, canReconcile: true, enqueueTimeoutMs: 2_000, retryAfterS: 3 },
    { queue, redis, logger, now: () => new Date() },
  );
  return {
    intake, queue, redis, prefix,
    async close() {
      await intake.close();
      await queue.close();
      redis.disconnect();
    },
  };
}

async function post(h: Harness, path: string, body: string | Buffer, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }) {
  const res = await fetch(`${h.intake.url}${path}`, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

async function keysOf(redis: Redis, prefix: string): Promise<string[]> {
  return redis.keys(`${prefix}*`);
}

describe('intake server (real HTTP, real Redis)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(inject('redisUrl'));
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers /healthz', async () => {
    const res = await fetch(`${h.intake.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('accepts an Alertmanager notification: 202 once its alerts are a job under their content id', async () => {
    const res = await post(h, '/alerts/alertmanager', fixture);
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ status: 'accepted', alerts: 2, truncated: 0 });
    const alerts = alertsFromAlertmanager(alertmanagerPayloadSchema.parse(JSON.parse(fixture)), 'alertmanager');
    // Alertmanager alerts take no turns (src/incidents/turns.ts): the job is deduplicated by its content id alone
    const dedupeId = alertsJobId(alerts);
    const jobId = await h.queue.getDeduplicationJobId(dedupeId);
    expect(dedupeId).toMatch(/^ab-[0-9a-f]{32}$/);
    const job = await h.queue.getJob(jobId ?? '');
    expect(job?.data).toMatchObject({ kind: 'alerts', alerts: [{ source: 'alertmanager', status: 'firing' }, { status: 'resolved' }] });
    // a byte-identical copy inside the dedupe window (a retry of the same delivery) adds nothing
    const again = await post(h, '/alerts/alertmanager', fixture);
    expect(again.status).toBe(202);
    const counts = await h.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('accepts a signed generic alert', async () => {
    const body = JSON.stringify({ alerts: [{ title: 'Nightly eval failed', runtime: 'prod', agent: 'PlannerAgent', severity: 'error' }] });
    const ts = Math.floor(Date.now() / 1000);
    const res = await post(h, '/alerts/generic', body, { 'content-type': 'application/json', 'x-signature-256': signBody(HMAC, body, ts), 'x-signature-timestamp': String(ts) });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ alerts: 1 });
  });

  describe('refuses bad requests with a 4xx, a stable code, a reason — and leaves no trace', () => {
    let clean: Harness;
    beforeAll(async () => {
      clean = await harness(inject('redisUrl'), 16 * 1024);
    });
    afterAll(async () => {
      await clean.close();
    });

    const signed = (body: string) => ({ 'content-type': 'application/json', ...signedHeaders(HMAC, body, Date.now()) });
    const nowS = () => Math.floor(Date.now() / 1000);
    const cases: { name: string; path: string; body: () => string; headers?: (body: string) => Record<string, string>; status: number; code: string }[] = [
      { name: 'no credentials', path: '/alerts/alertmanager', body: () => fixture, headers: () => ({ 'content-type': 'application/json' }), status: 401, code: 'INTAKE_UNAUTHORIZED' },
      { name: 'wrong token', path: '/alerts/alertmanager', body: () => fixture, headers: () => ({ authorization: 'Bearer nope', 'content-type': 'application/json' }), status: 401, code: 'INTAKE_UNAUTHORIZED' },
      { name: 'wrong signature', path: '/alerts/generic', body: () => '{"title":"x"}', headers: () => ({ 'content-type': 'application/json', ...signedHeaders('another-secret-0123456789', '{"title":"x"}', Date.now()) }), status: 401, code: 'INTAKE_SIGNATURE_INVALID' },
      { name: 'signature of another body', path: '/alerts/generic', body: () => '{"title":"y"}', headers: () => ({ 'content-type': 'application/json', ...signedHeaders(HMAC, '{"title":"x"}', Date.now()) }), status: 401, code: 'INTAKE_SIGNATURE_INVALID' },
      { name: 'signature without a timestamp', path: '/alerts/generic', body: () => '{"title":"x"}', headers: (b) => ({ 'content-type': 'application/json', 'x-signature-256': signBody(HMAC, b, nowS()) }), status: 401, code: 'INTAKE_SIGNATURE_INVALID' },
      { name: 'replay of a correctly signed request after the window', path: '/alerts/generic', body: () => '{"title":"x"}', headers: (b) => ({ 'content-type': 'application/json', ...signedHeaders(HMAC, b, Date.now() - 301_000) }), status: 401, code: 'INTAKE_SIGNATURE_EXPIRED' },
      { name: 'timestamp changed to a fresh one (replay with a forged time)', path: '/alerts/generic', body: () => '{"title":"x"}', headers: (b) => ({ 'content-type': 'application/json', 'x-signature-256': signBody(HMAC, b, nowS() - 3600), 'x-signature-timestamp': String(nowS()) }), status: 401, code: 'INTAKE_SIGNATURE_INVALID' },
      { name: 'malformed JSON', path: '/alerts/alertmanager', body: () => '{"version": "4", ', status: 400, code: 'INTAKE_BODY_INVALID' },
      { name: 'not JSON content type', path: '/alerts/alertmanager', body: () => fixture, headers: () => ({ authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' }), status: 415, code: 'INTAKE_MEDIA_TYPE' },
      { name: 'wrong payload version', path: '/alerts/alertmanager', body: () => fixture.replace('"version": "4"', '"version": "3"'), status: 422, code: 'INTAKE_PAYLOAD_INVALID' },
      { name: 'generic alert with an unknown field', path: '/alerts/generic', body: () => '{"title":"x","sevrity":"critical"}', headers: signed, status: 422, code: 'INTAKE_PAYLOAD_INVALID' },
      { name: 'oversized body', path: '/alerts/alertmanager', body: () => JSON.stringify({ pad: 'x'.repeat(64 * 1024) }), status: 413, code: 'INTAKE_BODY_TOO_LARGE' },
      { name: 'unknown endpoint', path: '/alerts/nagios', body: () => fixture, status: 404, code: 'INTAKE_ROUTE_UNKNOWN' },
    ];

    it.each(cases)('$name → $status $code', async (c) => {
      const body = c.body();
      const before = await keysOf(clean.redis, clean.prefix);
      const res = await post(clean, c.path, body, c.headers ? c.headers(body) : undefined);
      expect(res.status).toBe(c.status);
      const err = (res.json as { error: { code: string; message: string; hint: string } }).error;
      expect(err.code).toBe(c.code);
      expect(err.message.length).toBeGreaterThan(10);
      expect(err.hint.length).toBeGreaterThan(10);
      // nothing written: only the queue's own meta key (written when the Queue is created) exists
      expect(await keysOf(clean.redis, clean.prefix)).toEqual(before);
      expect(before.every((k) => k.endsWith(':meta'))).toBe(true);
    });

    it('names the invalid fields of a payload', async () => {
      const bad = JSON.parse(fixture) as { alerts: { startsAt: string }[] };
      bad.alerts[0]!.startsAt = 'yesterday';
      const res = await post(clean, '/alerts/alertmanager', JSON.stringify(bad));
      expect(res.status).toBe(422);
      expect(JSON.stringify(res.json)).toContain('alerts.0.startsAt');
    });
  });
});

describe('intake with Redis down', () => {
  it('answers 503 with Retry-After, and once Redis is back a resend is queued once', async () => {
    const own = await startLocalRedis();
    const h = await harness(own.url);
    try {
      await own.stop();
      const down = await post(h, '/alerts/alertmanager', fixture);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('3');
      expect((down.json as { error: { code: string } }).error.code).toBe('QUEUE_UNAVAILABLE');
      const health = await fetch(`${h.intake.url}/healthz`);
      expect(health.status).toBe(503);

      const back = await startLocalRedis({ port: own.port });
      try {
        const deadline = Date.now() + 10_000;
        while (h.redis.status !== 'ready') {
          if (Date.now() > deadline) throw new Error('the intake did not reconnect to Redis');
          await new Promise((r) => setTimeout(r, 50));
        }
        expect((await post(h, '/alerts/alertmanager', fixture)).status).toBe(202);
        expect((await post(h, '/alerts/alertmanager', fixture)).status).toBe(202);
        expect(await h.queue.getPrioritizedCount()).toBe(1);
      } finally {
        await h.close();
        await back.stop();
      }
    } finally {
      await own.stop();
    }
  });
});
