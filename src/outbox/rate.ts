/**
 * Per-channel send rate in Redis (GCRA): shared by every worker replica. `reserve` either takes a slot
 * now (returns 0) or says how many ms to wait; nothing is reserved when it says wait. `pause` pushes a
 * channel's next slot out (Slack's Retry-After).
 */
import type { Redis } from 'ioredis';

const RESERVE = `
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if allow_at > now then return allow_at - now end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now + interval))
return 0
`;

const PAUSE = `
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local until_ms = tonumber(ARGV[1])
if until_ms > tat then redis.call('SET', KEYS[1], until_ms, 'PX', math.ceil(tonumber(ARGV[2]))) end
return 1
`;

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
    const wait = await this.redis.eval(RESERVE, 1, this.key(channel), nowMs, interval, this.opts.burst);
    return Math.max(0, Math.ceil(Number(wait)));
  }

  /** No sends to `channel` before `untilMs` (epoch ms). */
  async pause(channel: string, untilMs: number, nowMs: number): Promise<void> {
    const burstWindow = (this.opts.burst - 1) * (1000 / this.opts.ratePerS);
    await this.redis.eval(PAUSE, 1, this.key(channel), untilMs + burstWindow, untilMs - nowMs + burstWindow + 1000);
  }
}
