/** The `worker` process: BullMQ processors for every queue in `handlers/index.ts`. Stateless; many may run. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createRedis, keyPrefix, workerRedisOptions } from '../queues/connection.js';
import { startWorkers, type WorkerSet } from '../queues/worker.js';
import { ChannelRate, Outbox } from '../outbox/index.js';
import { createBridges } from '../runtime/index.js';
import { createWebClient } from '../slack/client.js';
import { createProcessors, type ProcessorMap, type WorkerDeps } from '../../handlers/index.js';
import { queuesFor } from './queues.js';

export interface WorkerRole {
  readonly deps: WorkerDeps;
  readonly workers: WorkerSet;
  stop(graceMs?: number): Promise<void>;
}

export function startWorkerRole(config: Config, logger: Logger, opts: { now?: () => Date; processors?: (deps: WorkerDeps) => ProcessorMap } = {}): WorkerRole {
  if (!config.redis.url) throw new Error('startWorkerRole: config.redis.url is required');
  const redis = createRedis(config.redis.url, workerRedisOptions());
  redis.on('error', (err) => logger.warn({ err }, 'redis (worker) error'));
  const prefix = keyPrefix(config.queues.prefix);
  const queues = queuesFor(config, redis, logger);
  const bridges = createBridges(config);
  const deps: WorkerDeps = {
    config,
    logger,
    redis,
    keyPrefix: prefix,
    queues,
    outbox: new Outbox(queues, redis, prefix),
    bridgeFor: (name) => bridges.bridgeFor(name),
    slack: createWebClient(config),
    rate: new ChannelRate(redis, prefix, { ratePerS: config.slack.channelRatePerS, burst: config.slack.channelBurst }),
    now: opts.now ?? (() => new Date()),
  };
  const workers = startWorkers((opts.processors ?? createProcessors)(deps), {
    connection: redis, prefix: config.queues.prefix, concurrency: config.queues.concurrency, logger,
    concurrencyOf: { alert: config.queues.alertConcurrency },
  });
  logger.info({ queues: workers.workers.map((w) => w.name), concurrency: config.queues.concurrency, alert_concurrency: config.queues.alertConcurrency }, 'worker started');
  return {
    deps,
    workers,
    async stop(graceMs = config.shutdownGraceS * 1000) {
      await workers.close(graceMs);
      await queues.close();
      await bridges.close();
      redis.disconnect();
    },
  };
}
