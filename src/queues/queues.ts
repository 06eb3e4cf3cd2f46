/**
 * One BullMQ `Queue` per name, created lazily, sharing one connection and the configured hash-tagged
 * prefix. `add` validates the payload with the queue's schema (producer side).
 */
import { Queue, type JobsOptions, type ConnectionOptions } from 'bullmq';
import { OpsError } from '../errors.js';
import { escapeText } from '../slack/blocks/mrkdwn.js';
import { QUEUE_NAMES, type QueueName } from './names.js';
import { PAYLOADS, type PayloadInput, type PayloadOf } from './payloads.js';

export interface QueueDefaults {
  /** Attempts for transient failures. */
  attempts: number;
  /** First back-off delay in ms (exponential). */
  backoffMs: number;
}

/** Job ids: no ':' and not all digits (BullMQ rules). */
export function safeJobId(raw: string): string {
  const id = raw.replace(/[^\w.@{}-]/g, '_').slice(0, 200);
  return /^\d+$/.test(id) ? `j${id}` : id;
}

/** Validates `data` for `queue`; `JOB_PAYLOAD_INVALID` (permanent) lists what is wrong. */
export function parsePayload<Q extends QueueName>(queue: Q, data: unknown): PayloadOf<Q> {
  const schema = PAYLOADS[queue];
  const res = schema.safeParse(data);
  if (!res.success) {
    const issues = res.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`);
    throw new OpsError('JOB_PAYLOAD_INVALID', { queue, issues }, { detail: escapeText(`${queue}: ${issues.join('; ')}`) });
  }
  return res.data as PayloadOf<Q>;
}

export class Queues {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: ConnectionOptions,
    readonly prefix: string,
    private readonly defaults: QueueDefaults,
    /** Per-queue overrides, e.g. fewer attempts for `diagnose` (a person is waiting). */
    private readonly overrides: Partial<Record<QueueName, Partial<QueueDefaults>>> = {},
    /** Where a queue's connection errors go (BullMQ prints them to stderr when nobody listens). */
    private readonly onError?: (err: Error, queue: QueueName) => void,
  ) {}

  get(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      const d = { ...this.defaults, ...this.overrides[name] };
      q = new Queue(name, {
        connection: this.connection,
        prefix: this.prefix,
        defaultJobOptions: {
          attempts: d.attempts,
          backoff: { type: 'exponential', delay: d.backoffMs },
          removeOnComplete: { age: 3_600, count: 1_000 },
          removeOnFail: { age: 7 * 86_400 },
        },
      });
      const onError = this.onError;
      if (onError) q.on('error', (err) => onError(err, name));
      this.queues.set(name, q);
    }
    return q;
  }

  /** Validates and enqueues; returns the job id. `opts.jobId` is made BullMQ-safe. */
  async add<Q extends QueueName>(name: Q, payload: PayloadInput<Q>, opts: JobsOptions = {}): Promise<string> {
    const data = parsePayload(name, payload);
    const jobOpts = opts.jobId === undefined ? opts : { ...opts, jobId: safeJobId(opts.jobId) };
    const job = await this.get(name).add(name, data, jobOpts);
    return job.id ?? '';
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }

  /** Every queue name (for dashboards and tests). */
  static get names(): readonly QueueName[] {
    return QUEUE_NAMES;
  }
}
