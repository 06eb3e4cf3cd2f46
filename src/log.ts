/**
 * Structured logs: pino JSON on stdout. Children carry `job_id`, `agent`, `runtime`, `incident_id`,
 * `trace_id`. Tokens and secrets are redacted by key wherever they appear (two levels deep), and any
 * string that looks like a Slack token is masked by the serializer for `err`.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import type { Config } from './config.js';

export type { Logger } from 'pino';

const SECRET_KEYS = [
  'token', 'botToken', 'appToken', 'signingSecret', 'secret', 'password', 'authorization', 'Authorization',
  'cookie', 'x-slack-signature', 'apiKey', 'api_key', 'client_secret',
];

/** pino redaction paths: the secret keys at the top level and one or two levels down. */
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dot = key.startsWith('[') ? '' : '.';
  return [key, `*${dot}${key}`, `*.*${dot}${key}`];
});

const TOKEN_LIKE = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)\b/g;

/** Masks Slack-token-shaped substrings (for free text such as error messages). */
export function maskTokens(text: string): string {
  return text.replace(TOKEN_LIKE, (m) => `${m.slice(0, 5)}[redacted]`);
}

export function createLogger(config: Pick<Config, 'log'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.log.level,
      base: { service: 'autogen-ops' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        err: (err: unknown) => {
          const s = pino.stdSerializers.err(err as Error);
          if (typeof s.message === 'string') s.message = maskTokens(s.message);
          if (typeof s.stack === 'string') s.stack = maskTokens(s.stack);
          return s;
        },
      },
    },
    destination,
  );
}
