/** What the Slack listeners need: injected, so tests can build a bot in-process. */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queues/queues.js';
import type { Outbox } from '../outbox/index.js';
import type { RedisClient } from '../redis/connect.js';
import type { Feature } from './features/feature.js';
import type { BotMetrics } from '../metrics.js';

export interface BotDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly queues: Queues;
  readonly outbox: Outbox;
  /** Producer connection (dedupe of event deliveries). */
  readonly redis: RedisClient;
  /** The features the app registers (default `FEATURES`, src/slack/features/index.ts). */
  readonly features?: readonly Feature[];
  readonly now: () => Date;
  /** This process's Prometheus metrics; `startSlackBot` creates them when absent. */
  readonly metrics?: BotMetrics;
}
