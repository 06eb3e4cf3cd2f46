/**
 * A Redis Sentinel set-up on loopback for tests: one master, `replicas` replicas (`--replicaof`) and one
 * sentinel (`redis-server <conf> --sentinel`) watching them as `name`, each a Debian `redis-server` in its
 * own folder of one temporary directory, no persistence. Ready when the sentinel names the master and
 * knows every replica, and every replica's link is up (bounded wait). Stopped by PID, folder removed.
 *
 *   const s = await startRedisSentinel();
 *   env.REDIS_SENTINELS = s.sentinels.join(','); env.REDIS_SENTINEL_NAME = s.name;
 *   await s.failover();   // SENTINEL FAILOVER: a replica becomes the master
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/local/redis.js';
import { spawnTailed, stopTailed, type TailedProcess } from './daemon.js';
import { waitFor } from './poll.js';

export interface LocalRedisSentinel {
  /** `host:port` of the sentinel(s), for REDIS_SENTINELS. */
  readonly sentinels: string[];
  /** The master group name, for REDIS_SENTINEL_NAME. */
  readonly name: string;
  /** `redis+sentinel://host:port/<name>` (for REDIS_URL). */
  readonly url: string;
  /** `host:port` of the master now (as the sentinel says). */
  master(): Promise<string>;
  /** `SENTINEL FAILOVER`; resolves when the sentinel names another master and that node says it is one. */
  failover(timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

async function ask(port: number, ...args: string[]): Promise<unknown> {
  const conn = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 1_000 });
  conn.on('error', () => undefined);
  try {
    await conn.connect();
    return await conn.call(args[0]!, ...args.slice(1));
  } finally {
    conn.disconnect();
  }
}

const NODE_ARGS = ['--bind', '127.0.0.1', '--appendonly', 'no', '--save', '', '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes'];

export async function startRedisSentinel(opts: { replicas?: number; name?: string; readyTimeoutMs?: number; binary?: string } = {}): Promise<LocalRedisSentinel> {
  const binary = opts.binary ?? 'redis-server';
  const name = opts.name ?? 'autogen-ops-test';
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'autogen-ops-sentinel-'));
  const procs: TailedProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => stopTailed(p)));
    rmSync(dir, { recursive: true, force: true });
  };
  const dataPorts: number[] = [];
  let sentinelPort = 0;
  try {
    const masterPort = await freePort();
    dataPorts.push(masterPort);
    mkdirSync(join(dir, 'master'));
    procs.push(spawnTailed(binary, ['--port', String(masterPort), '--dir', join(dir, 'master'), ...NODE_ARGS]));
    for (let i = 0; i < (opts.replicas ?? 1); i += 1) {
      const port = await freePort();
      dataPorts.push(port);
      mkdirSync(join(dir, `replica-${i}`));
      procs.push(spawnTailed(binary, ['--port', String(port), '--dir', join(dir, `replica-${i}`), '--replicaof', '127.0.0.1', String(masterPort), ...NODE_ARGS]));
    }
    sentinelPort = await freePort();
    const conf = join(dir, 'sentinel.conf'); // the sentinel rewrites it: it must be writable
    writeFileSync(conf, [
      `port ${sentinelPort}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${name} 2000`,
      `sentinel failover-timeout ${name} 10000`,
      `sentinel parallel-syncs ${name} 1`, '',
    ].join('\n'));
    procs.push(spawnTailed(binary, [conf, '--sentinel']));
    await waitFor(async () => {
      for (const p of procs) if (!p.alive()) throw new Error(`redis-server exited: ${p.log.slice(-500)}`);
      const links = await Promise.all(dataPorts.slice(1).map((port) => ask(port, 'INFO', 'replication').then(String, () => '')));
      if (!links.every((l) => l.includes('master_link_status:up'))) return false;
      const replicas = await ask(sentinelPort, 'SENTINEL', 'REPLICAS', name).catch(() => []) as string[][];
      const known = replicas.filter((r) => { const flags = r[r.indexOf('flags') + 1] ?? ''; return flags === 'slave'; });
      return known.length === dataPorts.length - 1;
    }, { what: 'Redis Sentinel ready (master, replicas known, links up)', timeoutMs, intervalMs: 100 });
  } catch (err) {
    await stop();
    throw err;
  }
  const master = async (): Promise<string> => {
    const [host, port] = await ask(sentinelPort, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name) as [string, string];
    return `${host}:${port}`;
  };
  return {
    sentinels: [`127.0.0.1:${sentinelPort}`],
    name,
    url: `redis+sentinel://127.0.0.1:${sentinelPort}/${name}`,
    master,
    async failover(ms = timeoutMs) {
      const before = await master();
      await ask(sentinelPort, 'SENTINEL', 'FAILOVER', name);
      return waitFor(async () => {
        const now = await master().catch(() => before);
        if (now === before) return false;
        const role = await ask(Number(now.split(':')[1]), 'ROLE').catch(() => []) as string[];
        return role[0] === 'master' && now;
      }, { what: `Sentinel failover of ${name}`, timeoutMs: ms, intervalMs: 100 });
    },
    stop,
  };
}
