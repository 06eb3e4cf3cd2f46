/**
 * Redis over TLS (`rediss://`): a `redis-server` that speaks only TLS and requires client certificates
 * (`tls-auth-clients yes`), its CA and the client's certificate made with `openssl` in a temporary folder
 * (test/support/redis-tls.ts). A bot process and a worker process given `REDIS_URL=rediss://…`,
 * `REDIS_TLS_CA_FILE`, `REDIS_TLS_CERT_FILE` and `REDIS_TLS_KEY_FILE` take a small alert storm through the
 * intake: every accepted alert lands in its incident, one thread each. Without the CA file the same
 * connection is refused by certificate verification (the setting is what makes it work).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { connectRedis } from '../../src/redis/connect.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { startTlsRedis, type TlsRedis } from '../support/redis-tls.js';
import { logTails } from '../chaos/processes.js';
import { runStorm, settleAndCount, startStormSystem, type StormSystem } from '../chaos/storm.js';

const ALERTS = 100;
const INCIDENTS = 2;

let redis: TlsRedis | undefined;
let sandbox: Sandbox;
let system: StormSystem | undefined;
let redisEnv: Record<string, string>;

beforeAll(async () => {
  [redis, sandbox] = await Promise.all([startTlsRedis({ authClients: 'yes' }), startTestSandbox()]);
  redisEnv = { REDIS_URL: redis.url, REDIS_TLS_CA_FILE: redis.caFile, REDIS_TLS_CERT_FILE: redis.clientCertFile, REDIS_TLS_KEY_FILE: redis.clientKeyFile };
  system = await startStormSystem({ redisUrl: redis.url, redisEnv, sandbox, bots: 1, workers: 1, incidents: INCIDENTS });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await sandbox?.stop();
  await redis?.stop();
});

/** PING through the project's factory with `env` (a worker connection: it waits for the handshake): 'PONG', or the first connection error. */
async function ping(env: Record<string, string>): Promise<string> {
  const conn = connectRedis(loadConfig(env).redis, 'worker');
  const failed = new Promise<string>((resolve) => conn.once('error', (err: Error) => resolve(err.message)));
  try {
    return await Promise.race([conn.ping(), failed]);
  } finally {
    conn.disconnect();
  }
}

describe('Redis over TLS (rediss://, a private CA, client certificates)', () => {
  it('the bot and the worker connect through TLS and an alert storm lands whole', async () => {
    const sys = system!;
    expect(await ping(redisEnv)).toBe('PONG');
    const result = await runStorm(sys, { alerts: ALERTS, incidents: INCIDENTS });
    const counts = await settleAndCount(sys, result, { incidents: INCIDENTS, timeoutMs: 60_000 });
    const diag = logTails([...sys.bots, ...sys.workers]);
    expect(result.gaveUp).toBe(0);
    expect(counts.alerts, diag).toEqual({ accepted: ALERTS, applied: ALERTS, lost: 0 });
    expect(counts.posts, diag).toEqual({ expected: INCIDENTS, made: INCIDENTS, duplicated: 0 });
  }, 120_000);

  it('without the CA file (or without the client certificate) the connection is refused', async () => {
    const noCa = await ping({ REDIS_URL: redis!.url, REDIS_TLS_CERT_FILE: redis!.clientCertFile, REDIS_TLS_KEY_FILE: redis!.clientKeyFile });
    expect(noCa).not.toBe('PONG');
    expect(noCa).toMatch(/certificate/i);
    const noClientCert = await ping({ REDIS_URL: redis!.url, REDIS_TLS_CA_FILE: redis!.caFile });
    expect(noClientCert).not.toBe('PONG');
  });
});
