/** `monitor` jobs (one per runtime per interval, from the job scheduler): poll the runtime's bridge. */
import { IncidentStore } from '../src/incidents/store.js';
import { pollRuntime, type MonitorContext } from '../src/monitor/poll.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';

export function createMonitorProcessor(deps: WorkerDeps): Processor<'monitor'> {
  const ctx: MonitorContext = {
    config: deps.config,
    redis: deps.redis,
    keyPrefix: deps.keyPrefix,
    queues: deps.queues,
    store: new IncidentStore(deps.redis, { keyPrefix: deps.keyPrefix }),
    logger: deps.logger.child({ component: 'monitor' }),
    bridgeFor: deps.bridgeFor,
    now: deps.now,
  };
  return async (p, job) => pollRuntime(ctx, p.runtime, job.id ?? `poll-${Date.now()}`);
}
