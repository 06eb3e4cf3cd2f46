/**
 * New incidents jump a storm's backlog. The intake remembers, per process, which incident scopes (the
 * grouping's own key of an alert: runtime, agent, group-by labels — `ownScopeOf`, no cascade) it has
 * queued alerts for recently. A job with an alert of a scope it has not seen gets
 * `ALERTS_AHEAD_PRIORITY` instead of the bulk `ALERTS_JOB_PRIORITY`, so a worker takes it before the
 * thousands of alerts already waiting for incidents whose threads exist: a second incident that starts in
 * the middle of a storm gets its thread in about one job's time, not after the whole backlog.
 *
 * Only a hint, never a decision: the store still decides atomically which incident an alert joins. A
 * scope forgotten (time, eviction, a restart, another intake replica) just sends one more job ahead; a
 * scope seen but whose incident has resolved meanwhile only loses the head start.
 */
import { ownScopeOf, type GroupingRules } from '../incidents/grouping.js';
import { ALERTS_AHEAD_PRIORITY, type JobSpec } from '../incidents/jobs.js';

export interface RecentScopesOptions {
  /** A scope unseen for this long is new again, ms. */
  readonly ttlMs: number;
  /** Most scopes remembered; the least recently seen are forgotten first. */
  readonly max: number;
}

const DEFAULT_RECENT_SCOPES: RecentScopesOptions = { ttlMs: 10 * 60_000, max: 10_000 };

/** Scope keys seen recently, least recently seen first (a `Map` keeps insertion order). */
export class RecentScopes {
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly opts: RecentScopesOptions = DEFAULT_RECENT_SCOPES) {}

  /** Whether `key` has not been seen within the TTL (does not mark it). */
  isNew(key: string, nowMs: number): boolean {
    const at = this.lastSeen.get(key);
    return at === undefined || nowMs - at > this.opts.ttlMs;
  }

  /** Marks `keys` seen at `nowMs`. */
  mark(keys: Iterable<string>, nowMs: number): void {
    for (const key of keys) {
      this.lastSeen.delete(key);
      this.lastSeen.set(key, nowMs);
    }
    for (const oldest of this.lastSeen.keys()) {
      if (this.lastSeen.size <= this.opts.max) break;
      this.lastSeen.delete(oldest);
    }
  }

  get size(): number {
    return this.lastSeen.size;
  }
}

/**
 * The jobs with `ALERTS_AHEAD_PRIORITY` where one of their alerts has a scope `recent` has not seen, and
 * the scopes of all of them (to `mark` once the jobs are safely queued). Other jobs (a reconciliation) are
 * left as they are.
 */
export function promoteNewScopes(
  jobs: readonly JobSpec[],
  recent: RecentScopes,
  grouping: GroupingRules,
  nowMs: number,
): { jobs: JobSpec[]; scopes: Set<string> } {
  const scopes = new Set<string>();
  const out = jobs.map((job) => {
    if (job.data.kind !== 'alerts') return job;
    let fresh = false;
    for (const alert of job.data.alerts) {
      const key = ownScopeOf(alert.labels, grouping).key;
      scopes.add(key);
      fresh ||= recent.isNew(key, nowMs);
    }
    return fresh ? { ...job, opts: { ...job.opts, priority: ALERTS_AHEAD_PRIORITY } } : job;
  });
  return { jobs: out, scopes };
}
