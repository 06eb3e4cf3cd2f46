/**
 * Settings. The ONLY reader of `process.env` is `cli.ts`, which passes it to `loadConfig` once; everything
 * else receives the frozen `Config`. Every variable is listed in `.env.example`.
 *
 * Embedded defaults: when Slack, Redis or runtimes are not configured at all, the corresponding fields are
 * `undefined` and `make demo` / the tests start local stand-ins. A configured value always wins.
 *
 * Extending (other features): add a `XxxEnv` zod object below, spread it into `Env`, and build your section
 * in `buildConfig`. Keep the vars documented in `.env.example`.
 */
import { z } from 'zod';
import { OpsError } from './errors.js';
import { RUNTIME_NAME_RE, SLACK_ID_RE } from './identifiers.js';
import { escapeText, md } from './slack/blocks/mrkdwn.js';
import { withoutTrailingSlashes } from './text/trim.js';
import { thresholdConfigFrom, type ThresholdConfig } from './diagnosis/thresholds.js';
import { parseSources, type AlertSource } from './intake/auth.js';
import { DEFAULT_GROUPING, parseDependencies, type GroupingRules } from './incidents/grouping.js';
import { parseRoutes, type RouteRule } from './incidents/routing.js';
import { parseConditions, type ConditionMap } from './incidents/conditions.js';
import { SEVERITIES, type Severity } from './incidents/severity.js';
import { ResponseEnv, buildResponseConfig, responseProblems, type ResponseConfig } from './response/settings.js';
import { REDIS_URL_RE, parseRedisSettings, redisConfigured, type RedisSettings } from './redis/connect.js';

export type Role = 'bot' | 'worker' | 'all' | 'demo';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** Redis Cluster hashes a key by its first `{…}` when that is not empty: then every key under the prefix shares one slot. */
const hasHashTag = (p: string): boolean => {
  const open = p.indexOf('{');
  const close = open < 0 ? -1 : p.indexOf('}', open + 1);
  return close > open + 1;
};
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

// --- Slack -----------------------------------------------------------------------------------------------
const SlackEnv = z.object({
  /** `http` (signed requests at /slack/events, production behind a load balancer) or `socket` (Socket Mode). */
  SLACK_MODE: z.enum(['http', 'socket']).default('http'),
  SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-/, 'must be a bot token starting with xoxb-').optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, 'must be the app\'s signing secret').optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token starting with xapp-').optional(),
  /** Skips the start-up auth.test when both are set. */
  SLACK_BOT_ID: z.string().regex(/^B[A-Z0-9]+$/, 'must look like B0123ABCD').optional(),
  SLACK_BOT_USER_ID: z.string().regex(/^[UW][A-Z0-9]+$/, 'must look like U0123ABCD').optional(),
  /** Web API base URL with trailing slash; default Slack's. The local sandbox sets its own. */
  SLACK_API_URL: z.url().optional(),
  SLACK_COMMAND: z.string().regex(/^\/[a-z0-9_-]{1,31}$/, 'must be a slash command like /autogen').default('/autogen'),
  /** Port of the HTTP receiver (HTTP mode) and of the health endpoint. */
  PORT: int(0, 65535).default(3000),
  /** Interface of that port: loopback by default; `0.0.0.0` in production behind a load balancer. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Largest Slack request body accepted at /slack/events, bytes; checked before the body is buffered (413). */
  SLACK_MAX_BODY_BYTES: int(1_024, 16 * 1024 * 1024).default(1024 * 1024),
  /** `/metrics` on its own port (and METRICS_HOST) instead of PORT. */
  METRICS_PORT: int(0, 65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Bearer token `/metrics` requires (Prometheus `authorization.credentials`), ≥ 16 characters. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Web API request timeout, milliseconds. */
  SLACK_REQUEST_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** chat.postMessage per channel: sustained messages per second and burst. */
  SLACK_CHANNEL_RATE_PER_S: z.coerce.number().positive().max(50).default(1),
  SLACK_CHANNEL_BURST: int(1, 20).default(3),
});

// --- Redis / queues --------------------------------------------------------------------------------------
const QueueEnv = z.object({
  /**
   * One server `redis://[user:password@]host:port[/db]` (`rediss://`: TLS), or a Cluster
   * `redis+cluster://host:port,host:port` or Sentinel `redis+sentinel://host:port,…/<master name>` (`rediss+…`: TLS).
   */
  REDIS_URL: z.string().regex(REDIS_URL_RE, 'must be redis://host:port, rediss://…, redis+cluster://host:port,… or redis+sentinel://host:port,…/name').optional(),
  /** Redis Cluster seed nodes `host:port,host:port` (instead of REDIS_URL). */
  REDIS_CLUSTER_NODES: z.string().min(1).optional(),
  /** Redis Sentinel: the sentinels `host:port,host:port` and the master group name they watch (instead of REDIS_URL). */
  REDIS_SENTINELS: z.string().min(1).optional(),
  REDIS_SENTINEL_NAME: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be the master group name of the sentinels (letters, digits, . _ -)').optional(),
  /** Password of the sentinels themselves (when they require one). */
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** ACL user and password of the Redis nodes (for REDIS_CLUSTER_NODES / REDIS_SENTINELS; a URL may carry its own). */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /** TLS to REDIS_CLUSTER_NODES / REDIS_SENTINELS (a URL says it by its scheme: rediss://). */
  REDIS_TLS: bool.optional(),
  /** PEM CA file that signed the Redis servers' certificates (besides the system's); TLS only. */
  REDIS_TLS_CA_FILE: z.string().min(1).optional(),
  /** Client certificate and key (PEM) for servers that require them (`tls-auth-clients yes`). */
  REDIS_TLS_CERT_FILE: z.string().min(1).optional(),
  REDIS_TLS_KEY_FILE: z.string().min(1).optional(),
  /** BullMQ prefix; must contain a {hash tag} so each queue's keys share a Redis Cluster slot. */
  QUEUE_PREFIX: z.string().refine(hasHashTag, 'must contain a hash tag such as {autogen-ops} (Redis Cluster hashes the first non-empty {…})').default('{autogen-ops}'),
  WORKER_CONCURRENCY: int(1, 256).default(8),
  /**
   * Jobs of the `alert` queue processed in parallel per worker process. They are short and CPU/Redis bound:
   * more than 2 adds no throughput, only interleaving (docs/benchmarks.md, alert storm).
   */
  ALERT_WORKER_CONCURRENCY: int(1, 256).default(2),
  /** Attempts for a job failing transiently (bridge down, Slack 5xx), with exponential back-off from JOB_BACKOFF_MS. */
  JOB_ATTEMPTS: int(1, 50).default(5),
  JOB_BACKOFF_MS: int(10, 600_000).default(1_000),
  DIAGNOSE_ATTEMPTS: int(1, 10).default(3),
  /**
   * After a diagnosis posted "runtime unreachable", how long it keeps asking the runtime again, seconds (a
   * restart fits in it); when the runtime answers, the report is edited in place. 0 = no second look.
   */
  DIAGNOSE_RETRY_WINDOW_S: int(0, 3_600).default(60),
  /** BullMQ lock of a running job, ms: renewed every half of it; a dead worker's job is free once it lapses. */
  WORKER_LOCK_DURATION_MS: int(1_000, 600_000).default(10_000),
  /** How often each worker looks for jobs whose lock lapsed (stalled: their worker died), ms. */
  WORKER_STALLED_INTERVAL_MS: int(500, 600_000).default(5_000),
  /** How many times one job may be taken back from a lost worker before it fails. */
  WORKER_MAX_STALLED_COUNT: int(0, 100).default(2),
  /** How long /readyz waits for Redis (PING) and the queues, ms. */
  READINESS_TIMEOUT_MS: int(50, 30_000).default(1_000),
  /** The worker's own /healthz + /readyz listener on HOST (off when unset; 0 = a free port). */
  WORKER_HEALTH_PORT: int(0, 65535).optional(),
  /** Seconds a Slack delivery id (trigger_id / event_id) is remembered to drop retried deliveries. */
  SLACK_DEDUPE_TTL_S: int(10, 86_400).default(3_600),
});

// --- AutoGen runtimes (bridges) ----------------------------------------------------------------------------
const RuntimeEnv = z.object({
  /** `name=url;name=url`, e.g. `prod=https://autogen-prod:8700;staging=http://10.0.0.5:8700`. */
  AUTOGEN_RUNTIMES: z.string().optional(),
  AUTOGEN_DEFAULT_RUNTIME: z.string().optional(),
  /** Per-request timeout to a bridge (headers and body), milliseconds. */
  BRIDGE_TIMEOUT_MS: int(50, 120_000).default(3_000),
  BRIDGE_CONNECT_TIMEOUT_MS: int(50, 60_000).default(1_000),
  /** PEM file of the CA(s) that signed the bridges' certificates, for `https://` runtime URLs (besides the system's). */
  BRIDGE_CA_FILE: z.string().min(1).optional(),
  /** Largest response body read from a bridge (or Alertmanager's API), bytes. */
  BRIDGE_MAX_RESPONSE_BYTES: int(64 * 1024, 256 * 1024 * 1024).default(8 * 1024 * 1024),
  /** How far back diagnose reads logs, seconds. */
  DIAGNOSE_LOG_WINDOW_S: int(10, 86_400).default(900),
});

// --- process / logs / local ----------------------------------------------------------------------------------
const ProcessEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Python with autogen_ops_bridge installed, for `demo` and tests (the Makefile sets it to .venv). */
  AUTOGEN_OPS_PYTHON: z.string().min(1).default('.venv/bin/python'),
  /** Seconds given to in-flight jobs on SIGTERM before the process exits anyway. */
  SHUTDOWN_GRACE_S: int(1, 600).default(25),
  /** demo: the scripted one-shot run (send `/autogen diagnose ChatAgent`, print the report, stop) instead of the interactive page. */
  DEMO_ONCE: bool.default(false),
});

// --- alerts: intake, incidents, the monitor (docs/alerting.md) -----------------------------------------
const labelList = z.string().regex(/^\s*[A-Za-z_][A-Za-z0-9_]*(\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*\s*$/, 'must be label names separated by commas');
const AlertEnv = z.object({
  /** Port and interface of the alert intake HTTP server (its own port, next to the bot's). */
  ALERT_INTAKE_PORT: int(0, 65535).default(3100),
  ALERT_INTAKE_HOST: z.string().min(1).default('127.0.0.1'),
  /** Largest accepted request body, bytes. */
  ALERT_MAX_BODY_BYTES: int(1_024, 50 * 1024 * 1024).default(1024 * 1024),
  /** How far the X-Signature-Timestamp of an HMAC-signed alert may be from now, seconds (replay window). */
  ALERT_SIGNATURE_TOLERANCE_S: int(10, 3_600).default(300),
  /** `name=bearer:<token>,name=hmac:<secret>` — who may post alerts (secrets ≥ 16 characters). */
  ALERT_SOURCES: z.string().optional(),
  /** Channel id incident threads open in when no route matches. */
  ALERT_CHANNEL: z.string().regex(SLACK_ID_RE, 'must be a Slack channel id like C0123ABCD').optional(),
  /** Routing rules, see src/incidents/routing.ts. */
  ALERT_ROUTES: z.string().optional(),
  ALERT_RUNTIME_LABELS: labelList.optional(),
  ALERT_AGENT_LABELS: labelList.optional(),
  ALERT_GROUP_BY: labelList.optional(),
  /** `ChatAgent>PlannerAgent>ToolAgent,…`: agents whose alerts form one cascade (one incident). */
  ALERT_AGENT_DEPENDENCIES: z.string().optional(),
  /** Labels by which an alert names its agent's caller or upstream (joins that cascade); `none` turns it off. */
  ALERT_TOPOLOGY_LABELS: labelList.optional(),
  /** `errors=AlertName|AlertName; latency=…`: alert names meaning one condition (one voice per problem). */
  ALERT_CONDITIONS: z.string().optional(),
  ALERT_DEFAULT_SEVERITY: z.enum(SEVERITIES).default('warning'),
  /** At most one thread update and one root edit per incident per this many ms. */
  ALERT_COALESCE_MS: int(100, 600_000).default(5_000),
  ALERT_REOPEN_WINDOW_S: int(0, 7 * 86_400).default(900),
  ALERT_RETENTION_DAYS: int(1, 365).default(7),
  /**
   * How long a notification's content id is remembered, seconds: a byte-identical copy within it is a retry
   * of the same delivery and dropped. Short on purpose — a re-fire can be byte-identical to its first firing.
   */
  ALERT_DEDUPE_WINDOW_S: int(5, 3_600).default(120),
  ALERT_AUTO_DIAGNOSE: bool.default(true),
  /** Ask the response planner (runbooks) for a plan when an incident opens. */
  ALERT_AUTO_PLAN: bool.default(true),
  /** Alertmanager base URL for reconciling truncated groups (GET /api/v2/alerts). */
  ALERTMANAGER_URL: z.url().optional(),
  /** Bearer token for ALERTMANAGER_URL when it sits behind an authenticating proxy. */
  ALERTMANAGER_TOKEN: z.string().min(1).optional(),
  /** First wait before asking Alertmanager again about a truncated group it could not answer for, ms (doubles). */
  ALERT_RECONCILE_RETRY_MS: int(100, 3_600_000).default(5_000),
  /** Longest wait between two attempts to reconcile a truncated group, ms. */
  ALERT_RECONCILE_RETRY_MAX_MS: int(100, 86_400_000).default(300_000),
  /** An open incident with no update for this long is re-checked against its sources, seconds. */
  INCIDENT_STALE_AFTER_S: int(1, 30 * 86_400).default(7_200),
  /** How often the stale-incident check runs (one job scheduler across replicas), seconds. */
  INCIDENT_STALE_CHECK_S: int(1, 86_400).default(300),
  /** The bot's own monitor of every configured runtime (needs ALERT_CHANNEL). */
  MONITOR_ENABLED: bool.default(true),
  MONITOR_INTERVAL_S: int(1, 3_600).default(15),
  /** Messages an agent must have handled in the stats window before its error rate is judged. */
  MONITOR_MIN_SAMPLES: int(1, 1_000_000).default(5),
  /**
   * Messages an agent must have handled in the judged (recent) window before the monitor raises a latency
   * alert: a handful of slow first calls while a fleet warms up is not slowness.
   */
  MONITOR_LATENCY_MIN_SAMPLES: int(1, 1_000_000).default(20),
});

const Env = z.object({ ...SlackEnv.shape, ...QueueEnv.shape, ...RuntimeEnv.shape, ...ProcessEnv.shape, ...AlertEnv.shape, ...ResponseEnv.shape });
type ParsedEnv = z.infer<typeof Env>;

export interface RuntimeTarget {
  readonly name: string;
  /** Base URL without trailing slash. */
  readonly url: string;
  readonly token: string;
}

export interface Config {
  readonly slack: {
    readonly mode: 'http' | 'socket';
    readonly botToken: string | undefined;
    readonly signingSecret: string | undefined;
    readonly appToken: string | undefined;
    readonly botId: string | undefined;
    readonly botUserId: string | undefined;
    readonly apiUrl: string | undefined;
    readonly command: string;
    readonly port: number;
    readonly host: string;
    /** Largest body accepted at /slack/events, bytes. */
    readonly maxBodyBytes: number;
    readonly requestTimeoutMs: number;
    readonly channelRatePerS: number;
    readonly channelBurst: number;
    readonly dedupeTtlS: number;
  };
  /** One server (`url`), a Cluster or Sentinel, TLS, credentials (src/redis/connect.ts, docs/operations.md). */
  readonly redis: RedisSettings;
  /**
   * Where the bot's `/metrics` is served: `port` set → its own listener on `host`; else beside /healthz on
   * PORT, and then only when HOST is loopback or a `token` is set (docs/security.md).
   */
  readonly metrics: { readonly port: number | undefined; readonly host: string; readonly token: string | undefined };
  readonly queues: {
    readonly prefix: string;
    readonly concurrency: number;
    /** Concurrency of the `alert` queue (the other queues use `concurrency`). */
    readonly alertConcurrency: number;
    readonly attempts: number;
    readonly backoffMs: number;
    readonly diagnoseAttempts: number;
    /** BullMQ lock and stall settings of every worker (docs/operations.md). */
    readonly lockDurationMs: number;
    readonly stalledIntervalMs: number;
    readonly maxStalledCount: number;
  };
  /** `/readyz`: how long Redis and the queues get to answer; the worker's own health listener port. */
  readonly readiness: { readonly timeoutMs: number; readonly workerPort: number | undefined };
  readonly runtimes: {
    readonly byName: Readonly<Record<string, RuntimeTarget>>;
    readonly defaultName: string | undefined;
    readonly timeoutMs: number;
    readonly connectTimeoutMs: number;
    /** PEM CA file trusted for https:// runtime URLs (read when the clients are created). */
    readonly caFile?: string | undefined;
    /** Largest bridge response body read, bytes (default 8 MiB). */
    readonly maxResponseBytes?: number | undefined;
  };
  readonly diagnose: { readonly logWindowS: number; readonly retryWindowS: number };
  readonly log: { readonly level: string };
  readonly local: { readonly python: string; readonly demoOnce: boolean };
  readonly shutdownGraceS: number;
  readonly alerts: AlertsConfig;
  readonly monitor: MonitorConfig;
  /** The guide's thresholds: defaults (AUTOGEN_THRESHOLDS) and per-runtime overrides (AUTOGEN_RUNTIME_<NAME>_THRESHOLDS). */
  readonly thresholds: ThresholdConfig;
  /** Runbooks, approvals, safety limits, audit (`src/response/settings.ts`, docs/runbooks.md). */
  readonly response: ResponseConfig;
}

/** Alert intake and incidents (docs/alerting.md). */
export interface AlertsConfig {
  readonly intake: { readonly port: number; readonly host: string; readonly maxBodyBytes: number; readonly signatureToleranceS: number };
  readonly sources: readonly AlertSource[];
  /** Default channel id of incident threads; unset: the monitor stays off (ALERT_SOURCES requires it). */
  readonly channel: string | undefined;
  readonly routes: readonly RouteRule[];
  readonly grouping: GroupingRules;
  /** Condition → alert names: alerts of one runtime, agent and condition are one entry (src/incidents/conditions.ts). */
  readonly conditions: ConditionMap;
  readonly defaultSeverity: Severity;
  readonly coalesceMs: number;
  readonly reopenWindowMs: number;
  readonly retentionMs: number;
  readonly dedupeWindowS: number;
  readonly autoDiagnose: boolean;
  readonly autoPlan: boolean;
  readonly alertmanager: { readonly url: string | undefined; readonly token: string | undefined };
  /** Back-off of a truncated group's reconciliation while Alertmanager cannot be asked, ms. */
  readonly reconcileRetry: { readonly firstMs: number; readonly maxMs: number };
  /** Stale incidents: re-checked after `afterMs` without an update; the check runs every `checkEveryMs`. */
  readonly stale: { readonly afterMs: number; readonly checkEveryMs: number };
}

/** The bot's own monitor (thresholds: `src/diagnosis/thresholds.ts`). */
export interface MonitorConfig {
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly minSamples: number;
  /** Messages in the judged window before a latency alert (MONITOR_LATENCY_MIN_SAMPLES). */
  readonly latencyMinSamples: number;
}

/** `AUTOGEN_RUNTIME_<NAME>_TOKEN`, NAME upper-cased with non-alphanumerics as `_`. */
export function runtimeTokenVar(name: string): string {
  return `AUTOGEN_RUNTIME_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN`;
}

function parseRuntimes(spec: string | undefined, env: Record<string, string | undefined>, problems: string[]): Record<string, RuntimeTarget> {
  const out: Record<string, RuntimeTarget> = {};
  if (spec === undefined || spec.trim() === '') return out;
  for (const raw of spec.split(';')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      problems.push(`AUTOGEN_RUNTIMES: entry "${entry}" must be name=url`);
      continue;
    }
    const name = entry.slice(0, eq).trim();
    const url = entry.slice(eq + 1).trim();
    if (!RUNTIME_NAME_RE.test(name)) problems.push(`AUTOGEN_RUNTIMES: runtime name "${name}" must be lower-case letters, digits, - or _ (max 40)`);
    if (out[name]) problems.push(`AUTOGEN_RUNTIMES: runtime "${name}" is listed twice`);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      problems.push(`AUTOGEN_RUNTIMES: runtime "${name}" has an invalid URL "${url}"`);
    }
    if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') problems.push(`AUTOGEN_RUNTIMES: runtime "${name}" URL must be http(s)`);
    const tokenVar = runtimeTokenVar(name);
    const token = env[tokenVar];
    if (token === undefined || token.trim() === '') problems.push(`${tokenVar}: required (the bearer token of runtime "${name}")`);
    out[name] = { name, url: withoutTrailingSlashes(url), token: token ?? '' };
  }
  return out;
}

function roleProblems(e: ParsedEnv, role: Role | undefined, runtimes: Record<string, RuntimeTarget>): string[] {
  const p: string[] = [];
  if (role === 'bot' || role === 'all') {
    if (!e.SLACK_BOT_TOKEN) p.push('SLACK_BOT_TOKEN: required to run the bot (xoxb-…)');
    if (e.SLACK_MODE === 'http' && !e.SLACK_SIGNING_SECRET) p.push('SLACK_SIGNING_SECRET: required in HTTP mode');
    if (e.SLACK_MODE === 'socket' && !e.SLACK_APP_TOKEN) p.push('SLACK_APP_TOKEN: required in Socket Mode (xapp-…)');
  }
  if (role === 'worker' || role === 'all') {
    if (!e.SLACK_BOT_TOKEN) p.push('SLACK_BOT_TOKEN: required by the worker to post (xoxb-…)');
    if (Object.keys(runtimes).length === 0) p.push('AUTOGEN_RUNTIMES: at least one runtime is required by the worker');
  }
  if (role !== undefined && role !== 'demo' && !redisConfigured(parseRedisSettings(e).settings)) {
    p.push('REDIS_URL: required (redis://host:port), or REDIS_CLUSTER_NODES / REDIS_SENTINELS');
  }
  if ((e.SLACK_BOT_ID === undefined) !== (e.SLACK_BOT_USER_ID === undefined)) p.push('SLACK_BOT_ID / SLACK_BOT_USER_ID: set both or neither');
  return p;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

function buildConfig(e: ParsedEnv, runtimes: Record<string, RuntimeTarget>): Omit<Config, 'thresholds'> {
  return {
    slack: {
      mode: e.SLACK_MODE,
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      botId: e.SLACK_BOT_ID,
      botUserId: e.SLACK_BOT_USER_ID,
      apiUrl: e.SLACK_API_URL === undefined ? undefined : `${withoutTrailingSlashes(e.SLACK_API_URL)}/`,
      command: e.SLACK_COMMAND,
      port: e.PORT,
      host: e.HOST,
      maxBodyBytes: e.SLACK_MAX_BODY_BYTES,
      requestTimeoutMs: e.SLACK_REQUEST_TIMEOUT_MS,
      channelRatePerS: e.SLACK_CHANNEL_RATE_PER_S,
      channelBurst: e.SLACK_CHANNEL_BURST,
      dedupeTtlS: e.SLACK_DEDUPE_TTL_S,
    },
    redis: parseRedisSettings(e).settings,
    metrics: { port: e.METRICS_PORT, host: e.METRICS_HOST, token: e.METRICS_TOKEN },
    queues: {
      prefix: e.QUEUE_PREFIX,
      concurrency: e.WORKER_CONCURRENCY,
      alertConcurrency: e.ALERT_WORKER_CONCURRENCY,
      attempts: e.JOB_ATTEMPTS,
      backoffMs: e.JOB_BACKOFF_MS,
      diagnoseAttempts: e.DIAGNOSE_ATTEMPTS,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: e.WORKER_MAX_STALLED_COUNT,
    },
    readiness: { timeoutMs: e.READINESS_TIMEOUT_MS, workerPort: e.WORKER_HEALTH_PORT },
    runtimes: {
      byName: runtimes,
      defaultName: e.AUTOGEN_DEFAULT_RUNTIME ?? Object.keys(runtimes)[0],
      timeoutMs: e.BRIDGE_TIMEOUT_MS,
      connectTimeoutMs: e.BRIDGE_CONNECT_TIMEOUT_MS,
      caFile: e.BRIDGE_CA_FILE,
      maxResponseBytes: e.BRIDGE_MAX_RESPONSE_BYTES,
    },
    diagnose: { logWindowS: e.DIAGNOSE_LOG_WINDOW_S, retryWindowS: e.DIAGNOSE_RETRY_WINDOW_S },
    log: { level: e.LOG_LEVEL },
    local: { python: e.AUTOGEN_OPS_PYTHON, demoOnce: e.DEMO_ONCE },
    shutdownGraceS: e.SHUTDOWN_GRACE_S,
    alerts: buildAlerts(e),
    monitor: { enabled: e.MONITOR_ENABLED, intervalMs: e.MONITOR_INTERVAL_S * 1000, minSamples: e.MONITOR_MIN_SAMPLES, latencyMinSamples: e.MONITOR_LATENCY_MIN_SAMPLES },
    response: buildResponseConfig(e),
  };
}

const splitLabels = (v: string | undefined, fallback: readonly string[]): string[] =>
  v === undefined ? [...fallback] : v.split(',').map((x) => x.trim()).filter((x) => x !== '');

function buildAlerts(e: ParsedEnv): AlertsConfig {
  return {
    intake: { port: e.ALERT_INTAKE_PORT, host: e.ALERT_INTAKE_HOST, maxBodyBytes: e.ALERT_MAX_BODY_BYTES, signatureToleranceS: e.ALERT_SIGNATURE_TOLERANCE_S },
    sources: parseSources(e.ALERT_SOURCES ?? '').sources,
    channel: e.ALERT_CHANNEL,
    routes: parseRoutes(e.ALERT_ROUTES ?? '').rules,
    grouping: {
      runtimeLabels: splitLabels(e.ALERT_RUNTIME_LABELS, DEFAULT_GROUPING.runtimeLabels),
      agentLabels: splitLabels(e.ALERT_AGENT_LABELS, DEFAULT_GROUPING.agentLabels),
      groupBy: splitLabels(e.ALERT_GROUP_BY, []),
      dependencies: parseDependencies(e.ALERT_AGENT_DEPENDENCIES ?? '').edges,
      topologyLabels: e.ALERT_TOPOLOGY_LABELS?.trim() === 'none' ? [] : splitLabels(e.ALERT_TOPOLOGY_LABELS, DEFAULT_GROUPING.topologyLabels),
    },
    conditions: parseConditions(e.ALERT_CONDITIONS ?? '').map,
    defaultSeverity: e.ALERT_DEFAULT_SEVERITY,
    coalesceMs: e.ALERT_COALESCE_MS,
    reopenWindowMs: e.ALERT_REOPEN_WINDOW_S * 1000,
    retentionMs: e.ALERT_RETENTION_DAYS * 86_400_000,
    dedupeWindowS: e.ALERT_DEDUPE_WINDOW_S,
    autoDiagnose: e.ALERT_AUTO_DIAGNOSE,
    autoPlan: e.ALERT_AUTO_PLAN,
    alertmanager: { url: e.ALERTMANAGER_URL === undefined ? undefined : withoutTrailingSlashes(e.ALERTMANAGER_URL), token: e.ALERTMANAGER_TOKEN },
    reconcileRetry: { firstMs: e.ALERT_RECONCILE_RETRY_MS, maxMs: Math.max(e.ALERT_RECONCILE_RETRY_MS, e.ALERT_RECONCILE_RETRY_MAX_MS) },
    stale: { afterMs: e.INCIDENT_STALE_AFTER_S * 1000, checkEveryMs: e.INCIDENT_STALE_CHECK_S * 1000 },
  };
}

/** Problems of the alert settings whose text forms are parsed by their own modules. */
function alertProblems(env: Record<string, string | undefined>): string[] {
  const p: string[] = [];
  p.push(...parseSources(env.ALERT_SOURCES ?? '').problems.map((x) => `ALERT_SOURCES: ${x}`));
  p.push(...parseRoutes(env.ALERT_ROUTES ?? '').problems.map((x) => `ALERT_ROUTES: ${x}`));
  p.push(...parseDependencies(env.ALERT_AGENT_DEPENDENCIES ?? '').problems.map((x) => `ALERT_AGENT_DEPENDENCIES: ${x}`));
  p.push(...parseConditions(env.ALERT_CONDITIONS ?? '').problems.map((x) => `ALERT_CONDITIONS: ${x}`));
  if (env.ALERT_SOURCES && !env.ALERT_CHANNEL) p.push('ALERT_CHANNEL: required when ALERT_SOURCES is set (the channel incident threads open in)');
  return p;
}

/**
 * Validates `env` (normally `process.env`) and returns a deep-frozen `Config`.
 * `role` adds what that process needs (e.g. the bot needs a Slack token); without it nothing is required.
 * Throws `OpsError('CONFIG_INVALID')` listing every problem at once in `details.problems`.
 */
export function loadConfig(env: Record<string, string | undefined>, role?: Role): Config {
  // Empty strings mean "not set" (docker/compose style `VAR=`).
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const problems: string[] = [];
  const parsed = Env.safeParse(cleaned);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || '(env)'}: ${issue.message}`);
  }
  const runtimes = parseRuntimes(cleaned.AUTOGEN_RUNTIMES, cleaned, problems);
  problems.push(...alertProblems(cleaned));
  problems.push(...responseProblems(cleaned));
  if (parsed.success) problems.push(...parseRedisSettings(parsed.data).problems);
  const thresholds = thresholdConfigFrom(cleaned, Object.keys(runtimes), problems);
  if (parsed.success) {
    problems.push(...roleProblems(parsed.data, role, runtimes));
    const def = parsed.data.AUTOGEN_DEFAULT_RUNTIME;
    if (def !== undefined && !runtimes[def]) problems.push(`AUTOGEN_DEFAULT_RUNTIME: "${def}" is not listed in AUTOGEN_RUNTIMES`);
  }
  if (problems.length > 0 || !parsed.success) {
    throw new OpsError('CONFIG_INVALID', { problems }, { detail: md`Problems:\n- ${escapeText(problems.join('\n- '))}` });
  }
  return deepFreeze({ ...buildConfig(parsed.data, runtimes), thresholds });
}

/** Returns a copy of `config` with fields replaced (for the embedded defaults of `demo` and the tests). */
export function withOverrides(config: Config, patch: { [K in keyof Config]?: Partial<Config[K]> }): Config {
  const out: Record<string, unknown> = { ...config };
  for (const [k, v] of Object.entries(patch)) {
    const base = (config as unknown as Record<string, unknown>)[k];
    out[k] = typeof base === 'object' && base !== null ? { ...base, ...(v as object) } : v;
  }
  return deepFreeze(out as unknown as Config);
}
