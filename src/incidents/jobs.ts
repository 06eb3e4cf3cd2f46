/**
 * Payloads of the `alert` queue (one processor, `handlers/alert.ts`, several kinds) and the `monitor` queue.
 *
 * - `alert`: one alert event to apply to its incident (from the intake, the monitor, or a reconciliation).
 * - `flush`: post what changed in an incident to its thread and edit its root (coalesced per interval).
 * - `opened`: an incident's thread was asked for: start the automatic diagnosis once its root exists.
 * - `reconcile`: Alertmanager truncated a group; fetch the group's real state from its API.
 * - `action`: a button on an incident's root (acknowledge, resolve, silence, diagnose again).
 * - `list`: `/autogen incidents` — answer the user with the open incidents.
 */
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { normalizedAlertSchema, type NormalizedAlert } from './alert.js';
import { alertJobId } from './fingerprint.js';

const ChannelId = z.string().regex(/^[A-Z0-9]{2,40}$/);
const UserId = z.string().regex(/^[A-Z0-9]{2,40}$/);
export const IncidentId = z.string().regex(/^inc-[a-z0-9]{4,40}$/);

export const INCIDENT_ACTIONS = ['acknowledge', 'resolve', 'silence', 'unsilence', 'diagnose'] as const;
export type IncidentAction = (typeof INCIDENT_ACTIONS)[number];

export const AlertQueueJob = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('alert'), alert: normalizedAlertSchema, received_at: z.iso.datetime() }),
  z.object({ kind: z.literal('flush'), incident_id: IncidentId, waits: z.number().int().nonnegative().default(0) }),
  z.object({ kind: z.literal('opened'), incident_id: IncidentId, waits: z.number().int().nonnegative().default(0) }),
  z.object({
    kind: z.literal('reconcile'),
    source: z.string().min(1).max(100),
    group_key: z.string().max(4000),
    receiver: z.string().max(1000),
    group_labels: z.record(z.string(), z.string()),
    received_at: z.iso.datetime(),
  }),
  z.object({
    kind: z.literal('action'),
    incident_id: IncidentId,
    action: z.enum(INCIDENT_ACTIONS),
    user: UserId,
    channel: ChannelId,
    /** Silence duration, seconds. */
    silence_s: z.number().int().min(60).max(7 * 86_400).optional(),
    requested_at: z.iso.datetime(),
  }),
  z.object({ kind: z.literal('list'), user: UserId, channel: ChannelId, requested_at: z.iso.datetime() }),
]);
export type AlertQueueJob = z.infer<typeof AlertQueueJob>;

export const MonitorJob = z.object({
  /** Configured runtime name to poll. */
  runtime: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/),
});
export type MonitorJob = z.infer<typeof MonitorJob>;

/** One job for BullMQ's `addBulk` on the `alert` queue. */
export interface JobSpec {
  readonly name: 'alert';
  readonly data: AlertQueueJob;
  readonly opts: JobsOptions;
}

/** Options of every alert job: content id, kept for the dedupe window once done. */
export function alertJobOptions(alert: NormalizedAlert, dedupeWindowS: number): JobsOptions {
  return {
    jobId: alertJobId(alert),
    removeOnComplete: { age: dedupeWindowS },
    removeOnFail: { age: 7 * 86_400 },
  };
}

/** The job applying `alert` (intake, monitor and reconciliation all enqueue this). */
export function alertJob(alert: NormalizedAlert, receivedAt: Date, dedupeWindowS: number): JobSpec {
  return { name: 'alert', data: { kind: 'alert', alert, received_at: receivedAt.toISOString() }, opts: alertJobOptions(alert, dedupeWindowS) };
}

