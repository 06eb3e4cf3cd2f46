/**
 * Vitest global setup: one real Redis server on loopback for the whole run, stopped by PID at the end.
 * Tests get its URL with `inject('redisUrl')` and isolate themselves with unique BullMQ prefixes / key prefixes.
 */
import type { TestProject } from 'vitest/node';
import { startLocalRedis, type LocalRedis } from '../../src/local/redis.js';

let redis: LocalRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  redis = await startLocalRedis();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
