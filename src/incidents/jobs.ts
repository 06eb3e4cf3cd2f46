/**
 * Payloads of the `alert` queue (one processor, `handlers/alert.ts`, several kinds) and the `monitor` queue.
 *
 * - `alerts`: alert events to apply to their incidents (one intake request, one monitor poll, or a part
 *   of a reconciliation), deduplicated by an id derived from their content for a short window only
 *   (`ALERT_DEDUPE_WINDOW_S`, default 2 min) and only while nothing else came for its alerts: the id
 *   carries each alert's *turn* (src/incidents/turns.ts), which moves on whenever an alert's content changes.
 *   A retry of the same delivery is dropped; a state change never is — a firing that follows a resolution
 *   reopens even inside the window (Alertmanager merges a re-fire back into the episode, same `startsAt`, so
 *   its body can be byte-identical to the first firing). The same body after the window is applied again —
 *   a repeat changes nothing (the store merges by fingerprint: the merge table of incident-apply.lua). Its
 *   `received_at` orders the events of one fingerprint.
 * - `flush`: post what changed in an incident to its thread and edit its root (coalesced per interval).
 * - `opened`: an incident's thread was asked for: start the automatic diagnosis once its root exists.
 * - `reconcile`: Alertmanager truncated a group; fetch the group's real state from its API, again with
 *   back-off while it does not answer, for as long as the group's incident is open (src/incidents/truncation.ts).
 * - `stale`: re-check incidents without an update for a while against their sources (src/incidents/stale.ts).
 * - `action`: a button on an incident's root (acknowledge, resolve, silence, diagnose again, same incident as…),
 *   or the choice of the incident to merge into (src/incidents/merge.ts).
 * - `list`: `/autogen incidents` — answer the user with the open incidents.
 */
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { ChannelId, ResponseUrl, RuntimeName, UserId } from '../identifiers.js';
import { normalizedAlertSchema, type NormalizedAlert } from './alert.js';
import { alertJobId, shortHash } from './fingerprint.js';

/** Most alerts in one `alerts` job (larger inputs are split). */
export const MAX_ALERTS_PER_JOB = 500;

/**
 * BullMQ priority of `alerts` jobs. Jobs without a priority run first, so the incident work that keeps
 * threads current (flush, opened) and people's requests (button clicks, `/autogen incidents`) are never
 * stuck behind a storm's backlog of alerts.
 */
export const ALERTS_JOB_PRIORITY = 10;

/**
 * BullMQ priority of `alerts` jobs that likely open an incident or change what its thread says: the
 * intake's jobs with an alert of a scope it has not seen recently (`src/intake/new-scopes.ts`) and the
 * monitor's (it raises only transitions). Ahead of the bulk, still behind thread upkeep.
 */
export const ALERTS_AHEAD_PRIORITY = 1;

export const IncidentId = z.string().regex(/^inc-[a-z0-9]{4,40}$/);

/** `same-as`: show the person the other open incidents of the channel; `merge`: merge into the one chosen (`into`). */
export const INCIDENT_ACTIONS = ['acknowledge', 'resolve', 'silence', 'unsilence', 'diagnose', 'same-as', 'merge'] as const;
export type IncidentAction = (typeof INCIDENT_ACTIONS)[number];

export const AlertQueueJob = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('alerts'), alerts: z.array(normalizedAlertSchema).min(1).max(MAX_ALERTS_PER_JOB), received_at: z.iso.datetime() }),
  z.object({ kind: z.literal('flush'), incident_id: IncidentId, waits: z.number().int().nonnegative().default(0) }),
  z.object({ kind: z.literal('opened'), incident_id: IncidentId, waits: z.number().int().nonnegative().default(0) }),
  z.object({
    kind: z.literal('reconcile'),
    source: z.string().min(1).max(100),
    group_key: z.string().max(4000),
    receiver: z.string().max(1000),
    group_labels: z.record(z.string(), z.string()),
    received_at: z.iso.datetime(),
    /** Alerts the notification did not carry (`truncatedAlerts`). */
    truncated: z.number().int().nonnegative().optional(),
    /** Attempts so far that Alertmanager did not answer (the back-off grows with it; never `failed`). */
    tries: z.number().int().nonnegative().optional(),
  }),
  /** The stale-incident check (a job scheduler, src/incidents/stale.ts). */
  z.object({ kind: z.literal('stale') }),
  z.object({
    kind: z.literal('action'),
    incident_id: IncidentId,
    action: z.enum(INCIDENT_ACTIONS),
    user: UserId,
    channel: ChannelId,
    /** Silence duration, seconds. */
    silence_s: z.number().int().min(60).max(7 * 86_400).optional(),
    /** `merge`: the incident this one is the same as. */
    into: IncidentId.optional(),
    requested_at: z.iso.datetime(),
  }),
  /** `/autogen incidents`; `response_url`: where the list goes when the bot cannot post in the channel. */
  z.object({ kind: z.literal('list'), user: UserId, channel: ChannelId, response_url: ResponseUrl.optional(), requested_at: z.iso.datetime() }),
]);
export type AlertQueueJob = z.infer<typeof AlertQueueJob>;

export const MonitorJob = z.object({
  /** Configured runtime name to poll. */
  runtime: RuntimeName,
});
export type MonitorJob = z.infer<typeof MonitorJob>;

/** One job for BullMQ's `addBulk` on the `alert` queue. */
export interface JobSpec {
  readonly name: 'alert';
  readonly data: AlertQueueJob;
  readonly opts: JobsOptions;
}

/** Each alert's turn (src/incidents/turns.ts), by its content id (`alertJobId`). */
export type AlertTurns = ReadonlyMap<string, number>;

/**
 * The deduplication id of a list of alert events: `ab-` + 32 hex digits (no `:`, never all digits), from
 * each alert's content id and, when known, its turn (an exact resend keeps its turn, a state change does not).
 */
export function alertsJobId(alerts: readonly NormalizedAlert[], turns?: AlertTurns): string {
  const ids = alerts.map((a) => {
    const id = alertJobId(a);
    const turn = turns?.get(id);
    return turn === undefined ? id : `${id}.${turn}`;
  });
  return `ab-${shortHash(ids.sort().join(','), 32)}`;
}

/** The jobs with each `alerts` job's deduplication id carrying its alerts' turns; other jobs as they are. */
export function withAlertTurns(jobs: readonly JobSpec[], turns: AlertTurns): JobSpec[] {
  return jobs.map((job) => {
    const dedupe = job.opts.deduplication;
    if (job.data.kind !== 'alerts' || dedupe === undefined) return job;
    return { ...job, opts: { ...job.opts, deduplication: { ...dedupe, id: alertsJobId(job.data.alerts, turns) } } };
  });
}

/** How long a finished `alerts` job stays readable (inspection only: deduplication does not depend on it), s. */
export const ALERTS_JOB_KEEP_S = 3_600;

/**
 * The jobs applying `alerts` (intake, monitor and reconciliation all enqueue these): one per
 * `MAX_ALERTS_PER_JOB`, each deduplicated by its content id for `dedupeWindowS` seconds from the first
 * copy (BullMQ deduplication with a TTL, whatever became of that job): a retry of the same delivery inside
 * the window is dropped, the same content after it is applied again (see the module comment). Callers that
 * enqueue pass the jobs through `turnAlertJobs` (src/incidents/turns.ts) so a state change is never dropped.
 */
export function alertsJobs(alerts: readonly NormalizedAlert[], receivedAt: Date, dedupeWindowS: number, priority = ALERTS_JOB_PRIORITY): JobSpec[] {
  const jobs: JobSpec[] = [];
  for (let i = 0; i < alerts.length; i += MAX_ALERTS_PER_JOB) {
    const part = alerts.slice(i, i + MAX_ALERTS_PER_JOB);
    jobs.push({
      name: 'alert',
      data: { kind: 'alerts', alerts: part, received_at: receivedAt.toISOString() },
      opts: {
        deduplication: { id: alertsJobId(part), ttl: dedupeWindowS * 1000 },
        priority,
        removeOnComplete: { age: ALERTS_JOB_KEEP_S },
        removeOnFail: { age: 7 * 86_400 },
      },
    });
  }
  return jobs;
}
