/**
 * Alert turns: what keeps the `alert` queue's short deduplication from swallowing a state change.
 *
 * An `alerts` job is deduplicated by the content of its alerts for `ALERT_DEDUPE_WINDOW_S` (jobs.ts). Content
 * alone cannot tell a retry of a delivery from a re-fire: after a resolution, Alertmanager sends the firing
 * body again byte for byte (same `startsAt`). So each alert also has a *turn*, kept in Redis per fingerprint
 * for the window (`alert-turns.lua`): an exact resend of the last content keeps the turn, anything else (a
 * resolution, the firing after it, a new `startsAt`) takes the next one. The deduplication id carries the
 * turns, so BullMQ drops exact resends and nothing else. A turn is taken before the job is added: when adding
 * fails, the sender's retry finds the same turn and the same id, which BullMQ does not hold — it is added.
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

/** Takes the turn of each alert (one script call); by content id. */
export async function alertTurns(redis: RedisClient, keyPrefix: string, alerts: readonly NormalizedAlert[], dedupeWindowS: number): Promise<Map<string, number>> {
  const turns = new Map<string, number>();
  if (alerts.length === 0) return turns;
  const ids = alerts.map(alertJobId);
  const reply = await runScript(redis, 'alertTurns', alerts.map((a) => alertTurnKey(keyPrefix, a)), { ids, ttl: dedupeWindowS * 1000 });
  ids.forEach((id, i) => turns.set(id, Number(reply[i])));
  return turns;
}

/** The jobs to add, their `alerts` jobs' deduplication ids carrying the turns of their alerts (one call per such job). */
export async function turnAlertJobs(redis: RedisClient, keyPrefix: string, jobs: readonly JobSpec[], dedupeWindowS: number): Promise<JobSpec[]> {
  const turns = new Map<string, number>();
  for (const job of jobs) {
    if (job.data.kind !== 'alerts') continue;
    for (const [id, turn] of await alertTurns(redis, keyPrefix, job.data.alerts, dedupeWindowS)) turns.set(id, turn);
  }
  return withAlertTurns(jobs, turns);
}
