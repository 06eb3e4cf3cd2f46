/**
 * A connection to the run's real Redis (`inject('redisUrl')`) and a key prefix of its own, for the tests
 * of one `describe` block: call it in the block's body; the connection opens on first use and quits
 * after the block.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';

export function useTestRedis(): { readonly redis: Redis; readonly prefix: string } {
  const redis = new Redis(inject('redisUrl'), { lazyConnect: true });
  afterAll(() => redis.quit());
  return { redis, prefix: `t-${randomUUID()}:` };
}
