/**
 * Redis connections for BullMQ come from the one factory, `src/redis/connect.ts` (`connectRedis(settings,
 * 'worker' | 'producer')`): workers need `maxRetriesPerRequest: null` (BullMQ blocks on Redis); producers in
 * the request path (bot, intake) fail fast instead so an ack is never held up by a dead Redis.
 */

/** A hash-tagged prefix (Redis Cluster keeps each queue's keys in one slot); also used for our own keys. */
export function keyPrefix(prefix: string): string {
  return prefix.endsWith(':') ? prefix : `${prefix}:`;
}
