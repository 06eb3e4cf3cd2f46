/** The `Queues` of a process, with the configured attempts and back-off (diagnose: fewer, faster). */
import type { RedisClient } from '../redis/connect.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { Queues } from '../queues/queues.js';

export function queuesFor(config: Config, redis: RedisClient, logger?: Logger): Queues {
  return new Queues(redis, config.queues.prefix, { attempts: config.queues.attempts, backoffMs: config.queues.backoffMs }, {
    diagnose: { attempts: config.queues.diagnoseAttempts, backoffMs: Math.min(500, config.queues.backoffMs) },
    guide: { attempts: config.queues.diagnoseAttempts, backoffMs: Math.min(500, config.queues.backoffMs) },
  }, logger ? (err, queue) => logger.warn({ err, queue }, 'queue error') : undefined);
}
