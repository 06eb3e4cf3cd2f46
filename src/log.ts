/**
 * Structured logs: pino JSON on stdout. Children carry `job_id`, `agent`, `runtime`, `incident_id`,
 * `trace_id`. Tokens and secrets are redacted by key wherever they appear (two levels deep), and the
 * serializer for `err` masks secret-shaped text in its message and stack (src/text/redact-secrets.ts, plus any
 * Slack-token-shaped string).
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { runtimeTokenVar, type Config } from './config.js';
import { redactText } from './text/redact-secrets.js';

export type { Logger } from 'pino';

const SECRET_KEYS = [
  'token', 'botToken', 'appToken', 'signingSecret', 'secret', 'password', 'authorization', 'Authorization',
  'cookie', 'x-slack-signature', 'apiKey', 'api_key', 'client_secret',
  // the environment's names for the same secrets (an env object logged by mistake)
  'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'ALERT_SOURCES', 'ALERTMANAGER_TOKEN', 'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
];

/** Secrets of the `Config` deeper than two levels, as the config, its spread or its sections are logged. */
const CONFIG_SECRET_PATHS = ['runtimes.byName.*.token', 'alerts.sources[*].secret', 'alerts.alertmanager.token', 'redis.sentinel.password'];

const redactPaths = (keys: readonly string[]): string[] => keys.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dot = key.startsWith('[') ? '' : '.';
  return [key, `*${dot}${key}`, `*.*${dot}${key}`];
});

/** pino redaction paths: the secret keys at the top level and one or two levels down, and the config's deeper ones. */
export const REDACT_PATHS: string[] = [
  ...redactPaths(SECRET_KEYS),
  ...CONFIG_SECRET_PATHS.flatMap((p) => [p, `config.${p}`, p.slice(p.indexOf('.') + 1)]),
];

const TOKEN_LIKE = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)\b/g;

/** Masks Slack-token-shaped substrings (for free text such as error messages). */
export function maskTokens(text: string): string {
  return text.replace(TOKEN_LIKE, (m) => `${m.slice(0, 5)}[redacted]`);
}

/**
 * `config.runtimes` (when given) adds each runtime's `AUTOGEN_RUNTIME_<NAME>_TOKEN`, whose names only the
 * configuration knows.
 */
export function createLogger(config: Pick<Config, 'log'> & { readonly runtimes?: Pick<Config['runtimes'], 'byName'> }, destination?: DestinationStream): Logger {
  const runtimeTokenVars = Object.keys(config.runtimes?.byName ?? {}).map(runtimeTokenVar);
  return pino(
    {
      level: config.log.level,
      base: { service: 'autogen-ops' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS, ...redactPaths(runtimeTokenVars)], censor: '[redacted]' },
      serializers: {
        err: (err: unknown) => {
          const s = pino.stdSerializers.err(err as Error);
          if (typeof s.message === 'string') s.message = maskTokens(redactText(s.message));
          if (typeof s.stack === 'string') s.stack = maskTokens(redactText(s.stack));
          return s;
        },
      },
    },
    destination,
  );
}
