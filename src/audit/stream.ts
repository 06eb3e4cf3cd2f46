/**
 * The append-only audit log of everything response automation does: who asked, who approved or rejected
 * (and who was refused, and why), what ran with which parameters, the state before and after, the
 * verification outcome, reverts, kills and escalations — each with its timestamp.
 *
 * Redis streams (XADD only; nothing here edits or deletes an entry): one global stream
 * `<prefix>audit` (bounded by an approximate MAXLEN for retention) and one per incident
 * (`<prefix>audit:incident:<id>`) and per plan (`<prefix>audit:plan:<id>`) so that `/autogen audit <id>`
 * is one XRANGE. All three are written by one Lua script (audit-append.lua), so an index never misses an entry.
 */
import type { RedisClient } from '../redis/connect.js';
import { runScript } from '../redis/scripts.js';
import { z } from 'zod';

export const AUDIT_TYPES = [
  'plan.proposed', 'plan.refreshed', 'plan.unavailable', 'plan.expired', 'plan.closed', 'plan.superseded', 'approval.recorded', 'approval.approved', 'approval.rejected',
  'approval.refused', 'action.executed', 'action.failed', 'action.blocked', 'verify.passed', 'verify.failed',
  'revert.executed', 'revert.kept', 'escalated', 'automation.switched', 'automation.refused',
  'incident.merged', 'incident.merge_refused',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export const auditEventSchema = z.strictObject({
  type: z.enum(AUDIT_TYPES),
  /** ISO time of the event (the caller's clock, passed in). */
  at: z.string(),
  /** Slack user id, or `automation` / `system`. */
  actor: z.string(),
  incident_id: z.string().nullable().default(null),
  plan_id: z.string().nullable().default(null),
  runtime: z.string().nullable().default(null),
  runbook_id: z.string().nullable().default(null),
  /** Everything else: parameters, before/after, evidence, reasons. */
  data: z.record(z.string(), z.unknown()).default({}),
});
export type AuditEvent = z.output<typeof auditEventSchema>;
export type AuditInput = z.input<typeof auditEventSchema>;

export interface AuditEntry extends AuditEvent {
  /** The stream entry id in the global stream (`<ms>-<seq>`). */
  readonly id: string;
}

/** Bounds of the global stream; the per-incident and per-plan streams expire after `retentionMs`. */
export interface AuditOptions {
  /** Approximate maximum entries kept in the global stream (config `AUDIT_MAX_ENTRIES`, default 100000). */
  readonly maxEntries: number;
  /** Lifetime of the per-incident and per-plan indexes in ms (config `AUDIT_RETENTION_DAYS`, default 90). */
  readonly retentionMs: number;
}

export const DEFAULT_AUDIT_OPTIONS: AuditOptions = { maxEntries: 100_000, retentionMs: 90 * 24 * 3600 * 1000 };

const ID_SAFE = /^[\w.-]{1,200}$/;

export function auditKeys(prefix: string): { all: string; incident: (id: string) => string; plan: (id: string) => string } {
  return {
    all: `${prefix}audit`,
    incident: (id) => `${prefix}audit:incident:${id}`,
    plan: (id) => `${prefix}audit:plan:${id}`,
  };
}

function fields(event: AuditEvent): string[] {
  const out = ['type', event.type, 'at', event.at, 'actor', event.actor, 'data', JSON.stringify(event.data)];
  if (event.incident_id) out.push('incident_id', event.incident_id);
  if (event.plan_id) out.push('plan_id', event.plan_id);
  if (event.runtime) out.push('runtime', event.runtime);
  if (event.runbook_id) out.push('runbook_id', event.runbook_id);
  return out;
}

/** Appends one event atomically to the global stream and its indexes; returns its global id. */
export async function appendAudit(redis: RedisClient, prefix: string, input: AuditInput, opts: AuditOptions = DEFAULT_AUDIT_OPTIONS): Promise<string> {
  const event = auditEventSchema.parse(input);
  const keys = auditKeys(prefix);
  const indexKeys: string[] = [];
  if (event.incident_id && ID_SAFE.test(event.incident_id)) indexKeys.push(keys.incident(event.incident_id));
  if (event.plan_id && ID_SAFE.test(event.plan_id)) indexKeys.push(keys.plan(event.plan_id));
  return runScript(redis, 'auditAppend', [keys.all, ...indexKeys], { maxlen: opts.maxEntries, fields: fields(event), ttl: opts.retentionMs });
}

function parseEntry(id: string, flat: string[]): AuditEntry {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i] ?? '', flat[i + 1] ?? '');
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(m.get('data') ?? '{}') as Record<string, unknown>;
  } catch {
    data = { unreadable: m.get('data') };
  }
  return {
    id: m.get('ref') ?? id,
    type: (m.get('type') ?? 'plan.proposed') as AuditType,
    at: m.get('at') ?? '',
    actor: m.get('actor') ?? '',
    incident_id: m.get('incident_id') ?? null,
    plan_id: m.get('plan_id') ?? null,
    runtime: m.get('runtime') ?? null,
    runbook_id: m.get('runbook_id') ?? null,
    data,
  };
}

export interface AuditQuery {
  /** An incident id, or a plan id (`pl-…`); absent = the whole log (newest `limit`). */
  readonly subject?: string | undefined;
  /** At most this many entries, newest kept (default 200). */
  readonly limit?: number;
}

/** Reads the log for an incident or a plan (oldest first), or the newest entries of the whole log. */
export async function readAudit(redis: RedisClient, prefix: string, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const keys = auditKeys(prefix);
  const limit = query.limit ?? 200;
  let rows: [string, string[]][];
  if (query.subject) {
    const key = query.subject.startsWith('pl-') ? keys.plan(query.subject) : keys.incident(query.subject);
    rows = await redis.xrevrange(key, '+', '-', 'COUNT', limit);
  } else {
    rows = await redis.xrevrange(keys.all, '+', '-', 'COUNT', limit);
  }
  return rows.reverse().map(([id, flat]) => parseEntry(id, flat));
}

/** The JSON export (`/autogen audit <id> json`): stable, pretty, one object. */
export function exportAuditJson(subject: string | null, entries: readonly AuditEntry[], exportedAt: Date): string {
  return JSON.stringify({ subject, exported_at: exportedAt.toISOString(), count: entries.length, entries }, null, 2);
}
