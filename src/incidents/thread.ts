/**
 * An incident's Slack thread, through the outbox only:
 * - the root is posted once, at high priority (new incidents before updates), under the outbox key
 *   `rootKey(id)` so that replies and edits can refer to it before its ts is known;
 * - changes are flushed by one `flush` job per incident per coalescing interval (BullMQ deduplication
 *   with `keepLastIfActive`: while a flush waits, further changes join it; while one runs, exactly one
 *   more follows), which posts one thread reply and edits the root in place;
 * - root edits are coalesced per root and ahead of the replies (the outbox's `update` with a
 *   `coalesce_key`): during a storm the root shows the incident's current state, not one from minutes ago.
 */
import type { Job } from 'bullmq';
import type { AlertsConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/index.js';
import type { Queues } from '../queues/queues.js';
import type { IncidentPresenter } from './presenter.js';
import type { Incident, IncidentStore, StoredAlert, TimelineEntry } from './store.js';

/** Outbox key of an incident's root message. */
export function rootKey(incidentId: string): string {
  return `inc-root-${incidentId}`;
}

/** What the thread functions need. */
export interface ThreadContext {
  readonly config: AlertsConfig;
  readonly store: IncidentStore;
  readonly outbox: Outbox;
  readonly presenter: IncidentPresenter;
  readonly queues: Queues;
  readonly logger: Logger;
  now(): Date;
}

/**
 * Posts the root of a new incident (idempotent: one post per incident, whatever the retries). Returns the
 * incident as posted, or undefined when it is gone.
 */
export async function postRoot(ctx: ThreadContext, incidentId: string): Promise<Incident | undefined> {
  const incident = await ctx.store.get(incidentId);
  if (!incident) return undefined;
  const msg = ctx.presenter.root(incident, ctx.now().getTime());
  await ctx.outbox.post({ channel: incident.channel, text: msg.text, blocks: msg.blocks, priority: 'high', ts_key: rootKey(incidentId) }, rootKey(incidentId));
  return incident;
}

/**
 * Asks for a flush of `incidentId`'s changes: after the coalescing interval, or at once (`urgent`, for a
 * person's click) — an already waiting flush is then brought forward rather than doubled.
 */
export async function requestFlush(ctx: Pick<ThreadContext, 'config' | 'queues'>, incidentId: string, urgent = false): Promise<void> {
  await ctx.queues.add('alert', { kind: 'flush', incident_id: incidentId, waits: 0 }, {
    delay: urgent ? 0 : ctx.config.coalesceMs,
    deduplication: { id: `flush-${incidentId}`, keepLastIfActive: true, ...(urgent ? { reschedule: true } : {}) },
    removeOnComplete: true,
    removeOnFail: { age: 86_400 },
  });
}

/** Firing alerts named by `fingerprints`, for the details shown in a thread reply (at most `max`). */
async function detailsOf(store: IncidentStore, incidentId: string, fingerprints: readonly string[], max: number): Promise<StoredAlert[]> {
  const out: StoredAlert[] = [];
  for (const fp of fingerprints) {
    if (out.length >= max) break;
    const a = await store.alert(incidentId, fp);
    if (a && a.status === 'firing') out.push(a);
  }
  return out;
}

/** Most alerts whose details are posted per reply; the first reply shows the opening alert's. */
const DETAILS_PER_FLUSH = 3;

/** Timeline kinds that are alert noise (held back while silenced). */
const ALERT_KINDS = new Set(['firing', 'resolved', 'updated']);

/**
 * The thread reply lists an alert whose labels or annotations changed (still firing) among the firing ones,
 * marked as updated, with its new line (e.g. the summary's new figure) and its details.
 */
function presentable(entries: readonly TimelineEntry[]): TimelineEntry[] {
  return entries.map((e) => (e.k === 'updated' ? { ...e, k: 'firing', t: `updated: ${e.t ?? e.fp ?? 'alert'}` } : e));
}

/**
 * Posts what changed since the last flush as one thread reply, and edits the root. While silenced, only
 * state changes are posted (alert noise is held back); the root is always kept current.
 */
export async function flushIncident(ctx: ThreadContext, incidentId: string, job: Pick<Job, 'id'>): Promise<{ posted: boolean; edited: boolean }> {
  const claim = await ctx.store.claimFlush(incidentId, job.id ?? `flush-${incidentId}`);
  if (!claim || claim.to <= claim.from) return { posted: false, edited: false };
  const incident = await ctx.store.get(incidentId);
  if (!incident) return { posted: false, edited: false };
  const nowMs = ctx.now().getTime();
  const silenced = incident.silencedUntil !== null && incident.silencedUntil > nowMs;
  const entries = presentable(silenced ? claim.entries.filter((e) => !ALERT_KINDS.has(e.k)) : claim.entries);
  const fired = [...new Set(entries.filter((e) => e.k === 'firing' && e.fp).map((e) => e.fp!))];
  const details = silenced ? [] : await detailsOf(ctx.store, incidentId, fired, DETAILS_PER_FLUSH);
  const update = ctx.presenter.update(incident, entries, nowMs, details, silenced ? undefined : claim);
  let posted = false;
  if (update) {
    await ctx.outbox.post(
      { channel: incident.channel, thread_ts_key: rootKey(incidentId), text: update.text, blocks: update.blocks, priority: 'normal' },
      `inc-upd-${incidentId}-${claim.to}`,
    );
    posted = true;
  }
  const root = ctx.presenter.root(incident, nowMs);
  // coalesced per root (one pending edit, the newest content) and on the channel's edit lane: it keeps up
  // with a storm instead of waiting behind the thread replies (src/outbox/index.ts, `update`)
  await ctx.outbox.update({
    channel: incident.channel, ts_key: rootKey(incidentId), text: root.text, blocks: root.blocks,
    coalesce_key: rootKey(incidentId),
  });
  ctx.logger.debug({ incident_id: incidentId, from: claim.from, to: claim.to, posted }, 'incident flushed');
  return { posted, edited: true };
}
