/** `notify` jobs → Slack, through the outbox's delivery (rate, coalescing, Retry-After, posted ts). */
import { deliverNotification } from '../src/outbox/index.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';

export function createNotifyProcessor(deps: WorkerDeps): Processor<'notify'> {
  return async (payload, job, token) => {
    const result = await deliverNotification(payload, {
      client: deps.slack,
      redis: deps.redis,
      keyPrefix: deps.keyPrefix,
      rate: deps.rate,
      now: () => deps.now().getTime(),
      job,
      token,
    });
    deps.logger.debug({ job_id: job.id, kind: payload.kind, channel: payload.channel, status: result.status }, 'notify delivered');
    return result;
  };
}
