/**
 * Alertmanager's webhook payload, version 4, as Alertmanager really sends it (observed with 0.25):
 * one notification per alert group carrying the group's whole current state — `status` is `firing`
 * while any alert fires, firing alerts carry `endsAt: "0001-01-01T00:00:00Z"`, empty label values are
 * absent, and `truncatedAlerts` counts the alerts cut off by `max_alerts`.
 *
 * Unknown fields are ignored (Alertmanager may add some); a wrong version or shape can never become
 * valid and is refused (422).
 */
import { z } from 'zod';
import { boundPairs, parseAlertTime, type NormalizedAlert } from '../incidents/alert.js';
import { labelsFingerprint } from '../incidents/fingerprint.js';

/** Most alerts accepted in one notification (the body limit usually bites first). */
export const MAX_ALERTS_PER_NOTIFICATION = 5000;

const pairs = z.record(z.string(), z.string());
const time = z.iso.datetime({ offset: true });

export const alertmanagerAlertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: pairs,
  annotations: pairs.default({}),
  startsAt: time,
  endsAt: z.union([time, z.literal('')]).default(''),
  generatorURL: z.string().default(''),
  fingerprint: z.string().max(200).default(''),
});

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string().max(20_000),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(1000),
  groupLabels: pairs.default({}),
  commonLabels: pairs.default({}),
  commonAnnotations: pairs.default({}),
  externalURL: z.string().max(2000).default(''),
  alerts: z.array(alertmanagerAlertSchema).max(MAX_ALERTS_PER_NOTIFICATION),
});

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

function isoOrNull(value: string): string | null {
  const ms = parseAlertTime(value);
  return ms === null ? null : new Date(ms).toISOString();
}

/** The alerts of one notification, normalized, in the order received. */
export function alertsFromAlertmanager(payload: AlertmanagerPayload, source: string): NormalizedAlert[] {
  return payload.alerts.map((a) => {
    const labels = boundPairs(a.labels);
    const startsAt = isoOrNull(a.startsAt);
    const endsAt = a.status === 'resolved' ? isoOrNull(a.endsAt) : null;
    return {
      source,
      kind: 'alertmanager' as const,
      fingerprint: a.fingerprint !== '' ? a.fingerprint : labelsFingerprint(labels),
      status: a.status,
      labels,
      annotations: boundPairs(a.annotations),
      startsAt,
      endsAt,
      generatorURL: a.generatorURL === '' ? null : a.generatorURL.slice(0, 4000),
      groupKey: payload.groupKey.slice(0, 4000),
    };
  });
}

/** Whether Alertmanager cut the group short: then the webhook does not carry every alert. */
export function isTruncated(payload: AlertmanagerPayload): boolean {
  return payload.truncatedAlerts > 0;
}
