/** What the Slack listeners need: injected, so tests can build a bot in-process. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queues/queues.js';
import type { Outbox } from '../outbox/index.js';
import type { Redis } from 'ioredis';
import type { Subcommand } from './commands/types.js';
import type { BotMetrics } from '../metrics.js';

export interface BotDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly queues: Queues;
  readonly outbox: Outbox;
  /** Producer connection (dedupe of event deliveries). */
  readonly redis: Redis;
  readonly subcommands?: readonly Subcommand[];
  readonly now: () => Date;
  /** This process's Prometheus metrics; `startSlackBot` creates them when absent. */
  readonly metrics?: BotMetrics;
}
