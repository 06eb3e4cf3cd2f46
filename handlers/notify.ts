/**
 * `notify` jobs → Slack, through the outbox's delivery (rate, coalescing, Retry-After, posted ts). A
 * delivery failing because Slack is unavailable starts an outage in the log ("slack unreachable", once);
 * the next delivery that goes through ends it ("slack reachable again", with how long it lasted).
 * Slack being unavailable never uses up a post: once a job's attempts are spent that way, it asks again
 * every `SLACK_OUTAGE_RETRY_MS` (without using an attempt) until Slack answers, for at most
 * `SLACK_OUTAGE_MAX_MS` from when it was queued (the chaos suite's 5xx scenario lost every thread root
 * of a storm to a 60 s outage before). A recovery plan's first post the channel refused queues the plan's
 * closing (`respond` `unshared`).
 */
import { DelayedError, type Job } from 'bullmq';
import { isOpsError } from '../src/errors.js';
import { DependencyState } from '../src/health/recovery.js';
import { deliverNotification } from '../src/outbox/index.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';

/** How often a post whose attempts Slack's outage has spent asks again, ms. */
export const SLACK_OUTAGE_RETRY_MS = 10_000;
/** How long after it was queued a post keeps asking through an outage, ms (then it fails for good). */
export const SLACK_OUTAGE_MAX_MS = 6 * 3_600_000;

/** Beyond the Slack client's own timeout, how long a run may still be waiting for Slack's answer to a post, ms. */
const SLACK_ANSWER_MARGIN_MS = 2_000;

/** True when this failed attempt was the job's last one, and the job is young enough to keep waiting for Slack. */
function outlastOutage(job: Job, nowMs: number): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1) && nowMs - job.timestamp < SLACK_OUTAGE_MAX_MS;
}

export interface NotifyHooks {
  /** Test hook: runs after Slack answered a post, before its ts is recorded (to kill the worker there). */
  afterPosted?: (ts: string) => Promise<void>;
}

export function createNotifyProcessor(deps: WorkerDeps, hooks: NotifyHooks = {}): Processor<'notify'> {
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
        answerWindowMs: deps.config.slack.requestTimeoutMs + SLACK_ANSWER_MARGIN_MS,
        ...(hooks.afterPosted ? { afterPosted: hooks.afterPosted } : {}),
      });
    } catch (err) {
      if (isOpsError(err, 'SLACK_UNAVAILABLE')) {
        slack.failed(`${err.code}: ${typeof err.details.reason === 'string' ? err.details.reason : String(err.details.slack_error ?? err.message)}`);
        const now = deps.now().getTime();
        if (outlastOutage(job, now)) {
          await job.moveToDelayed(now + SLACK_OUTAGE_RETRY_MS, token);
          throw new DelayedError();
        }
      }
      throw err;
    }
    if (result.status === 'sent' || result.status === 'refused') slack.succeeded();
    if (result.status === 'refused' && payload.kind === 'post' && payload.plan_id !== undefined) {
      // the plan's own message could not be posted: close the plan and tell the person who asked (respond `unshared`)
      await deps.queues.add('respond', { kind: 'unshared', plan_id: payload.plan_id, slack_error: result.slack_error, ...(payload.response_url ? { response_url: payload.response_url } : {}) }, { jobId: `unshared-${payload.plan_id}` });
    }
    deps.logger.debug({ job_id: job.id, kind: payload.kind, channel: payload.channel, status: result.status }, 'notify delivered');
    return result;
  };
}
