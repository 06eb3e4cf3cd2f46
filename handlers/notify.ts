/**
 * `notify` jobs → Slack, through the outbox's delivery (rate, coalescing, Retry-After, posted ts). A
 * delivery failing because Slack is unavailable starts an outage in the log ("slack unreachable", once);
 * the next delivery that goes through ends it ("slack reachable again", with how long it lasted).
 */
import { isOpsError } from '../src/errors.js';
import { DependencyState } from '../src/health/recovery.js';
import { deliverNotification } from '../src/outbox/index.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';

export function createNotifyProcessor(deps: WorkerDeps): Processor<'notify'> {
  const slack = new DependencyState(deps.logger, { dependency: 'slack' });
  return async (payload, job, token) => {
    let result;
    try {
      result = await deliverNotification(payload, {
        client: deps.slack,
        redis: deps.redis,
        keyPrefix: deps.keyPrefix,
        rate: deps.rate,
        now: () => deps.now().getTime(),
        job,
        token,
        logger: deps.logger,
      });
    } catch (err) {
      if (isOpsError(err, 'SLACK_UNAVAILABLE')) slack.failed(`${err.code}: ${typeof err.details.reason === 'string' ? err.details.reason : String(err.details.slack_error ?? err.message)}`);
      throw err;
    }
    if (result.status === 'sent') slack.succeeded();
    deps.logger.debug({ job_id: job.id, kind: payload.kind, channel: payload.channel, status: result.status }, 'notify delivered');
    return result;
  };
}
