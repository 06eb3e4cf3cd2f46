/**
 * The generic JSON alert shape, for any source that is not Alertmanager (documented in docs/alerting.md):
 *
 *   { "alerts": [ {
 *       "status": "firing" | "resolved",          default "firing"
 *       "title": "ChatAgent error rate above 5%",  shown as the incident title (→ annotation `summary`)
 *       "description": "…",                        (→ annotation `description`)
 *       "severity": "critical",                    (→ label `severity`)
 *       "runtime": "prod", "agent": "ChatAgent",   (→ labels `runtime`, `agent_type`)
 *       "labels": { … }, "annotations": { … },     string → string
 *       "id": "…",                                 identity of the alert; default: a hash of its labels
 *       "startsAt": ISO-8601, "endsAt": ISO-8601,  optional
 *       "url": "https://…"                         link back to the source
 *   } ] }
 *
 * A single alert object without the `alerts` wrapper is accepted too. Unknown top-level fields of an
 * alert are refused (a typo must not silently lose data).
 */
import { z } from 'zod';
import { boundPairs, parseAlertTime, type NormalizedAlert } from '../incidents/alert.js';
import { labelsFingerprint } from '../incidents/fingerprint.js';

export const MAX_GENERIC_ALERTS = 5000;

const pairs = z.record(z.string().min(1), z.string());
const time = z.iso.datetime({ offset: true });

export const genericAlertSchema = z
  .strictObject({
    status: z.enum(['firing', 'resolved']).default('firing'),
    title: z.string().max(20_000).optional(),
    description: z.string().max(100_000).optional(),
    severity: z.string().max(50).optional(),
    runtime: z.string().max(200).optional(),
    agent: z.string().max(200).optional(),
    labels: pairs.default({}),
    annotations: pairs.default({}),
    id: z.string().min(1).max(200).optional(),
    fingerprint: z.string().min(1).max(200).optional(),
    startsAt: time.optional(),
    endsAt: time.optional(),
    url: z.string().max(4000).optional(),
  })
  .refine((a) => a.title !== undefined || a.id !== undefined || a.fingerprint !== undefined || Object.keys(a.labels).length > 0, {
    message: 'an alert needs something that identifies it: a title, labels, or an id',
  });

export const genericPayloadSchema = z.union([
  z.strictObject({ alerts: z.array(genericAlertSchema).min(1).max(MAX_GENERIC_ALERTS) }),
  genericAlertSchema,
]);

export type GenericPayload = z.infer<typeof genericPayloadSchema>;
export type GenericAlert = z.infer<typeof genericAlertSchema>;

function normalizeOne(a: GenericAlert, source: string): NormalizedAlert {
  const labels: Record<string, string> = { ...a.labels };
  if (a.severity !== undefined) labels.severity = a.severity;
  if (a.runtime !== undefined) labels.runtime = a.runtime;
  if (a.agent !== undefined) labels.agent_type = a.agent;
  if (labels.alertname === undefined && a.title !== undefined) labels.alertname = a.title.slice(0, 200);
  const annotations: Record<string, string> = { ...a.annotations };
  if (a.title !== undefined) annotations.summary = a.title;
  if (a.description !== undefined) annotations.description = a.description;
  const boundLabels = boundPairs(labels);
  const startsMs = parseAlertTime(a.startsAt);
  const endsMs = parseAlertTime(a.endsAt);
  return {
    source,
    kind: 'generic',
    fingerprint: a.id ?? a.fingerprint ?? labelsFingerprint(boundLabels),
    status: a.status,
    labels: boundLabels,
    annotations: boundPairs(annotations),
    startsAt: startsMs === null ? null : new Date(startsMs).toISOString(),
    endsAt: a.status === 'resolved' && endsMs !== null ? new Date(endsMs).toISOString() : null,
    generatorURL: a.url ?? null,
    groupKey: null,
  };
}

/** The alerts of one generic request, normalized. */
export function alertsFromGeneric(payload: GenericPayload, source: string): NormalizedAlert[] {
  const list = 'alerts' in payload ? payload.alerts : [payload];
  return list.map((a) => normalizeOne(a, source));
}
