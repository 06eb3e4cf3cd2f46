/**
 * The Bolt app in HTTP mode (signed requests at /slack/events; /healthz) or Socket Mode, chosen by
 * `SLACK_MODE`. The bot's identity is resolved ONCE (configured ids, or one auth.test at start-up) and
 * passed to Bolt, so Bolt never calls auth.test per request: a failing Web API cannot silently swallow
 * commands. Listeners are registered per surface from `listeners/`.
 */
import { App, HTTPReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpsError } from '../errors.js';
import { createBotMetrics } from '../metrics.js';
import { keyPrefix } from '../queues/connection.js';
import { boltLogger } from './bolt-logger.js';
import { createWebClient } from './client.js';
import { dedupeDeliveries } from './dedupe.js';
import type { BotDeps } from './deps.js';
import { register as registerActions } from './listeners/actions.js';
import { register as registerCommands } from './listeners/commands.js';
import { register as registerHome } from './listeners/home.js';
import { interactionErrorHandler, register as registerUnknown, socketInteractionErrorHandler } from './listeners/unknown.js';

export interface BotIdentity {
  botId: string;
  botUserId: string;
}

/** The configured ids, or one auth.test; `SLACK_AUTH_FAILED` when Slack refuses the token. */
export async function resolveIdentity(deps: Pick<BotDeps, 'config'>): Promise<BotIdentity> {
  const { botId, botUserId } = deps.config.slack;
  if (botId && botUserId) return { botId, botUserId };
  try {
    const res = await createWebClient(deps.config).auth.test();
    if (!res.ok || !res.bot_id || !res.user_id) throw new Error(res.error ?? 'auth.test returned no bot id');
    return { botId: res.bot_id, botUserId: res.user_id };
  } catch (err) {
    throw new OpsError('SLACK_AUTH_FAILED', { reason: (err as Error).message }, { cause: err });
  }
}

export interface SlackBot {
  readonly app: App;
  /** Port the HTTP receiver (or Socket Mode's health route) listens on. */
  readonly port: number;
  stop(): Promise<void>;
}

interface RouteResponse { writeHead: (s: number, h: Record<string, string>) => void; end: (b: string) => void }
const HEALTH = { path: '/healthz', method: ['GET'], handler: (_req: unknown, res: RouteResponse) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"ok"}'); } };

function metricsRoute(registry: ReturnType<typeof createBotMetrics>['registry']) {
  return {
    path: '/metrics',
    method: ['GET'],
    handler: (_req: unknown, res: RouteResponse) => {
      registry.metrics().then(
        (body) => { res.writeHead(200, { 'content-type': registry.contentType }); res.end(body); },
        (err: unknown) => { res.writeHead(503, { 'content-type': 'text/plain' }); res.end(`metrics unavailable: ${(err as Error).message}\n`); },
      );
    },
  };
}

export async function startSlackBot(botDeps: BotDeps, identity?: BotIdentity): Promise<SlackBot> {
  const deps: BotDeps = { ...botDeps, metrics: botDeps.metrics ?? createBotMetrics(botDeps.queues) };
  const { config, logger } = deps;
  const routes = [HEALTH as never, metricsRoute(deps.metrics!.registry) as never];
  const id = identity ?? (await resolveIdentity(deps));
  const clientOptions = {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    timeout: config.slack.requestTimeoutMs,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
  };
  const blog = boltLogger(logger);
  let receiver: HTTPReceiver | SocketModeReceiver;
  if (config.slack.mode === 'http') {
    if (!config.slack.signingSecret) throw new OpsError('CONFIG_INVALID', { problems: ['SLACK_SIGNING_SECRET: required in HTTP mode'] });
    receiver = new HTTPReceiver({
      signingSecret: config.slack.signingSecret,
      endpoints: '/slack/events',
      processBeforeResponse: false,
      customRoutes: routes,
      logger: blog,
      processEventErrorHandler: interactionErrorHandler(logger.child({ component: 'slack-receiver' })),
    });
  } else {
    if (!config.slack.appToken) throw new OpsError('CONFIG_INVALID', { problems: ['SLACK_APP_TOKEN: required in Socket Mode'] });
    receiver = new SocketModeReceiver({
      appToken: config.slack.appToken,
      customRoutes: routes,
      installerOptions: { port: config.slack.port, ...(config.slack.apiUrl ? { clientOptions: { slackApiUrl: config.slack.apiUrl } } : {}) },
      logger: blog,
      processEventErrorHandler: socketInteractionErrorHandler(logger.child({ component: 'slack-receiver' })),
    });
  }
  const app = new App({
    receiver,
    token: config.slack.botToken,
    botId: id.botId,
    botUserId: id.botUserId,
    clientOptions,
    logger: blog,
    logLevel: LogLevel.INFO,
    // no conversation store: nothing here uses Bolt's conversation context, and it costs on every request
    convoStore: false,
  });
  app.error(async (err) => {
    logger.error({ err, code: (err as { code?: string }).code }, 'bolt error');
  });
  app.use(dedupeDeliveries(deps.redis, keyPrefix(config.queues.prefix), config.slack.dedupeTtlS, logger));
  registerCommands(app, deps);
  registerActions(app, deps);
  registerHome(app, deps);
  // last: acks whatever id the listeners above do not claim
  registerUnknown(app, deps);

  let port = config.slack.port;
  if (receiver instanceof HTTPReceiver) {
    const server = (await receiver.start({ port: config.slack.port, host: config.slack.host })) as Server;
    port = (server.address() as AddressInfo).port;
  } else {
    await app.start();
  }
  logger.info({ mode: config.slack.mode, port, bot_id: id.botId }, 'slack bot started');
  return {
    app,
    port,
    async stop() {
      await app.stop();
    },
  };
}
