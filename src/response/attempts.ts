/**
 * The seed's recovery-attempt rule (§6.2 `AutoRecoverySystem.max_recovery_attempts = 3`): failed attempts
 * are counted per failure (runbook + runtime + agents acted on) over a recent window; once the count
 * reaches the runbook's `max_attempts`, automation stops for that failure and humans are called in with
 * everything that was tried.
 *
 * Redis: a sorted set `<prefix>attempts:<failureKey>` scored by time (ms), one member per failed plan (a
 * retried job records the same plan once).
 */
import type { RedisClient } from '../redis/connect.js';
import { runScript } from '../redis/scripts.js';

export interface Attempt {
  readonly planId: string;
  readonly runbookId: string;
  /** What ran, one line per action: "isolate ToolAgent (mode refuse)". */
  readonly tried: readonly string[];
  /** Why it counts as failed: a step error or the failed checks. */
  readonly outcome: string;
  /** ISO time. */
  readonly at: string;
}

export function attemptsKey(prefix: string, failureKey: string): string {
  return `${prefix}attempts:${failureKey}`;
}

/** Records a failed attempt (once per plan; attempts-record.lua) and returns how many recent failed attempts there now are. */
export async function recordFailedAttempt(redis: RedisClient, prefix: string, failureKey: string, attempt: Attempt, now: number, windowMs: number): Promise<number> {
  return Number(await runScript(redis, 'attemptsRecord', [attemptsKey(prefix, failureKey)], {
    now, window: windowMs, attempt: JSON.stringify(attempt), plan: attempt.planId,
  }));
}

/** The failed attempts within the window, oldest first. */
export async function recentAttempts(redis: RedisClient, prefix: string, failureKey: string, now: number, windowMs: number): Promise<Attempt[]> {
  const raw = await redis.zrangebyscore(attemptsKey(prefix, failureKey), now - windowMs, '+inf');
  return raw.map((m) => JSON.parse(m) as Attempt);
}

/** The seed's rule: stop automating once `count` reaches `max`. */
export function mustEscalate(count: number, max: number): boolean {
  return count >= max;
}

/** Clears the count after a human resolved the failure (e.g. a later plan verified fine). */
export async function clearAttempts(redis: RedisClient, prefix: string, failureKey: string): Promise<void> {
  await redis.del(attemptsKey(prefix, failureKey));
}
