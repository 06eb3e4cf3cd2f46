/**
 * Redis memory per 10,000 incidents (issue 18, sizing in docs/operations.md), on a fresh local Redis:
 *
 * 1. The incident store alone: I incidents of A firing alerts each applied through `IncidentStore.applyAlerts`
 *    (the script the worker runs, same grouping and severity as the product), `INFO memory` used_memory
 *    before and after. This is what stays: an incident's record, alerts, timeline and indexes are kept
 *    while it is open and `retentionMs` (7 days) after it resolves.
 * 2. The whole path for J incidents (default 1,000): a bot process (alert intake) and a worker process,
 *    Slack replaced by the sandbox (50 posts/s per channel over 50 channels so it drains quickly), the same
 *    alerts sent as Alertmanager notifications; once every thread exists and nothing is left to do, every
 *    key's `MEMORY USAGE` summed by kind: incident store, outbox (posted ts and sent marks, 7 days; edit
 *    sequence numbers, 1 day), BullMQ (finished jobs kept for an hour, queue structures). Scaled to 10,000.
 *
 * Usage: tsx bench/redis_memory.ts [incidents=10000] [alertsPerIncident=5] [fullPathIncidents=1000]
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { alertmanagerPayloadSchema, alertsFromAlertmanager } from '../src/intake/alertmanager.js';
import { scopeOf } from '../src/incidents/grouping.js';
import { severityFromLabels } from '../src/incidents/severity.js';
import { IncidentStore, type ApplyAlertInput } from '../src/incidents/store.js';
import { freePort, startLocalRedis } from '../src/local/redis.js';
import { startSandbox } from '../sandbox/server.js';
import { alertmanagerBody, benchEnv, intakeReady, pendingJobs, postAlerts, runMain, runPool, spawnRole, started, stopChild, stormAlert, until } from './support.js';

const [iArg, aArg, jArg] = process.argv.slice(2);
const INCIDENTS = Number(iArg ?? 10_000);
const PER = Number(aArg ?? 5);
const FULL = Number(jArg ?? 1_000);
const CHANNELS = 50;
const TOKEN = randomBytes(16).toString('hex');

/** An Alertmanager notification of incident `k`'s `PER` alerts (agent `Agent<k>`, its own scope). */
function notification(k: number, startsAt: string): string {
  const fingerprint = (i: number): string => `m${k.toString(16).padStart(6, '0')}${i.toString(16).padStart(2, '0')}`;
  return alertmanagerBody(k, Array.from({ length: PER }, (_, i) => stormAlert(k, i, { startsAt, runtime: 'memory', channels: CHANNELS, fingerprint, description: true })));
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Part 1: the incident store alone. */
async function storeOnly(redisUrl: string): Promise<{ bytes: number; incidents: number }> {
  const redis = new Redis(redisUrl);
  const config = loadConfig({ REDIS_URL: redisUrl });
  const prefix = `{mem${randomBytes(3).toString('hex')}}:`;
  const store = new IncidentStore(redis, { keyPrefix: prefix });
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  await redis.call('MEMORY', 'PURGE');
  const before = await usedMemory(redis);
  const now = Date.now();
  for (let k0 = 0; k0 < INCIDENTS; k0 += 20) {
    const inputs: ApplyAlertInput[] = [];
    for (let k = k0; k < Math.min(INCIDENTS, k0 + 20); k += 1) {
      for (const alert of alertsFromAlertmanager(alertmanagerPayloadSchema.parse(JSON.parse(notification(k, startsAt))), 'alertmanager')) {
        inputs.push({ alert, scope: scopeOf(alert.labels, config.alerts.grouping), severity: severityFromLabels(alert.labels, config.alerts.defaultSeverity), channel: `C0MEM${k % CHANNELS}`, receivedAt: now });
      }
    }
    await store.applyAlerts(inputs, now + k0); // time goes on (incident ids carry the millisecond)
  }
  const incidents = await store.countActive();
  await redis.call('MEMORY', 'PURGE');
  const after = await usedMemory(redis);
  redis.disconnect();
  return { bytes: after - before, incidents };
}

/** The kind of a key under `prefix`: incident store, outbox (by sub-kind), BullMQ, or other. */
function kindOf(key: string, prefix: string): string {
  const rest = key.slice(prefix.length);
  const [first, second] = rest.split(':');
  if (first === 'inc') return 'incident store';
  if (first === 'outbox') return `outbox ${second ?? ''}`.trim();
  if (['alert', 'notify', 'diagnose', 'execute', 'monitor', 'respond', 'verify', 'guide'].includes(first ?? '')) return `BullMQ ${first}`;
  return `other (${first})`;
}

/** Part 2: the whole path for FULL incidents; bytes by kind of key. */
async function fullPath(redisUrl: string): Promise<{ byKind: Map<string, { keys: number; bytes: number }>; total: number; used: number; kept: number; incidents: number; roots: number; replies: number; edits: number }> {
  const sandbox = await startSandbox({ botToken: 'xoxb-bench-token', signingSecret: 'bench-signing-secret' });
  const prefix = `{memfull${randomBytes(3).toString('hex')}}`;
  const intakePort = await freePort();
  const env = benchEnv({
    sandbox, botToken: 'xoxb-bench-token', signingSecret: 'bench-signing-secret', redisUrl, prefix, ratePerS: 50, burst: 20,
    runtime: 'memory', token: TOKEN, alertChannel: 'C0MEMOTHER', routes: Array.from({ length: CHANNELS }, (_, c) => `shard=${c} -> C0MEMF${c}`),
    extra: { PORT: String(await freePort()), ALERT_INTAKE_PORT: String(intakePort), ALERT_COALESCE_MS: '1000' },
  });
  const bot = spawnRole('bot', env);
  const worker = spawnRole('worker', env);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  await redis.call('MEMORY', 'PURGE');
  const before = await usedMemory(redis);
  const pool = new Pool(`http://127.0.0.1:${intakePort}`, { connections: 4 });
  const queues = ['alert', 'notify'].map((n) => new Queue(n, { connection: redis, prefix }));
  try {
    await intakeReady(pool);
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    await runPool(Array.from({ length: FULL }, (_, k) => k), 4, async (k) => {
      const status = await postAlerts(pool, TOKEN, notification(k, startsAt));
      if (status !== 202) throw new Error(`intake answered ${status}`);
    });
    const store = new IncidentStore(redis, { keyPrefix: `${prefix}:` });
    const roots = () => sandbox.messages.filter((m) => m.channel.startsWith('C0MEMF') && m.thread_ts === undefined).length;
    let quiet = 0;
    await until('every thread and nothing left to do', 240_000, async () => {
      quiet = (await pendingJobs(queues)) === 0 && roots() >= FULL && (await store.countActive()) >= FULL ? quiet + 1 : 0;
      return quiet >= 3;
    }, 200);
    await stopChild(bot);
    await stopChild(worker);
    await redis.call('MEMORY', 'PURGE');
    const used = (await usedMemory(redis)) - before;
    const byKind = new Map<string, { keys: number; bytes: number }>();
    let total = 0;
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = nextCursor;
      const pipe = redis.pipeline();
      for (const key of keys) pipe.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
      const sizes = (await pipe.exec()) ?? [];
      keys.forEach((key, i) => {
        const bytes = Number(sizes[i]?.[1] ?? 0);
        const kind = kindOf(key, `${prefix}:`);
        const e = byKind.get(kind) ?? { keys: 0, bytes: 0 };
        e.keys += 1;
        e.bytes += bytes;
        byKind.set(kind, e);
        total += bytes;
      });
    } while (cursor !== '0');
    // what stays once BullMQ's finished jobs are gone (an hour later): the same Redis without them
    cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = nextCursor;
      const jobKeys = keys.filter((k) => kindOf(k, `${prefix}:`).startsWith('BullMQ'));
      if (jobKeys.length) await redis.unlink(...jobKeys);
    } while (cursor !== '0');
    await redis.call('MEMORY', 'PURGE');
    const kept = (await usedMemory(redis)) - before;
    const incidents = await store.countActive();
    const msgs = sandbox.messages.filter((m) => m.channel.startsWith('C0MEMF'));
    return { byKind, total, used, kept, incidents, roots: roots(), replies: msgs.filter((m) => m.thread_ts !== undefined).length, edits: msgs.reduce((s, m) => s + m.edits.length, 0) };
  } finally {
    await pool.close();
    for (const q of queues) await q.close();
    redis.disconnect();
    await stopChild(bot);
    await stopChild(worker);
    await sandbox.stop();
  }
}

async function main(): Promise<void> {
  const redis = await startLocalRedis();
  started.stops.push(() => redis.stop());
  const store = await storeOnly(redis.url);
  const per10k = (store.bytes / store.incidents) * 10_000;
  console.log(`incident store alone: ${store.incidents} incidents of ${PER} firing alerts each: used_memory +${mb(store.bytes)} (${(store.bytes / store.incidents / 1024).toFixed(2)} KB per incident)`);
  const full = await fullPath(redis.url);
  console.log(`whole path: ${full.incidents} incidents of ${PER} alerts through the intake and a worker; Slack: ${full.roots} roots, ${full.replies} thread replies, ${full.edits} root edits; used_memory +${mb(full.used)} (= ${mb((full.used / full.incidents) * 10_000)} per 10k incidents); keys by kind (MEMORY USAGE, which counts more than used_memory grows):`);
  for (const [kind, e] of [...full.byKind].sort((a, b) => b[1].bytes - a[1].bytes)) {
    console.log(`  ${kind.padEnd(22)} ${String(e.keys).padStart(7)} keys ${mb(e.bytes).padStart(9)}  = ${mb((e.bytes / full.incidents) * 10_000)} per 10k incidents`);
  }
  const per = (bytes: number): string => mb((bytes / full.incidents) * 10_000);
  console.log(`RESULT Redis memory per 10k incidents (${PER} alerts each): incident store alone ${mb(per10k)} (10k applied); whole path ${per(full.kept)} kept for days (incidents, outbox ts and marks) + ${per(full.used - full.kept)} of BullMQ's finished jobs for the first hour = ${per(full.used)} (used_memory, scaled from ${full.incidents})`);
  await redis.stop();
}

runMain(main);
