/**
 * The monitor's BullMQ job schedulers: one per configured runtime (`monitor-<runtime>`), upserted by every
 * worker at start (the same id across replicas, so one schedule), every `MONITOR_INTERVAL_S`. Schedulers of
 * runtimes no longer configured — or all of them when the monitor is off — are removed.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queues/queues.js';

export const SCHEDULER_PREFIX = 'monitor-';

/** Whether the monitor runs: enabled, and a channel to open incident threads in. */
export function monitorActive(config: Pick<Config, 'monitor' | 'alerts'>): boolean {
  return config.monitor.enabled && (config.alerts.channel !== undefined || config.alerts.routes.length > 0);
}

/** Upserts the schedulers of `config`'s runtimes and removes stale ones; returns the scheduled runtimes. */
export async function scheduleMonitors(queues: Queues, config: Pick<Config, 'monitor' | 'alerts' | 'runtimes'>, logger: Logger): Promise<string[]> {
  const queue = queues.get('monitor');
  const wanted = monitorActive(config) ? Object.keys(config.runtimes.byName) : [];
  for (const runtime of wanted) {
    await queue.upsertJobScheduler(`${SCHEDULER_PREFIX}${runtime}`, { every: config.monitor.intervalMs }, {
      name: 'poll',
      data: { runtime },
      opts: { removeOnComplete: true, removeOnFail: { age: 3_600 }, attempts: 1 },
    });
  }
  const existing = await queue.getJobSchedulers(0, -1);
  for (const s of existing) {
    const id = s.key;
    if (id.startsWith(SCHEDULER_PREFIX) && !wanted.includes(id.slice(SCHEDULER_PREFIX.length))) {
      await queue.removeJobScheduler(id);
    }
  }
  if (!monitorActive(config)) {
    logger.info({ enabled: config.monitor.enabled }, 'monitor off (MONITOR_ENABLED=false or no ALERT_CHANNEL)');
  } else {
    logger.info({ runtimes: wanted, interval_ms: config.monitor.intervalMs }, 'monitor scheduled');
  }
  return wanted;
}
