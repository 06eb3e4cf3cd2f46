/** Queues and workers on real Redis: payloads validated on both ends, transient vs permanent failures. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { QueueEvents, type Job } from 'bullmq';
import { Queues, startWorkers, safeJobId, type WorkerSet } from '../../src/queues/index.js';
import { OpsError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { uniquePrefix } from '../support/bot.js';
import { waitFor } from '../support/poll.js';

const prefix = uniquePrefix();
let redis: Redis;
let queues: Queues;
let workers: WorkerSet;
let events: QueueEvents;
const seen: { agent: string; attempt: number }[] = [];

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  queues = new Queues(redis, prefix, { attempts: 3, backoffMs: 10 });
  workers = startWorkers({
    diagnose: async (payload, job: Job) => {
      seen.push({ agent: payload.agent, attempt: job.attemptsMade + 1 });
      if (payload.agent === 'Flaky' && job.attemptsMade < 2) throw new OpsError('RUNTIME_UNREACHABLE', { reason: 'test' });
      if (payload.agent === 'Broken') throw new OpsError('RUNTIME_AUTH_FAILED', {});
      return { ok: payload.agent };
    },
  }, { connection: redis, prefix, concurrency: 2, logger: createLogger({ log: { level: 'silent' } })});
  events = new QueueEvents('diagnose', { connection: { url: inject('redisUrl') } as never, prefix });
  await events.waitUntilReady();
});

afterAll(async () => {
  await events.close();
  await workers.close(2_000);
  await queues.close();
  redis.disconnect();
});

const base = { runtime: 'prod', channel: 'C1', source: 'slash', requested_at: '2026-01-01T00:00:00.000Z' } as const;

describe('queues and workers', () => {
  it('a queue may have a concurrency of its own; the others use the default', async () => {
    const set = startWorkers({ diagnose: async () => ({ ok: true }), guide: async () => ({ ok: true }) }, {
      connection: redis, prefix: uniquePrefix(), concurrency: 8, logger: createLogger({ log: { level: 'silent' } }), concurrencyOf: { guide: 2 },
    });
    try {
      expect(Object.fromEntries(set.workers.map((w) => [w.name, w.concurrency]))).toEqual({ diagnose: 8, guide: 2 });
    } finally {
      await set.close(2_000);
    }
  });

  it('the producer rejects an invalid payload with JOB_PAYLOAD_INVALID (nothing enqueued)', async () => {
    await expect(queues.add('diagnose', { ...base, agent: 'bad name!' })).rejects.toMatchObject({ code: 'JOB_PAYLOAD_INVALID' });
  });

  it('a transient failure is retried with back-off until it succeeds', async () => {
    const id = await queues.add('diagnose', { ...base, agent: 'Flaky' });
    const job = await queues.get('diagnose').getJob(id);
    expect(await job?.waitUntilFinished(events, 10_000)).toEqual({ ok: 'Flaky' });
    expect(seen.filter((s) => s.agent === 'Flaky').map((s) => s.attempt)).toEqual([1, 2, 3]);
  });

  it('a permanent failure fails once, without retries', async () => {
    const id = await queues.add('diagnose', { ...base, agent: 'Broken' });
    const job = await queues.get('diagnose').getJob(id);
    await expect(job?.waitUntilFinished(events, 10_000)).rejects.toThrow(/RUNTIME_AUTH_FAILED/);
    expect(seen.filter((s) => s.agent === 'Broken')).toHaveLength(1);
  });

  it('the worker re-validates: a payload written past the schema fails permanently, the worker keeps going', async () => {
    const job = await queues.get('diagnose').add('diagnose', { agent: 42 });
    await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(/JOB_PAYLOAD_INVALID/);
    expect(job.id && (await queues.get('diagnose').getJob(job.id))?.attemptsMade).toBe(1);
    const ok = await queues.add('diagnose', { ...base, agent: 'Fine' });
    await waitFor(async () => (await queues.get('diagnose').getJob(ok))?.returnvalue, { what: 'next job done' });
  });

  it('the same job id is enqueued once (idempotent producers) and ids are made BullMQ-safe', async () => {
    const a = await queues.add('diagnose', { ...base, agent: 'Once' }, { jobId: 'diag-1700000000.123:abc' });
    const b = await queues.add('diagnose', { ...base, agent: 'Once' }, { jobId: 'diag-1700000000.123:abc' });
    expect(a).toBe(b);
    expect(a).not.toContain(':');
    expect(safeJobId('12345')).toBe('j12345');
  });
});

describe('worker shutdown', () => {
  it('close(grace) returns after the grace even when a job never finishes (SIGTERM must not hang)', async () => {
    const p = uniquePrefix();
    const conn = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const q = new Queues(conn, p, { attempts: 1, backoffMs: 10 });
    let release: () => void = () => undefined;
    const hung = new Promise<void>((r) => { release = r; });
    let started = false;
    const set = startWorkers({
      diagnose: async () => { started = true; await hung; return { ok: true }; },
    }, { connection: conn, prefix: p, concurrency: 1, logger: createLogger({ log: { level: 'silent' } }) });
    try {
      await q.add('diagnose', { ...base, agent: 'Hung' });
      await waitFor(() => started, { what: 'the job to start' });
      let closed = false;
      void set.close(200).then(() => { closed = true; });
      await waitFor(() => closed, { timeoutMs: 10_000, what: 'close to return after its grace' });
    } finally {
      release();
      await q.close();
      conn.disconnect();
    }
  });
});
