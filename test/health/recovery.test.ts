/**
 * Both ends of an outage in the log: `DependencyState` (one warn per outage, one info when it ends, with
 * how long it lasted), `watchRedis` on ioredis's events, the monitor's per-runtime marker in real Redis,
 * and the detection of a job resumed after its worker was lost.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { DependencyState, watchRedis } from '../../src/health/recovery.js';
import { noteReachability } from '../../src/monitor/reachability.js';
import { resumesLostRun } from '../../src/response/resumed.js';
import { useTestRedis } from '../support/redis.js';

interface Line { level: number; msg: string; event?: string; down_ms?: number; failures?: number; runtime?: string }

function capture(level = 'info'): { lines: Line[]; logger: ReturnType<typeof createLogger> } {
  const lines: Line[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  return { lines, logger: createLogger({ log: { level } }, out) };
}

/** pino writes asynchronously to a stream: wait for the writes of this tick. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('DependencyState', () => {
  it('one warning per outage, later failures at debug only, one info line with down_ms when it ends', async () => {
    const { lines, logger } = capture();
    let t = 1_000;
    const s = new DependencyState(logger, { dependency: 'slack' }, () => t);
    expect(s.succeeded()).toBeUndefined();
    s.failed('SLACK_UNAVAILABLE: 503');
    t = 1_500;
    s.failed('SLACK_UNAVAILABLE: 503');
    expect(s.down).toBe(true);
    t = 4_000;
    expect(s.succeeded()).toBe(3_000);
    expect(s.succeeded()).toBeUndefined();
    await flush();
    expect(lines.map((l) => [l.level, l.event, l.msg])).toEqual([
      [40, 'dependency_down', 'slack unreachable'],
      [30, 'dependency_up', 'slack reachable again'],
    ]);
    expect(lines[1]).toMatchObject({ down_ms: 3_000, failures: 2 });
  });

  it('watchRedis: errors and reconnects start an outage, `ready` ends it; a first connect is not a recovery', async () => {
    const { lines, logger } = capture();
    const conn = new EventEmitter();
    watchRedis(conn as never, logger, 'bot');
    conn.emit('ready');
    conn.emit('reconnecting');
    conn.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    conn.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    conn.emit('ready');
    await flush();
    expect(lines.map((l) => [l.event, l.msg])).toEqual([
      ['dependency_down', 'redis unreachable'],
      ['dependency_up', 'redis reachable again'],
    ]);
  });
});

describe('the monitor\'s view of a runtime', () => {
  const { redis, prefix } = useTestRedis();

  it('says once when a runtime stops answering and once when it answers again, whichever replica polls', async () => {
    const { lines, logger } = capture();
    const key = `${prefix}monitor:down:prod`;
    await noteReachability({ redis, logger }, key, 'prod', { reachable: true, nowMs: 1_000, ttlMs: 60_000 });
    await noteReachability({ redis, logger }, key, 'prod', { reachable: false, reason: 'connection refused', nowMs: 2_000, ttlMs: 60_000 });
    await noteReachability({ redis, logger }, key, 'prod', { reachable: false, reason: 'connection refused', nowMs: 4_000, ttlMs: 60_000 });
    await noteReachability({ redis, logger }, key, 'prod', { reachable: true, nowMs: 9_000, ttlMs: 60_000 });
    await noteReachability({ redis, logger }, key, 'prod', { reachable: true, nowMs: 11_000, ttlMs: 60_000 });
    await flush();
    expect(lines.map((l) => [l.event, l.runtime, l.msg])).toEqual([
      ['dependency_down', 'prod', 'runtime unreachable (monitor)'],
      ['dependency_up', 'prod', 'runtime reachable again (monitor)'],
    ]);
    expect(lines[1]!.down_ms).toBe(7_000);
    expect(await redis.exists(key)).toBe(0);
  });
});

describe('a job resumed after its worker was lost', () => {
  it('is one taken back as stalled that had started without finishing or failing', () => {
    expect(resumesLostRun({ stalledCounter: 1, attemptsStarted: 2, attemptsMade: 0 })).toBe(true);
    // a retry after a failure (attemptsMade counts it) is not a lost worker
    expect(resumesLostRun({ stalledCounter: 0, attemptsStarted: 2, attemptsMade: 1 })).toBe(false);
    expect(resumesLostRun({ stalledCounter: 1, attemptsStarted: 1, attemptsMade: 0 })).toBe(false);
    expect(resumesLostRun({ stalledCounter: 0, attemptsStarted: 1, attemptsMade: 0 })).toBe(false);
  });
});
