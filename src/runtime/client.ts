/**
 * Client for one AutoGen runtime bridge (docs/bridge-api.md): undici with connect/headers/body timeouts,
 * bearer token, responses validated. Failures map to the catalogue:
 * down / refused / slow / 5xx → `RUNTIME_UNREACHABLE` (transient); 401/403 → `RUNTIME_AUTH_FAILED`;
 * 404 AGENT_NOT_FOUND → `AGENT_NOT_FOUND`; other 4xx → `RUNTIME_REQUEST_REJECTED`; a body that does not
 * follow the API → `RUNTIME_BAD_RESPONSE`.
 */
import { rootCertificates } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { isOpsError, OpsError } from '../errors.js';
import type { RuntimeTarget } from '../config.js';
import {
  ActionResult, ActiveActionList, AgentDetail, AgentList, BridgeErrorBody, Health, LogPage, MessageList, RuntimeInfo, Snapshot, Trace,
} from './schemas.js';
import { code as inlineCode, escapeText, md } from '../slack/blocks/mrkdwn.js';
import { redactStrings, redactText } from '../text/redact-secrets.js';
import { shorten } from '../text/shorten.js';
import { BodyTooLarge, DEFAULT_MAX_RESPONSE_BYTES, readBoundedText } from '../http/body.js';

/** A configured CA replaces Node's default list in TLS options: keep the system's roots beside it. */
function withSystemCas(ca: string | Buffer): string[] {
  return [...rootCertificates, ca.toString()];
}

/** Longest part of a bridge's error text shown to people (the full text stays in `details`). */
const BRIDGE_MESSAGE_SHOWN = 300;

export interface BridgeTimeouts {
  /** TCP connect timeout, ms. */
  connectMs: number;
  /** Headers and body timeout per request, ms; also the overall deadline. */
  requestMs: number;
  /** Largest response body read, bytes (BRIDGE_MAX_RESPONSE_BYTES); default 8 MiB. */
  maxResponseBytes?: number;
  /** PEM CA certificate(s) trusted for `https://` runtime URLs (BRIDGE_CA_FILE), besides the system's. */
  ca?: string | Buffer;
}

export interface LogQuery {
  /** ISO time or seconds ago. */
  since?: string | number;
  until?: string;
  level?: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  agent?: string;
  limit?: number;
}

/** A control action's endpoint (`POST`): the `path` of an entry of src/response/bridge-actions.ts. */
export type ActionPath = `/v1/actions/${string}`;
const ACTION_PATH_RE = /^\/v1\/actions\/[a-z][a-z0-9-]{0,62}$/;

export class BridgeClient {
  readonly name: string;
  readonly url: string;
  private readonly token: string;
  private readonly dispatcher: Dispatcher;
  private readonly timeouts: BridgeTimeouts;

  constructor(target: RuntimeTarget, timeouts: BridgeTimeouts, dispatcher?: Dispatcher) {
    this.name = target.name;
    this.url = target.url;
    this.token = target.token;
    this.timeouts = timeouts;
    this.dispatcher = dispatcher ?? new Agent({
      connect: { timeout: timeouts.connectMs, ...(timeouts.ca !== undefined ? { ca: withSystemCas(timeouts.ca) } : {}) },
      headersTimeout: timeouts.requestMs,
      bodyTimeout: timeouts.requestMs,
      keepAliveTimeout: 10_000,
    });
  }

  private unreachable(path: string, reason: string, cause?: unknown): OpsError {
    return new OpsError('RUNTIME_UNREACHABLE', { runtime: this.name, path, reason }, { cause, detail: md`Runtime ${inlineCode(this.name)}: ${escapeText(reason)}.` });
  }

  private async call<T extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: T, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<z.infer<T>> {
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${this.token}`, ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let status: number;
    let text: string;
    const limit = this.timeouts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    try {
      const res = await request(`${this.url}${path}`, {
        method,
        headers,
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(this.timeouts.requestMs + this.timeouts.connectMs),
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      status = res.statusCode;
      text = await readBoundedText(res.body, limit, res.headers['content-length']);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        throw new OpsError('RUNTIME_RESPONSE_TOO_LARGE', { runtime: this.name, path, limit_bytes: limit });
      }
      const e = err as { code?: string; name?: string; message?: string };
      const reason = e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/i.test(e.code ?? '')
        ? `no answer within ${this.timeouts.requestMs} ms`
        : e.code === 'ECONNREFUSED' ? 'connection refused' : (e.code ?? e.message ?? 'network error');
      throw this.unreachable(path, redactText(reason), err);
    }
    if (status >= 500) throw this.unreachable(path, `HTTP ${status}`);
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new OpsError('RUNTIME_BAD_RESPONSE', { runtime: this.name, path, status, reason: 'not JSON' });
    }
    // The application's texts (exceptions, tracebacks, logs, state, URLs) may carry its secrets, and they
    // reach Slack: masked here even when the bridge did not.
    json = redactStrings(json);
    if (status >= 400) {
      const parsed = BridgeErrorBody.safeParse(json);
      const code = parsed.success ? parsed.data.error.code : `HTTP_${status}`;
      const message = parsed.success ? parsed.data.error.message : '';
      if (status === 401 || status === 403) throw new OpsError('RUNTIME_AUTH_FAILED', { runtime: this.name, path, bridge_code: code });
      if (code === 'AGENT_NOT_FOUND') throw new OpsError('AGENT_NOT_FOUND', { runtime: this.name, path, bridge_message: message });
      throw new OpsError('RUNTIME_REQUEST_REJECTED', { runtime: this.name, path, status, bridge_code: code, bridge_message: message }, {
        // The bridge's text is untrusted (agent exceptions, echoed input): it reaches Slack only as the
        // error's mrkdwn detail, built by the one escaper; `err.message` keeps it as plain text.
        detail: md`${inlineCode(shorten(code, 60))}: ${escapeText(shorten(message, BRIDGE_MESSAGE_SHOWN))}`,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new OpsError('RUNTIME_BAD_RESPONSE', {
        runtime: this.name, path, issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
      });
    }
    return parsed.data;
  }

  health() { return this.call('GET', '/healthz', Health); }
  runtime() { return this.call('GET', '/v1/runtime', RuntimeInfo); }
  agents() { return this.call('GET', '/v1/agents', AgentList); }
  agent(type: string) { return this.call('GET', `/v1/agents/${encodeURIComponent(type)}`, AgentDetail); }

  logs(q: LogQuery = {}) {
    const p = new URLSearchParams();
    if (q.since !== undefined) p.set('since', String(q.since));
    if (q.until !== undefined) p.set('until', q.until);
    if (q.level !== undefined) p.set('level', q.level);
    if (q.agent !== undefined) p.set('agent', q.agent);
    if (q.limit !== undefined) p.set('limit', String(q.limit));
    const qs = p.toString();
    return this.call('GET', `/v1/logs${qs ? `?${qs}` : ''}`, LogPage);
  }

  /** Recent deliveries (`/v1/messages`), newest last; `agent` filters by sender or recipient type. */
  messages(q: { limit?: number; agent?: string } = {}) {
    const p = new URLSearchParams();
    if (q.limit !== undefined) p.set('limit', String(q.limit));
    if (q.agent !== undefined) p.set('agent', q.agent);
    const qs = p.toString();
    return this.call('GET', `/v1/messages${qs ? `?${qs}` : ''}`, MessageList);
  }

  /** The hops of one message; an unknown id is `RUNTIME_REQUEST_REJECTED` with `bridge_code: MESSAGE_NOT_FOUND`. */
  trace(messageId: string) { return this.call('GET', `/v1/trace/${encodeURIComponent(messageId)}`, Trace); }

  /** The debug snapshot (runtime, agents, 50 recent messages, redacted config, environment). */
  snapshot() { return this.call('GET', '/v1/snapshot', Snapshot); }

  /** Runs the control action at `path` (its table entry's). `idempotencyKey` makes a retry act once (≤ 200 chars). */
  act(path: ActionPath, body: Record<string, unknown>, idempotencyKey: string) {
    if (!ACTION_PATH_RE.test(path)) throw new Error(`not a bridge action endpoint: ${path}`);
    return this.call('POST', path, ActionResult, { body, headers: { 'idempotency-key': idempotencyKey.slice(0, 200) } });
  }

  /** The temporary actions in force, each with its `expires_at`. */
  async activeActions() {
    return (await this.call('GET', '/v1/actions', ActiveActionList)).actions;
  }

  /** Keeps (cancels the TTL of) or reverts now one temporary action; `gone` when the bridge no longer has it. */
  async settle(actionId: string, how: 'keep' | 'revert'): Promise<'done' | 'gone'> {
    try {
      await this.call('POST', `/v1/actions/${encodeURIComponent(actionId)}/${how}`, ActionResult, { body: {} });
      return 'done';
    } catch (err) {
      const code = isOpsError(err) && err.code === 'RUNTIME_REQUEST_REJECTED' ? err.details.bridge_code : undefined;
      if (code === 'ACTION_NOT_FOUND' || code === 'NOT_FOUND') return 'gone';
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
