/**
 * Both ends of a runtime's outage, as the monitor sees them: the first poll that finds the bridge
 * unreachable logs "runtime unreachable" (warn), the first poll that reaches it again logs "runtime
 * reachable again" (info, with `down_ms`). The outage's start is one Redis key per runtime (set NX, read
 * and deleted with GETDEL), so whichever worker replica polls next says it — once.
 */
import type { RedisClient } from '../redis/connect.js';
import type { Logger } from '../log.js';

export async function noteReachability(
  ctx: { readonly redis: RedisClient; readonly logger: Logger },
  key: string,
  runtime: string,
  poll: { readonly reachable: boolean; readonly reason?: string; readonly nowMs: number; readonly ttlMs: number },
): Promise<void> {
  if (!poll.reachable) {
    if ((await ctx.redis.set(key, String(poll.nowMs), 'PX', poll.ttlMs, 'NX')) === 'OK') {
      ctx.logger.warn({ event: 'dependency_down', dependency: 'runtime', runtime, reason: poll.reason }, 'runtime unreachable (monitor)');
    }
    return;
  }
  const since = await ctx.redis.getdel(key);
  if (since !== null) {
    ctx.logger.info({ event: 'dependency_up', dependency: 'runtime', runtime, down_ms: Math.max(0, poll.nowMs - Number(since)) }, 'runtime reachable again (monitor)');
  }
}
