/** The `worker` process: BullMQ processors for every queue in `handlers/index.ts`. Stateless; many may run. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { keyPrefix } from '../queues/connection.js';
import { connectRedis, redisConfigured } from '../redis/connect.js';
import { startWorkers, type WorkerSet } from '../queues/worker.js';
import { ChannelRate, Outbox } from '../outbox/index.js';
import { createBridges } from '../runtime/index.js';
import { createWebClient } from '../slack/client.js';
import { slackPresenters } from '../slack/presenters/index.js';
import type { Presenters } from '../view/presenters.js';
import { createProcessors, type ProcessorMap, type WorkerDeps } from '../../handlers/index.js';
import { queuesFor } from './queues.js';
import { checkReadiness, readinessHandler, type Readiness } from '../health/readiness.js';
import { watchRedis } from '../health/recovery.js';
import type { QueueName } from '../queues/names.js';
import { healthHandler, startRouteServer, type SmallServer } from '../slack/http-doors.js';

export interface WorkerRole {
  readonly deps: WorkerDeps;
  readonly workers: WorkerSet;
  /** Redis answers, the queues can be read and every worker takes jobs (`/readyz`). */
  readiness(): Promise<Readiness>;
  /** Serves /healthz and /readyz on HOST:`port` (WORKER_HEALTH_PORT); returns the port. */
  serveHealth(port?: number): Promise<number>;
  stop(graceMs?: number): Promise<void>;
}

export function startWorkerRole(config: Config, logger: Logger, opts: { now?: () => Date; processors?: (deps: WorkerDeps) => ProcessorMap; presenters?: Presenters } = {}): WorkerRole {
  if (!redisConfigured(config.redis)) throw new Error('startWorkerRole: no Redis configured (config.redis)');
  const redis = connectRedis(config.redis, 'worker');
  watchRedis(redis, logger, 'worker');
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
    // how the domain's messages look: Slack's unless another platform's are given (src/view/presenters.ts)
    presenters: opts.presenters ?? slackPresenters,
    bridgeFor: (name) => bridges.bridgeFor(name),
    slack: createWebClient(config),
    rate: new ChannelRate(redis, prefix, { ratePerS: config.slack.channelRatePerS, burst: config.slack.channelBurst }),
    now: opts.now ?? (() => new Date()),
  };
  const workers = startWorkers((opts.processors ?? createProcessors)(deps), {
    connection: redis, prefix: config.queues.prefix, concurrency: config.queues.concurrency, logger,
    concurrencyOf: { alert: config.queues.alertConcurrency },
    stall: config.queues,
  });
  logger.info({
    queues: workers.workers.map((w) => w.name), concurrency: config.queues.concurrency, alert_concurrency: config.queues.alertConcurrency,
    lock_duration_ms: config.queues.lockDurationMs, stalled_interval_ms: config.queues.stalledIntervalMs, max_stalled_count: config.queues.maxStalledCount,
  }, 'worker started');
  let health: SmallServer | undefined;
  const readiness = (): Promise<Readiness> => checkReadiness({
    redis,
    queues: () => workers.workers.map((w) => queues.get(w.name as QueueName)),
    workersProblem: () => {
      // stopping (SIGTERM: close() called), paused, or its loop ended: not taking jobs
      const idle = workers.workers.filter((w) => w.closing !== undefined || !w.isRunning() || w.isPaused()).map((w) => w.name);
      return idle.length > 0 ? `not taking jobs from: ${idle.join(', ')}` : undefined;
    },
    timeoutMs: config.readiness.timeoutMs,
  });
  return {
    deps,
    workers,
    readiness,
    async serveHealth(port = config.readiness.workerPort ?? 0) {
      health = await startRouteServer(config.slack.host, port, { '/healthz': healthHandler, '/readyz': readinessHandler(readiness) });
      logger.info({ host: config.slack.host, port: health.port }, 'worker health listener (/healthz, /readyz)');
      return health.port;
    },
    async stop(graceMs = config.shutdownGraceS * 1000) {
      await workers.close(graceMs);
      await health?.close();
      await queues.close();
      await bridges.close();
      redis.disconnect();
    },
  };
}
