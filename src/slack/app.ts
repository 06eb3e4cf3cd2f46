/**
 * The Bolt app in HTTP mode (signed requests at /slack/events; /healthz) or Socket Mode, chosen by
 * `SLACK_MODE`. The bot's identity is resolved ONCE (configured ids, or one auth.test at start-up) and
 * passed to Bolt, so Bolt never calls auth.test per request: a failing Web API cannot silently swallow
 * commands. The `/autogen` router is registered first, then each feature's listeners (`features/`, one
 * unit each), then the catch-all for what no feature claims.
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
import { checkReadiness, readinessHandler } from '../health/readiness.js';
import { Queues } from '../queues/queues.js';
import { boundSlackBodies, healthHandler, metricsHandler, metricsPlacement, SLACK_EVENTS_PATH, startRouteServer, type SmallServer } from './http-doors.js';
import type { BotDeps } from './deps.js';
import { claimsOf, FEATURES, registerFeatures, subcommandsOf } from './features/index.js';
import { register as registerCommands } from './listeners/commands.js';
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
  /** Port `/metrics` is served on; undefined when it is not served (docs/security.md). */
  readonly metricsPort: number | undefined;
  stop(): Promise<void>;
}

export async function startSlackBot(botDeps: BotDeps, identity?: BotIdentity): Promise<SlackBot> {
  const deps: BotDeps = { ...botDeps, metrics: botDeps.metrics ?? createBotMetrics(botDeps.queues) };
  const { config, logger } = deps;
  const placement = metricsPlacement(config);
  const serveMetrics = metricsHandler(deps.metrics!.registry, config.metrics.token, logger);
  // /healthz: liveness (the process runs); /readyz: Redis answers and the queues can be read (src/health/readiness.ts)
  const ready = readinessHandler(() => checkReadiness({
    redis: deps.redis, queues: () => Queues.names.map((n) => deps.queues.get(n)), timeoutMs: config.readiness.timeoutMs,
  }));
  const mainRoutes: Record<string, typeof serveMetrics> = { '/healthz': healthHandler, '/readyz': ready };
  if (placement === 'main-port') mainRoutes['/metrics'] = serveMetrics;
  if (placement === 'off') logger.warn({ host: config.slack.host }, '/metrics not served: HOST is not loopback; set METRICS_PORT (own listener) or METRICS_TOKEN (bearer) to expose it');
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
    const http = new HTTPReceiver({
      signingSecret: config.slack.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      processBeforeResponse: false,
      bodyLimit: config.slack.maxBodyBytes,
      customRoutes: Object.entries(mainRoutes).map(([path, handler]) => ({ path, method: ['GET'], handler: handler as never })),
      logger: blog,
      processEventErrorHandler: interactionErrorHandler(logger.child({ component: 'slack-receiver' })),
    });
    // bodies are bounded before Bolt buffers them (Bolt's own bodyLimit above is the second line)
    http.requestListener = boundSlackBodies(http.requestListener, config.slack.maxBodyBytes, logger.child({ component: 'slack-receiver' }));
    receiver = http;
  } else {
    if (!config.slack.appToken) throw new OpsError('CONFIG_INVALID', { problems: ['SLACK_APP_TOKEN: required in Socket Mode'] });
    // no customRoutes: Bolt's Socket Mode HTTP server listens on every interface; ours honours HOST
    receiver = new SocketModeReceiver({
      appToken: config.slack.appToken,
      ...(config.slack.apiUrl ? { installerOptions: { clientOptions: { slackApiUrl: config.slack.apiUrl } } } : {}),
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
  const features = deps.features ?? FEATURES;
  registerCommands(app, deps, subcommandsOf(features));
  registerFeatures(app, deps, features);
  // last: acks whatever id the features do not claim
  registerUnknown(app, deps, claimsOf(features));

  const extra: SmallServer[] = [];
  const stopExtra = async (): Promise<void> => { for (const s of extra.splice(0)) await s.close(); };
  let port: number;
  let metricsPort: number | undefined;
  try {
    if (placement === 'own-port') {
      const m = await startRouteServer(config.metrics.host, config.metrics.port ?? 0, { '/metrics': serveMetrics });
      extra.push(m);
      metricsPort = m.port;
    }
    if (receiver instanceof HTTPReceiver) {
      const server = (await receiver.start({ port: config.slack.port, host: config.slack.host })) as Server;
      port = (server.address() as AddressInfo).port;
    } else {
      const ops = await startRouteServer(config.slack.host, config.slack.port, mainRoutes);
      extra.push(ops);
      port = ops.port;
      await app.start();
    }
  } catch (err) {
    await stopExtra();
    throw err;
  }
  if (placement === 'main-port') metricsPort = port;
  logger.info({ mode: config.slack.mode, host: config.slack.host, port, metrics: placement, metrics_port: metricsPort, bot_id: id.botId, features: features.map((f) => f.name) }, 'slack bot started');
  return {
    app,
    port,
    metricsPort,
    async stop() {
      await app.stop();
      await stopExtra();
    },
  };
}
