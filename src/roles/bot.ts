/** The `bot` process: Bolt (HTTP or Socket Mode) acking and enqueueing. Stateless; many may run. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { watchRedis } from '../health/recovery.js';
import { createRedis, keyPrefix, producerRedisOptions } from '../queues/connection.js';
import { queuesFor } from './queues.js';
import { Outbox } from '../outbox/index.js';
import { startSlackBot, type BotIdentity, type SlackBot } from '../slack/app.js';
import type { Subcommand } from '../slack/commands/types.js';

export interface BotRole {
  readonly slack: SlackBot;
  stop(): Promise<void>;
}

export async function startBotRole(config: Config, logger: Logger, opts: { identity?: BotIdentity; subcommands?: readonly Subcommand[]; now?: () => Date } = {}): Promise<BotRole> {
  if (!config.redis.url) throw new Error('startBotRole: config.redis.url is required');
  const redis = createRedis(config.redis.url, producerRedisOptions());
  watchRedis(redis, logger, 'bot');
  const queues = queuesFor(config, redis, logger);
  const outbox = new Outbox(queues, redis, keyPrefix(config.queues.prefix));
  const slack = await startSlackBot({
    config, logger, queues, outbox, redis, now: opts.now ?? (() => new Date()),
    ...(opts.subcommands ? { subcommands: opts.subcommands } : {}),
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
