/**
 * Enqueueing from a listener, bounded in time so an ack is never held past Slack's 3 s by a slow or dead
 * Redis: failure or timeout → `QUEUE_UNAVAILABLE` (transient; the user is told to retry). `ackThenEnqueue`
 * is the one ack → enqueue → ephemeral-on-refusal pattern every button and shortcut listener uses.
 */
import { isOpsError, OpsError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Queues } from '../../queues/queues.js';
import { errorAckText } from '../blocks/error-ack.js';
import type { EnqueueRequest } from '../commands/types.js';
import type { BotDeps } from '../deps.js';

export const ENQUEUE_TIMEOUT_MS = 1_500;

export async function enqueueWithin(queues: Queues, req: EnqueueRequest, timeoutMs = ENQUEUE_TIMEOUT_MS): Promise<string> {
  const add = queues.add as (q: EnqueueRequest['queue'], p: unknown, o?: { jobId?: string }) => Promise<string>;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      add.call(queues, req.queue, req.payload, req.jobId === undefined ? {} : { jobId: req.jobId }),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`enqueue took over ${timeoutMs} ms`)), timeoutMs); }),
    ]);
  } catch (err) {
    if (err instanceof OpsError && !err.transient) throw err;
    throw new OpsError('QUEUE_UNAVAILABLE', { queue: req.queue }, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/** Anything a queueing step threw, as the coded error a person is shown (not coded → `QUEUE_UNAVAILABLE`). */
export function asQueueError(err: unknown): OpsError {
  return isOpsError(err) ? err : new OpsError('QUEUE_UNAVAILABLE', {}, { cause: err });
}

/** Who clicked, and where: the ephemeral for a refusal goes to them there. */
export interface Asker {
  readonly channel: string;
  readonly user: string;
}

/** What a click asks for: a job to queue, a coded refusal, or a step that decides and queues by itself. */
export type ClickWork = EnqueueRequest | OpsError | { readonly run: () => Promise<Readonly<Record<string, unknown>>> };

/**
 * The listeners' pattern, once: ack at once (Slack's 3 s), then queue what the click asks for; a refusal or a
 * failure to queue reaches the person who asked as an ephemeral with the coded error (`errorAckText`).
 * `what` names the listener in logs ("guide action"); no channel (`asker` undefined) → acked and ignored.
 */
export async function ackThenEnqueue(
  ack: () => Promise<void>,
  deps: Pick<BotDeps, 'queues' | 'outbox'>,
  log: Logger,
  what: string,
  asker: Asker | undefined,
  work: (asker: Asker) => ClickWork,
): Promise<void> {
  await ack();
  if (!asker) {
    log.warn(`${what} without a channel; ignored`);
    return;
  }
  try {
    const job = work(asker);
    if (job instanceof OpsError) throw job;
    if ('run' in job) {
      log.info({ result: await job.run() }, `${what} handled`);
    } else {
      const jobId = await enqueueWithin(deps.queues, job);
      log.info({ queue: job.queue, job_id: jobId }, `${what} queued`);
    }
  } catch (err) {
    const e = asQueueError(err);
    log.warn({ err, code: e.code }, `${what} rejected`);
    await deps.outbox.ephemeral({ channel: asker.channel, user: asker.user, text: errorAckText(e) })
      .catch((e2: unknown) => log.error({ err: e2 }, 'could not tell the user'));
  }
}
