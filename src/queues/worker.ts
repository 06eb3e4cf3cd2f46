/**
 * Runs BullMQ workers for the processors in `handlers/index.ts`. Every payload is validated again here;
 * a permanent `OpsError` (or a bad payload) becomes `UnrecoverableError` so BullMQ does not retry it,
 * a transient one is rethrown for back-off.
 *
 * Logs say what is expected and what is not: a job put back on purpose (a rate-limit wait, a reply waiting
 * for its parent) is a debug line, a transient failure that will be retried an info line, both without a
 * stack; a permanent failure, an unexpected error or the last attempt failing is a warning with the error.
 */
import { DelayedError, RateLimitError, UnrecoverableError, WaitingChildrenError, WaitingError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { isOpsError } from '../errors.js';
import { maskTokens, type Logger } from '../log.js';
import { redactText } from '../text/redact-secrets.js';
import type { QueueName } from './names.js';
import { parsePayload } from './queues.js';
import type { PayloadOf } from './payloads.js';

/** A processor gets the validated payload, the BullMQ job (for id, attempts, moveToDelayed) and its lock token. */
export type Processor<Q extends QueueName = QueueName> = (payload: PayloadOf<Q>, job: Job, token?: string) => Promise<unknown>;

/** BullMQ's signals that a processor put its job back on purpose (delayed, rate-limited, waiting): not failures. */
export function isDeferral(err: unknown): err is Error {
  return err instanceof DelayedError || err instanceof RateLimitError || err instanceof WaitingError || err instanceof WaitingChildrenError;
}

/**
 * Whether this run of a job may follow an earlier run that did part of the work: a retry after a failure
 * (`attemptsMade`), or a re-run after a stall — the worker died, or lost its lock while Redis was away, so the
 * failure could not even be recorded (`attemptsStarted` > 1, `stalledCounter`). Processors whose follow-ups
 * are idempotent redo them all when it is true.
 */
export function isRerun(job: Pick<Job, 'attemptsMade' | 'attemptsStarted' | 'stalledCounter'>): boolean {
  return job.attemptsMade > 0 || job.attemptsStarted > 1 || job.stalledCounter > 0;
}

export function wrapProcessor<Q extends QueueName>(queue: Q, processor: Processor<Q>, logger: Logger) {
  return async (job: Job, token?: string): Promise<unknown> => {
    // a child logger only when there is something to log: building one per job is a measurable share of a storm
    const log = (): Logger => logger.child({ queue, job_id: job.id });
    let payload: PayloadOf<Q>;
    try {
      payload = parsePayload(queue, job.data);
    } catch (err) {
      log().error({ err }, 'job payload invalid; failing without retry');
      throw new UnrecoverableError(isOpsError(err) ? `${err.code}: ${err.message}` : String(err));
    }
    if (job.stalledCounter > 0 && job.attemptsStarted > job.attemptsMade + 1) {
      // started before without finishing or failing: the worker running it died (its lock lapsed)
      log().warn({ event: 'job_resumed', stalled: job.stalledCounter, attempts_started: job.attemptsStarted }, 'the worker running this job was lost; resuming');
    }
    try {
      return await processor(payload, job, token);
    } catch (err) {
      if (isDeferral(err)) {
        logger.debug({ queue, job_id: job.id, reason: err.message }, 'job deferred');
        throw err;
      }
      if (isOpsError(err) && !err.transient) {
        log().warn({ err, code: err.code }, 'job failed permanently');
        throw new UnrecoverableError(`${err.code}: ${err.message}`);
      }
      const attempt = job.attemptsMade + 1;
      const attempts = job.opts.attempts ?? 1;
      if (isOpsError(err) && attempt < attempts) {
        log().info({ code: err.code, reason: maskTokens(redactText(err.message)), attempt, attempts }, 'job will be retried after a transient failure');
        throw err;
      }
      log().warn({ err, attempt, attempts }, attempt < attempts ? 'job failed; will retry' : 'job failed; no attempts left');
      throw err;
    }
  };
}

export interface WorkerSet {
  readonly workers: readonly Worker[];
  /** Stops taking jobs and waits for running ones (BullMQ `close`), at most `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

/**
 * How a job whose worker died is taken back (docs/operations.md, "Lock and stall settings"): a running job
 * holds a lock of `lockDurationMs`, renewed every half of it; when its worker dies the lock lapses, and
 * the next stalled-job check of any worker (every `stalledIntervalMs`) puts it back to wait — so it
 * resumes within about lock + interval. A job taken back more than `maxStalledCount` times fails.
 */
export interface StallSettings {
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
}

/** The BullMQ worker options of `StallSettings`. */
export function stallOptions(s: StallSettings): { lockDuration: number; stalledInterval: number; maxStalledCount: number } {
  return { lockDuration: s.lockDurationMs, stalledInterval: s.stalledIntervalMs, maxStalledCount: s.maxStalledCount };
}

export function startWorkers(
  processors: Partial<{ [Q in QueueName]: Processor<Q> }>,
  opts: {
    connection: ConnectionOptions; prefix: string; concurrency: number; logger: Logger; concurrencyOf?: Partial<Record<QueueName, number>>;
    /** Lock and stall settings; BullMQ's defaults (30 s lock, 30 s check, 1) when absent. */
    stall?: StallSettings;
  },
): WorkerSet {
  const workers: Worker[] = [];
  for (const [queue, processor] of Object.entries(processors) as [QueueName, Processor][]) {
    const worker = new Worker(queue, wrapProcessor(queue, processor, opts.logger), {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrencyOf?.[queue] ?? opts.concurrency,
      ...(opts.stall ? stallOptions(opts.stall) : {}),
    });
    worker.on('error', (err) => opts.logger.error({ err, queue }, 'worker error'));
    // this worker's stalled-job check found a job whose worker died and put it back to wait
    worker.on('stalled', (jobId) => opts.logger.warn({ event: 'job_stalled', queue, job_id: jobId }, 'a job\'s worker was lost (its lock lapsed); the job goes back to wait'));
    workers.push(worker);
  }
  return {
    workers,
    async close(graceMs = 25_000) {
      let done = false;
      const closing = Promise.all(workers.map((w) => w.close())).then(() => { done = true; });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); });
      await Promise.race([closing, timeout]);
      clearTimeout(timer);
      if (!done) {
        // BullMQ's close(true) after a pending close() returns that same graceful close, so it cannot cut a
        // hung job short: stop waiting instead. The caller disconnects Redis and exits; the jobs' locks lapse
        // and another worker retries them as stalled.
        closing.catch(() => undefined);
        opts.logger.warn({ grace_ms: graceMs, queues: workers.map((w) => w.name) }, 'shutdown grace over with jobs still running; they will be retried as stalled');
      }
    },
  };
}
