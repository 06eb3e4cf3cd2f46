/**
 * Alert pipeline harness for integration tests: the sandbox, the bot (Bolt) + worker in-process on a
 * unique queue prefix, a second worker on the same queues (two workers race for the same incidents),
 * and the alert intake on a free port. Everything real except Slack.
 */
import { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { IncidentStore } from '../../src/incidents/store.js';
import { startIntakeRole, type IntakeRole } from '../../src/intake/role.js';
import { signedHeaders } from '../../src/intake/auth.js';
import { keyPrefix } from '../../src/queues/connection.js';
import { startWorkerRole, type WorkerRole } from '../../src/roles/worker.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startTestSandbox, type Sandbox, type SandboxMessage } from '../support/sandbox.js';

export const AM_TOKEN = 'alertmanager-test-token-0123';
export const HMAC_SECRET = 'generic-hmac-secret-0123456';
export const ALERT_CHANNEL = 'C0ALERTS';

export interface AlertHarness {
  readonly sandbox: Sandbox;
  readonly bot: TestBot;
  readonly workers: readonly WorkerRole[];
  readonly intake: IntakeRole;
  readonly store: IncidentStore;
  readonly redis: Redis;
  /** POST to the intake with the Alertmanager bearer token (or the given headers). */
  postAlertmanager(body: unknown, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }>;
  /** POST to the generic endpoint, HMAC-signed. */
  postGeneric(body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  roots(channel: string): SandboxMessage[];
  replies(root: SandboxMessage): SandboxMessage[];
  stop(): Promise<void>;
}

export interface AlertHarnessOptions {
  env?: Record<string, string>;
  runtimes?: Record<string, { url: string; token: string }>;
  /** Worker roles in all (default 2). */
  workers?: number;
  sandbox?: Sandbox;
  /** Where the log lines go (e.g. a collector; set LOG_LEVEL in `env` too). */
  logDestination?: DestinationStream;
}

async function postJson(url: string, body: unknown, headers: Record<string, string>) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export async function startAlertHarness(opts: AlertHarnessOptions = {}): Promise<AlertHarness> {
  const sandbox = opts.sandbox ?? (await startTestSandbox());
  const bot = await startTestBot({
    sandbox,
    ...(opts.runtimes ? { runtimes: opts.runtimes } : {}),
    ...(opts.logDestination ? { logDestination: opts.logDestination } : {}),
    env: {
      ALERT_SOURCES: `alertmanager=bearer:${AM_TOKEN},ci=hmac:${HMAC_SECRET}`,
      ALERT_CHANNEL,
      ALERT_INTAKE_HOST: '127.0.0.1',
      ALERT_COALESCE_MS: '300',
      ALERT_GROUP_BY: 'team',
      ALERT_AUTO_PLAN: 'false',
      MONITOR_ENABLED: 'false',
      ...(process.env.ALERT_TEST_LOG ? { LOG_LEVEL: process.env.ALERT_TEST_LOG } : {}),
      ...opts.env,
    },
  });
  const workers: WorkerRole[] = bot.worker ? [bot.worker] : [];
  for (let i = workers.length; i < (opts.workers ?? 2); i += 1) workers.push(startWorkerRole(bot.config, bot.logger));
  const intake = await startIntakeRole(bot.config, bot.logger, { port: 0 });
  if (!intake) throw new Error('intake did not start (ALERT_SOURCES missing?)');
  const redis = new Redis(bot.config.redis.url ?? '', { maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // tests that stop Redis expect connection errors
  const store = new IncidentStore(redis, { keyPrefix: keyPrefix(bot.config.queues.prefix) });
  return {
    sandbox, bot, workers, intake, store, redis,
    postAlertmanager: (body, headers) => postJson(`${intake.intake.url}/alerts/alertmanager`, body, headers ?? { authorization: `Bearer ${AM_TOKEN}` }),
    postGeneric: (body) => {
      const text = JSON.stringify(body);
      return postJson(`${intake.intake.url}/alerts/generic`, text, signedHeaders(HMAC_SECRET, text, Date.now()));
    },
    roots: (channel) => sandbox.messages.filter((m) => m.channel === channel && m.thread_ts === undefined),
    replies: (root) => sandbox.messages.filter((m) => m.thread_ts === root.ts),
    async stop() {
      await intake.stop();
      for (const w of workers.slice(1)) await w.stop(2_000);
      await bot.stop();
      redis.disconnect();
      if (!opts.sandbox) await sandbox.stop();
    },
  };
}

/** An Alertmanager v4 notification for `alerts` (group labels: alertname). */
export function amNotification(
  alerts: { status: 'firing' | 'resolved'; labels: Record<string, string>; annotations?: Record<string, string>; startsAt: string; endsAt?: string; fingerprint: string }[],
  extra: { truncatedAlerts?: number; groupKey?: string } = {},
): Record<string, unknown> {
  const firing = alerts.some((a) => a.status === 'firing');
  return {
    receiver: 'autogen-ops',
    status: firing ? 'firing' : 'resolved',
    alerts: alerts.map((a) => ({
      status: a.status, labels: a.labels, annotations: a.annotations ?? {}, startsAt: a.startsAt,
      endsAt: a.status === 'resolved' ? (a.endsAt ?? new Date().toISOString()) : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.local/graph', fingerprint: a.fingerprint,
    })),
    groupLabels: { alertname: alerts[0]?.labels.alertname ?? 'x' },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.local',
    version: '4',
    groupKey: extra.groupKey ?? `{}:{alertname="${alerts[0]?.labels.alertname ?? 'x'}"}`,
    truncatedAlerts: extra.truncatedAlerts ?? 0,
  };
}

/** Every string in a message: text, blocks, and each edit. */
export function allText(m: SandboxMessage): string {
  const strings = (v: unknown): string[] => {
    if (typeof v === 'string') return [v];
    if (Array.isArray(v)) return v.flatMap(strings);
    if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
    return [];
  };
  return [m.text, ...strings(m.blocks), ...m.edits.flatMap((e) => [e.text, ...strings(e.blocks)])].join('\n');
}
