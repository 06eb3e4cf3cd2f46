/**
 * `/readyz`'s decision: Redis first (a connection that is not ready, or a PING that does not answer in
 * time), then the queues, then a worker's own state; the HTTP answer carries the coded reason.
 */
import { describe, expect, it } from 'vitest';
import { checkReadiness, readinessResponse, type ReadinessSources } from '../../src/health/readiness.js';

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

function sources(over: Partial<ReadinessSources> & { redisStatus?: string; ping?: () => Promise<string> } = {}): ReadinessSources {
  return {
    redis: { status: (over.redisStatus ?? 'ready') as never, ping: (over.ping ?? (async () => 'PONG')) as never },
    queues: over.queues ?? (() => [{ name: 'diagnose', getJobCounts: (async () => ({ wait: 0 })) as never }]),
    ...(over.workersProblem ? { workersProblem: over.workersProblem } : {}),
    timeoutMs: 50,
  };
}

describe('checkReadiness', () => {
  it('ready when Redis answers and the queues can be read', async () => {
    const r = await checkReadiness(sources());
    expect(r).toEqual({ ready: true, checks: { redis: 'ok', queues: 'ok' } });
    expect(readinessResponse(r)).toEqual({ status: 200, body: { status: 'ready', checks: { redis: 'ok', queues: 'ok' } }, headers: {} });
  });

  it('not ready at once when the connection is not ready (no PING queued behind a dead socket)', async () => {
    const r = await checkReadiness(sources({ redisStatus: 'reconnecting', ping: never }));
    expect(r).toMatchObject({ ready: false, code: 'NOT_READY_REDIS', reason: 'Redis connection is reconnecting', checks: { redis: 'down', queues: 'unknown' } });
  });

  it('not ready when PING does not answer within the timeout', async () => {
    const r = await checkReadiness(sources({ ping: never }));
    expect(r).toMatchObject({ ready: false, code: 'NOT_READY_REDIS', reason: 'Redis (PING) did not answer within 50 ms' });
    const res = readinessResponse(r);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ status: 'not_ready', error: { code: 'NOT_READY_REDIS' } });
  });

  it('not ready when a queue cannot be read, naming it', async () => {
    const r = await checkReadiness(sources({
      queues: () => [
        { name: 'diagnose', getJobCounts: (async () => ({ wait: 0 })) as never },
        { name: 'notify', getJobCounts: (async () => { throw new Error('OOM command not allowed (10.1.2.3:6379)'); }) as never },
      ],
    }));
    // the reason names the queue, never a host address (the door is public)
    expect(r).toMatchObject({ ready: false, code: 'NOT_READY_QUEUES', checks: { redis: 'ok', queues: 'down' }, reason: 'notify: OOM command not allowed ([address])' });
  });

  it('a worker that is not taking jobs is not ready', async () => {
    const r = await checkReadiness(sources({ workersProblem: () => 'not taking jobs from: execute' }));
    expect(r).toMatchObject({ ready: false, code: 'NOT_READY_QUEUES', reason: 'not taking jobs from: execute' });
  });
});
