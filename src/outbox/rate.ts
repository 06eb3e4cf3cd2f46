/**
 * Per-channel send rate in Redis (GCRA): shared by every worker replica. `reserve` either takes a slot
 * now (returns 0) or says how many ms to wait; nothing is reserved when it says wait. `pause` pushes a
 * channel's next slot out (Slack's Retry-After). Scripts: src/redis/scripts/rate-*.lua.
 */
import type { Redis } from 'ioredis';
import { runScript } from '../redis/scripts.js';

export interface ChannelRateOptions {
  /** Sustained messages per second per channel (Slack: about 1). */
  ratePerS: number;
  /** Messages allowed back-to-back before the rate applies. */
  burst: number;
}

export class ChannelRate {
  constructor(private readonly redis: Redis, private readonly keyPrefix: string, private readonly opts: ChannelRateOptions) {}

  private key(channel: string): string {
    return `${this.keyPrefix}outbox:rate:${channel}`;
  }

  /** 0 = send now (slot taken); otherwise milliseconds to wait before asking again. */
  async reserve(channel: string, nowMs: number): Promise<number> {
    const interval = 1000 / this.opts.ratePerS;
    const wait = await runScript(this.redis, 'rateReserve', [this.key(channel)], { now: nowMs, interval, burst: this.opts.burst });
    return Math.max(0, Math.ceil(Number(wait)));
  }

  /** No sends to `channel` before `untilMs` (epoch ms). */
  async pause(channel: string, untilMs: number, nowMs: number): Promise<void> {
    const burstWindow = (this.opts.burst - 1) * (1000 / this.opts.ratePerS);
    await runScript(this.redis, 'ratePause', [this.key(channel)], { until: untilMs + burstWindow, ttl: untilMs - nowMs + burstWindow + 1000 });
  }
}
