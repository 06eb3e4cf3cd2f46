/**
 * The alert formats the intake accepts, as one table: each entry is a route, the schema its JSON body must
 * satisfy and how a valid body becomes normalised alerts and jobs. `accept.ts` looks a request's path up
 * here, `openapi.ts` documents every entry, and the server lists them when it starts. Adding an alert
 * source is one entry (plus its schema and normaliser module, like `generic.ts`): docs/internals.md.
 */
import type { z } from 'zod';
import type { NormalizedAlert } from '../incidents/alert.js';
import { shortHash } from '../incidents/fingerprint.js';
import { alertsJobs, type JobSpec } from '../incidents/jobs.js';
import { alertmanagerPayloadSchema, alertsFromAlertmanager, isTruncated, type AlertmanagerPayload } from './alertmanager.js';
import { alertsFromGeneric, genericPayloadSchema, type GenericPayload } from './generic.js';

/** What a normaliser knows of the request beyond its body. */
export interface NormaliseContext {
  /** The authenticated sender's name (ALERT_SOURCES). */
  readonly source: string;
  readonly now: Date;
  /** Seconds a processed alert's job id is remembered (BullMQ dedupes while the job exists). */
  readonly dedupeWindowS: number;
  /** How long reconciliations of one group are coalesced, ms. */
  readonly reconcileCoalesceMs: number;
}

/** A valid body, normalised: its alerts, the exact jobs to enqueue, and how many alerts the sender cut off. */
export interface Normalised {
  readonly alerts: readonly NormalizedAlert[];
  readonly jobs: readonly JobSpec[];
  readonly truncated: number;
}

export interface AlertFormat<P = unknown> {
  /** The POST path. */
  readonly route: string;
  /** The request body's JSON schema name in docs/intake-openapi.json. */
  readonly schemaName: string;
  /** The operation's summary in docs/intake-openapi.json. */
  readonly summary: string;
  readonly schema: z.ZodType<P>;
  readonly normalise: (payload: P, ctx: NormaliseContext) => Normalised;
}

/** A table entry with its payload type erased; `decode` keeps schema and normaliser paired. */
export interface AlertRoute extends Omit<AlertFormat, 'schema' | 'normalise'> {
  readonly schema: z.ZodType;
  readonly normalise: (payload: never, ctx: NormaliseContext) => Normalised;
  /** The body's normalised alerts and jobs, or the schema's refusal. */
  readonly decode: (json: unknown, ctx: NormaliseContext) => { readonly ok: true; readonly value: Normalised } | { readonly ok: false; readonly error: z.ZodError };
}

function alertRoute<P>(format: AlertFormat<P>): AlertRoute {
  return {
    ...format,
    decode: (json, ctx) => {
      const parsed = format.schema.safeParse(json);
      return parsed.success ? { ok: true, value: format.normalise(parsed.data, ctx) } : { ok: false, error: parsed.error };
    },
  };
}

/** Alertmanager's alerts, plus a reconcile job when it cut the group short (`truncatedAlerts`). */
function normaliseAlertmanager(payload: AlertmanagerPayload, ctx: NormaliseContext): Normalised {
  const { source } = ctx;
  const alerts = alertsFromAlertmanager(payload, source);
  const jobs: JobSpec[] = alertsJobs(alerts, ctx.now, ctx.dedupeWindowS);
  // always: without Alertmanager's API the reconcile job records what is missing in the incident's root
  if (isTruncated(payload)) {
    jobs.push({
      name: 'alert',
      data: {
        kind: 'reconcile', source, group_key: payload.groupKey.slice(0, 4000), receiver: payload.receiver,
        group_labels: payload.groupLabels, received_at: ctx.now.toISOString(), truncated: payload.truncatedAlerts, tries: 0,
      },
      opts: {
        // one reconciliation per group per interval; the last notification's labels are what matters
        deduplication: { id: `rec-${shortHash(`${source}\u0000${payload.groupKey}`)}`, ttl: ctx.reconcileCoalesceMs },
        delay: ctx.reconcileCoalesceMs,
        removeOnComplete: { age: 3_600 },
        removeOnFail: { age: 7 * 86_400 },
      },
    });
  }
  return { alerts, jobs, truncated: payload.truncatedAlerts };
}

function normaliseGeneric(payload: GenericPayload, ctx: NormaliseContext): Normalised {
  const alerts = alertsFromGeneric(payload, ctx.source);
  return { alerts, jobs: alertsJobs(alerts, ctx.now, ctx.dedupeWindowS), truncated: 0 };
}

/** Every alert format, by name. */
export const ALERT_FORMATS = {
  alertmanager: alertRoute({
    route: '/alerts/alertmanager',
    schemaName: 'AlertmanagerPayload',
    summary: 'Alertmanager webhook (payload version 4)',
    schema: alertmanagerPayloadSchema,
    normalise: normaliseAlertmanager,
  }),
  generic: alertRoute({
    route: '/alerts/generic',
    schemaName: 'GenericPayload',
    summary: 'Any JSON source: the generic alert shape (one alert or {"alerts": [...]})',
    schema: genericPayloadSchema,
    normalise: normaliseGeneric,
  }),
} as const satisfies Record<string, AlertRoute>;

export type AlertFormatName = keyof typeof ALERT_FORMATS;

/** The table, in the order the document lists it. */
export const ALERT_ROUTES: readonly AlertRoute[] = Object.values(ALERT_FORMATS);

/** Each format's POST path, by name. */
export const ROUTES = Object.fromEntries(Object.entries(ALERT_FORMATS).map(([name, f]) => [name, f.route])) as { readonly [K in AlertFormatName]: string };

/** The table entry for a request path, if any. */
export function alertRouteFor(path: string): AlertRoute | undefined {
  return ALERT_ROUTES.find((r) => r.route === path);
}
