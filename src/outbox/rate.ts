/**
 * Per-channel send rate in Redis (GCRA): shared by every worker replica. `reserve` either takes a slot
 * now (returns 0) or says how many ms to wait; nothing is reserved when it says wait. `pause` pushes a
 * channel's next slot out (Slack's Retry-After). Scripts: src/redis/scripts/rate-*.lua.
 *
 * Two lanes per channel, each a bucket of its own at the same rate: `post` (chat.postMessage and uploads:
 * Slack's one message per second per channel) and `edit` (chat.update, which Slack rates per method, Tier 3,
 * not by the channel's posting rate). Edits of a message are coalesced in the outbox (one pending edit per
 * key), so their lane cannot flood; with a lane of their own they never wait behind a storm's thread
 * replies, nor behind a 429 that paused the channel's posts.
 */
import type { RedisClient } from '../redis/connect.js';
import { runScript } from '../redis/scripts.js';

export interface ChannelRateOptions {
  /** Sustained messages per second per channel (Slack: about 1). */
  ratePerS: number;
  /** Messages allowed back-to-back before the rate applies. */
  burst: number;
}

/** `post`: new messages and thread replies (and uploads); `edit`: chat.update of an existing message. */
export type RateLane = 'post' | 'edit';

export class ChannelRate {
  constructor(private readonly redis: RedisClient, private readonly keyPrefix: string, private readonly opts: ChannelRateOptions) {}

  private key(channel: string, lane: RateLane): string {
    return lane === 'post' ? `${this.keyPrefix}outbox:rate:${channel}` : `${this.keyPrefix}outbox:rate:${channel}:${lane}`;
  }

  /** 0 = send now (slot taken); otherwise milliseconds to wait before asking again. */
  async reserve(channel: string, nowMs: number, lane: RateLane = 'post'): Promise<number> {
    const interval = 1000 / this.opts.ratePerS;
    const wait = await runScript(this.redis, 'rateReserve', [this.key(channel, lane)], { now: nowMs, interval, burst: this.opts.burst });
    return Math.max(0, Math.ceil(Number(wait)));
  }

  /** No sends to `channel` in `lane` before `untilMs` (epoch ms). */
  async pause(channel: string, untilMs: number, nowMs: number, lane: RateLane = 'post'): Promise<void> {
    const burstWindow = (this.opts.burst - 1) * (1000 / this.opts.ratePerS);
    await runScript(this.redis, 'ratePause', [this.key(channel, lane)], { until: untilMs + burstWindow, ttl: untilMs - nowMs + burstWindow + 1000 });
  }
}
