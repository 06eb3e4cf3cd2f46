/**
 * Safety limits around every automated action:
 * - the global kill switch (`/autogen automation off`): a Redis flag every replica reads before acting;
 * - the circuit breaker: at most `limit` bridge actions per runtime per sliding window. A retried action
 *   (same idempotency key) is not counted twice. When it would be exceeded, the breaker is open and
 *   says until when;
 * - the dry-run-only mode is configuration (`RESPONSE_DRY_RUN_ONLY`), read by the execute handler.
 */
import type { RedisClient } from '../redis/connect.js';
import { runScript } from '../redis/scripts.js';
import { hhmmss } from '../text/time.js';

export interface AutomationState {
  readonly enabled: boolean;
  /** Who switched it last and when (ISO), absent when never switched. */
  readonly by?: string;
  readonly at?: string;
}

export function automationKey(prefix: string): string {
  return `${prefix}automation`;
}

/** Automation is on unless someone switched it off. */
export async function readAutomation(redis: RedisClient, prefix: string): Promise<AutomationState> {
  const f = await redis.hgetall(automationKey(prefix));
  return {
    enabled: f.enabled !== '0',
    ...(f.by ? { by: f.by } : {}),
    ...(f.at ? { at: f.at } : {}),
  };
}

export async function setAutomation(redis: RedisClient, prefix: string, enabled: boolean, by: string, now: Date): Promise<AutomationState> {
  await redis.hset(automationKey(prefix), 'enabled', enabled ? '1' : '0', 'by', by, 'at', now.toISOString());
  return { enabled, by, at: now.toISOString() };
}

export function breakerKey(prefix: string, runtime: string): string {
  return `${prefix}breaker:${runtime}`;
}

/** Options of the circuit breaker (config section `response`). */
export interface BreakerOptions {
  /** Most bridge actions per runtime within `windowMs` (config `RESPONSE_MAX_ACTIONS`, default 10). */
  readonly limit: number;
  /** Sliding window in milliseconds (config `RESPONSE_ACTION_WINDOW_S`, default 600 s). */
  readonly windowMs: number;
}

export type BreakerAnswer =
  | { open: false; count: number; repeated: boolean }
  | { open: true; count: number; limit: number; retryAt: number };

/**
 * Reserves one action slot for `actionKey` (the action's idempotency key) on `runtime`, atomically across
 * replicas (breaker-reserve.lua). A key already reserved within the window passes again without counting (a retried job).
 */
export async function reserveAction(redis: RedisClient, prefix: string, runtime: string, actionKey: string, now: number, opts: BreakerOptions): Promise<BreakerAnswer> {
  const [open, count, repeated, retryAt] = await runScript(redis, 'breakerReserve', [breakerKey(prefix, runtime)], {
    now, window: opts.windowMs, limit: opts.limit, member: actionKey,
  });
  if (open === 1) return { open: true, count: count ?? 0, limit: opts.limit, retryAt: retryAt ?? now };
  return { open: false, count: count ?? 0, repeated: repeated === 1 };
}

/** How many actions ran on `runtime` within the window (for `/autogen automation status`). */
export async function actionsInWindow(redis: RedisClient, prefix: string, runtime: string, now: number, windowMs: number): Promise<number> {
  return redis.zcount(breakerKey(prefix, runtime), now - windowMs, '+inf');
}

/** The thread line when the breaker is open. */
export function describeOpenBreaker(runtime: string, answer: Extract<BreakerAnswer, { open: true }>, windowMs: number): string {
  const mins = Math.round(windowMs / 60_000);
  return `Circuit breaker open for runtime ${runtime}: ${answer.count} actions in the last ${mins} min (limit ${answer.limit}). `
    + `No further automated action runs until ${hhmmss(new Date(answer.retryAt))}; act by hand or ask again then.`;
}
