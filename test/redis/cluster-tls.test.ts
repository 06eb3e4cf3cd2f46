/**
 * Redis Cluster over TLS, through the project's own connection factory: three masters and three replicas
 * that speak only TLS (clients, replication, cluster bus; a CA made with `openssl`), configured as
 * `REDIS_URL=rediss+cluster://…` + `REDIS_TLS_CA_FILE`. A producer connection (the bot's kind) queues a
 * job, a worker connection's BullMQ worker runs it (validated payload, the project's `Queues` and
 * `startWorkers`), and a Lua script of the project (the audit stream) runs on the Cluster. Without the CA
 * file the Cluster cannot be reached.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, readAudit } from '../../src/audit/stream.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Queues, startWorkers } from '../../src/queues/index.js';
import { connectRedis, type RedisClient } from '../../src/redis/connect.js';
import { waitFor } from '../support/poll.js';
import { startRedisCluster, type LocalRedisCluster } from '../support/redis-cluster.js';
import { makeTestCertificates } from '../support/redis-tls.js';

let dir: string;
let cluster: LocalRedisCluster | undefined;
let caFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cluster-tls-certs-'));
  const certs = makeTestCertificates(dir);
  caFile = certs.ca;
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, tls: { caFile: certs.ca, certFile: certs.serverCert, keyFile: certs.serverKey } });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis Cluster over TLS (rediss+cluster://, a private CA)', () => {
  it('a producer queues a job, a worker runs it, a script of the project runs — all through TLS', async () => {
    const c = cluster!;
    expect(c.url).toMatch(/^rediss\+cluster:\/\//);
    const config = loadConfig({ REDIS_URL: c.url, REDIS_TLS_CA_FILE: caFile, QUEUE_PREFIX: '{tls-cluster}' });
    const producer = connectRedis(config.redis, 'producer');
    const worker = connectRedis(config.redis, 'worker');
    const conns: RedisClient[] = [producer, worker];
    for (const conn of conns) conn.on('error', () => undefined);
    const queues = new Queues(producer, config.queues.prefix, { attempts: 2, backoffMs: 10 });
    const ran: string[] = [];
    const workers = startWorkers({
      diagnose: async (payload) => { ran.push(payload.agent); return { ok: true }; },
    }, { connection: worker, prefix: config.queues.prefix, concurrency: 1, logger: createLogger({ log: { level: 'silent' } }) });
    try {
      expect(producer.isCluster && worker.isCluster).toBe(true);
      await waitFor(() => producer.status === 'ready', { timeoutMs: 15_000, what: 'the producer connection ready' });
      await queues.add('diagnose', { agent: 'ChatAgent', runtime: 'prod', channel: 'C1', source: 'slash', requested_at: '2026-01-01T00:00:00.000Z' });
      await waitFor(() => ran.length > 0, { timeoutMs: 15_000, what: 'the job run by the worker' });
      expect(ran).toEqual(['ChatAgent']);
      const prefix = `${config.queues.prefix}:`;
      await appendAudit(producer, prefix, { type: 'approval.approved', at: new Date().toISOString(), actor: 'U0TLS', incident_id: 'inc-tls', plan_id: 'pl-tls', data: {} });
      expect((await readAudit(producer, prefix, { subject: 'pl-tls' })).map((e) => e.actor)).toEqual(['U0TLS']);
    } finally {
      await workers.close(2_000);
      await queues.close();
      for (const conn of conns) conn.disconnect();
    }
  }, 60_000);

  it('without the CA file the Cluster cannot be reached', async () => {
    const conn = connectRedis(loadConfig({ REDIS_URL: cluster!.url }).redis, 'worker');
    try {
      const failed = await new Promise<string>((resolve) => {
        conn.once('error', (err: Error) => resolve(err.message));
        conn.once('ready', () => resolve('ready'));
      });
      expect(failed).not.toBe('ready');
    } finally {
      conn.disconnect();
    }
  });
});
