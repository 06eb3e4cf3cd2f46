/**
 * The Slack Web API client used by the bot and the outbox: a request timeout (the library has none by
 * default), no internal retries (the notify queue retries), and 429s rejected at once
 * (`rejectRateLimitedCalls`) so one rate-limited channel never pauses the whole client; the outbox honours
 * Retry-After per channel instead.
 */
import { LogLevel, WebClient } from '@slack/web-api';
import type { Config } from '../config.js';

export function createWebClient(config: Pick<Config, 'slack'>): WebClient {
  return new WebClient(config.slack.botToken, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    timeout: config.slack.requestTimeoutMs,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
  });
}
