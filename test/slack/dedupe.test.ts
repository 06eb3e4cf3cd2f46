/** Event redeliveries (same event_id, x-slack-retry-num) pass the middleware once; real Redis. */
import { describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { dedupeDeliveries, deliveryKey } from '../../src/slack/dedupe.js';
import { createLogger } from '../../src/log.js';
import { uniquePrefix } from '../support/bot.js';

describe('dedupeDeliveries', () => {
  it('the first delivery of an event goes on, a retried one is acked and dropped', async () => {
    const redis = new Redis(inject('redisUrl'));
    const mw = dedupeDeliveries(redis, `${uniquePrefix()}:`, 60, createLogger({ log: { level: 'silent' } })) as Middleware<AnyMiddlewareArgs>;
    let nexts = 0;
    let acks = 0;
    const args = (retryNum?: number) => ({
      body: { type: 'event_callback', event_id: 'Ev0123', event: { type: 'app_mention' } },
      context: { retryNum, retryReason: retryNum ? 'http_timeout' : undefined },
      next: async () => { nexts += 1; },
      ack: async () => { acks += 1; },
    }) as unknown as Parameters<typeof mw>[0];
    await mw(args());
    await mw(args(1));
    await mw(args(2));
    expect(nexts).toBe(1);
    expect(acks).toBe(2);
    redis.disconnect();
  });

  it('commands and clicks have no event id: they pass (their job ids dedupe them)', () => {
    expect(deliveryKey({ command: '/autogen', trigger_id: 't' })).toBeUndefined();
    expect(deliveryKey({ event_id: 'Ev9' })).toBe('event:Ev9');
  });
});
