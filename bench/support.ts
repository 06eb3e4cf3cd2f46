/**
 * What the system benches (alert_storm, storm_scale, redis_memory) share: the bot and worker processes they
 * start and stop by PID, the environment those get, bounded waits, the storm's Alertmanager notifications,
 * the intake's requests, pending BullMQ jobs and /proc figures. Everything a bench starts is recorded in
 * `started`; `runMain` stops all of it when the run fails half way (never left running).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Queue } from 'bullmq';
import type { Pool } from 'undici';
import type { Sandbox } from '../sandbox/server.js';

/** Everything this run started: child processes (killed by PID) and what else to stop (Redis, the sandbox). */
export const started: { children: ChildProcess[]; stops: (() => Promise<void>)[] } = { children: [], stops: [] };

/** `src/cli.ts <role>` as a process of its own (`nodeArgs` before the script, e.g. `--cpu-prof`); an unexpected exit is printed. */
export function spawnRole(role: 'bot' | 'worker', env: Record<string, string>, nodeArgs: readonly string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/cli.ts', role], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.once('exit', (code, signal) => { if (code !== 0 && signal === null) console.error(`${role} exited with ${code}`); });
  started.children.push(child);
  return child;
}

/** SIGTERM, SIGKILL after 10 s; resolved once the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Runs `main`; when it fails, kills every child still running, stops what was started, exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch(async (err: unknown) => {
    console.error(err);
    for (const child of started.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const stop of started.stops) await stop().catch(() => undefined);
    process.exit(1);
  });
}

/** Polls `probe` every `intervalMs` until it holds (a probe that throws counts as not yet); throws after `timeoutMs`. */
export async function until(what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve().then(probe).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Runs `fn` over `items`, `concurrency` at a time. */
export async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (;;) {
      const i = next;
      next += 1;
      if (i >= items.length) return;
      await fn(items[i]!, i);
    }
  }));
}

/** CPU seconds (user + system) a process has used so far, from /proc (NaN when it is gone). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

const PENDING = ['waiting', 'active', 'prioritized', 'waiting-children'] as const;

/** Jobs not done yet in `queues` (delayed ones too, but not a job scheduler's next run, which is always there). */
export async function pendingJobs(queues: readonly Queue[]): Promise<number> {
  let total = 0;
  for (const q of queues) {
    total += Object.values(await q.getJobCounts(...PENDING)).reduce((x, y) => x + y, 0);
    total += (await q.getJobs(['delayed'])).filter((j) => j.repeatJobKey === undefined && !String(j.id).startsWith('repeat:')).length;
  }
  return total;
}

/** The environment of a bench's bot and worker processes (add PORT / ALERT_INTAKE_PORT per process, or in `extra`). */
export function benchEnv(o: {
  sandbox: Sandbox; botToken: string; signingSecret: string; redisUrl: string; prefix: string;
  /** Slack's pace per channel as the bot applies it. */
  ratePerS: number; burst: number;
  /** The (unused, unreachable) AutoGen runtime's name. */
  runtime: string;
  /** The Alertmanager bearer token of the intake. */
  token: string;
  alertChannel: string; routes: readonly string[];
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: o.botToken, SLACK_SIGNING_SECRET: o.signingSecret, SLACK_API_URL: o.sandbox.apiUrl,
    SLACK_BOT_ID: o.sandbox.botId, SLACK_BOT_USER_ID: o.sandbox.botUserId,
    SLACK_CHANNEL_RATE_PER_S: String(o.ratePerS), SLACK_CHANNEL_BURST: String(o.burst),
    REDIS_URL: o.redisUrl, QUEUE_PREFIX: o.prefix, HOST: '127.0.0.1', LOG_LEVEL: 'warn',
    AUTOGEN_RUNTIMES: `${o.runtime}=http://127.0.0.1:9`, [`AUTOGEN_RUNTIME_${o.runtime.toUpperCase()}_TOKEN`]: 'unused',
    ALERT_SOURCES: `alertmanager=bearer:${o.token}`, ALERT_CHANNEL: o.alertChannel, ALERT_INTAKE_HOST: '127.0.0.1',
    ALERT_ROUTES: o.routes.join('; '),
    ALERT_AUTO_DIAGNOSE: 'false', ALERT_AUTO_PLAN: 'false', MONITOR_ENABLED: 'false',
    ...o.extra,
  };
}

/** Waits (bounded) until an intake answers /readyz with 200. */
export async function intakeReady(pool: Pool, timeoutMs = 60_000): Promise<void> {
  await until('intake ready', timeoutMs, async () => {
    const r = await pool.request({ path: '/readyz', method: 'GET' });
    await r.body.text();
    return r.statusCode === 200;
  });
}

/** POSTs an Alertmanager notification to an intake; its status code. */
export async function postAlerts(pool: Pool, token: string, body: Buffer | string): Promise<number> {
  const r = await pool.request({ path: '/alerts/alertmanager', method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
  await r.body.text();
  return r.statusCode;
}

export interface StormAlertOptions {
  /** When every alert started firing (ISO). */
  startsAt: string;
  runtime: string;
  /** Incident `k` is routed by label `shard` = k mod `channels`. */
  channels: number;
  /** Alert `i`'s fingerprint. */
  fingerprint: (i: number) => string;
  /** With the `description` annotation (a longer alert). */
  description?: boolean;
}

/** Alert `i` of incident `k` (agent `Agent<k>`, its own instance `n<i>`), as Alertmanager sends it. */
export function stormAlert(k: number, i: number, o: StormAlertOptions): Record<string, unknown> {
  return {
    status: 'firing', startsAt: o.startsAt, endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus.local/graph', fingerprint: o.fingerprint(i),
    labels: { alertname: 'AutoGenAgentHighErrorRate', runtime: o.runtime, agent_type: `Agent${k}`, shard: String(k % o.channels), instance: `n${i}`, severity: 'critical' },
    annotations: { summary: `Agent${k} error rate above 5 %`, ...(o.description ? { description: `instance n${i} fails 12 % of its messages` } : {}) },
  };
}

/** An Alertmanager notification of incident `k`'s `alerts` (grouped by agent). */
export function alertmanagerBody(k: number, alerts: readonly unknown[]): string {
  return JSON.stringify({
    receiver: 'autogen-ops', status: 'firing', alerts, groupLabels: { agent_type: `Agent${k}` }, commonLabels: {}, commonAnnotations: {},
    externalURL: 'http://alertmanager.local', version: '4', groupKey: `{}:{agent_type="Agent${k}"}`, truncatedAlerts: 0,
  });
}

/** A storm's notifications: `alerts` alerts of `incidents` incidents, `batch` per request, incidents interleaved. */
export function stormNotifications(counts: { alerts: number; incidents: number; batch: number }, o: StormAlertOptions): { incident: number; body: string }[] {
  const { alerts: n, incidents, batch } = counts;
  const perIncident = Array.from({ length: incidents }, () => [] as number[]);
  for (let i = 0; i < n; i += 1) perIncident[i % incidents]!.push(i);
  const out: { incident: number; body: string }[] = [];
  for (let round = 0; out.length * batch < n; round += 1) {
    for (let k = 0; k < incidents; k += 1) {
      const ids = perIncident[k]!.slice(round * batch, (round + 1) * batch);
      if (ids.length > 0) out.push({ incident: k, body: alertmanagerBody(k, ids.map((i) => stormAlert(k, i, o))) });
    }
  }
  return out;
}
