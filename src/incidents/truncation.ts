/**
 * The `reconcile` job of a truncated Alertmanager group, kept going for as long as the group's incident is
 * open — never given up into `failed`:
 *
 * - Alertmanager answers → the group is reconciled (`reconcileGroup`: the alerts the webhook did not carry
 *   and the resolutions it never showed are applied) and the incidents' `truncated` caveat is cleared.
 * - It does not answer (`ALERTMANAGER_UNREACHABLE`) → each incident of the group says so in its root
 *   ("250 alerts not shown: Alertmanager truncated the group and could not be asked"), and the job puts
 *   itself back, delayed (`moveToDelayed`, no attempt spent), after a back-off that doubles from
 *   ALERT_RECONCILE_RETRY_MS to ALERT_RECONCILE_RETRY_MAX_MS — until it answers or the group has no firing
 *   alert left. The delay is an expected outcome (a debug line, no stack).
 * - ALERTMANAGER_URL is not set → the roots say so and the job ends: nothing could answer.
 *
 * One retry loop per group: the job that owns the group's lease (`inc:trunc:<hash>`, refreshed at each
 * attempt) keeps trying; a later notification's job only leaves its truncated count for the owner and ends.
 */
import { DelayedError, type Job } from 'bullmq';
import type { RedisClient } from '../redis/connect.js';
import type { AlertsConfig } from '../config.js';
import { isOpsError } from '../errors.js';
import type { Logger } from '../log.js';
import { runScript } from '../redis/scripts.js';
import { truncationText } from './caveat-words.js';
import type { TruncatedCaveat } from './caveats.js';
import { shortHash } from './fingerprint.js';
import { reconcileGroup, type ReconcileContext } from './reconcile.js';
import { requestFlush } from './thread.js';

export interface TruncationContext extends ReconcileContext {
  readonly config: AlertsConfig;
  readonly redis: RedisClient;
  /** Key prefix with trailing ':' (hash-tagged). */
  readonly keyPrefix: string;
  readonly logger: Logger;
}

/** What a `reconcile` job carries (the `alert` queue's payload). */
export interface ReconcileJob {
  readonly source: string;
  readonly group_key: string;
  readonly receiver: string;
  readonly group_labels: Readonly<Record<string, string>>;
  readonly received_at: string;
  readonly truncated?: number | undefined;
  readonly tries?: number | undefined;
}

/** Attempts made before a group with no incident yet is given up (its alerts may still be on their way). */
const TRIES_WITHOUT_INCIDENT = 3;

/** The wait before attempt `tries + 1`: `first · 2^tries`, at most `max` (ms). */
export function reconcileBackoffMs(tries: number, retry: { readonly firstMs: number; readonly maxMs: number }): number {
  return Math.min(retry.maxMs, retry.firstMs * 2 ** Math.min(tries, 30));
}

function groupKeys(prefix: string, source: string, groupKey: string): { lease: string; state: string } {
  const h = shortHash(`${source}\u0000${groupKey}`);
  return { lease: `${prefix}inc:trunc:${h}:lease`, state: `${prefix}inc:trunc:${h}` };
}

/** The incidents that hold firing alerts of the group (reconciliation's subjects). */
async function groupIncidents(ctx: TruncationContext, groupKey: string): Promise<string[]> {
  return [...new Set((await ctx.store.firingInGroup(groupKey)).map((m) => m.incidentId))];
}

/** Sets (or clears, `caveat` null) the truncation caveat of every incident of the group; flushes the changed ones. */
async function markIncidents(ctx: TruncationContext, ids: readonly string[], caveat: TruncatedCaveat | null, nowMs: number): Promise<void> {
  for (const id of ids) {
    const note = caveat === null ? 'Alertmanager answered: the truncated group is reconciled' : truncationText(caveat);
    if (await ctx.store.setCaveat(id, 'truncated', caveat, nowMs, note)) await requestFlush(ctx, id);
  }
}

/**
 * Runs one attempt of a group's reconciliation (see the module comment). Throws `DelayedError` after
 * putting the job back for its next attempt.
 */
export async function reconcileTruncated(ctx: TruncationContext, p: ReconcileJob, job: Job, token: string | undefined): Promise<Record<string, unknown>> {
  const keys = groupKeys(ctx.keyPrefix, p.source, p.group_key);
  const retry = ctx.config.reconcileRetry;
  const leaseMs = retry.maxMs + 60_000;
  const owner = job.id ?? `rec-${p.received_at}`;
  // the newest notification's truncated count of the group (by receipt time): truncation-record.lua
  const count = Number(await runScript(ctx.redis, 'truncationRecord', [keys.state], { count: p.truncated ?? 0, at: Date.parse(p.received_at) || 0, ttl: leaseMs }));
  if (Number(await runScript(ctx.redis, 'leaseTake', [keys.lease], { owner, ttl: leaseMs })) !== 1) {
    return { outcome: 'another reconciliation of this group is under way' };
  }
  const release = async (): Promise<void> => {
    await runScript(ctx.redis, 'lockRelease', [keys.lease], { owner });
  };
  const tries = p.tries ?? 0;
  const nowMs = ctx.now().getTime();
  const incidents = await groupIncidents(ctx, p.group_key);
  const group = { source: p.source, groupKey: p.group_key, receiver: p.receiver, groupLabels: p.group_labels };
  if (ctx.config.alertmanager.url === undefined) {
    await markIncidents(ctx, incidents, { count, reason: 'not-configured', since: nowMs }, nowMs);
    await release();
    return { outcome: 'not reconciled: ALERTMANAGER_URL is not set', incidents: incidents.length };
  }
  if (incidents.length === 0 && tries >= TRIES_WITHOUT_INCIDENT) {
    // the group's incidents are all resolved (or never opened): nothing is left open to reconcile
    await release();
    return { outcome: 'group has no firing alert left' };
  }
  try {
    const result = await reconcileGroup(ctx, group);
    await markIncidents(ctx, incidents, null, nowMs);
    await release();
    if (tries > 0) ctx.logger.info({ source: p.source, tries, ...result }, 'truncated group reconciled: Alertmanager answered again');
    return { outcome: 'reconciled', tries, ...result };
  } catch (err) {
    if (!isOpsError(err) || err.code !== 'ALERTMANAGER_UNREACHABLE') {
      await release();
      throw err;
    }
    await markIncidents(ctx, incidents, { count, reason: 'unreachable', since: nowMs }, nowMs);
    const waitMs = reconcileBackoffMs(tries, retry);
    const log = tries === 0 ? ctx.logger.info.bind(ctx.logger) : ctx.logger.debug.bind(ctx.logger);
    log({ source: p.source, tries: tries + 1, wait_ms: waitMs, incidents: incidents.length, reason: typeof err.details.reason === 'string' ? err.details.reason : err.code }, 'Alertmanager did not answer; the truncated group will be reconciled later');
    await runScript(ctx.redis, 'leaseTake', [keys.lease], { owner, ttl: leaseMs + waitMs });
    await job.updateData({ kind: 'reconcile', ...p, truncated: count, tries: tries + 1 });
    await job.moveToDelayed(Date.now() + waitMs, token);
    throw new DelayedError();
  }
}
