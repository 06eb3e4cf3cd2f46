/**
 * The alert intake as part of the `bot` process (and `all`): its own HTTP port, its own producer
 * connection to Redis (fails fast, so a dead Redis gives 503 at once). Off when no ALERT_SOURCES is set.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { watchRedis } from '../health/recovery.js';
import { connectRedis, redisConfigured } from '../redis/connect.js';
import { queuesFor } from '../roles/queues.js';
import { startIntake, type IntakeServer } from './server.js';
import { keyPrefix } from '../queues/connection.js';

export interface IntakeRole {
  readonly intake: IntakeServer;
  stop(): Promise<void>;
}

export async function startIntakeRole(config: Config, logger: Logger, opts: { now?: () => Date; port?: number } = {}): Promise<IntakeRole | undefined> {
  const alerts = config.alerts;
  if (alerts.sources.length === 0) {
    logger.info('alert intake off: no ALERT_SOURCES configured');
    return undefined;
  }
  if (!redisConfigured(config.redis)) throw new Error('startIntakeRole: no Redis configured (config.redis)');
  const redis = connectRedis(config.redis, 'producer');
  watchRedis(redis, logger, 'intake');
  const queues = queuesFor(config, redis);
  const queue = queues.get('alert');
  queue.on('error', (err) => logger.warn({ err }, 'alert queue (intake) error'));
  const intake = await startIntake({
    host: alerts.intake.host,
    port: opts.port ?? alerts.intake.port,
    maxBodyBytes: alerts.intake.maxBodyBytes,
    sources: alerts.sources,
    dedupeWindowS: alerts.dedupeWindowS,
    keyPrefix: keyPrefix(config.queues.prefix),
    signatureToleranceS: alerts.intake.signatureToleranceS,
    canReconcile: alerts.alertmanager.url !== undefined,
    grouping: alerts.grouping,
    readinessTimeoutMs: config.readiness.timeoutMs,
  }, { queue, redis, logger, now: opts.now ?? (() => new Date()) });
  return {
    intake,
    async stop() {
      await intake.close();
      await queues.close();
      redis.disconnect();
    },
  };
}
