/**
 * The intake's decision for one request, without I/O: which endpoint, who sent it, whether the body is a
 * valid payload, and the exact jobs to enqueue (each alert under its content-derived id). The HTTP server
 * (`server.ts`) only reads the body, calls this, and writes the jobs in one transaction.
 *
 * A refusal is only for input that can never become valid (4xx with a stable code and a reason).
 */
import type { z } from 'zod';
import { OpsError } from '../errors.js';
import { escapeText } from '../slack/blocks/mrkdwn.js';
import type { NormalizedAlert } from '../incidents/alert.js';
import type { JobSpec } from '../incidents/jobs.js';
import { authenticate, DEFAULT_TOLERANCE_S, type AlertSource } from './auth.js';
import { alertRouteFor } from './sources.js';

export type { JobSpec } from '../incidents/jobs.js';
/** The routes of the alert formats (the table is `sources.ts`). */
export { ROUTES } from './sources.js';

export interface IntakeRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface AcceptOptions {
  readonly sources: readonly AlertSource[];
  /** Seconds a processed alert's job id is remembered (BullMQ dedupes while the job exists). */
  readonly dedupeWindowS: number;
  /** Whether Alertmanager's API is configured (truncated groups are then reconciled). */
  readonly canReconcile: boolean;
  /** How long reconciliations of one group are coalesced, ms. */
  readonly reconcileCoalesceMs: number;
  /** How far a signed request's timestamp may be from now, seconds. Default `DEFAULT_TOLERANCE_S` (300). */
  readonly signatureToleranceS?: number;
}

export type Acceptance =
  | { readonly ok: true; readonly source: string; readonly alerts: readonly NormalizedAlert[]; readonly jobs: readonly JobSpec[]; readonly truncated: number }
  | { readonly ok: false; readonly error: OpsError };

const MAX_ISSUES = 10;

function issuesOf(err: z.ZodError): string[] {
  return err.issues.slice(0, MAX_ISSUES).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

function isJson(contentType: string | string[] | undefined): boolean {
  const v = Array.isArray(contentType) ? contentType[0] : contentType;
  if (v === undefined) return false;
  const type = v.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type);
}

/** Decides what to do with one POST to the intake. */
export function acceptRequest(req: IntakeRequest, opts: AcceptOptions, now: Date): Acceptance {
  const format = alertRouteFor(req.path);
  if (format === undefined) return { ok: false, error: new OpsError('INTAKE_ROUTE_UNKNOWN', { path: req.path.slice(0, 200) }) };

  const auth = authenticate(req.headers, req.body, opts.sources, now.getTime(), opts.signatureToleranceS ?? DEFAULT_TOLERANCE_S);
  if (!auth.ok) return { ok: false, error: new OpsError(auth.code, { reason: auth.reason }, { detail: escapeText(auth.reason) }) };
  const source = auth.source.name;

  if (!isJson(req.headers['content-type'])) return { ok: false, error: new OpsError('INTAKE_MEDIA_TYPE', { source }) };
  let json: unknown;
  try {
    json = JSON.parse(req.body.toString('utf8'));
  } catch (err) {
    return { ok: false, error: new OpsError('INTAKE_BODY_INVALID', { source, reason: err instanceof Error ? err.message.slice(0, 200) : 'not JSON' }) };
  }

  const decoded = format.decode(json, { source, now, dedupeWindowS: opts.dedupeWindowS, reconcileCoalesceMs: opts.reconcileCoalesceMs });
  if (!decoded.ok) {
    const issues = issuesOf(decoded.error);
    return { ok: false, error: new OpsError('INTAKE_PAYLOAD_INVALID', { source, issues }, { detail: escapeText(issues.join('; ')) }) };
  }
  return { ok: true, source, ...decoded.value };
}
