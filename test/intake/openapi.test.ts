/**
 * The intake's OpenAPI document (docs/intake-openapi.json) is what `src/intake/openapi.ts` generates from
 * the request schemas, and a bounded schemathesis run against a live intake (real HTTP, real Redis) finds
 * no 5xx, no undocumented status code or content type and no answer that breaks its schema.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { renderIntakeOpenApi } from '../../src/intake/openapi.js';
import { startIntake, type IntakeServer } from '../../src/intake/server.js';
import { fleetPython } from '../support/fleet.js';

const COMMITTED = resolve('docs/intake-openapi.json');
const TOKEN = 'schemathesis-token-0123456789';
/** Examples per operation and phase: the whole run stays around half a minute on a loaded 2-core machine. */
const MAX_EXAMPLES = 15;

describe('intake OpenAPI document', () => {
  it('the committed document is the generated one', () => {
    expect(readFileSync(COMMITTED, 'utf8'), 'docs/intake-openapi.json is stale: run `npx tsx src/intake/openapi.ts > docs/intake-openapi.json`').toBe(renderIntakeOpenApi());
  });
});

describe('schemathesis against a live intake', () => {
  let intake: IntakeServer;
  let queue: Queue;
  let redis: Redis;
  const prefix = `{st-${randomUUID().slice(0, 8)}}`;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null, enableOfflineQueue: false, connectTimeout: 1_000 });
    await new Promise<void>((r) => redis.once('ready', () => r()));
    queue = new Queue('alert', { connection: redis, prefix });
    intake = await startIntake(
      { host: '127.0.0.1', port: 0, maxBodyBytes: 256 * 1024, sources: [{ name: 'schemathesis', scheme: 'bearer', secret: TOKEN }], dedupeWindowS: 60, keyPrefix: `${prefix}:`, canReconcile: false, enqueueTimeoutMs: 5_000, retryAfterS: 1 },
      { queue, redis, logger: createLogger({ log: { level: 'silent' } }), now: () => new Date() },
    );
  });

  afterAll(async () => {
    await intake?.close();
    if (queue) {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    redis?.disconnect();
  });

  it('finds no server error and no answer outside the document', async () => {
    const st = join(dirname(fleetPython()), 'schemathesis');
    const cwd = mkdtempSync(join(tmpdir(), 'schemathesis-intake-'));
    const args = [
      'run', COMMITTED, '--url', intake.url, '-H', `Authorization: Bearer ${TOKEN}`,
      '--checks', 'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
      '--phases', 'examples,coverage,fuzzing', '-n', String(MAX_EXAMPLES), '--seed', '11', '-w', '1', '--max-failures', '5',
      '--request-timeout', '10', '--suppress-health-check', 'all',
    ];
    const out = await new Promise<{ code: number | null; text: string }>((done, fail) => {
      const child = spawn(st, args, { cwd, env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_HOOKS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (c: Buffer) => { text += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { text += c.toString(); });
      child.on('error', fail);
      child.on('close', (code) => done({ code, text }));
    });
    expect(out.code, out.text.slice(-6_000)).toBe(0);
    const cases = /(\d+) generated, (\d+) passed/.exec(out.text);
    expect(cases, out.text.slice(-3_000)).not.toBeNull();
    expect(Number(cases?.[1])).toBeGreaterThan(100);
    expect(cases?.[2]).toBe(cases?.[1]);
    expect(out.text).not.toMatch(/Schema validation mismatch/);
    // the intake is still up and accepted at least one generated alert
    expect((await fetch(`${intake.url}/healthz`)).status).toBe(200);
    expect(await queue.count()).toBeGreaterThan(0);
  }, 150_000);
});
