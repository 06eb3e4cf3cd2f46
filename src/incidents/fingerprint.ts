/**
 * Content-derived identities.
 *
 * - `labelsFingerprint`: the identity of an alert whose source gives none (generic JSON): a hash of its
 *   sorted labels, the way Alertmanager derives its own fingerprint.
 * - `alertJobId`: the content id of one alert event. Alertmanager resends a group byte for byte at every
 *   repeat and retry, with no request id, so the id is derived from what the alert says (source,
 *   fingerprint, status, start, end, labels, annotations): a resend maps to the same id. The `alert`
 *   queue's deduplication ids are built from these (`alertsJobId` in jobs.ts): one job per content within
 *   the short dedupe window (a retry of the same delivery), never longer (a re-fire can be byte-identical).
 *   BullMQ forbids `:` in custom ids and treats all-digit ids as its own, hence the prefix and hex.
 */
import * as crypto from 'node:crypto';
import type { NormalizedAlert } from './alert.js';

/** JSON of a string map with keys in sorted order (a stable input for hashing). */
export function canonicalPairs(pairs: Readonly<Record<string, string>>): string {
  const keys = Object.keys(pairs).sort();
  return JSON.stringify(keys.map((k) => [k, pairs[k]]));
}

/**
 * SHA-256 hex of a UTF-8 string. `crypto.hash` (Node >= 20.12) is the one-shot form, about 3x cheaper than
 * `createHash().update().digest()` for the short inputs hashed here (an intake request hashes 11 of them;
 * a worker hashes several per alert); same digest, so ids do not change. Older Node 20 falls back.
 */
const sha256Hex: (text: string) => string = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** 16 hex digits identifying a label set (same labels in any order → same fingerprint). */
export function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  return sha256Hex(canonicalPairs(labels)).slice(0, 16);
}

/** Prefix of every alert job id. */
export const ALERT_JOB_PREFIX = 'al-';

/** The idempotent job id of one alert event: `al-` + 32 hex digits. */
export function alertJobId(alert: NormalizedAlert): string {
  const content = JSON.stringify([
    alert.kind,
    alert.source,
    alert.fingerprint,
    alert.status,
    alert.startsAt,
    alert.endsAt,
    canonicalPairs(alert.labels),
    canonicalPairs(alert.annotations),
  ]);
  return ALERT_JOB_PREFIX + sha256Hex(content).slice(0, 32);
}

/** A short hash usable inside Redis keys and BullMQ ids (hex, no `:`). */
export function shortHash(text: string, hexDigits = 24): string {
  return sha256Hex(text).slice(0, hexDigits);
}
