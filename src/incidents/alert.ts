/**
 * One alert as every source (Alertmanager, generic JSON, the bot's own monitor) is reduced to it before it
 * is queued. This is the payload of an `alert` job, validated on enqueue and again in the worker.
 */
import { z } from 'zod';
import { shorten, toWellFormed } from '../text/shorten.js';

/** Longest label or annotation value kept, in UTF-16 code units (longer values are shortened). */
export const MAX_VALUE_UNITS = 4000;
/** Most labels (and, separately, annotations) kept per alert; further ones are dropped, by name order. */
export const MAX_PAIRS = 64;
/** Longest label or annotation name kept. */
export const MAX_NAME_UNITS = 200;

export const ALERT_KINDS = ['alertmanager', 'generic', 'monitor'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_STATUSES = ['firing', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

const pairs = z.record(z.string().max(MAX_NAME_UNITS), z.string().max(MAX_VALUE_UNITS));

export const normalizedAlertSchema = z.strictObject({
  /** Which configured source sent it (the credential's name), or `monitor`. */
  source: z.string().min(1).max(100),
  kind: z.enum(ALERT_KINDS),
  /** Identity of the alert within its source (Alertmanager's fingerprint, or a hash of the labels). */
  fingerprint: z.string().min(1).max(200),
  status: z.enum(ALERT_STATUSES),
  labels: pairs,
  annotations: pairs,
  /**
   * When this firing episode began (ISO-8601); null when the source did not say (generic alerts), in
   * which case the worker uses the time it first saw the alert.
   */
  startsAt: z.iso.datetime({ offset: true }).nullable(),
  /** When it ended (ISO-8601), null while firing. */
  endsAt: z.iso.datetime({ offset: true }).nullable(),
  /** Link back to the alert's source, untrusted. */
  generatorURL: z.string().max(MAX_VALUE_UNITS).nullable(),
  /** Alertmanager's group key when the alert came in a group notification. */
  groupKey: z.string().max(MAX_VALUE_UNITS).nullable(),
});

export type NormalizedAlert = z.infer<typeof normalizedAlertSchema>;

/**
 * Makes a label/annotation map safe to store: well-formed UTF-16, names and values shortened, empty
 * values dropped (as Alertmanager does), at most `MAX_PAIRS` entries, sorted by name.
 */
export function boundPairs(input: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  const names = Object.keys(input).sort();
  let kept = 0;
  for (const name of names) {
    const value = input[name];
    if (value === undefined || value === '') continue;
    if (kept >= MAX_PAIRS) break;
    const safeName = shorten(toWellFormed(name), MAX_NAME_UNITS);
    if (safeName === '') continue;
    // defined, not assigned: a label named `__proto__` is a label like any other, not the object's prototype
    Object.defineProperty(out, safeName, { value: shorten(toWellFormed(value), MAX_VALUE_UNITS), enumerable: true, writable: true, configurable: true });
    kept += 1;
  }
  return out;
}

/** Alertmanager's "zero" time, sent as `endsAt` of firing alerts. */
const ZERO_TIME_YEAR = 1;

/** Parses an ISO time; Go's zero time (year 1) and unparsable strings give null. */
export function parseAlertTime(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  if (new Date(ms).getUTCFullYear() <= ZERO_TIME_YEAR) return null;
  return ms;
}

/** The agent type an alert is about, from the configured label names (first non-empty wins). */
export function labelValue(labels: Readonly<Record<string, string>>, names: readonly string[]): string | null {
  for (const name of names) {
    const v = labels[name];
    if (v !== undefined && v !== '') return v;
  }
  return null;
}
