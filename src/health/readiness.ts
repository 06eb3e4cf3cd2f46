/**
 * Readiness (`/readyz`), separate from liveness (`/healthz`): a process is ready when Redis answers a PING
 * within a short timeout and its BullMQ queues can be read (a worker: and its workers are taking jobs).
 * Not ready → 503 with a JSON reason and a coded error (`NOT_READY_REDIS`, `NOT_READY_QUEUES`), so a load
 * balancer or orchestrator stops sending slash commands or alerts to a process that cannot queue them.
 *
 * `/healthz` stays liveness: it answers 200 while the process runs, whatever Redis does (restarting a bot
 * cannot bring Redis back).
 */
import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connect.js';
import { OpsError, type ErrorCode } from '../errors.js';

export type CheckState = 'ok' | 'down' | 'unknown';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: { readonly redis: CheckState; readonly queues: CheckState };
  /** Why it is not ready (absent when ready). */
  readonly reason?: string;
  readonly code?: ErrorCode;
}

export interface ReadinessSources {
  readonly redis: Pick<RedisClient, 'ping' | 'status'>;
  /** The queues this process writes to or reads from. */
  queues(): readonly Pick<Queue, 'name' | 'getJobCounts'>[];
  /** A worker's own state: undefined when all its workers take jobs, else why not. */
  workersProblem?(): string | undefined;
  readonly timeoutMs: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // a late rejection after the timeout is not an unhandled one
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A reason fit for a public door: short, no host addresses (docs/security.md). */
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err))
  .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b|\[[0-9a-f:]+\](?::\d+)?/gi, '[address]')
  .slice(0, 300);

/** Checks Redis, then the queues (only when Redis answered). Never throws. */
export async function checkReadiness(src: ReadinessSources): Promise<Readiness> {
  // A connection that is not `ready` would only queue the PING (worker connections) or refuse it: say why now.
  if (src.redis.status !== 'ready') {
    return { ready: false, checks: { redis: 'down', queues: 'unknown' }, code: 'NOT_READY_REDIS', reason: `Redis connection is ${src.redis.status}` };
  }
  try {
    await withTimeout(src.redis.ping(), src.timeoutMs, 'Redis (PING)');
  } catch (err) {
    return { ready: false, checks: { redis: 'down', queues: 'unknown' }, code: 'NOT_READY_REDIS', reason: messageOf(err) };
  }
  const queues = src.queues();
  const results = await Promise.allSettled(queues.map((q) => withTimeout(q.getJobCounts('wait'), src.timeoutMs, `queue ${q.name}`)));
  const failed = results.map((r, i) => (r.status === 'rejected' ? `${queues[i]!.name}: ${messageOf(r.reason)}` : null)).filter((x): x is string => x !== null);
  if (failed.length > 0) {
    return { ready: false, checks: { redis: 'ok', queues: 'down' }, code: 'NOT_READY_QUEUES', reason: failed.join('; ') };
  }
  const workers = src.workersProblem?.();
  if (workers !== undefined) return { ready: false, checks: { redis: 'ok', queues: 'down' }, code: 'NOT_READY_QUEUES', reason: workers };
  return { ready: true, checks: { redis: 'ok', queues: 'ok' } };
}

/** The HTTP answer for a readiness: 200 `{status:'ready'}` or 503 with the reason and the coded error. */
export function readinessResponse(r: Readiness): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
  if (r.ready) return { status: 200, body: { status: 'ready', checks: r.checks }, headers: {} };
  const e = new OpsError(r.code ?? 'NOT_READY_REDIS', { reason: r.reason ?? '' });
  return {
    status: 503,
    body: { status: 'not_ready', checks: r.checks, reason: r.reason, error: { code: e.code, message: e.message, hint: e.hint } },
    headers: { 'retry-after': '5' },
  };
}

interface RouteResponse { writeHead: (s: number, h: Record<string, string>) => void; end: (b: string) => void }

/** A `/readyz` route for the small route servers and Bolt's custom routes. */
export function readinessHandler(check: () => Promise<Readiness>) {
  return (_req: unknown, res: RouteResponse): void => {
    void check().then((r) => {
      const { status, body, headers } = readinessResponse(r);
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end(text);
    });
  };
}
