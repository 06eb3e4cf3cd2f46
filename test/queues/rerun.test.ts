/**
 * `isRerun`: a job re-run after a stall counts as a re-run even though no failure was recorded — the case of a
 * worker that lost its lock while Redis was away (chaos: Redis restarted mid-storm), whose re-run must redo the
 * idempotent follow-ups (an incident's root post) instead of taking the stored alerts as already handled.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isRerun } from '../../src/queues/worker.js';
import { uniquePrefix } from '../support/bot.js';
import { waitFor } from '../support/poll.js';

let redis: Redis;
beforeAll(() => { redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null }); });
afterAll(() => redis.disconnect());

describe('isRerun', () => {
  it('is false on a first run, true after a recorded failure and after a stall', async () => {
    const prefix = uniquePrefix();
    const queue = new Queue('rerun', { connection: redis, prefix });
    const runs: { attempt: number; rerun: boolean }[] = [];
    let hang = true;
    // the first worker takes the job and never finishes it; its lock is not renewed (closed without waiting)
    const first = new Worker('rerun', async (job: Job) => {
      runs.push({ attempt: runs.length + 1, rerun: isRerun(job) });
      if (hang) await new Promise(() => undefined);
    }, { connection: redis.duplicate(), prefix, lockDuration: 1_000, stalledInterval: 500, maxStalledCount: 2, autorun: true });
    await queue.add('j', {}, { attempts: 3 });
    await waitFor(() => runs.length === 1, { what: 'the first run' });
    hang = false;
    await first.close(true);
    // a second worker's stall check moves the job back; its run is a re-run although nothing failed
    const second = new Worker('rerun', async (job: Job) => {
      runs.push({ attempt: runs.length + 1, rerun: isRerun(job) });
      if (runs.length === 2) throw new Error('fails once');
    }, { connection: redis.duplicate(), prefix, lockDuration: 1_000, stalledInterval: 500, maxStalledCount: 2 });
    try {
      await waitFor(() => runs.length === 3, { what: 'the stalled re-run and the retry after its failure', timeoutMs: 20_000 });
      expect(runs).toEqual([{ attempt: 1, rerun: false }, { attempt: 2, rerun: true }, { attempt: 3, rerun: true }]);
    } finally {
      await second.close();
      await queue.close();
    }
  }, 30_000);
});
