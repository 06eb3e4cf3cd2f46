/**
 * Enqueueing from a listener, bounded in time so an ack is never held past Slack's 3 s by a slow or dead
 * Redis: failure or timeout → `QUEUE_UNAVAILABLE` (transient; the user is told to retry).
 */
import { OpsError } from '../../errors.js';
import type { Queues } from '../../queues/queues.js';
import type { EnqueueRequest } from '../commands/types.js';

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
