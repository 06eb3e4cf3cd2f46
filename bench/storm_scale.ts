/**
 * The alert storm across replicas (issue 18): the same storm against three systems, each started fresh in
 * this run, and the figures of the scaled ones as ratios to the first:
 *   1. one process's worth: 1 bot + 1 worker on one Redis (the baseline);
 *   2. 2 bots + 3 workers on one Redis;
 *   3. 2 bots + 3 workers on a Redis Cluster (3 masters + 3 replicas, `test/support/redis-cluster.ts`).
 * Bots and workers are `src/cli.ts bot` / `src/cli.ts worker` processes; Slack is the sandbox (in this
 * process, recording every call). The load generator acts as a load balancer: requests go round-robin to the
 * bots' alert intakes, C at a time; a refused request is sent again to the next intake. Slash commands
 * (`/autogen help`) go round-robin to the bots every 100 ms while the storm lasts.
 *
 * Per system: accepted alerts/s; time from the storm's first request until every accepted alert is in its
 * incident ("applied") and until no alert or notify job is left ("drained"); Slack calls made (thread roots,
 * replies, root edits); webhook and slash-command ack p50/p99; alerts lost; CPU seconds per process kind
 * (alerts per bot CPU-second, jobs per worker CPU-second: capacity per core, for sizing); when each thread's
 * last reply and its root's last edit landed (root edits keep up: the root is final before its thread is).
 *
 * Usage: tsx bench/storm_scale.ts [alerts=6000] [incidents=20] [batch=10] [concurrency=8] [channels=4] [topologies=single,scaled,cluster]
 * Bounded: each system has 60 s to come up and 120 s to drain after its storm.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { IncidentStore } from '../src/incidents/store.js';
import { freePort, startLocalRedis } from '../src/local/redis.js';
import { connectRedis, type RedisClient } from '../src/redis/connect.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { percentile as pct } from './percentile.js';
import { benchEnv, cpuSeconds, intakeReady, pendingJobs, postAlerts, runMain, runPool, spawnRole, started, stopChild, stormNotifications, until } from './support.js';

const [nArg, kArg, bArg, cArg, chArg, topoArg] = process.argv.slice(2);
const N = Number(nArg ?? 6_000);
const K = Number(kArg ?? 20);
const B = Number(bArg ?? 10);
const C = Number(cArg ?? 8);
/** Channels the incidents are routed to (several incidents share one: their thread replies queue behind each other). */
const CHANNELS = Number(chArg ?? 4);
const TOPOLOGIES = (topoArg ?? 'single,scaled,cluster').split(',');
const TOKEN = randomBytes(16).toString('hex');
const BOT_TOKEN = 'xoxb-bench-token';
const SIGNING = randomBytes(16).toString('hex');
/** Slack's pace per channel as the bot applies it (production defaults: 1 post per second, burst 3). */
const RATE_PER_S = 1;
const BURST = 3;
/** Each incident's changes are flushed (a thread reply and a root edit) at most this often, ms. */
const COALESCE_MS = 1_000;

interface Topology { key: string; label: string; bots: number; workers: number; cluster: boolean }
const ALL: Topology[] = [
  { key: 'single', label: '1 bot + 1 worker, one Redis', bots: 1, workers: 1, cluster: false },
  { key: 'scaled', label: '2 bots + 3 workers, one Redis', bots: 2, workers: 3, cluster: false },
  { key: 'cluster', label: '2 bots + 3 workers, Redis Cluster (3 masters + 3 replicas)', bots: 2, workers: 3, cluster: true },
];

interface Figures {
  label: string;
  accepted: number;
  stormS: number;
  alertsPerS: number;
  appliedS: number;
  drainedS: number;
  lost: number;
  roots: number;
  replies: number;
  edits: number;
  duplicateRoots: number;
  incidents: number;
  webhookP50: number;
  webhookP99: number;
  ackP50: number;
  ackP99: number;
  acks: number;
  resent: number;
  cpu: { bots: number; workers: number; redis: number };
  jobs: number;
  /** Seconds after the storm's start: the last thread reply, the last root edit (over all incidents). */
  lastReplyS: number;
  lastRootEditS: number;
  /** Incidents whose root got its last edit before their thread got its last reply. */
  rootsAhead: number;
}

/** The storm's notifications: alerts of K incidents (routed to CHANNELS channels), B per request, incidents interleaved. */
function notifications(run: string): { incident: number; body: Buffer }[] {
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const fingerprint = (i: number): string => `${run}${i.toString(16).padStart(8, '0')}`;
  return stormNotifications({ alerts: N, incidents: K, batch: B }, { startsAt, runtime: 'storm', channels: CHANNELS, fingerprint })
    .map((n) => ({ incident: n.incident, body: Buffer.from(n.body) }));
}

async function runSystem(t: Topology): Promise<Figures> {
  const run = `s${randomBytes(2).toString('hex')}`;
  let redisUrl: string;
  let redisPids: number[];
  let stopRedis: () => Promise<void>;
  if (t.cluster) {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    redisUrl = cluster.url;
    redisPids = cluster.nodes.map((a) => cluster.node(a).pid);
    stopRedis = () => cluster.stop();
  } else {
    const redis = await startLocalRedis();
    redisUrl = redis.url;
    redisPids = [redis.pid];
    stopRedis = () => redis.stop();
  }
  started.stops.push(stopRedis);
  const sandbox: Sandbox = await startSandbox({ botToken: BOT_TOKEN, signingSecret: SIGNING });
  started.stops.push(() => sandbox.stop());
  const prefix = `{bench${randomBytes(3).toString('hex')}}`;
  const env = benchEnv({
    sandbox, botToken: BOT_TOKEN, signingSecret: SIGNING, redisUrl, prefix, ratePerS: RATE_PER_S, burst: BURST,
    runtime: 'bench', token: TOKEN, alertChannel: 'C0WARMUP',
    routes: [...Array.from({ length: CHANNELS }, (_, c) => `shard=${c} -> C0SCALE${c}`), 'shard=warm -> C0WARMUP'],
    // a flush per incident every second while its alerts arrive: the threads of a channel's incidents queue up
    // behind its one post per second, and the roots must keep up all the same
    extra: { ALERT_COALESCE_MS: String(COALESCE_MS) },
  });
  const bots: ChildProcess[] = [];
  const intakes: Pool[] = [];
  const eventsUrls: string[] = [];
  for (let i = 0; i < t.bots; i += 1) {
    const [port, intakePort] = [await freePort(), await freePort()];
    bots.push(spawnRole('bot', { ...env, PORT: String(port), ALERT_INTAKE_PORT: String(intakePort) }));
    intakes.push(new Pool(`http://127.0.0.1:${intakePort}`, { connections: C }));
    eventsUrls.push(`http://127.0.0.1:${port}/slack/events`);
  }
  const workers = Array.from({ length: t.workers }, () => spawnRole('worker', env));
  const conn: RedisClient = connectRedis(loadConfig({ REDIS_URL: redisUrl }).redis, 'worker');
  conn.on('error', () => undefined);
  const alertQ = new Queue('alert', { connection: conn, prefix });
  const notifyQ = new Queue('notify', { connection: conn, prefix });
  const store = new IncidentStore(conn, { keyPrefix: `${prefix}:` });
  const post = (pool: Pool, body: Buffer | string): Promise<number> => postAlerts(pool, TOKEN, body);
  try {
    for (const pool of intakes) await intakeReady(pool);
    await until(`${t.workers} workers listening`, 60_000, async () => (await alertQ.getWorkersCount()) >= t.workers);
    // warm-up (not counted): a throw-away incident through every intake, until its thread exists
    const bodies = notifications(run);
    const warm = bodies[0]!.body.toString().replaceAll('AutoGenAgentHighErrorRate', 'WarmUp').replaceAll('"storm"', '"warmup"').replaceAll(`"${run}`, '"warm').replaceAll('"shard":"0"', '"shard":"warm"');
    for (const pool of intakes) await post(pool, warm);
    await until('warm-up thread', 60_000, () => sandbox.calls.some((c) => c.method === 'chat.postMessage' && c.args.channel === 'C0WARMUP'));
    for (const url of eventsUrls) await sandbox.sendCommand(url, { text: 'help', channel: 'C0OPS' });

    const cpu0 = { bots: bots.map((b) => cpuSeconds(b.pid)), workers: workers.map((w) => cpuSeconds(w.pid)), redis: redisPids.map(cpuSeconds) };
    const acks: number[] = [];
    let storming = true;
    let ackRr = 0;
    const commands = (async () => {
      while (storming) {
        const t0 = performance.now();
        const r = await sandbox.sendCommand(eventsUrls[ackRr++ % eventsUrls.length]!, { text: 'help', channel: 'C0OPS' });
        if (r.status === 200) acks.push(performance.now() - t0);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const latencies: number[] = [];
    let resent = 0;
    let rr = 0;
    const stormStart = Date.now();
    const s0 = performance.now();
    await runPool(bodies, C, async ({ body }, i) => {
      for (let attempt = 0; ; attempt += 1) {
        const t0 = performance.now();
        const status = await post(intakes[rr++ % intakes.length]!, body).catch(() => 0);
        latencies.push(performance.now() - t0);
        if (status === 202) break;
        if (attempt > 50) throw new Error(`request ${i} refused ${attempt} times (last ${status})`);
        resent += 1;
        await new Promise((r) => setTimeout(r, Math.min(1_000, 50 * 2 ** Math.min(attempt, 5))));
      }
    });
    const stormS = (performance.now() - s0) / 1000;
    storming = false;
    await commands;

    let appliedS = NaN;
    let stored = 0;
    const deadline = Date.now() + 120_000;
    let quiet = 0;
    let quietSince = NaN;
    for (;;) {
      const incidents = (await store.listActive(10_000)).filter((i) => i.runtime === 'storm');
      stored = incidents.reduce((s, i) => s + i.alertsTotal, 0);
      if (stored >= N && Number.isNaN(appliedS)) appliedS = (Date.now() - stormStart) / 1000;
      const idle = stored >= N && (await pendingJobs([alertQ, notifyQ])) === 0;
      if (idle && quiet === 0) quietSince = Date.now();
      quiet = idle ? quiet + 1 : 0;
      // three checks in a row with nothing left: drained since the first of them
      if (quiet >= 3 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const drainedS = ((quiet >= 3 ? quietSince : Date.now()) - stormStart) / 1000;
    const cpu = {
      bots: bots.reduce((s, b, i) => s + cpuSeconds(b.pid) - cpu0.bots[i]!, 0),
      workers: workers.reduce((s, w, i) => s + cpuSeconds(w.pid) - cpu0.workers[i]!, 0),
      redis: redisPids.reduce((s, p, i) => s + cpuSeconds(p) - cpu0.redis[i]!, 0),
    };
    const completed = await alertQ.getJobCountByTypes('completed');

    // Slack calls in the storm's channels
    const calls = sandbox.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && String(c.args.channel ?? '').startsWith('C0SCALE'));
    const rootMsgs = sandbox.messages.filter((m) => m.channel.startsWith('C0SCALE') && m.thread_ts === undefined);
    const incidentCount = (await store.listActive(10_000)).filter((i) => i.runtime === 'storm').length;
    const replies = sandbox.messages.filter((m) => m.channel.startsWith('C0SCALE') && m.thread_ts !== undefined);
    const edits = rootMsgs.reduce((s, m) => s + m.edits.length, 0);
    // per incident: when its thread got its last reply and its root its last edit (root edits keep up: the
    // root is final before the thread's backlog is)
    let lastReply = 0;
    let lastEdit = 0;
    let rootsAhead = 0;
    for (const root of rootMsgs) {
      const r = Math.max(0, ...calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === root.ts).map((c) => c.at));
      const e = Math.max(0, ...calls.filter((c) => c.method === 'chat.update' && c.args.ts === root.ts).map((c) => c.at));
      lastReply = Math.max(lastReply, r);
      lastEdit = Math.max(lastEdit, e);
      if (e > 0 && e <= r) rootsAhead += 1;
    }
    const lat = [...latencies].sort((x, y) => x - y);
    const ak = [...acks].sort((x, y) => x - y);
    return {
      label: t.label, accepted: N, stormS, alertsPerS: N / stormS, appliedS, drainedS, lost: N - Math.min(N, stored),
      roots: rootMsgs.length, replies: replies.length, edits,
      duplicateRoots: Math.max(0, rootMsgs.length - incidentCount), incidents: incidentCount,
      webhookP50: pct(lat, 50), webhookP99: pct(lat, 99), ackP50: pct(ak, 50), ackP99: pct(ak, 99), acks: ak.length, resent,
      cpu, jobs: completed + rootMsgs.length + replies.length + edits,
      lastReplyS: (lastReply - stormStart) / 1000, lastRootEditS: (lastEdit - stormStart) / 1000, rootsAhead,
    };
  } finally {
    for (const pool of intakes) await pool.close();
    await alertQ.close();
    await notifyQ.close();
    conn.disconnect();
    await Promise.all([...bots, ...workers].map(stopChild));
    await sandbox.stop();
    await stopRedis();
    started.stops = [];
  }
}

const ratio = (x: number, base: number): string => (base > 0 && Number.isFinite(x / base) ? `${(x / base).toFixed(2)}x` : 'n/a');

function describe(f: Figures): void {
  console.log(`-- ${f.label}`);
  console.log(`intake accepted ${f.accepted} alerts in ${f.stormS.toFixed(2)} s = ${f.alertsPerS.toFixed(0)} alerts/s (${f.resent} requests sent again); webhook ack p50 ${f.webhookP50.toFixed(1)} ms, p99 ${f.webhookP99.toFixed(1)} ms`);
  console.log(`all applied ${f.appliedS.toFixed(2)} s after the first request; drained (no alert or notify job left) ${f.drainedS.toFixed(1)} s; lost ${f.lost}`);
  console.log(`Slack: ${f.roots} thread roots for ${f.incidents} incidents (${f.duplicateRoots} duplicated), ${f.replies} thread replies, ${f.edits} root edits; last reply +${f.lastReplyS.toFixed(1)} s, last root edit +${f.lastRootEditS.toFixed(1)} s; roots final before their thread in ${f.rootsAhead} of ${K}`);
  console.log(`slash-command acks during the storm (${f.acks}) p50 ${f.ackP50.toFixed(1)} ms, p99 ${f.ackP99.toFixed(1)} ms`);
  console.log(`CPU from the storm's start to drained: bots ${f.cpu.bots.toFixed(2)} s (${(f.accepted / f.cpu.bots).toFixed(0)} alerts per bot CPU-second), workers ${f.cpu.workers.toFixed(2)} s (${(f.jobs / f.cpu.workers).toFixed(0)} jobs per worker CPU-second, counting the ${f.jobs} alert jobs and Slack calls; flush jobs not counted), redis ${f.cpu.redis.toFixed(2)} s`);
}

async function main(): Promise<void> {
  const topologies = ALL.filter((t) => TOPOLOGIES.includes(t.key));
  console.log(`storm scale: ${N} alerts, ${K} incidents in ${CHANNELS} channels (${RATE_PER_S} post/s per channel, burst ${BURST}; a flush per incident at most every ${COALESCE_MS} ms), ${Math.ceil(N / B)} notifications of ${B}, ${C} connections; systems: ${topologies.map((t) => t.label).join('; ')}`);
  const results: Figures[] = [];
  for (const t of topologies) {
    const f = await runSystem(t);
    describe(f);
    results.push(f);
  }
  const base = results.find((f) => f.label === ALL[0]!.label);
  for (const f of results) {
    if (!base || f === base) continue;
    const name = f.label;
    console.log(`RESULT storm across ${name}: ${f.alertsPerS.toFixed(0)} alerts/s accepted = ${ratio(f.alertsPerS, base.alertsPerS)} one process (${base.alertsPerS.toFixed(0)}/s, 1 bot + 1 worker, same run)`);
    console.log(`RESULT storm across ${name}: all applied in ${f.appliedS.toFixed(2)} s = ${ratio(f.appliedS, base.appliedS)} one process (${base.appliedS.toFixed(2)} s); drained ${f.drainedS.toFixed(1)} s = ${ratio(f.drainedS, base.drainedS)}`);
    console.log(`RESULT storm across ${name}: Slack posts made ${f.roots + f.replies} (${f.roots} roots for ${f.incidents} incidents, ${f.duplicateRoots} duplicated; ${f.replies} thread replies) + ${f.edits} root edits = ${ratio(f.roots + f.replies + f.edits, base.roots + base.replies + base.edits)} one process (${base.roots + base.replies} + ${base.edits}; replies and edits follow how long the storm lasts: one per incident per flush); lost ${f.lost} of ${N}`);
    console.log(`RESULT storm across ${name}: webhook ack p99 ${f.webhookP99.toFixed(1)} ms = ${ratio(f.webhookP99, base.webhookP99)} one process (${base.webhookP99.toFixed(1)} ms); slash-command ack p99 ${f.ackP99.toFixed(1)} ms = ${ratio(f.ackP99, base.ackP99)} (${base.ackP99.toFixed(1)} ms)`);
  }
  for (const f of results) {
    console.log(`RESULT storm root edits (${f.label}): last root edit +${f.lastRootEditS.toFixed(1)} s vs last thread reply +${f.lastReplyS.toFixed(1)} s after the storm's start; roots final before their thread in ${f.rootsAhead} of ${K}`);
  }
}

runMain(main);
