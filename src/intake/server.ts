/**
 * The alert intake HTTP server: its own port next to the bot's.
 *
 *   POST /alerts/alertmanager   Alertmanager webhook (payload version 4)
 *   POST /alerts/generic        the generic JSON shape (docs/alerting.md)
 *                               (one POST route per entry of the alert-format table, `sources.ts`)
 *   GET  /healthz               200 when Redis answers, else 503 (kept as it was: the intake has nothing to do without Redis)
 *   GET  /readyz                200 when Redis answers a PING and the alert queue can be read, else 503 with a reason
 *
 * 202 only after every job is in Redis; 503 + Retry-After when Redis cannot take them (the sender retries
 * and, thanks to content-derived job ids, a resend is processed once); 4xx only for input that can never
 * become valid, with a stable code and a reason. A refused request writes nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connect.js';
import { OpsError, isOpsError } from '../errors.js';
import type { Logger } from '../log.js';
import { DEFAULT_GROUPING, type GroupingRules } from '../incidents/grouping.js';
import { turnAlertJobs } from '../incidents/turns.js';
import { BodyTooLarge, readBody } from '../http/body.js';
import { checkReadiness, readinessResponse } from '../health/readiness.js';
import { acceptRequest, type AcceptOptions, type JobSpec } from './accept.js';
import type { AlertSource } from './auth.js';
import { ALERT_ROUTES } from './sources.js';
import { promoteNewScopes, RecentScopes } from './new-scopes.js';

export interface IntakeOptions {
  readonly host: string;
  /** 0 = a free port. */
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly sources: readonly AlertSource[];
  readonly dedupeWindowS: number;
  /** Key prefix with trailing ':' (hash-tagged) of the alerts' turns (src/incidents/turns.ts). */
  readonly keyPrefix: string;
  /** How far a signed request's timestamp may be from now, seconds (ALERT_SIGNATURE_TOLERANCE_S). Default 300. */
  readonly signatureToleranceS?: number;
  readonly canReconcile: boolean;
  /** Reconciliations of one truncated group are coalesced over this many ms. Default 2,000. */
  readonly reconcileCoalesceMs?: number;
  /** Give up on Redis after this many ms and answer 503. Default 5,000. */
  readonly enqueueTimeoutMs?: number;
  /** Retry-After (seconds) sent with 503. Default 5. */
  readonly retryAfterS?: number;
  /** The incidents' grouping rules: a job with an alert of a scope not seen recently goes first. Default `DEFAULT_GROUPING`. */
  readonly grouping?: GroupingRules;
  /** How long /readyz waits for Redis and the alert queue, ms. Default 1,000. */
  readonly readinessTimeoutMs?: number;
}

export interface IntakeDeps {
  /** The `alert` queue (a producer connection that fails fast when Redis is down). */
  readonly queue: Queue;
  /** For /healthz and the alerts' turns (src/incidents/turns.ts): the queue's connection. */
  readonly redis: RedisClient;
  readonly logger: Logger;
  now(): Date;
}

export interface IntakeServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stops accepting, lets in-flight requests finish. */
  close(): Promise<void>;
}

interface ErrorBody {
  error: { code: string; message: string; hint: string; details: Readonly<Record<string, unknown>> };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(err: OpsError): ErrorBody {
  return { error: { code: err.code, message: err.message, hint: err.hint, details: err.details } };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Writes the jobs of one request; resolves once Redis has them. Nearly every request is one job (up to
 * `MAX_ALERTS_PER_JOB` alerts, no reconciliation): that one goes through `Queue.add`, a single EVALSHA on
 * the connection. `addBulk` would build an ioredis pipeline for it, which copies every script command
 * BullMQ defines onto a new object per request — measurable CPU on the intake's hot path under a storm.
 */
async function enqueue(queue: Queue, jobs: readonly JobSpec[]): Promise<void> {
  const only = jobs.length === 1 ? jobs[0] : undefined;
  if (only !== undefined) {
    await queue.add(only.name, only.data, only.opts);
    return;
  }
  await queue.addBulk(jobs.map((j) => ({ name: j.name, data: j.data, opts: j.opts })));
}

export async function startIntake(opts: IntakeOptions, deps: IntakeDeps): Promise<IntakeServer> {
  const log = deps.logger.child({ component: 'intake' });
  const accept: AcceptOptions = {
    sources: opts.sources,
    dedupeWindowS: opts.dedupeWindowS,
    canReconcile: opts.canReconcile,
    reconcileCoalesceMs: opts.reconcileCoalesceMs ?? 2_000,
    ...(opts.signatureToleranceS !== undefined ? { signatureToleranceS: opts.signatureToleranceS } : {}),
  };
  const enqueueTimeoutMs = opts.enqueueTimeoutMs ?? 5_000;
  const retryAfter = String(opts.retryAfterS ?? 5);
  const grouping = opts.grouping ?? DEFAULT_GROUPING;
  const recentScopes = new RecentScopes();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      try {
        await withTimeout(deps.redis.ping(), 1_000);
        send(res, 200, { status: 'ok' });
      } catch {
        send(res, 503, { status: 'unavailable', redis: 'down' }, { 'retry-after': retryAfter });
      }
      return;
    }
    if (path === '/readyz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const r = readinessResponse(await checkReadiness({ redis: deps.redis, queues: () => [deps.queue], timeoutMs: opts.readinessTimeoutMs ?? 1_000 }));
      send(res, r.status, r.body, r.headers);
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      send(res, 404, errorBody(new OpsError('INTAKE_ROUTE_UNKNOWN', { method: req.method ?? '', path: path.slice(0, 200) })));
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, opts.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        const e = new OpsError('INTAKE_BODY_TOO_LARGE', { limit_bytes: opts.maxBodyBytes });
        log.warn({ code: e.code, path }, 'alert request refused');
        send(res, 413, errorBody(e), { connection: 'close' });
        return;
      }
      throw err;
    }
    const now = deps.now();
    const decision = acceptRequest({ path, headers: req.headers, body }, accept, now);
    if (!decision.ok) {
      log.warn({ code: decision.error.code, path, details: decision.error.details }, 'alert request refused');
      send(res, decision.error.httpStatus ?? 400, errorBody(decision.error));
      return;
    }
    const promoted = promoteNewScopes(decision.jobs, recentScopes, grouping, now.getTime());
    try {
      // each alert's turn goes into its job's deduplication id: a retry is dropped, a state change never is
      // (once the queue's connection, shared with `redis`, is first ready: `redis` refuses commands until then)
      const turned = deps.queue.waitUntilReady().then(() => turnAlertJobs(deps.redis, opts.keyPrefix, promoted.jobs, opts.dedupeWindowS));
      await withTimeout(turned.then((jobs) => enqueue(deps.queue, jobs)), enqueueTimeoutMs);
    } catch (err) {
      const e = new OpsError('QUEUE_UNAVAILABLE', {}, { cause: err });
      log.error({ err, code: e.code, source: decision.source, alerts: decision.alerts.length }, 'alerts not queued; answering 503 so the sender retries');
      send(res, 503, errorBody(e), { 'retry-after': retryAfter });
      return;
    }
    recentScopes.mark(promoted.scopes, now.getTime());
    if (decision.truncated > 0) {
      log.info({ source: decision.source, truncated: decision.truncated, reconcile: accept.canReconcile }, 'truncated alert group');
    }
    log.debug({ source: decision.source, alerts: decision.alerts.length }, 'alerts queued');
    send(res, 202, { status: 'accepted', alerts: decision.alerts.length, truncated: decision.truncated, reconcile: decision.truncated > 0 && accept.canReconcile });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'intake request failed');
      if (!res.headersSent) {
        const e = isOpsError(err) ? err : new OpsError('QUEUE_UNAVAILABLE', {}, { cause: err });
        send(res, e.httpStatus ?? 500, errorBody(e), e.transient ? { 'retry-after': retryAfter } : {});
      } else {
        res.destroy();
      }
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  log.info({ port, routes: ALERT_ROUTES.map((r) => r.route), sources: opts.sources.map((s) => `${s.name}:${s.scheme}`) }, 'alert intake listening');
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}
