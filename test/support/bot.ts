/**
 * Bot + worker in-process for integration tests: real Redis (unique queue prefix per call), real HTTP
 * receiver on a free port, Web API pointed at the sandbox, runtimes as given.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import type { DestinationStream } from 'pino';
import { createLogger, type Logger } from '../../src/log.js';
import { startBotRole, type BotRole } from '../../src/roles/bot.js';
import { startWorkerRole, type WorkerRole } from '../../src/roles/worker.js';
import type { Sandbox } from '../../sandbox/server.js';
import type { Feature } from '../../src/slack/features/feature.js';
import { SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET } from './sandbox.js';

export interface TestBot {
  readonly config: Config;
  readonly logger: Logger;
  /** http://127.0.0.1:PORT/slack/events */
  readonly eventsUrl: string;
  readonly bot: BotRole;
  readonly worker: WorkerRole | undefined;
  stop(): Promise<void>;
}

export interface TestBotOptions {
  sandbox: Sandbox;
  /** name → { url, token } */
  runtimes?: Record<string, { url: string; token: string }>;
  /** Start the worker too (default true). */
  worker?: boolean;
  /** Skip passing the bot identity (so start-up runs auth.test). */
  resolveIdentity?: boolean;
  env?: Record<string, string>;
  /** Where the log lines go (default: stdout at LOG_LEVEL, silent in tests). */
  logDestination?: DestinationStream;
  /** The features the bot registers (default: the product's, `FEATURES`). */
  features?: readonly Feature[];
}

export function uniquePrefix(): string {
  return `{t${randomBytes(5).toString('hex')}}`;
}

export function testEnv(opts: TestBotOptions): Record<string, string> {
  const runtimes = Object.entries(opts.runtimes ?? {});
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
    SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET,
    SLACK_API_URL: opts.sandbox.apiUrl,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: uniquePrefix(),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    JOB_BACKOFF_MS: '50',
    BRIDGE_TIMEOUT_MS: '2000',
    SLACK_CHANNEL_BURST: '20',
    SLACK_CHANNEL_RATE_PER_S: '20',
  };
  if (runtimes.length) {
    env.AUTOGEN_RUNTIMES = runtimes.map(([n, r]) => `${n}=${r.url}`).join(';');
    for (const [n, r] of runtimes) env[`AUTOGEN_RUNTIME_${n.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN`] = r.token;
  }
  return { ...env, ...opts.env };
}

export async function startTestBot(opts: TestBotOptions): Promise<TestBot> {
  const config = loadConfig(testEnv(opts));
  const logger = createLogger(config, opts.logDestination);
  const identity = opts.resolveIdentity ? undefined : { botId: opts.sandbox.botId, botUserId: opts.sandbox.botUserId };
  const bot = await startBotRole(config, logger, { ...(identity ? { identity } : {}), ...(opts.features ? { features: opts.features } : {}) });
  const worker = opts.worker === false ? undefined : startWorkerRole(config, logger);
  return {
    config,
    logger,
    eventsUrl: `http://127.0.0.1:${bot.slack.port}/slack/events`,
    bot,
    worker,
    async stop() {
      await bot.stop();
      await worker?.stop(2_000);
    },
  };
}
