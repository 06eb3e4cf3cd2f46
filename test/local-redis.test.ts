import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { startLocalRedis } from '../src/local/redis.js';

describe('local redis', () => {
  it('the shared test server answers PING', async () => {
    const client = new Redis(inject('redisUrl'), { lazyConnect: true });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });

  it('starts and stops a server of its own by PID', async () => {
    const redis = await startLocalRedis();
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    client.disconnect();
    await redis.stop();
    expect(() => process.kill(redis.pid, 0)).toThrow();
  });
});
