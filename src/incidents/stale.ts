/**
 * Nothing left silently open: an incident with no update for INCIDENT_STALE_AFTER_S is re-checked against
 * its sources, by a `stale` job that one BullMQ job scheduler (`incident-stale-check`, the same id on every
 * worker replica, so it runs once per interval) starts every INCIDENT_STALE_CHECK_S:
 *
 * - Alertmanager's alerts (they came in a group): `GET /api/v2/alerts` (active, silenced, inhibited,
 *   unprocessed). A firing alert Alertmanager no longer holds at all is resolved (the webhook's resolution
 *   was lost); one it still holds is still firing ("Alertmanager still has 2 of them firing").
 * - The monitor's alerts: the monitor's own firing set of the runtime (the bridge as of its last poll). An
 *   alert it no longer holds is resolved; while the bridge is unreachable, or the monitor is off, it could
 *   not confirm.
 * - Any other source (generic JSON) cannot be asked.
 *
 * Resolutions go through the ordinary `alert` jobs (the incident resolves as usual when its last alert
 * does). Whatever could not be resolved is said in the root ("no update for 3h 05m; Alertmanager could not
 * confirm", the `stale` caveat); the incident is checked again once another INCIDENT_STALE_AFTER_S has
 * passed without an update.
 */
import type { RedisClient } from '../redis/connect.js';
import type { AlertsConfig, Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queues/queues.js';
import { monitorActive } from '../monitor/schedule.js';
import { MONITOR_SOURCE } from '../monitor/transitions.js';
import { MONITOR_ALERTS } from '../monitor/evaluate.js';
import { monitorKeys } from '../monitor/poll.js';
import type { NormalizedAlert } from './alert.js';
import { ALERTS_AHEAD_PRIORITY, alertsJobs } from './jobs.js';
import { turnAlertJobs } from './turns.js';
import { fetchAllAlerts } from './reconcile.js';
import type { Incident, IncidentStore, StoredAlert } from './store.js';
import { requestFlush } from './thread.js';

/** The scheduler's id (one across replicas). */
export const STALE_SCHEDULER_ID = 'incident-stale-check';
/** Most active incidents looked at per check. */
const CHECK_MAX = 500;

export interface StaleContext {
  readonly config: AlertsConfig;
  readonly monitor: Config['monitor'];
  readonly store: IncidentStore;
  readonly queues: Queues;
  readonly redis: RedisClient;
  /** Key prefix with trailing ':'. */
  readonly keyPrefix: string;
  readonly logger: Logger;
  now(): Date;
}

/** Whether the check runs: incidents can open (a channel or a route to open them in). */
function alertsActive(config: Pick<AlertsConfig, 'channel' | 'routes'>): boolean {
  return config.channel !== undefined || config.routes.length > 0;
}

/** Upserts (or removes, when incidents cannot open) the stale check's job scheduler. */
export async function scheduleStaleCheck(queues: Queues, config: Pick<Config, 'alerts'>, logger: Logger): Promise<boolean> {
  const queue = queues.get('alert');
  if (!alertsActive(config.alerts)) {
    await queue.removeJobScheduler(STALE_SCHEDULER_ID);
    return false;
  }
  await queue.upsertJobScheduler(STALE_SCHEDULER_ID, { every: config.alerts.stale.checkEveryMs }, {
    name: 'alert',
    data: { kind: 'stale' },
    opts: { removeOnComplete: true, removeOnFail: { age: 3_600 }, attempts: 1 },
  });
  logger.debug({ every_ms: config.alerts.stale.checkEveryMs, after_ms: config.alerts.stale.afterMs }, 'stale-incident check scheduled');
  return true;
}

/** Whether `incident` is due for a re-check at `nowMs`. */
export function isStale(incident: Pick<Incident, 'state' | 'updatedAt' | 'caveats'>, nowMs: number, afterMs: number): boolean {
  if (incident.state === 'resolved') return false;
  const last = Math.max(incident.updatedAt, incident.caveats?.stale?.checkedAt ?? 0);
  return nowMs - last >= afterMs;
}

/** What one source said about an incident's firing alerts. */
export interface SourceAnswer {
  /** Alerts to resolve (their source no longer holds them). */
  readonly resolve: readonly StoredAlert[];
  /** Our own words for the root, for what remains. */
  readonly notes: readonly string[];
}

/** Alertmanager's view: `held` = fingerprints it holds, or why it could not be asked. */
export function alertmanagerAnswer(alerts: readonly StoredAlert[], held: ReadonlySet<string> | { readonly reason: string }): SourceAnswer {
  if (alerts.length === 0) return { resolve: [], notes: [] };
  if (!(held instanceof Set)) return { resolve: [], notes: [`Alertmanager could not confirm${(held as { reason: string }).reason ? ` (${(held as { reason: string }).reason})` : ''}`] };
  const gone = alerts.filter((a) => !held.has(a.fingerprint));
  const still = alerts.length - gone.length;
  return { resolve: gone, notes: still > 0 ? [`Alertmanager still has ${still} of them firing`] : [] };
}

/** The monitor's view of one runtime: its firing fingerprints, whether the bridge answered its last poll. */
export function monitorAnswer(
  runtime: string, alerts: readonly StoredAlert[], view: { readonly active: boolean; readonly firing: ReadonlySet<string>; readonly unreachable: boolean },
): SourceAnswer {
  if (alerts.length === 0) return { resolve: [], notes: [] };
  if (!view.active) return { resolve: [], notes: [`the bridge of runtime ${runtime} could not confirm (the monitor is off)`] };
  const gone = alerts.filter((a) => !view.firing.has(a.fingerprint));
  const still = alerts.length - gone.length;
  if (still === 0) return { resolve: gone, notes: [] };
  return { resolve: gone, notes: [view.unreachable ? `the bridge of runtime ${runtime} could not confirm (unreachable)` : `the monitor still sees ${still} of them on runtime ${runtime}`] };
}

function resolution(a: StoredAlert, nowMs: number): NormalizedAlert {
  return {
    source: a.detail.source,
    kind: a.detail.source === MONITOR_SOURCE ? 'monitor' : a.detail.groupKey !== null ? 'alertmanager' : 'generic',
    fingerprint: a.fingerprint,
    status: 'resolved',
    labels: { ...a.detail.labels },
    annotations: { ...a.detail.annotations },
    startsAt: new Date(a.startsAt).toISOString(),
    endsAt: new Date(nowMs).toISOString(),
    generatorURL: a.detail.generatorURL,
    groupKey: a.detail.groupKey,
  };
}

/** The `stale` job: re-check every incident due; returns counts for the job's result. */
export async function checkStaleIncidents(ctx: StaleContext): Promise<{ checked: number; resolvedAlerts: number; flagged: number }> {
  const nowMs = ctx.now().getTime();
  const due = (await ctx.store.listActive(CHECK_MAX)).filter((i) => isStale(i, nowMs, ctx.config.stale.afterMs));
  if (due.length === 0) return { checked: 0, resolvedAlerts: 0, flagged: 0 };
  let amHeld: Set<string> | { reason: string } | undefined;
  const askAlertmanager = async (): Promise<Set<string> | { reason: string }> => {
    if (amHeld !== undefined) return amHeld;
    const url = ctx.config.alertmanager.url;
    if (url === undefined) return (amHeld = { reason: 'ALERTMANAGER_URL is not set' });
    try {
      amHeld = new Set((await fetchAllAlerts(url, ctx.config.alertmanager.token)).map((a) => a.fingerprint));
    } catch (err) {
      ctx.logger.info({ reason: err instanceof Error ? err.message.slice(0, 200) : String(err) }, 'stale check: Alertmanager did not answer');
      amHeld = { reason: '' };
    }
    return amHeld;
  };
  const monitorViews = new Map<string, { active: boolean; firing: Set<string>; unreachable: boolean }>();
  const askMonitor = async (runtime: string): Promise<{ active: boolean; firing: Set<string>; unreachable: boolean }> => {
    const hit = monitorViews.get(runtime);
    if (hit) return hit;
    const raw = await ctx.redis.get(monitorKeys(ctx.keyPrefix, runtime).firing);
    const set = JSON.parse(raw ?? '{}') as Record<string, NormalizedAlert>;
    const alerts = Object.values(set);
    const view = {
      active: monitorActive({ monitor: ctx.monitor, alerts: ctx.config }),
      firing: new Set(alerts.map((a) => a.fingerprint)),
      unreachable: alerts.some((a) => a.labels.alertname === MONITOR_ALERTS.unreachable),
    };
    monitorViews.set(runtime, view);
    return view;
  };

  let resolvedAlerts = 0;
  let flagged = 0;
  const events: NormalizedAlert[] = [];
  for (const incident of due) {
    const firing = (await ctx.store.alerts(incident.id)).filter((a) => a.status === 'firing');
    const fromAm = firing.filter((a) => a.detail.source !== MONITOR_SOURCE && a.detail.groupKey !== null);
    const fromMonitor = firing.filter((a) => a.detail.source === MONITOR_SOURCE);
    const others = firing.filter((a) => a.detail.source !== MONITOR_SOURCE && a.detail.groupKey === null);
    const answers: SourceAnswer[] = [];
    if (fromAm.length > 0) answers.push(alertmanagerAnswer(fromAm, await askAlertmanager()));
    const byRuntime = new Map<string, StoredAlert[]>();
    for (const a of fromMonitor) {
      const rt = a.detail.labels.runtime ?? '';
      byRuntime.set(rt, [...(byRuntime.get(rt) ?? []), a]);
    }
    for (const [rt, list] of byRuntime) answers.push(monitorAnswer(rt, list, await askMonitor(rt)));
    const otherSources = [...new Set(others.map((a) => a.detail.source))];
    if (otherSources.length > 0) answers.push({ resolve: [], notes: [`${otherSources.length === 1 ? 'source' : 'sources'} ${otherSources.slice(0, 3).join(', ')} cannot be asked`] });
    const resolve = answers.flatMap((a) => a.resolve);
    const notes = answers.flatMap((a) => a.notes).slice(0, 10);
    events.push(...resolve.map((a) => resolution(a, nowMs)));
    resolvedAlerts += resolve.length;
    if (resolve.length === firing.length && firing.length > 0) continue; // it resolves through its alerts
    const caveat = { lastUpdate: incident.updatedAt, checkedAt: nowMs, notes: notes.length > 0 ? notes : ['no source could confirm'] };
    const note = `No update for a while; its sources were asked again: ${caveat.notes.join('; ')}`;
    if (await ctx.store.setCaveat(incident.id, 'stale', caveat, nowMs, note)) await requestFlush(ctx, incident.id);
    flagged += 1;
  }
  if (events.length > 0) {
    const jobs = alertsJobs(events, ctx.now(), ctx.config.dedupeWindowS, ALERTS_AHEAD_PRIORITY);
    await ctx.queues.get('alert').addBulk(await turnAlertJobs(ctx.redis, ctx.keyPrefix, jobs, ctx.config.dedupeWindowS));
  }
  if (resolvedAlerts > 0 || flagged > 0) ctx.logger.info({ checked: due.length, resolved_alerts: resolvedAlerts, flagged }, 'stale incidents re-checked');
  return { checked: due.length, resolvedAlerts, flagged };
}
