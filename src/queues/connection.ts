/**
 * Redis connections for BullMQ. Workers need `maxRetriesPerRequest: null` (BullMQ blocks on Redis);
 * producers in the request path (bot) fail fast instead so an ack is never held up by a dead Redis.
 */
import { Redis, type RedisOptions } from 'ioredis';

/** Options for connections used by BullMQ workers and queues in the worker process. */
export function workerRedisOptions(): RedisOptions {
  return { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false };
}

/** Options for the bot's producer connection: give up a command quickly when Redis is down. */
export function producerRedisOptions(): RedisOptions {
  return { maxRetriesPerRequest: null, enableOfflineQueue: false, enableReadyCheck: true, connectTimeout: 2_000 };
}

export function createRedis(url: string, options: RedisOptions = workerRedisOptions()): Redis {
  return new Redis(url, options);
}

/** A hash-tagged prefix (Redis Cluster keeps each queue's keys in one slot); also used for our own keys. */
export function keyPrefix(prefix: string): string {
  return prefix.endsWith(':') ? prefix : `${prefix}:`;
}
