/**
 * The bot's HTTP doors besides Bolt's signature check (docs/security.md):
 *
 * - `/slack/events` bodies are read with a bound (`SLACK_MAX_BODY_BYTES`) BEFORE Bolt buffers them: over the
 *   bound → 413 `SLACK_BODY_TOO_LARGE`, nothing kept beyond the limit; within it the body is handed to Bolt
 *   already read (Bolt then verifies the signature on exactly those bytes).
 * - `/metrics`: with `METRICS_TOKEN` it needs `Authorization: Bearer <token>` (401 `METRICS_UNAUTHORIZED`);
 *   with `METRICS_PORT` it is served only there (its own listener on `METRICS_HOST`); with neither it is
 *   served beside /healthz only when `HOST` is a loopback address — never on a public interface by default.
 * - `/healthz` is public (load balancers), and says nothing but "ok": liveness, whatever Redis does.
 * - `/readyz` is public too: 200 when Redis answers a PING and the queues can be read, else 503 with a JSON
 *   reason (`src/health/readiness.ts`) — what a load balancer should route on.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { OpsError } from '../errors.js';
import { BodyTooLarge, readBody } from '../http/body.js';
import type { Logger } from '../log.js';

export const SLACK_EVENTS_PATH = '/slack/events';

function sendError(res: ServerResponse, err: OpsError, headers: Record<string, string> = {}): void {
  const text = JSON.stringify({ error: { code: err.code, message: err.message, hint: err.hint, details: err.details } });
  res.writeHead(err.httpStatus ?? 400, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/**
 * Wraps Bolt's request listener: a POST to /slack/events is read here with `limit`, then passed on with
 * `rawBody` set (Bolt uses a pre-read body as is instead of buffering the stream itself).
 */
export function boundSlackBodies(inner: RequestListener, limit: number, logger: Logger): RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== SLACK_EVENTS_PATH) {
      inner(req, res);
      return;
    }
    readBody(req, limit).then(
      (body) => {
        (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
        inner(req, res);
      },
      (err: unknown) => {
        if (res.headersSent) return;
        if (err instanceof BodyTooLarge) {
          logger.warn({ code: 'SLACK_BODY_TOO_LARGE', limit_bytes: limit }, 'slack request refused before buffering');
          sendError(res, new OpsError('SLACK_BODY_TOO_LARGE', { limit_bytes: limit }), { connection: 'close' });
          return;
        }
        logger.warn({ err }, 'slack request body could not be read');
        res.destroy();
      },
    );
  };
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost|::ffff:127(\.\d{1,3}){3})$/i;

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host.trim());
}

/** Where `/metrics` goes: its own port, beside /healthz on PORT, or nowhere (with the reason logged). */
export function metricsPlacement(config: Pick<Config, 'metrics' | 'slack'>): 'own-port' | 'main-port' | 'off' {
  if (config.metrics.port !== undefined) return 'own-port';
  if (config.metrics.token !== undefined || isLoopbackHost(config.slack.host)) return 'main-port';
  return 'off';
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** True when no token is configured, or the request carries it as a bearer token (constant-time). */
export function metricsAuthorized(authorization: string | string[] | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}

interface RouteResponse { writeHead: (s: number, h: Record<string, string>) => void; end: (b: string) => void }
type RouteRequest = { headers: IncomingMessage['headers'] };

export function healthHandler(_req: unknown, res: RouteResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
}

export function metricsHandler(registry: Registry, token: string | undefined, logger: Logger) {
  return (req: RouteRequest, res: RouteResponse): void => {
    if (!metricsAuthorized(req.headers.authorization, token)) {
      const e = new OpsError('METRICS_UNAUTHORIZED', {});
      const text = JSON.stringify({ error: { code: e.code, message: e.message, hint: e.hint } });
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' });
      res.end(text);
      return;
    }
    registry.metrics().then(
      (body) => { res.writeHead(200, { 'content-type': registry.contentType }); res.end(body); },
      (err: unknown) => {
        logger.warn({ err }, 'metrics unavailable');
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('metrics unavailable\n');
      },
    );
  };
}

export interface SmallServer {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** A small listener for fixed GET routes (`/metrics` on its own port; /healthz, /readyz and /metrics in Socket Mode and on a worker). */
export async function startRouteServer(
  host: string, port: number, routes: Readonly<Record<string, (req: RouteRequest, res: RouteResponse) => void>>,
): Promise<SmallServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes[path];
    req.resume();
    if (route === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    route(req, res);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
