/**
 * A real Redis Cluster on loopback for tests and benchmarks: `masters` masters and `replicasPerMaster`
 * replicas each, every node a Debian `redis-server` (7.0) started from its own folder in one temporary
 * directory (`--cluster-enabled yes`, no persistence, `noeviction`), joined with
 * `redis-cli --cluster create … --cluster-replicas N --cluster-yes`. Ready when every node says
 * `cluster_state:ok`, knows every other node and every replica's link to its master is up (bounded wait).
 * Each node is stopped by its own PID (SIGTERM, SIGKILL after 5 s) and the folder removed.
 *
 *   const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
 *   env.REDIS_CLUSTER_NODES = cluster.nodes.join(',');   // or REDIS_URL = cluster.url
 *   await cluster.failover(await cluster.replicaOf(await cluster.masterOf('{autogen-ops}')));
 *   await cluster.stop();
 *
 * `cluster-node-timeout` is short (default 2 s) so a killed master's replica is promoted in seconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/local/redis.js';
import { spawnTailed, stopTailed, type TailedProcess } from './daemon.js';
import { waitFor } from './poll.js';

export interface ClusterNode {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  alive(): boolean;
}

export interface LocalRedisCluster {
  /** `host:port` of every node, the first masters first (as created); the seed list for REDIS_CLUSTER_NODES. */
  readonly nodes: string[];
  /** `redis+cluster://host:port,host:port,…` (`rediss+cluster://` with TLS; the same nodes, for REDIS_URL). */
  readonly url: string;
  readonly dir: string;
  /** Node by address. */
  node(address: string): ClusterNode;
  /** The addresses of the live masters now (asked from a live node's CLUSTER NODES). */
  masters(): Promise<string[]>;
  /** The master serving the slot of `key` now (e.g. `'{autogen-ops}'`: the project's keys). */
  masterOf(key: string): Promise<string>;
  /** A live replica of `master`. */
  replicaOf(master: string): Promise<string>;
  /**
   * A coordinated failover (`CLUSTER FAILOVER` on `replica`: the master stops writes until the replica has
   * everything, so nothing acknowledged is lost); resolves when `replica` is a master and the cluster is ok.
   */
  failover(replica: string, timeoutMs?: number): Promise<void>;
  /** Kills a node by its PID (SIGKILL by default); resolves once it is gone. */
  killNode(address: string, signal?: NodeJS.Signals): Promise<void>;
  /** Waits until every live node says `cluster_state:ok` and agrees on who serves every slot. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every node by its PID and removes the folder. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** `cluster-node-timeout`, ms (how soon a dead master is failed over). Default 2,000. */
  nodeTimeoutMs?: number;
  /** Bound of every wait (start, create, healthy). Default 30 s. */
  readyTimeoutMs?: number;
  /** More `redis-server` arguments for every node. */
  extraArgs?: readonly string[];
  /**
   * TLS only (clients, replication and the cluster bus): `--port 0 --tls-port … --tls-cluster yes
   * --tls-replication yes`, these PEM files (e.g. from `makeTestCertificates` in ./redis-tls.ts), client
   * certificates not required. The `url` is then `rediss+cluster://…`.
   */
  tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
  binary?: string;
  cli?: string;
}

interface Running extends ClusterNode, TailedProcess {}

type Tls = RedisClusterOptions['tls'];

function startNode(binary: string, dir: string, port: number, busPort: number, nodeTimeoutMs: number, extraArgs: readonly string[], tls: Tls): Running {
  mkdirSync(dir, { recursive: true });
  const ports = tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-replication', 'yes', '--tls-cert-file', tls.certFile,
      '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const proc = spawnTailed(binary, [
    ...ports, '--bind', '127.0.0.1', '--dir', dir,
    '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-port', String(busPort),
    '--cluster-node-timeout', String(nodeTimeoutMs), '--appendonly', 'no', '--save', '',
    '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes', ...extraArgs,
  ]);
  return Object.assign(proc, { address: `127.0.0.1:${port}`, port });
}

/** One command to one node (a short-lived connection; a dead node rejects). */
async function askNode(tls: Tls, port: number, ...args: string[]): Promise<string> {
  const conn = new Redis({
    host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 1_000,
    ...(tls ? { tls: { ca: readFileSync(tls.caFile) } } : {}),
  });
  conn.on('error', () => undefined);
  try {
    await conn.connect();
    return String(await conn.call(args[0]!, ...args.slice(1)));
  } finally {
    conn.disconnect();
  }
}

interface NodeLine { id: string; address: string; flags: string[]; masterId: string; connected: boolean; slots: string[] }

/** `CLUSTER NODES` parsed: id, `ip:port`, flags, master id, link state, slot ranges. */
function parseNodes(text: string): NodeLine[] {
  return text.trim().split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [id = '', addr = '', flags = '', master = '-', , , , link = '', ...slots] = line.trim().split(' ');
    return { id, address: addr.split('@')[0]!, flags: flags.split(','), masterId: master, connected: link === 'connected', slots };
  });
}

/** The Cluster hash slot of a key (CRC16/XMODEM of its hash tag, or of the whole key, mod 16384). */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16_384;
}

const servesSlot = (ranges: readonly string[], slot: number): boolean => ranges.some((r) => {
  if (r.startsWith('[')) return false; // a slot being migrated
  const [a, b] = r.split('-').map(Number);
  return slot >= a! && slot <= (b ?? a!);
});

export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<LocalRedisCluster> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicasPerMaster ?? 1;
  if (masters < 3) throw new Error('startRedisCluster: redis-cli --cluster create needs at least 3 masters');
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  const binary = opts.binary ?? 'redis-server';
  const cli = opts.cli ?? 'redis-cli';
  const dir = mkdtempSync(join(tmpdir(), 'autogen-ops-cluster-'));
  const ask = (port: number, ...args: string[]): Promise<string> => askNode(opts.tls, port, ...args);
  const nodes = new Map<string, Running>();
  const all = (): Running[] => [...nodes.values()];
  const live = (): Running[] => all().filter((n) => n.alive());

  const stop = async (): Promise<void> => {
    await Promise.all(all().map((n) => stopTailed(n)));
    rmSync(dir, { recursive: true, force: true });
  };

  const clusterNodes = async (): Promise<NodeLine[]> => {
    for (const n of live()) {
      try {
        return parseNodes(await ask(n.port, 'CLUSTER', 'NODES'));
      } catch { /* next node */ }
    }
    throw new Error('no Redis Cluster node answers');
  };

  /** Every live node ok, knows the same masters for all 16384 slots, and every replica's link is up. */
  const healthy = async (): Promise<boolean> => {
    let view: string | undefined;
    for (const n of live()) {
      let info: string;
      let lines: NodeLine[];
      try {
        info = await ask(n.port, 'CLUSTER', 'INFO');
        lines = parseNodes(await ask(n.port, 'CLUSTER', 'NODES'));
      } catch {
        return false;
      }
      if (!info.includes('cluster_state:ok')) return false;
      const liveLines = lines.filter((l) => !l.flags.includes('fail') && !l.flags.includes('noaddr') && nodes.get(l.address)?.alive());
      if (liveLines.length !== live().length || liveLines.some((l) => !l.flags.includes('myself') && !l.connected)) return false;
      const owners = lines.filter((l) => l.flags.includes('master') && !l.flags.includes('fail') && l.slots.length > 0)
        .map((l) => `${l.address}=${l.slots.join(' ')}`).sort().join(';');
      if (view !== undefined && owners !== view) return false;
      view = owners;
      if (lines.find((l) => l.flags.includes('myself'))?.flags.includes('slave')) {
        const repl = await ask(n.port, 'INFO', 'replication').catch(() => '');
        if (!repl.includes('master_link_status:up')) return false;
      }
    }
    return true;
  };

  const waitHealthy = async (ms = timeoutMs): Promise<void> => {
    await waitFor(healthy, { what: 'Redis Cluster healthy (cluster_state:ok on every node)', timeoutMs: ms, intervalMs: 100 });
  };

  try {
    const count = masters * (1 + replicas);
    const used = new Set<number>();
    const newPort = async (): Promise<number> => {
      let port = await freePort();
      while (used.has(port)) port = await freePort();
      used.add(port);
      return port;
    };
    for (let i = 0; i < count; i += 1) {
      const port = await newPort();
      const busPort = await newPort();
      const node = startNode(binary, join(dir, String(port)), port, busPort, opts.nodeTimeoutMs ?? 2_000, opts.extraArgs ?? [], opts.tls);
      nodes.set(node.address, node);
    }
    await waitFor(async () => {
      for (const n of all()) {
        if (!n.alive()) throw new Error(`redis-server ${n.address} exited: ${n.log.slice(-500)}`);
      }
      const pings = await Promise.all(all().map((n) => ask(n.port, 'PING').catch(() => '')));
      return pings.every((p) => p === 'PONG');
    }, { what: 'Redis Cluster nodes answering', timeoutMs, intervalMs: 50 });
    // masters first: redis-cli makes the first `masters` addresses the masters
    const tlsCli = opts.tls ? ['--tls', '--cacert', opts.tls.caFile] : [];
    const create = spawnSync(cli, [...tlsCli, '--cluster', 'create', ...all().map((n) => n.address), '--cluster-replicas', String(replicas), '--cluster-yes'],
      { encoding: 'utf8', timeout: timeoutMs });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (${create.status ?? create.signal}): ${(create.stdout + create.stderr).slice(-1_000)}`);
    await waitHealthy();
  } catch (err) {
    await stop();
    throw err;
  }

  const addresses = all().map((n) => n.address);
  const node = (address: string): Running => {
    const n = nodes.get(address);
    if (!n) throw new Error(`no Redis Cluster node ${address}`);
    return n;
  };
  const masterOf = async (key: string): Promise<string> => {
    const slot = keySlot(key);
    const owner = (await clusterNodes()).find((l) => l.flags.includes('master') && !l.flags.includes('fail') && servesSlot(l.slots, slot));
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    return owner.address;
  };
  return {
    nodes: addresses,
    url: `${opts.tls ? 'rediss' : 'redis'}+cluster://${addresses.join(',')}`,
    dir,
    node,
    async masters() {
      return (await clusterNodes()).filter((l) => l.flags.includes('master') && !l.flags.includes('fail') && nodes.get(l.address)?.alive()).map((l) => l.address);
    },
    masterOf,
    async replicaOf(master: string) {
      const lines = await clusterNodes();
      const id = lines.find((l) => l.address === master)?.id;
      const replica = lines.find((l) => l.masterId === id && l.flags.includes('slave') && !l.flags.includes('fail') && nodes.get(l.address)?.alive());
      if (!replica) throw new Error(`no live replica of ${master}`);
      return replica.address;
    },
    async failover(replica: string, ms = timeoutMs) {
      const port = node(replica).port;
      const answer = await ask(port, 'CLUSTER', 'FAILOVER');
      if (answer !== 'OK') throw new Error(`CLUSTER FAILOVER on ${replica}: ${answer}`);
      await waitFor(async () => (await ask(port, 'ROLE').catch(() => '')).startsWith('master'), { what: `${replica} promoted`, timeoutMs: ms, intervalMs: 50 });
      await waitHealthy(ms);
    },
    async killNode(address: string, signal: NodeJS.Signals = 'SIGKILL') {
      await stopTailed(node(address), signal);
    },
    waitHealthy,
    stop,
  };
}
