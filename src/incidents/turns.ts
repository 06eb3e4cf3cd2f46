/**
 * Alert turns: what keeps the `alert` queue's short deduplication from swallowing a state change.
 *
 * An `alerts` job is deduplicated by the content of its alerts for `ALERT_DEDUPE_WINDOW_S` (jobs.ts). For the
 * generic JSON source and the monitor, content alone cannot tell a retry of a delivery from a re-fire: a
 * sender that repeats the same body after a resolution (no `startsAt`/`endsAt`, or the same ones) means "firing
 * again". So each of their alerts also has a *turn*, kept in Redis per fingerprint for the window
 * (`alert-turns.lua`): an exact resend of the last content keeps the turn, anything else (a resolution, the
 * firing after it, a new `startsAt`) takes the next one. The deduplication id carries the turns, so BullMQ drops
 * exact resends and nothing else. A turn is taken before the job is added: when adding fails, the sender's
 * retry finds the same turn and the same id, which BullMQ does not hold — it is added.
 *
 * Alertmanager alerts take no turn: a real re-fire never repeats an earlier body (Prometheus sends a new
 * `endsAt` with every evaluation, so each notification's content differs), while a byte-identical body after a
 * resolution is a late copy of the earlier delivery (an HA peer's, or a retry) and must change nothing
 * (test/integration/alerts-replay.test.ts, "resends"). Their content id alone deduplicates them, as before.
 */
import type { RedisClient } from '../redis/connect.js';
import { runScript } from '../redis/scripts.js';
import type { NormalizedAlert } from './alert.js';
import { alertJobId, shortHash } from './fingerprint.js';
import { withAlertTurns, type JobSpec } from './jobs.js';

/** The Redis key of an alert's turn (`keyPrefix` with trailing ':'). */
export function alertTurnKey(keyPrefix: string, alert: Pick<NormalizedAlert, 'kind' | 'source' | 'fingerprint'>): string {
  return `${keyPrefix}alert:turn:${shortHash(JSON.stringify([alert.kind, alert.source, alert.fingerprint]), 32)}`;
}

/** Whether an alert's deduplication carries a turn (see the module comment: not Alertmanager's). */
export const takesTurns = (a: Pick<NormalizedAlert, 'kind'>): boolean => a.kind !== 'alertmanager';

/** Takes the turn of each of `alerts` (all of them take turns) in one script call; by content id. */
async function alertTurns(redis: RedisClient, keyPrefix: string, alerts: readonly NormalizedAlert[], dedupeWindowS: number): Promise<Map<string, number>> {
  const ids = alerts.map(alertJobId);
  const reply = await runScript(redis, 'alertTurns', alerts.map((a) => alertTurnKey(keyPrefix, a)), { ids, ttl: dedupeWindowS * 1000 });
  return new Map(ids.map((id, i) => [id, Number(reply[i])]));
}

/** The jobs to add, their `alerts` jobs' deduplication ids carrying the turns of their alerts (one script call). */
export async function turnAlertJobs(redis: RedisClient, keyPrefix: string, jobs: readonly JobSpec[], dedupeWindowS: number): Promise<JobSpec[]> {
  const turning = jobs.flatMap((job) => (job.data.kind === 'alerts' ? job.data.alerts.filter(takesTurns) : []));
  // Alertmanager notifications (most of a storm) take no turns: their jobs stay as they are, no Redis call
  if (turning.length === 0) return [...jobs];
  // one script call for the whole request (the keys are taken in order, as job by job)
  return withAlertTurns(jobs, await alertTurns(redis, keyPrefix, turning, dedupeWindowS));
}
