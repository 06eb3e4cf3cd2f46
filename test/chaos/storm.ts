/**
 * An alert storm against N bot processes (each with its alert intake) and M worker processes on one Redis,
 * Slack replaced by the sandbox, with faults injected while it runs (a Redis restart, a bot or a worker
 * SIGKILLed), and the counts afterwards: alerts accepted (answered 202) / applied (found in their incident)
 * / lost, thread roots expected / made / duplicated.
 *
 * The load generator acts as a load balancer and as Alertmanager do: requests go round-robin to the bots'
 * intakes; a refused request (503 while Redis is away, a connection refused or reset by a killed bot) is
 * sent again to the next intake after a short back-off, until a deadline. Alert `k` of incident `i` has a
 * fingerprint of its own and the labels of incident `i` (agent `Agent<i>`, routed to channel `C0CHAOS<i>`),
 * so every incident has its own channel and exactly one root is expected in each.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { IncidentStore } from '../../src/incidents/store.js';
import { connectRedis, type RedisClient } from '../../src/redis/connect.js';
import { freePort } from '../../src/local/redis.js';
import type { Sandbox } from '../../sandbox/server.js';
import { waitFor } from '../support/poll.js';
import { SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET } from '../support/sandbox.js';
import { logTails, spawnRole, type RoleProcess } from './processes.js';

export const STORM_TOKEN = 'chaos-alertmanager-token-0123';
export const STORM_RUNTIME = 'chaos';

export interface StormSystem {
  readonly prefix: string;
  readonly redisUrl: string;
  readonly sandbox: Sandbox;
  readonly bots: RoleProcess[];
  readonly workers: RoleProcess[];
  readonly intakeUrls: string[];
  readonly eventsUrls: string[];
  /** The environment every process got (for one started later). */
  readonly env: Record<string, string>;
  /** A connection of the test's own (reconnects after a Redis restart), made as the processes make theirs. */
  readonly redis: RedisClient;
  readonly store: IncidentStore;
  addWorker(name: string): RoleProcess;
  stop(): Promise<void>;
}

/** Starts `bots` bot processes and `workers` worker processes, and waits until every intake answers and every worker listens. */
export async function startStormSystem(opts: {
  /** REDIS_URL of the processes (any form: redis://, rediss://, redis+cluster://…), unless `redisEnv` is given. */
  redisUrl: string;
  /** The Redis settings as environment instead (e.g. `{ REDIS_CLUSTER_NODES }`, TLS files). */
  redisEnv?: Record<string, string>;
  sandbox: Sandbox;
  bots: number;
  workers: number;
  incidents: number;
  env?: Record<string, string>;
}): Promise<StormSystem> {
  const prefix = `{chaos${randomBytes(4).toString('hex')}}`;
  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN, SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET, SLACK_API_URL: opts.sandbox.apiUrl,
    SLACK_BOT_ID: opts.sandbox.botId, SLACK_BOT_USER_ID: opts.sandbox.botUserId,
    SLACK_CHANNEL_RATE_PER_S: '20', SLACK_CHANNEL_BURST: '20',
    ...(opts.redisEnv ?? { REDIS_URL: opts.redisUrl }), QUEUE_PREFIX: prefix, HOST: '127.0.0.1', LOG_LEVEL: 'warn',
    AUTOGEN_RUNTIMES: `${STORM_RUNTIME}=http://127.0.0.1:9`, AUTOGEN_RUNTIME_CHAOS_TOKEN: 'unused',
    ALERT_SOURCES: `alertmanager=bearer:${STORM_TOKEN}`, ALERT_CHANNEL: 'C0CHAOSOTHER', ALERT_INTAKE_HOST: '127.0.0.1',
    ALERT_ROUTES: Array.from({ length: opts.incidents }, (_, i) => `shard=${i} -> C0CHAOS${i}`).join('; '),
    ALERT_AUTO_DIAGNOSE: 'false', ALERT_AUTO_PLAN: 'false', MONITOR_ENABLED: 'false',
    // a killed worker's jobs are back within a few seconds (docs/operations.md, "Lock and stall settings")
    WORKER_LOCK_DURATION_MS: '4000', WORKER_STALLED_INTERVAL_MS: '2000', JOB_BACKOFF_MS: '200', JOB_ATTEMPTS: '10',
    ...opts.env,
  };
  const bots: RoleProcess[] = [];
  const workers: RoleProcess[] = [];
  const intakeUrls: string[] = [];
  const eventsUrls: string[] = [];
  const redis = connectRedis(loadConfig(opts.redisEnv ?? { REDIS_URL: opts.redisUrl }).redis, 'worker');
  redis.on('error', () => undefined); // the scenarios stop Redis on purpose
  const system: StormSystem = {
    prefix, redisUrl: opts.redisUrl, sandbox: opts.sandbox, bots, workers, intakeUrls, eventsUrls, env, redis,
    store: new IncidentStore(redis, { keyPrefix: `${prefix}:` }),
    addWorker(name) {
      const w = spawnRole('worker', name, env);
      workers.push(w);
      return w;
    },
    async stop() {
      await Promise.all([...bots, ...workers].map((p) => p.stop(5_000)));
      redis.disconnect();
    },
  };
  try {
    for (let i = 0; i < opts.bots; i += 1) {
      const [port, intakePort] = [await freePort(), await freePort()];
      bots.push(spawnRole('bot', `bot-${i}`, { ...env, PORT: String(port), ALERT_INTAKE_PORT: String(intakePort) }));
      intakeUrls.push(`http://127.0.0.1:${intakePort}`);
      eventsUrls.push(`http://127.0.0.1:${port}/slack/events`);
    }
    for (let i = 0; i < opts.workers; i += 1) system.addWorker(`worker-${i}`);
    for (const url of intakeUrls) {
      await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, { timeoutMs: 60_000, intervalMs: 200, what: `intake ${url} ready` });
    }
    await waitForWorkers(system, opts.workers);
  } catch (err) {
    const tails = logTails([...bots, ...workers]);
    await system.stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tails}`);
  }
  return system;
}

/** Until `n` worker processes listen on the alert queue. */
export async function waitForWorkers(system: StormSystem, n: number): Promise<void> {
  const q = new Queue('alert', { connection: system.redis, prefix: system.prefix });
  try {
    // each worker process opens one connection per queue; count the alert queue's listeners
    await waitFor(async () => (await q.getWorkersCount().catch(() => 0)) >= n, { timeoutMs: 60_000, intervalMs: 200, what: `${n} workers listening` });
  } finally {
    await q.close();
  }
}

/** How far the storm is: requests sent so far, and how many were sent again after a refusal. */
export interface StormProgress {
  sent: number;
  resent: number;
}

export interface StormEvent {
  /** Fired once this share of the requests has been sent (0..1). */
  readonly at: number;
  readonly what: string;
  run(progress: Readonly<StormProgress>): Promise<void>;
}

export interface StormResult {
  /** Fingerprints of alerts in requests answered 202, by incident index. */
  readonly accepted: Map<string, number>;
  readonly requests: number;
  /** Requests sent again after a refusal or a broken connection. */
  readonly resent: number;
  /** Requests never accepted before the deadline. */
  readonly gaveUp: number;
  readonly stormS: number;
}

function fingerprint(i: number): string {
  return `chaos${i.toString(16).padStart(8, '0')}`;
}

/** The storm's notifications: `alerts` alerts of `incidents` incidents, `batch` per request, incidents interleaved. */
export function stormBodies(alerts: number, incidents: number, batch: number): { incident: number; fingerprints: string[]; body: string }[] {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const per = Array.from({ length: incidents }, () => [] as number[]);
  for (let i = 0; i < alerts; i += 1) per[i % incidents]!.push(i);
  const out: { incident: number; fingerprints: string[]; body: string }[] = [];
  for (let round = 0; out.length * batch < alerts; round += 1) {
    for (let k = 0; k < incidents; k += 1) {
      const ids = per[k]!.slice(round * batch, (round + 1) * batch);
      if (ids.length === 0) continue;
      const list = ids.map((i) => ({
        status: 'firing', startsAt, endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus.local/graph', fingerprint: fingerprint(i),
        labels: { alertname: 'AutoGenAgentHighErrorRate', runtime: STORM_RUNTIME, agent_type: `Agent${k}`, shard: String(k), instance: `n${i}`, severity: 'critical' },
        annotations: { summary: `Agent${k} error rate above 5 %` },
      }));
      out.push({
        incident: k,
        fingerprints: list.map((a) => a.fingerprint),
        body: JSON.stringify({
          receiver: 'autogen-ops', status: 'firing', alerts: list, groupLabels: { agent_type: `Agent${k}` }, commonLabels: {}, commonAnnotations: {},
          externalURL: 'http://alertmanager.local', version: '4', groupKey: `{}:{agent_type="Agent${k}"}`, truncatedAlerts: 0,
        }),
      });
    }
  }
  return out;
}

/** Sends the storm through the intakes (load-balanced, resending what was refused) and fires `events` on the way. */
export async function runStorm(system: StormSystem, opts: { alerts: number; incidents: number; batch?: number; concurrency?: number; events?: readonly StormEvent[]; deadlineMs?: number }): Promise<StormResult> {
  const bodies = stormBodies(opts.alerts, opts.incidents, opts.batch ?? 10);
  const accepted = new Map<string, number>();
  const deadline = Date.now() + (opts.deadlineMs ?? 120_000);
  const pending = [...(opts.events ?? [])].sort((a, b) => a.at - b.at);
  const running: Promise<void>[] = [];
  const progress: StormProgress = { sent: 0, resent: 0 };
  let rr = 0;
  let gaveUp = 0;
  const t0 = performance.now();
  const fire = (): void => {
    while (pending.length > 0 && progress.sent >= pending[0]!.at * bodies.length) {
      const ev = pending.shift()!;
      running.push(ev.run(progress));
    }
  };
  let next = 0;
  await Promise.all(Array.from({ length: opts.concurrency ?? 4 }, async () => {
    for (;;) {
      const i = next;
      next += 1;
      if (i >= bodies.length) return;
      const b = bodies[i]!;
      progress.sent += 1;
      fire();
      for (let attempt = 0; ; attempt += 1) {
        const url = system.intakeUrls[rr % system.intakeUrls.length]!;
        rr += 1;
        const status = await fetch(`${url}/alerts/alertmanager`, {
          method: 'POST', headers: { authorization: `Bearer ${STORM_TOKEN}`, 'content-type': 'application/json' }, body: b.body,
        }).then(async (r) => { await r.arrayBuffer(); return r.status; }, () => 0);
        if (status === 202) {
          for (const f of b.fingerprints) accepted.set(f, b.incident);
          break;
        }
        if (Date.now() > deadline) { gaveUp += 1; break; }
        progress.resent += 1;
        // the sender's back-off (as Alertmanager's): a little longer each time, at most 1 s
        await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** Math.min(attempt, 5))));
      }
    }
  }));
  progress.sent = bodies.length;
  fire();
  await Promise.all(running);
  return { accepted, requests: bodies.length, resent: progress.resent, gaveUp, stormS: (performance.now() - t0) / 1000 };
}

export interface StormCounts {
  alerts: { accepted: number; applied: number; lost: number };
  posts: { expected: number; made: number; duplicated: number };
  /** Incidents of the storm's runtime in the store (expected: one per storm incident). */
  incidents: number;
  /** Alerts stored in an incident other than their own (expected 0). */
  misplaced: number;
  /** Thread replies posted twice with the same text in the same thread (informational). */
  identicalReplies: number;
  /** Notify jobs that failed for good (a post or edit given up: lost). */
  notifyFailed: number;
  drainedS: number;
}

const PENDING = ['waiting', 'active', 'prioritized', 'waiting-children'] as const;

/** Alert and notify jobs not done yet (delayed ones too, but not the stale check's scheduled job, which is always there). */
async function pendingJobs(system: StormSystem): Promise<number> {
  let total = 0;
  for (const name of ['alert', 'notify'] as const) {
    const q = new Queue(name, { connection: system.redis, prefix: system.prefix });
    try {
      const c = await q.getJobCounts(...PENDING);
      total += Object.values(c).reduce((x, y) => x + y, 0);
      total += (await q.getJobs(['delayed'])).filter((j) => j.repeatJobKey === undefined && !String(j.id).startsWith('repeat:')).length;
    } finally {
      await q.close();
    }
  }
  return total;
}

/**
 * Waits (bounded) until every accepted alert is stored, no alert or notify job is left and every incident
 * has its root, then counts. A timeout is not an error here: the counts then show what is missing.
 */
export async function settleAndCount(system: StormSystem, result: StormResult, opts: { incidents: number; timeoutMs: number }): Promise<StormCounts> {
  const t0 = Date.now();
  const channels = Array.from({ length: opts.incidents }, (_, i) => `C0CHAOS${i}`);
  const roots = (): { channel: string; ts: string }[] => system.sandbox.messages.filter((m) => channels.includes(m.channel) && m.thread_ts === undefined);
  let quiet = 0;
  await waitFor(async () => {
    try {
      const incidents = (await system.store.listActive(10_000)).filter((i) => i.runtime === STORM_RUNTIME);
      const stored = incidents.reduce((s, i) => s + i.alertsTotal, 0);
      const done = stored >= result.accepted.size && (await pendingJobs(system)) === 0 && new Set(roots().map((r) => r.channel)).size >= opts.incidents;
      quiet = done ? quiet + 1 : 0;
    } catch {
      quiet = 0; // Redis still coming back
    }
    return quiet >= 3;
  }, { timeoutMs: opts.timeoutMs, intervalMs: 300, what: 'the storm to drain' }).catch(() => undefined);
  const drainedS = (Date.now() - t0) / 1000;

  const incidents = (await system.store.listActive(10_000)).filter((i) => i.runtime === STORM_RUNTIME);
  const where = new Map<string, string>(); // fingerprint → agent of the incident it is in
  for (const inc of incidents) {
    for (const a of await system.store.alerts(inc.id)) where.set(a.fingerprint, inc.agent ?? '');
  }
  let applied = 0;
  let misplaced = 0;
  for (const [f, k] of result.accepted) {
    const agent = where.get(f);
    if (agent === `Agent${k}`) applied += 1;
    else if (agent !== undefined) misplaced += 1;
  }
  const made = roots();
  const perChannel = new Map<string, number>();
  for (const r of made) perChannel.set(r.channel, (perChannel.get(r.channel) ?? 0) + 1);
  const duplicated = [...perChannel.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
  const replies = system.sandbox.messages.filter((m) => channels.includes(m.channel) && m.thread_ts !== undefined);
  const seen = new Set<string>();
  let identicalReplies = 0;
  for (const m of replies) {
    const key = `${m.channel}|${m.thread_ts}|${m.text}|${JSON.stringify(m.blocks)}`;
    if (seen.has(key)) identicalReplies += 1;
    seen.add(key);
  }
  const notify = new Queue('notify', { connection: system.redis, prefix: system.prefix });
  const notifyFailed = await notify.getJobCountByTypes('failed').finally(() => notify.close());
  return {
    alerts: { accepted: result.accepted.size, applied, lost: result.accepted.size - applied },
    posts: { expected: opts.incidents, made: made.length, duplicated },
    incidents: incidents.length, misplaced, identicalReplies, notifyFailed, drainedS,
  };
}

/** For each storm incident without a root in its channel: its record and its root's notify job (for a failure message). */
export async function explainMissingRoots(system: StormSystem): Promise<string> {
  const incidents = (await system.store.listActive(10_000)).filter((i) => i.runtime === STORM_RUNTIME);
  const notify = new Queue('notify', { connection: system.redis, prefix: system.prefix });
  const alert = new Queue('alert', { connection: system.redis, prefix: system.prefix });
  const out: string[] = [];
  try {
    for (const inc of incidents) {
      if (system.sandbox.messages.some((m) => m.channel === inc.channel && m.thread_ts === undefined)) continue;
      const job = await notify.getJob(`inc-root-${inc.id}`);
      const state = job ? await job.getState() : 'no such job';
      const raw = await system.redis.hgetall(`${system.prefix}:inc:${inc.id}`);
      out.push(`${inc.id} (${inc.agent}, ${inc.channel}): root job ${state}${job?.failedReason ? ` (${job.failedReason})` : ''}, attempts ${job?.attemptsMade ?? '-'}; record ${JSON.stringify(raw).slice(0, 600)}`);
    }
    const failed = await alert.getJobs(['failed']);
    if (failed.length) out.push(`failed alert jobs: ${failed.map((j) => `${j.id}: ${j.failedReason}`).join('; ').slice(0, 800)}`);
    const nfailed = await notify.getJobs(['failed']);
    if (nfailed.length) out.push(`failed notify jobs: ${nfailed.map((j) => `${j.id}: ${j.failedReason}`).join('; ').slice(0, 800)}`);
  } finally {
    await notify.close();
    await alert.close();
  }
  return out.join('\n');
}
