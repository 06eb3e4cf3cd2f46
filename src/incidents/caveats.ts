/**
 * Caveats: what an incident's root must say when its state may not be the whole truth — never silently
 * partial, never silently open.
 *
 * - `truncated`: Alertmanager truncated the incident's group (`max_alerts`) and the rest of the group could
 *   not be fetched from its API (not configured, or not answering: the reconciliation keeps retrying).
 * - `stale`: the incident had no update for `INCIDENT_STALE_AFTER_S` and its sources were asked again; what
 *   they could and could not confirm.
 *
 * Each is one field of the incident hash (`caveat_truncated`, `caveat_stale`: JSON), so it expires with the
 * incident. Setting or clearing one is atomic (src/redis/scripts/incident-set-caveat.lua): the incident's version is bumped and a `caveat`
 * timeline entry pushed only when the caveat really changes, so the coalesced flush edits the root (and says
 * it once in the thread) — a retry that finds the same state changes nothing. `updated_at` is left alone:
 * a caveat is not news about the problem.
 */
import { z } from 'zod';

export const CAVEAT_KINDS = ['truncated', 'stale'] as const;
export type CaveatKind = (typeof CAVEAT_KINDS)[number];

const truncatedSchema = z.object({
  /** Alerts of the group the webhook did not carry (the last notification's `truncatedAlerts`). */
  count: z.number().int().nonnegative(),
  /** Why the group could not be fetched: ALERTMANAGER_URL unset, or Alertmanager not answering (retrying). */
  reason: z.enum(['not-configured', 'unreachable']),
  /** Since when (ms). */
  since: z.number(),
});
export type TruncatedCaveat = z.infer<typeof truncatedSchema>;

const staleSchema = z.object({
  /** The incident's last update when it was found stale (ms): a later update makes the caveat moot. */
  lastUpdate: z.number(),
  /** When the sources were last asked (ms). */
  checkedAt: z.number(),
  /** What the sources said, our own words (e.g. "Alertmanager could not confirm"). */
  notes: z.array(z.string().max(300)).max(10),
});
export type StaleCaveat = z.infer<typeof staleSchema>;

export interface Caveats {
  readonly truncated?: TruncatedCaveat;
  readonly stale?: StaleCaveat;
}

const SCHEMAS = { truncated: truncatedSchema, stale: staleSchema } as const;

/** The caveats held in an incident hash (unreadable ones are ignored). */
export function caveatsOf(h: Readonly<Record<string, string>>): Caveats {
  const out: { truncated?: TruncatedCaveat; stale?: StaleCaveat } = {};
  for (const kind of CAVEAT_KINDS) {
    const raw = h[`caveat_${kind}`];
    if (!raw) continue;
    try {
      const parsed = SCHEMAS[kind].safeParse(JSON.parse(raw));
      if (parsed.success) (out as Record<string, unknown>)[kind] = parsed.data;
    } catch {
      // not JSON: ignored
    }
  }
  return out;
}

/**
 * The comparable part of a caveat (what the root shows): a retry that only moves a timestamp changes nothing.
 */
export function caveatIdentity(kind: CaveatKind, value: TruncatedCaveat | StaleCaveat | null): string {
  if (value === null) return '';
  if (kind === 'truncated') {
    const t = value as TruncatedCaveat;
    return JSON.stringify([t.count, t.reason]);
  }
  const s = value as StaleCaveat;
  return JSON.stringify([s.lastUpdate, s.notes]);
}
