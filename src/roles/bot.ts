/** The `bot` process: Bolt (HTTP or Socket Mode) acking and enqueueing. Stateless; many may run. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { watchRedis } from '../health/recovery.js';
import { keyPrefix } from '../queues/connection.js';
import { connectRedis, redisConfigured } from '../redis/connect.js';
import { queuesFor } from './queues.js';
import { Outbox } from '../outbox/index.js';
import { startSlackBot, type BotIdentity, type SlackBot } from '../slack/app.js';
import type { Feature } from '../slack/features/feature.js';

export interface BotRole {
  readonly slack: SlackBot;
  stop(): Promise<void>;
}

export async function startBotRole(config: Config, logger: Logger, opts: { identity?: BotIdentity; features?: readonly Feature[]; now?: () => Date } = {}): Promise<BotRole> {
  if (!redisConfigured(config.redis)) throw new Error('startBotRole: no Redis configured (config.redis)');
  const redis = connectRedis(config.redis, 'producer');
  watchRedis(redis, logger, 'bot');
  const queues = queuesFor(config, redis, logger);
  const outbox = new Outbox(queues, redis, keyPrefix(config.queues.prefix));
  const slack = await startSlackBot({
    config, logger, queues, outbox, redis, now: opts.now ?? (() => new Date()),
    ...(opts.features ? { features: opts.features } : {}),
  }, opts.identity);
  return {
    slack,
    async stop() {
      await slack.stop();
      await queues.close();
      redis.disconnect();
    },
  };
}
