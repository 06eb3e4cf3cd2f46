/**
 * Reconciling a truncated Alertmanager group (`truncatedAlerts` > 0): the webhook keeps carrying the
 * same first N alerts, so later alerts and most resolutions never arrive. We ask Alertmanager's API
 * (`GET /api/v2/alerts`, filtered by the group's labels and the receiver) for the group's current alerts:
 * - every active alert it has → an ordinary firing alert event (the same content id as a webhook copy,
 *   so nothing is processed twice);
 * - every alert we hold firing for that group that Alertmanager no longer has at all (not even silenced
 *   or inhibited) → a resolution at the start time we hold, so the incident can close.
 */
import { request } from 'undici';
import { z } from 'zod';
import { BodyTooLarge, readBoundedText } from '../http/body.js';
import { withoutTrailingSlashes } from '../text/trim.js';
import type { AlertsConfig } from '../config.js';
import { OpsError } from '../errors.js';
import type { Queues } from '../queues/queues.js';
import type { RedisClient } from '../redis/connect.js';
import { boundPairs, parseAlertTime, type NormalizedAlert } from './alert.js';
import { alertsJobs } from './jobs.js';
import { turnAlertJobs } from './turns.js';
import type { IncidentStore, StoredAlert } from './store.js';

/** Largest answer read from Alertmanager's API, bytes (about 15,000 alerts); beyond it the read stops. */
export const ALERTMANAGER_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** One alert of `GET /api/v2/alerts` (Alertmanager's `gettableAlert`; unknown fields ignored). */
export const apiAlertSchema = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1),
  status: z.object({ state: z.enum(['unprocessed', 'active', 'suppressed']) }),
  receivers: z.array(z.object({ name: z.string() })).default([]),
});
export type ApiAlert = z.infer<typeof apiAlertSchema>;

/** Quotes a label value for an Alertmanager matcher (`name="value"`). */
export function matcher(name: string, value: string): string {
  return `${name}=${JSON.stringify(value)}`;
}

/** Escapes regular-expression characters (Alertmanager's `receiver` parameter is a regex). */
function regexEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The `/api/v2/alerts` URL for a group. */
export function groupAlertsUrl(baseUrl: string, groupLabels: Readonly<Record<string, string>>, receiver: string): string {
  const p = new URLSearchParams();
  for (const [name, value] of Object.entries(groupLabels).sort()) p.append('filter', matcher(name, value));
  if (receiver !== '') p.set('receiver', `^${regexEscape(receiver)}$`);
  for (const flag of ['active', 'silenced', 'inhibited', 'unprocessed']) p.set(flag, 'true');
  return `${withoutTrailingSlashes(baseUrl)}/api/v2/alerts?${p.toString()}`;
}

/** Fetches the group's current alerts; `ALERTMANAGER_UNREACHABLE` (transient) when the API fails. */
export async function fetchGroupAlerts(
  baseUrl: string, token: string | undefined, groupLabels: Readonly<Record<string, string>>, receiver: string, timeoutMs = 5_000,
): Promise<ApiAlert[]> {
  return fetchAlerts(groupAlertsUrl(baseUrl, groupLabels, receiver), token, timeoutMs);
}

/** Every alert Alertmanager holds (active, silenced, inhibited, unprocessed): the stale check's question. */
export async function fetchAllAlerts(baseUrl: string, token: string | undefined, timeoutMs = 5_000): Promise<ApiAlert[]> {
  return fetchAlerts(groupAlertsUrl(baseUrl, {}, ''), token, timeoutMs);
}

/** `GET url` of the alerts API; `ALERTMANAGER_UNREACHABLE` (transient) when it fails. */
async function fetchAlerts(url: string, token: string | undefined, timeoutMs: number): Promise<ApiAlert[]> {
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.statusCode;
    text = await readBoundedText(res.body, ALERTMANAGER_MAX_RESPONSE_BYTES, res.headers['content-length']);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new OpsError('ALERTMANAGER_RESPONSE_TOO_LARGE', { limit_bytes: ALERTMANAGER_MAX_RESPONSE_BYTES, url_path: '/api/v2/alerts' });
    throw new OpsError('ALERTMANAGER_UNREACHABLE', { reason: err instanceof Error ? err.message.slice(0, 200) : 'network error' }, { cause: err });
  }
  if (status !== 200) throw new OpsError('ALERTMANAGER_UNREACHABLE', { status, body: text.slice(0, 200) });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new OpsError('ALERTMANAGER_UNREACHABLE', { reason: 'the API answer is not JSON' });
  }
  const parsed = z.array(apiAlertSchema).safeParse(json);
  if (!parsed.success) throw new OpsError('ALERTMANAGER_UNREACHABLE', { reason: 'the API answer is not a list of alerts', issues: parsed.error.issues.slice(0, 3).map((i) => i.message) });
  return parsed.data;
}

export interface HeldAlert {
  readonly incidentId: string;
  readonly stored: StoredAlert;
}

/** The alert events that bring our incidents in line with Alertmanager's view of one group. */
export function reconcileEvents(
  apiAlerts: readonly ApiAlert[],
  held: readonly HeldAlert[],
  group: { readonly source: string; readonly groupKey: string },
  nowMs: number,
): NormalizedAlert[] {
  const events: NormalizedAlert[] = [];
  const known = new Set(apiAlerts.map((a) => a.fingerprint));
  for (const a of apiAlerts) {
    if (a.status.state !== 'active') continue;
    const starts = parseAlertTime(a.startsAt);
    events.push({
      source: group.source,
      kind: 'alertmanager',
      fingerprint: a.fingerprint,
      status: 'firing',
      labels: boundPairs(a.labels),
      annotations: boundPairs(a.annotations),
      startsAt: starts === null ? null : new Date(starts).toISOString(),
      endsAt: null,
      generatorURL: a.generatorURL && a.generatorURL !== '' ? a.generatorURL.slice(0, 4000) : null,
      groupKey: group.groupKey,
    });
  }
  for (const h of held) {
    if (known.has(h.stored.fingerprint) || h.stored.status !== 'firing') continue;
    events.push({
      source: group.source,
      kind: 'alertmanager',
      fingerprint: h.stored.fingerprint,
      status: 'resolved',
      labels: { ...h.stored.detail.labels },
      annotations: { ...h.stored.detail.annotations },
      startsAt: new Date(h.stored.startsAt).toISOString(),
      endsAt: new Date(nowMs).toISOString(),
      generatorURL: h.stored.detail.generatorURL,
      groupKey: group.groupKey,
    });
  }
  return events;
}

/** What a reconciliation needs. */
export interface ReconcileContext {
  readonly config: Pick<AlertsConfig, 'alertmanager' | 'dedupeWindowS'>;
  readonly store: IncidentStore;
  readonly queues: Queues;
  /** For the alerts' turns (src/incidents/turns.ts). */
  readonly redis: RedisClient;
  /** Key prefix with trailing ':' (hash-tagged). */
  readonly keyPrefix: string;
  now(): Date;
}

/** The `reconcile` job: fetch the group's alerts from Alertmanager and enqueue the missing events. */
export async function reconcileGroup(
  ctx: ReconcileContext,
  group: { source: string; groupKey: string; receiver: string; groupLabels: Readonly<Record<string, string>> },
): Promise<{ firing: number; resolved: number }> {
  const url = ctx.config.alertmanager.url;
  if (!url) return { firing: 0, resolved: 0 };
  // Alertmanager's answer is its state when asked: a webhook received after that is newer than these events
  const asked = ctx.now();
  const apiAlerts = await fetchGroupAlerts(url, ctx.config.alertmanager.token, group.groupLabels, group.receiver);
  const members = await ctx.store.firingInGroup(group.groupKey);
  const held: HeldAlert[] = [];
  for (const m of members) {
    const stored = await ctx.store.alert(m.incidentId, m.fingerprint);
    if (stored) held.push({ incidentId: m.incidentId, stored });
  }
  const events = reconcileEvents(apiAlerts, held, group, asked.getTime());
  if (events.length > 0) {
    await ctx.queues.get('alert').addBulk(await turnAlertJobs(ctx.redis, ctx.keyPrefix, alertsJobs(events, asked, ctx.config.dedupeWindowS), ctx.config.dedupeWindowS));
  }
  const resolved = events.filter((e) => e.status === 'resolved').length;
  return { firing: events.length - resolved, resolved };
}
