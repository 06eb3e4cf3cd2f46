/**
 * The one place Redis connections are made: one server (`redis://`, `rediss://`), a Redis Cluster or a
 * Sentinel-managed master, with TLS on any of them (docs/operations.md "Topologies").
 *
 * - `RedisClient` (an ioredis `Redis` or `Cluster`) is the type every module that talks to Redis takes.
 * - Two kinds of connection, for both topologies: a `worker` connection (BullMQ workers block on Redis, so
 *   `maxRetriesPerRequest: null` and commands wait in the offline queue while Redis is away) and a
 *   `producer` connection for the request path (bot, alert intake: `enableOfflineQueue: false`, so a command
 *   fails at once while Redis is unreachable and the caller answers 503 instead of holding an ack).
 * - On a Cluster every key of the project carries the configured prefix's `{hash tag}` (QUEUE_PREFIX), so
 *   BullMQ's scripts and ours always touch one slot.
 *
 * `parseRedisSettings` turns the environment's text forms (validated by `src/config.ts`, the only reader of
 * the environment) into `RedisSettings`; it reads no file — the TLS files are read when connecting.
 */
import { readFileSync } from 'node:fs';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';

/** A connection to Redis, whatever the topology. */
export type RedisClient = Redis | Cluster;

export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface RedisTls {
  /** PEM CA bundle that signed the servers' certificates (besides the system's). */
  readonly caFile?: string | undefined;
  /** Client certificate and key, for servers that require them (`tls-auth-clients yes`). */
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
}

export interface RedisSettings {
  /** One server: `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). */
  readonly url: string | undefined;
  /** Redis Cluster: seed nodes (any reachable ones; the rest are discovered). */
  readonly cluster?: { readonly nodes: readonly RedisEndpoint[] } | undefined;
  /** Sentinel: the sentinels and the name of the master group they watch. */
  readonly sentinel?: { readonly sentinels: readonly RedisEndpoint[]; readonly name: string; readonly password?: string | undefined } | undefined;
  /** ACL user and password of the data nodes (a single-server URL may carry its own). */
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** TLS to the data nodes (and the sentinels); unset: plain TCP (a `rediss://` URL still uses TLS). */
  readonly tls?: RedisTls | undefined;
}

export type RedisTopology = 'single' | 'cluster' | 'sentinel';

/** Which topology the settings describe; undefined when nothing is configured (embedded defaults). */
export function redisTopology(s: RedisSettings): RedisTopology | undefined {
  if (s.cluster) return 'cluster';
  if (s.sentinel) return 'sentinel';
  return s.url ? 'single' : undefined;
}

export const redisConfigured = (s: RedisSettings): boolean => redisTopology(s) !== undefined;

// --- the environment's text forms --------------------------------------------------------------------------

/** The raw variables (already validated for shape by zod in src/config.ts). */
export interface RedisEnvText {
  readonly REDIS_URL?: string | undefined;
  readonly REDIS_CLUSTER_NODES?: string | undefined;
  readonly REDIS_SENTINELS?: string | undefined;
  readonly REDIS_SENTINEL_NAME?: string | undefined;
  readonly REDIS_SENTINEL_PASSWORD?: string | undefined;
  readonly REDIS_USERNAME?: string | undefined;
  readonly REDIS_PASSWORD?: string | undefined;
  readonly REDIS_TLS?: boolean | undefined;
  readonly REDIS_TLS_CA_FILE?: string | undefined;
  readonly REDIS_TLS_CERT_FILE?: string | undefined;
  readonly REDIS_TLS_KEY_FILE?: string | undefined;
}

/** `REDIS_URL` schemes: one server, a Cluster or Sentinel, each plain or TLS (`rediss…`). */
export const REDIS_URL_RE = /^rediss?(\+cluster|\+sentinel)?:\/\//;

/** `host:port,host:port` (IPv6 as `[::1]:port`). */
export function parseEndpoints(text: string, what: string, problems: string[]): RedisEndpoint[] {
  const out: RedisEndpoint[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/@]+):(\d{1,5})$/.exec(entry);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      problems.push(`${what}: "${entry}" must be host:port`);
      continue;
    }
    out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  if (out.length === 0 && problems.length === 0) problems.push(`${what}: at least one host:port is required`);
  return out;
}

/** `redis+cluster://[user[:password]@]host:port,host:port` / `redis+sentinel://…/<master name>` (and `rediss+…`). */
function parseMultiUrl(url: string, problems: string[]): { kind: 'cluster' | 'sentinel'; nodes: RedisEndpoint[]; name: string | undefined; username?: string; password?: string; tls: boolean } {
  const m = /^(rediss?)\+(cluster|sentinel):\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/([^?#]*))?$/.exec(url);
  const kind = url.includes('+sentinel') ? 'sentinel' : 'cluster';
  if (!m) {
    problems.push(`REDIS_URL: must be ${kind === 'cluster' ? 'redis+cluster://host:port,host:port' : 'redis+sentinel://host:port,host:port/<master name>'}`);
    return { kind, nodes: [], name: undefined, tls: false };
  }
  const [, scheme, , auth, hosts, path] = m;
  const nodes = parseEndpoints(hosts ?? '', 'REDIS_URL', problems);
  let username: string | undefined;
  let password: string | undefined;
  if (auth !== undefined && auth !== '') {
    const colon = auth.indexOf(':');
    const user = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
    if (user !== '') username = user;
    if (colon >= 0) password = decodeURIComponent(auth.slice(colon + 1));
  }
  const name = path === undefined || path === '' ? undefined : decodeURIComponent(path);
  if (kind === 'sentinel' && name === undefined) problems.push('REDIS_URL: a redis+sentinel:// URL ends with /<master name>');
  if (kind === 'cluster' && name !== undefined) problems.push('REDIS_URL: a redis+cluster:// URL has no path (Cluster has only database 0)');
  return { kind, nodes, name, ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }), tls: scheme === 'rediss' };
}

/** The settings from the environment's variables, and what is wrong with them. */
export function parseRedisSettings(e: RedisEnvText): { settings: RedisSettings; problems: string[] } {
  const problems: string[] = [];
  const forms = [e.REDIS_URL && 'REDIS_URL', e.REDIS_CLUSTER_NODES && 'REDIS_CLUSTER_NODES', e.REDIS_SENTINELS && 'REDIS_SENTINELS'].filter(Boolean);
  if (forms.length > 1) problems.push(`${forms.join(', ')}: set only one of them (one Redis topology)`);
  let tlsOn = e.REDIS_TLS === true;
  let settings: { -readonly [K in keyof RedisSettings]: RedisSettings[K] } = { url: undefined };
  let username = e.REDIS_USERNAME;
  let password = e.REDIS_PASSWORD;
  if (e.REDIS_CLUSTER_NODES) {
    settings.cluster = { nodes: parseEndpoints(e.REDIS_CLUSTER_NODES, 'REDIS_CLUSTER_NODES', problems) };
  } else if (e.REDIS_SENTINELS) {
    const sentinels = parseEndpoints(e.REDIS_SENTINELS, 'REDIS_SENTINELS', problems);
    if (!e.REDIS_SENTINEL_NAME) problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master group name the sentinels watch)');
    settings.sentinel = { sentinels, name: e.REDIS_SENTINEL_NAME ?? '', password: e.REDIS_SENTINEL_PASSWORD };
  } else if (e.REDIS_URL && /^rediss?\+/.test(e.REDIS_URL)) {
    const u = parseMultiUrl(e.REDIS_URL, problems);
    if (u.kind === 'cluster') settings.cluster = { nodes: u.nodes };
    else settings.sentinel = { sentinels: u.nodes, name: e.REDIS_SENTINEL_NAME ?? u.name ?? '', password: e.REDIS_SENTINEL_PASSWORD };
    username = u.username ?? username;
    password = u.password ?? password;
    tlsOn ||= u.tls;
  } else if (e.REDIS_URL) {
    settings = { url: e.REDIS_URL };
    tlsOn ||= e.REDIS_URL.startsWith('rediss://');
  }
  if (e.REDIS_SENTINEL_NAME && !settings.sentinel) problems.push('REDIS_SENTINEL_NAME: set only with REDIS_SENTINELS or a redis+sentinel:// REDIS_URL');
  if (e.REDIS_SENTINEL_PASSWORD && !settings.sentinel) problems.push('REDIS_SENTINEL_PASSWORD: set only with REDIS_SENTINELS or a redis+sentinel:// REDIS_URL');
  if (settings.url?.startsWith('redis://') && e.REDIS_TLS === true) problems.push('REDIS_TLS: true with a redis:// REDIS_URL; use rediss:// for TLS');
  const tlsFiles = { caFile: e.REDIS_TLS_CA_FILE, certFile: e.REDIS_TLS_CERT_FILE, keyFile: e.REDIS_TLS_KEY_FILE };
  if (!tlsOn && Object.values(tlsFiles).some((f) => f !== undefined)) {
    problems.push('REDIS_TLS_CA_FILE / REDIS_TLS_CERT_FILE / REDIS_TLS_KEY_FILE: set, but TLS is off (use rediss://… or REDIS_TLS=true)');
  }
  if ((tlsFiles.certFile === undefined) !== (tlsFiles.keyFile === undefined)) problems.push('REDIS_TLS_CERT_FILE / REDIS_TLS_KEY_FILE: set both or neither');
  if (tlsOn) settings.tls = tlsFiles;
  if (username !== undefined) settings.username = username;
  if (password !== undefined) settings.password = password;
  return { settings, problems };
}

// --- connecting ------------------------------------------------------------------------------------------

export type RedisRole = 'producer' | 'worker';

/** Per-node options of each kind of connection. */
function nodeOptions(role: RedisRole): RedisOptions {
  return role === 'worker'
    ? { maxRetriesPerRequest: null, enableReadyCheck: true }
    : { maxRetriesPerRequest: null, enableOfflineQueue: false, enableReadyCheck: true, connectTimeout: 2_000 };
}

function tlsOptions(tls: RedisTls): ConnectionOptions {
  return {
    ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
    ...(tls.certFile ? { cert: readFileSync(tls.certFile) } : {}),
    ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
  };
}

/** The ioredis options of a connection of `role` (exported for tests and BullMQ-facing checks). */
export function redisOptionsFor(s: RedisSettings, role: RedisRole): { nodes?: RedisEndpoint[]; cluster?: ClusterOptions; redis: RedisOptions } {
  const auth: RedisOptions = {
    ...(s.username === undefined ? {} : { username: s.username }),
    ...(s.password === undefined ? {} : { password: s.password }),
  };
  const tls = s.tls ? tlsOptions(s.tls) : undefined;
  const base: RedisOptions = { ...nodeOptions(role), ...auth, ...(tls ? { tls } : {}) };
  if (s.cluster) {
    return {
      nodes: [...s.cluster.nodes],
      // producers fail fast while the Cluster is not ready (failover, no node reachable); workers wait
      cluster: { redisOptions: base, enableOfflineQueue: role === 'worker', enableReadyCheck: true, ...(tls ? { dnsLookup: (address, cb) => cb(null, address) } : {}) },
      redis: base,
    };
  }
  if (s.sentinel) {
    return {
      redis: {
        ...base,
        sentinels: s.sentinel.sentinels.map((n) => ({ ...n })),
        name: s.sentinel.name,
        ...(s.sentinel.password === undefined ? {} : { sentinelPassword: s.sentinel.password }),
        ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
      },
    };
  }
  return { redis: base };
}

/**
 * A new connection for `role`. Throws when nothing is configured (the embedded defaults start a local
 * Redis and set `url` first).
 */
export function connectRedis(s: RedisSettings, role: RedisRole): RedisClient {
  const o = redisOptionsFor(s, role);
  if (s.cluster) return new Cluster(o.nodes ?? [], o.cluster);
  if (s.sentinel) return new Redis(o.redis);
  if (!s.url) throw new Error('connectRedis: no Redis configured (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS)');
  return new Redis(s.url, o.redis);
}
