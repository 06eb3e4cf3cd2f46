/**
 * Slack retries event deliveries (`x-slack-retry-num`) with the same `event_id`: the first delivery is
 * remembered in Redis (`SET NX` with a TTL) and any repeat is acked and dropped. Slash commands and
 * button clicks are deduplicated by their job id, derived from the unique `trigger_id` (BullMQ keeps one
 * job per id), so they cost no extra Redis round-trip in the ack path.
 */
import type { Middleware, AnyMiddlewareArgs } from '@slack/bolt';
import type { RedisClient } from '../redis/connect.js';
import type { Logger } from '../log.js';

export function deliveryKey(body: unknown): string | undefined {
  const b = body as { event_id?: unknown } | undefined;
  return typeof b?.event_id === 'string' ? `event:${b.event_id}` : undefined;
}

export function dedupeDeliveries(redis: RedisClient, keyPrefix: string, ttlS: number, logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const key = deliveryKey(args.body);
    if (key !== undefined) {
      let first = true;
      try {
        first = (await redis.set(`${keyPrefix}slack:delivery:${key}`, '1', 'EX', ttlS, 'NX')) === 'OK';
      } catch (err) {
        logger.warn({ err }, 'delivery dedupe unavailable; processing anyway');
      }
      if (!first) {
        logger.info({ key, retry_num: args.context.retryNum, retry_reason: args.context.retryReason }, 'duplicate Slack delivery dropped');
        const ack = (args as { ack?: () => Promise<void> }).ack;
        if (ack) await ack();
        return;
      }
    }
    await args.next();
  };
}
