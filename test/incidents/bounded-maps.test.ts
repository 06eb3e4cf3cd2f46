/**
 * Every in-process map keyed by input from outside is bounded (docs/security.md): the per-runtime call
 * graph cache (the runtime comes from an alert's label), the intake's recent scopes, the LRU they use.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CACHE_MAX_RUNTIMES, CallGraph } from '../../src/incidents/call-graph.js';
import { RecentScopes } from '../../src/intake/new-scopes.js';
import { createLogger } from '../../src/log.js';
import { LruMap } from '../../src/lru.js';

describe('LruMap', () => {
  it('keeps at most max entries, evicting the least recently used', () => {
    const m = new LruMap<string, number>(3);
    m.set('a', 1).set('b', 2).set('c', 3);
    expect(m.get('a')).toBe(1); // a is now the most recent
    m.set('d', 4);
    expect(m.size).toBe(3);
    expect(m.has('b')).toBe(false);
    expect([...m.keys()]).toEqual(['c', 'a', 'd']);
    for (let i = 0; i < 10_000; i += 1) m.set(`k${i}`, i);
    expect(m.size).toBe(3);
    expect(m.get('k9999')).toBe(9999);
    expect(() => new LruMap(0)).toThrow(RangeError);
  });
});

describe('CallGraph: the per-runtime cache keyed by an alert label', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  });
  afterAll(() => {
    redis.disconnect();
  });

  it(`holds at most ${CACHE_MAX_RUNTIMES} runtimes whatever labels alerts carry`, async () => {
    const graph = new CallGraph({
      redis, keyPrefix: `{bounded-${Date.now()}}:`, logger: createLogger({ log: { level: 'silent' } }), runtimes: ['prod'], now: () => new Date(),
    });
    const cache = (graph as unknown as { cache: { size: number } }).cache;
    const distinct = CACHE_MAX_RUNTIMES + 200;
    for (let i = 0; i < distinct; i += 1) {
      // what an alert source controls: the runtime label of every alert it sends
      expect(await graph.edges(`attacker-runtime-${i}`)).toEqual([]);
    }
    expect(cache.size).toBe(CACHE_MAX_RUNTIMES);
  });
});

describe('RecentScopes (the intake)', () => {
  it('forgets the least recently seen scopes past its maximum', () => {
    const recent = new RecentScopes({ ttlMs: 60_000, max: 100 });
    for (let i = 0; i < 5_000; i += 1) recent.mark([`scope-${i}`], 1_000 + i);
    expect(recent.size).toBe(100);
    expect(recent.isNew('scope-4999', 7_000)).toBe(false);
    expect(recent.isNew('scope-0', 7_000)).toBe(true);
  });
});
