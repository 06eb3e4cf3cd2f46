/** Slack request signing: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret. */
import { createHmac } from 'node:crypto';

export function slackSignature(signingSecret: string, timestampS: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampS}:${rawBody}`).digest('hex')}`;
}

/** Headers Slack sends with a signed request (exact Content-Type for commands and interactions). */
export function signedHeaders(signingSecret: string, rawBody: string, timestampS: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestampS),
    'x-slack-signature': slackSignature(signingSecret, timestampS, rawBody),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...extra,
  };
}
