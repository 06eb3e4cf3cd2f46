import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { actionsInWindow, describeOpenBreaker, readAutomation, reserveAction, setAutomation } from '../../src/response/safety.js';
import { clearAttempts, mustEscalate, recentAttempts, recordFailedAttempt, type Attempt } from '../../src/response/attempts.js';
import { useTestRedis } from '../support/redis.js';

const NOW = Date.parse('2026-01-02T03:04:05.000Z');

describe('safety limits (real Redis)', () => {
  const { redis, prefix } = useTestRedis();

  it('kill switch: on by default, off for every replica once switched, with who and when', async () => {
    expect(await readAutomation(redis, prefix)).toEqual({ enabled: true });
    await setAutomation(redis, prefix, false, 'U0ALICE', new Date(NOW));
    const other = new Redis(inject('redisUrl'));
    try {
      expect(await readAutomation(other, prefix)).toEqual({ enabled: false, by: 'U0ALICE', at: '2026-01-02T03:04:05.000Z' });
    } finally {
      await other.quit();
    }
    await setAutomation(redis, prefix, true, 'U0BOB', new Date(NOW + 1));
    expect((await readAutomation(redis, prefix)).enabled).toBe(true);
  });

  it('circuit breaker: N actions per runtime per window, retried keys not counted twice, opens and says until when', async () => {
    const opts = { limit: 3, windowMs: 60_000 };
    expect(await reserveAction(redis, prefix, 'demo', 'k1', NOW, opts)).toEqual({ open: false, count: 1, repeated: false });
    expect(await reserveAction(redis, prefix, 'demo', 'k1', NOW + 1, opts)).toEqual({ open: false, count: 1, repeated: true });
    await reserveAction(redis, prefix, 'demo', 'k2', NOW + 2, opts);
    await reserveAction(redis, prefix, 'demo', 'k3', NOW + 3, opts);
    const open = await reserveAction(redis, prefix, 'demo', 'k4', NOW + 4, opts);
    expect(open).toEqual({ open: true, count: 3, limit: 3, retryAt: NOW + 60_000 });
    if (open.open) expect(describeOpenBreaker('demo', open, 60_000)).toBe('Circuit breaker open for runtime demo: 3 actions in the last 1 min (limit 3). No further automated action runs until 03:05:05 UTC; act by hand or ask again then.');
    // Another runtime has its own breaker; the window slides.
    expect((await reserveAction(redis, prefix, 'other', 'k4', NOW + 4, opts)).open).toBe(false);
    expect((await reserveAction(redis, prefix, 'demo', 'k4', NOW + 60_001, opts)).open).toBe(false);
    expect(await actionsInWindow(redis, prefix, 'demo', NOW + 60_001, 60_000)).toBe(3);
  });

  it('concurrent reservations from two replicas never exceed the limit', async () => {
    const other = new Redis(inject('redisUrl'));
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => reserveAction(i % 2 ? other : redis, prefix, 'race', `key-${i}`, NOW, { limit: 5, windowMs: 60_000 })));
      expect(answers.filter((a) => !a.open)).toHaveLength(5);
    } finally {
      await other.quit();
    }
  });
});

describe('recovery attempts (real Redis)', () => {
  const { redis, prefix } = useTestRedis();
  const attempt = (planId: string, at: number): Attempt => ({ planId, runbookId: 'rb', tried: ['isolate ToolAgent'], outcome: 'verify failed', at: new Date(at).toISOString() });

  it('counts failed attempts per failure within the window; the third escalates (seed §6.2)', async () => {
    const key = 'rb|demo|ToolAgent';
    expect(await recordFailedAttempt(redis, prefix, key, attempt('pl-1', NOW), NOW, 3_600_000)).toBe(1);
    expect(await recordFailedAttempt(redis, prefix, key, attempt('pl-1', NOW + 5), NOW + 5, 3_600_000)).toBe(1);
    expect(await recordFailedAttempt(redis, prefix, key, attempt('pl-2', NOW + 10), NOW + 10, 3_600_000)).toBe(2);
    expect(mustEscalate(2, 3)).toBe(false);
    const n = await recordFailedAttempt(redis, prefix, key, attempt('pl-3', NOW + 20), NOW + 20, 3_600_000);
    expect(mustEscalate(n, 3)).toBe(true);
    expect((await recentAttempts(redis, prefix, key, NOW + 20, 3_600_000)).map((a) => a.planId)).toEqual(['pl-1', 'pl-2', 'pl-3']);
    // Another failure is counted apart; old attempts age out.
    expect(await recordFailedAttempt(redis, prefix, 'rb|demo|ChatAgent', attempt('pl-4', NOW), NOW, 3_600_000)).toBe(1);
    expect(await recordFailedAttempt(redis, prefix, key, attempt('pl-5', NOW + 3_600_015), NOW + 3_600_015, 3_600_000)).toBe(2);
    await clearAttempts(redis, prefix, key);
    expect(await recentAttempts(redis, prefix, key, NOW, 3_600_000)).toEqual([]);
  });
});
