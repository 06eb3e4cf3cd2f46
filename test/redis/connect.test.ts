/**
 * The Redis settings and the one connection factory (src/redis/connect.ts): every text form of the
 * environment (one server, Cluster and Sentinel, as URLs and as lists; TLS files; credentials) becomes
 * the same settings through `loadConfig`, mistakes are listed as problems, and each kind of connection
 * (producer: fail fast; worker: wait) has the options BullMQ and the request path need, on both kinds of
 * client. A Cluster connection's per-node losses and returns are logged once each. And statically: only the
 * factory makes connections, every module takes `RedisClient`, nothing walks the keyspace (SCAN/KEYS).
 */
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { OpsError } from '../../src/errors.js';
import { watchRedis } from '../../src/health/recovery.js';
import { createLogger } from '../../src/log.js';
import { connectRedis, parseRedisSettings, redisConfigured, redisOptionsFor, redisTopology } from '../../src/redis/connect.js';

const problemsOf = (env: Record<string, string>, role?: 'bot' | 'worker'): string[] => {
  try {
    loadConfig(env, role);
    return [];
  } catch (err) {
    return (err as OpsError).details?.problems as string[];
  }
};

describe('Redis settings from the environment', () => {
  it('nothing configured: no topology (the embedded defaults start a local Redis)', () => {
    const s = loadConfig({}).redis;
    expect(redisTopology(s)).toBeUndefined();
    expect(redisConfigured(s)).toBe(false);
  });

  it('one server: redis:// as given; rediss:// turns TLS on with the CA and client files', () => {
    expect(loadConfig({ REDIS_URL: 'redis://10.0.0.5:6379/2' }).redis).toEqual({ url: 'redis://10.0.0.5:6379/2' });
    const s = loadConfig({ REDIS_URL: 'rediss://r.example:6380', REDIS_TLS_CA_FILE: '/ca.pem', REDIS_TLS_CERT_FILE: '/c.pem', REDIS_TLS_KEY_FILE: '/c.key' }).redis;
    expect(redisTopology(s)).toBe('single');
    expect(s.tls).toEqual({ caFile: '/ca.pem', certFile: '/c.pem', keyFile: '/c.key' });
  });

  it('a Cluster: REDIS_CLUSTER_NODES and a redis+cluster:// URL give the same settings', () => {
    const nodes = [{ host: '10.0.0.11', port: 7000 }, { host: 'redis-b.internal', port: 7001 }, { host: '::1', port: 7002 }];
    const fromList = loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.11:7000, redis-b.internal:7001,[::1]:7002', REDIS_USERNAME: 'ops', REDIS_PASSWORD: 'pw-123', REDIS_TLS: 'true' }).redis;
    const fromUrl = loadConfig({ REDIS_URL: 'rediss+cluster://ops:pw-123@10.0.0.11:7000,redis-b.internal:7001,[::1]:7002' }).redis;
    for (const s of [fromList, fromUrl]) {
      expect(redisTopology(s)).toBe('cluster');
      expect(s.cluster).toEqual({ nodes });
      expect(s.username).toBe('ops');
      expect(s.password).toBe('pw-123');
      expect(s.tls).toEqual({ caFile: undefined, certFile: undefined, keyFile: undefined });
    }
    expect(loadConfig({ REDIS_URL: 'redis+cluster://127.0.0.1:7000' }).redis.tls).toBeUndefined();
  });

  it('Sentinel: REDIS_SENTINELS + REDIS_SENTINEL_NAME and a redis+sentinel:// URL give the same settings', () => {
    const fromList = loadConfig({ REDIS_SENTINELS: '10.0.0.21:26379,10.0.0.22:26379', REDIS_SENTINEL_NAME: 'mymaster', REDIS_SENTINEL_PASSWORD: 'sentinel-pw', REDIS_PASSWORD: 'p%40ss' }).redis;
    const fromUrl = loadConfig({ REDIS_URL: 'redis+sentinel://:p%2540ss@10.0.0.21:26379,10.0.0.22:26379/mymaster', REDIS_SENTINEL_PASSWORD: 'sentinel-pw' }).redis;
    for (const s of [fromList, fromUrl]) {
      expect(redisTopology(s)).toBe('sentinel');
      expect(s.sentinel).toEqual({ sentinels: [{ host: '10.0.0.21', port: 26379 }, { host: '10.0.0.22', port: 26379 }], name: 'mymaster', password: 'sentinel-pw' });
      expect(s.password).toBe('p%40ss');
      expect(s.tls).toBeUndefined();
    }
  });

  it('mistakes are listed, all at once', () => {
    const problems = problemsOf({
      REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'a:7000,b', REDIS_TLS_CERT_FILE: '/c.pem',
    });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^REDIS_URL, REDIS_CLUSTER_NODES: set only one/),
      expect.stringMatching(/^REDIS_CLUSTER_NODES: "b" must be host:port/),
      expect.stringMatching(/TLS is off/),
      expect.stringMatching(/^REDIS_TLS_CERT_FILE \/ REDIS_TLS_KEY_FILE: set both or neither/),
    ]));
    expect(problemsOf({ REDIS_SENTINELS: 'a:26379' })).toEqual([expect.stringMatching(/^REDIS_SENTINEL_NAME: required/)]);
    expect(problemsOf({ REDIS_URL: 'redis+sentinel://a:26379' })).toEqual([expect.stringMatching(/ends with \/<master name>/)]);
    expect(problemsOf({ REDIS_URL: 'redis+cluster://a:7000/0' })).toEqual([expect.stringMatching(/no path/)]);
    expect(problemsOf({ REDIS_URL: 'redis://a:6379', REDIS_SENTINEL_NAME: 'm' })).toEqual([expect.stringMatching(/^REDIS_SENTINEL_NAME: set only with/)]);
    expect(problemsOf({ REDIS_URL: 'redis://a:6379', REDIS_TLS: 'true' })).toEqual([expect.stringMatching(/use rediss:\/\//)]);
    expect(problemsOf({ REDIS_URL: 'http://a:6379' })).toEqual([expect.stringMatching(/^REDIS_URL: must be/)]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'a:99999' })).toEqual([expect.stringMatching(/"a:99999" must be host:port/)]);
  });

  it('a process needs one of the three forms', () => {
    expect(problemsOf({}, 'worker')).toContainEqual(expect.stringMatching(/^REDIS_URL: required .*REDIS_CLUSTER_NODES \/ REDIS_SENTINELS/));
    const forms: Record<string, string>[] = [{ REDIS_CLUSTER_NODES: 'a:7000' }, { REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'm' }, { REDIS_URL: 'redis+cluster://a:7000' }];
    for (const env of forms) {
      expect(problemsOf(env, 'worker').filter((p) => p.startsWith('REDIS'))).toEqual([]);
    }
  });

  it('parseRedisSettings reads no file and says nothing about what is not set', () => {
    expect(parseRedisSettings({})).toEqual({ settings: { url: undefined }, problems: [] });
  });

  it('the passwords are redacted when the configuration is logged', () => {
    const lines: string[] = [];
    const logger = createLogger({ log: { level: 'info' } }, new Writable({ write(c: Buffer, _e, cb) { lines.push(c.toString()); cb(); } }));
    const config = loadConfig({ REDIS_SENTINELS: 'a:26379', REDIS_SENTINEL_NAME: 'm', REDIS_SENTINEL_PASSWORD: 'sentinel-secret-1', REDIS_PASSWORD: 'node-secret-2' });
    logger.info({ config, env: { REDIS_PASSWORD: 'node-secret-2', REDIS_SENTINEL_PASSWORD: 'sentinel-secret-1' } }, 'x');
    logger.info({ redis: config.redis }, 'y');
    expect(lines.join('')).not.toMatch(/secret-1|secret-2/);
  });
});

describe('the connection factory', () => {
  const single = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1' }).redis;
  const cluster = loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:1,127.0.0.1:2', REDIS_PASSWORD: 'pw-123' }).redis;
  const sentinel = loadConfig({ REDIS_SENTINELS: '127.0.0.1:1', REDIS_SENTINEL_NAME: 'm' }).redis;

  it('workers wait for Redis (BullMQ blocks); producers fail fast — for one server, Sentinel and Cluster alike', () => {
    for (const s of [single, sentinel]) {
      expect(redisOptionsFor(s, 'worker').redis).toMatchObject({ maxRetriesPerRequest: null });
      expect(redisOptionsFor(s, 'worker').redis.enableOfflineQueue).toBeUndefined();
      expect(redisOptionsFor(s, 'producer').redis).toMatchObject({ maxRetriesPerRequest: null, enableOfflineQueue: false });
    }
    expect(redisOptionsFor(sentinel, 'worker').redis).toMatchObject({ sentinels: [{ host: '127.0.0.1', port: 1 }], name: 'm' });
    const w = redisOptionsFor(cluster, 'worker');
    const p = redisOptionsFor(cluster, 'producer');
    expect(w.nodes).toEqual([{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 2 }]);
    expect(w.cluster).toMatchObject({ enableOfflineQueue: true, redisOptions: { maxRetriesPerRequest: null, password: 'pw-123' } });
    expect(p.cluster).toMatchObject({ enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: null, password: 'pw-123' } });
  });

  it('returns a Cluster client for a Cluster and a Redis client otherwise', () => {
    const made = [connectRedis(cluster, 'producer'), connectRedis(single, 'producer'), connectRedis(sentinel, 'producer')];
    try {
      for (const c of made) c.on('error', () => undefined);
      expect(made[0]).toBeInstanceOf(Cluster);
      expect(made[1]).toBeInstanceOf(Redis);
      expect(made[2]).toBeInstanceOf(Redis);
      expect(made.map((c) => c.isCluster)).toEqual([true, false, false]);
    } finally {
      for (const c of made) c.disconnect();
    }
    expect(() => connectRedis({ url: undefined }, 'worker')).toThrow(/no Redis configured/);
  });
});

describe('watchRedis on a Cluster', () => {
  it('a lost node is one warn, its return (a ready connection to it) one info', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ log: { level: 'info' } }, new Writable({ write(c: Buffer, _e, cb) { lines.push(JSON.parse(c.toString()) as Record<string, unknown>); cb(); } }));
    const conn = new EventEmitter();
    watchRedis(conn as never, logger, 'worker');
    conn.emit('ready');
    conn.emit('node error', new Error('connect ECONNREFUSED 127.0.0.1:7001'), '127.0.0.1:7001');
    conn.emit('node error', new Error('connect ECONNREFUSED 127.0.0.1:7001'), '127.0.0.1:7001');
    // the dead node's address is added again at a slot refresh: not back until its connection is ready
    const again = new EventEmitter();
    conn.emit('+node', Object.assign(again, { options: { host: '127.0.0.1', port: 7001 } }));
    conn.emit('node error', new Error('connect ECONNREFUSED 127.0.0.1:7001'), '127.0.0.1:7001');
    const other = new EventEmitter();
    conn.emit('+node', Object.assign(other, { options: { host: '127.0.0.1', port: 7002 } }));
    other.emit('ready');
    const back = new EventEmitter();
    conn.emit('+node', Object.assign(back, { options: { host: '127.0.0.1', port: 7001 } }));
    back.emit('ready');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.event, l.node, l.msg])).toEqual([
      ['dependency_down', '127.0.0.1:7001', 'redis unreachable'],
      ['dependency_up', '127.0.0.1:7001', 'redis reachable again'],
    ]);
  });
});

describe('the source, read statically (Cluster-safety that no single run would show)', () => {
  const files = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts')).map((f) => join(dir, f));
  const sources = [...files('src'), ...files('handlers')].map((f) => ({ f, text: readFileSync(f, 'utf8') }));

  it('the guard finds what it looks for', () => {
    expect(sources.length).toBeGreaterThan(50);
    expect(sources.filter((s) => s.f === join('src', 'redis', 'connect.ts')).map((s) => /new Cluster\(/.test(s.text))).toEqual([true]);
  });

  it('connections are made only by src/redis/connect.ts, and every module takes `RedisClient` (Redis or Cluster)', () => {
    const others = sources.filter((s) => s.f !== join('src', 'redis', 'connect.ts'));
    expect(others.filter((s) => /new (Redis|Cluster)\(|from 'ioredis'/.test(s.text)).map((s) => s.f)).toEqual([]);
  });

  it('nothing walks the keyspace (SCAN / KEYS reach one node of a Cluster)', () => {
    const walking = /\.(scan|scanStream|scanBufferStream)\(|\.keys\(\s*['"`]|\bcall\(\s*['"](scan|keys)['"]|redis\.call\(\s*['"](SCAN|KEYS)['"]/i;
    expect(sources.filter((s) => walking.test(s.text)).map((s) => s.f)).toEqual([]);
    expect(walking.test("await redis.scan('0', 'MATCH', 'x*')")).toBe(true);
    expect(walking.test("redis.keys('inc:*')")).toBe(true);
  });
});

describe('QUEUE_PREFIX', () => {
  it('must hold a hash tag Redis Cluster uses: the first {…}, not empty', () => {
    for (const ok of ['{autogen-ops}', 'prod:{ops}', '{ops}x{y}']) expect(problemsOf({ QUEUE_PREFIX: ok })).toEqual([]);
    for (const bad of ['autogen-ops', '{}x{ops}', 'a}{b', '{open']) expect(problemsOf({ QUEUE_PREFIX: bad })).toEqual([expect.stringMatching(/^QUEUE_PREFIX: must contain a hash tag/)]);
  });
});
