/**
 * Alert storm: N alerts (default 10,000) belonging to K incidents (default 20) posted to the intake as
 * Alertmanager notifications of B alerts each (default 10), as fast as loopback allows (C concurrent
 * connections), with the bot (intake) and 2 workers as separate `src/cli.ts` processes on a local Redis,
 * Slack replaced by the sandbox (in this process, which records every Web API call).
 *
 * Baseline in the same run: raw BullMQ `addBulk` of the very same jobs (same ids, payloads, batch size and
 * concurrency) from this process into a fresh queue; and, for reference, the same alerts as one job each.
 *
 * Reports: accepted alerts/s and the ratio to the baseline; webhook latency p50/p99; Slack calls (roots,
 * thread replies, root edits) and the busiest channel's posts in any one-second window against the
 * configured per-channel rate; alerts lost (sent − stored in incidents); time from the first alert to the
 * first thread root and per-incident root latency (and where the first root's time went: its alert job's
 * queueing and run, its notify job, the Slack call); CPU per process during the storm and until drained;
 * peak RSS of the bot and worker processes. The storm starts only once every worker process is up and has
 * opened a warm-up incident's thread (a worker still loading its modules would be measured as queueing).
 *
 * Usage: tsx bench/alert_storm.ts [alerts] [incidents] [batch] [concurrency] [channels] [workers] [worker-nice]
 * (workers = 0 measures the intake alone, then one worker draining the backlog alone — its CPU per alert;
 * worker-nice 10 runs the workers at a lower CPU priority, as batch workers sharing a small host with the
 * intake would be.)
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { alertmanagerPayloadSchema, alertsFromAlertmanager } from '../src/intake/alertmanager.js';
import { alertsJobs } from '../src/incidents/jobs.js';
import { IncidentStore } from '../src/incidents/store.js';
import { freePort, startLocalRedis } from '../src/local/redis.js';
import { startSandbox } from '../sandbox/server.js';
import { percentile as pct } from './percentile.js';
import { benchEnv, cpuSeconds, intakeReady, pendingJobs, postAlerts, runMain, runPool, spawnRole as spawnProcess, started, stopChild as stop, stormNotifications, until } from './support.js';

const [nArg, kArg, bArg, cArg, chArg, wArg, niceArg] = process.argv.slice(2);
const N = Number(nArg ?? 10_000);
const K = Number(kArg ?? 20);
const B = Number(bArg ?? 10);
const C = Number(cArg ?? 4);
const CHANNELS = Number(chArg ?? 4);
const WORKERS = Number(wArg ?? 2);
/** Scheduling priority of the worker processes (0 = same as the intake; 10 = batch work yields to the intake). */
const WORKER_NICE = Number(niceArg ?? 0);
const LABEL = WORKERS === 0 ? ' (intake alone)' : WORKER_NICE ? ` (${WORKERS} workers at nice ${WORKER_NICE})` : ` (${WORKERS} workers)`;
const RATE_PER_S = 1;
const BURST = 3;
const TOKEN = randomBytes(16).toString('hex');
const BOT_TOKEN = 'xoxb-bench-token';
const SIGNING = randomBytes(16).toString('hex');

/** The notifications: alerts grouped per incident, B per request, incidents interleaved. */
function notifications(startsAt: string): { incident: number; body: string }[] {
  const fingerprint = (i: number): string => `fp${i.toString(16).padStart(8, '0')}`;
  return stormNotifications({ alerts: N, incidents: K, batch: B }, { startsAt, runtime: 'storm', channels: CHANNELS, fingerprint, description: true });
}

/** A bot or worker process (profiled with `--cpu-prof` when ALERT_STORM_PROFILE names its role). */
function spawnRole(role: 'bot' | 'worker', env: Record<string, string>): ChildProcess {
  return spawnProcess(role, env, process.env.ALERT_STORM_PROFILE === role ? ['--cpu-prof', '--cpu-prof-dir=.run/prof'] : []);
}

function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return kb / 1024;
  } catch {
    return NaN;
  }
}

/** Raw BullMQ `addBulk` of the storm's very jobs into a fresh queue (s), and the same alerts as one job each (s). */
async function baseline(redisUrl: string, bodies: readonly { body: string }[]): Promise<{ baselineS: number; perAlertS: number }> {
  const baseConn = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const baseQueue = new Queue('alert', { connection: baseConn, prefix: `{baseline${randomBytes(3).toString('hex')}}` });
  const jobBatches = bodies.map((b) => alertsJobs(alertsFromAlertmanager(alertmanagerPayloadSchema.parse(JSON.parse(b.body)), 'alertmanager'), new Date(), 86_400));
  await baseQueue.addBulk(jobBatches[0]!.map((j) => ({ ...j, opts: { ...j.opts, jobId: `warm-${j.opts.jobId}` } })));
  const b0 = performance.now();
  await runPool(jobBatches, C, async (jobs) => { await baseQueue.addBulk(jobs.map((j) => ({ name: j.name, data: j.data, opts: j.opts }))); });
  const baselineS = (performance.now() - b0) / 1000;
  // reference: the same alerts as one job each (the design this bot does not use)
  const perAlert = jobBatches.map((jobs) => jobs.flatMap((j) => (j.data.kind === 'alerts' ? j.data.alerts : []).map((a) => alertsJobs([a], new Date(), 86_400)[0]!)));
  const r0 = performance.now();
  await runPool(perAlert, C, async (jobs) => { await baseQueue.addBulk(jobs.map((j) => ({ name: j.name, data: j.data, opts: j.opts }))); });
  const perAlertS = (performance.now() - r0) / 1000;
  await baseQueue.obliterate({ force: true });
  await baseQueue.close();
  baseConn.disconnect();
  return { baselineS, perAlertS };
}

async function main(): Promise<void> {
  const redis = await startLocalRedis();
  started.stops.push(() => redis.stop());
  const sandbox = await startSandbox({ botToken: BOT_TOKEN, signingSecret: SIGNING });
  const intakePort = await freePort();
  const prefix = `{bench${randomBytes(3).toString('hex')}}`;
  const botPort = await freePort();
  const env = benchEnv({
    sandbox, botToken: BOT_TOKEN, signingSecret: SIGNING, redisUrl: redis.url, prefix, ratePerS: RATE_PER_S, burst: BURST,
    runtime: 'bench', token: TOKEN, alertChannel: 'C0WARMUP',
    routes: [...Array.from({ length: CHANNELS }, (_, s) => `shard=${s} -> C0STORM${s}`), 'shard=late -> C0LATE'],
    extra: { PORT: String(botPort), ALERT_INTAKE_PORT: String(intakePort) },
  });
  const startsAt = new Date(Date.now() - 60_000).toISOString();
  const bodies = notifications(startsAt);

  // --- baseline: raw BullMQ addBulk of the same jobs (its job objects are garbage before the storm starts)
  const { baselineS, perAlertS } = await baseline(redis.url, bodies);

  // --- the bot (intake) and two workers -----------------------------------------------------------
  const bot = spawnRole('bot', env);
  const workers = Array.from({ length: WORKERS }, () => spawnRole('worker', env));
  if (WORKER_NICE !== 0) for (const w of workers) if (w.pid !== undefined) setPriority(w.pid, WORKER_NICE);
  const pool = new Pool(`http://127.0.0.1:${intakePort}`, { connections: C });
  await intakeReady(pool);
  // warm-up: one request of a throw-away incident (not counted)
  await postAlerts(pool, TOKEN, bodies[0]!.body.replaceAll('AutoGenAgentHighErrorRate', 'WarmUp').replaceAll('"storm"', '"warmup"').replaceAll('"shard":"', '"shard":"w'));
  // the storm starts once every worker process is up and the warm-up incident's thread exists: a worker
  // still loading its modules when the first alert arrives would be measured as queueing
  if (WORKERS > 0) {
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('alert', { connection: conn, prefix });
    await until(`${WORKERS} workers up and the warm-up thread`, 60_000,
      async () => (await queue.getWorkersCount()) >= WORKERS && sandbox.calls.some((c) => c.method === 'chat.postMessage' && c.args.channel === 'C0WARMUP'), 50);
    await queue.close();
    conn.disconnect();
  }

  // slash commands keep being acked during the storm: `/autogen help` every 100 ms, before and during
  const eventsUrl = `http://127.0.0.1:${botPort}/slack/events`;
  const ackOnce = async (): Promise<number> => {
    const t0 = performance.now();
    const r = await sandbox.sendCommand(eventsUrl, { text: 'help', channel: 'C0OPS' });
    if (r.status !== 200) throw new Error(`slash command answered ${r.status}`);
    return performance.now() - t0;
  };
  const acksBefore: number[] = [];
  for (let i = 0; i < 20; i += 1) acksBefore.push(await ackOnce());
  const acksDuring: number[] = [];
  let storming = true;
  const commandLoop = (async () => {
    while (storming) {
      acksDuring.push(await ackOnce());
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  // --- the storm ---------------------------------------------------------------------------------------
  const selfCpu0 = process.cpuUsage();
  const cpuAtStart = { bot: cpuSeconds(bot.pid), workers: workers.map((w) => cpuSeconds(w.pid)), redis: cpuSeconds(redis.pid) };
  const latencies: number[] = [];
  const firstAccepted = new Map<number, number>();
  let refused = 0;
  const s0 = performance.now();
  const stormStartedAt = Date.now();
  // one more incident starts half way through the storm, in a channel of its own: how long its thread takes
  // while the storm's backlog waits (the intake sends a new incident's first alert ahead of the bulk)
  const LATE = -1;
  const late = { incident: LATE, body: bodies[0]!.body.replaceAll('"storm"', '"late"').replaceAll('"fp', '"late-fp').replaceAll('"shard":"0"', '"shard":"late"') };
  // encoded once: the load generator shares the two cores with what it measures
  const stormBodies = [...bodies.slice(0, bodies.length / 2), late, ...bodies.slice(bodies.length / 2)].map((b) => ({ incident: b.incident, body: Buffer.from(b.body) }));
  await runPool(stormBodies, C, async (b) => {
    const t0 = performance.now();
    const status = await postAlerts(pool, TOKEN, b.body);
    latencies.push(performance.now() - t0);
    if (status !== 202) refused += 1;
    else if (!firstAccepted.has(b.incident)) firstAccepted.set(b.incident, Date.now());
  });
  const stormS = (performance.now() - s0) / 1000;
  const selfCpu = process.cpuUsage(selfCpu0);
  const cpuDuringStorm = {
    bot: cpuSeconds(bot.pid) - cpuAtStart.bot,
    workers: workers.reduce((s, w, i) => s + cpuSeconds(w.pid) - cpuAtStart.workers[i]!, 0),
    redis: cpuSeconds(redis.pid) - cpuAtStart.redis,
    self: (selfCpu.user + selfCpu.system) / 1e6,
  };
  storming = false;
  await commandLoop;

  // intake alone: then one worker drains the backlog on an otherwise idle machine (its own cost per alert)
  let drainAlone: { jobs: number; s: number; cpuS: number } | null = null;
  if (WORKERS === 0) {
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('alert', { connection: conn, prefix });
    const waiting = async (): Promise<number> => {
      const c = await queue.getJobCounts('waiting', 'prioritized', 'active');
      return (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.active ?? 0);
    };
    const worker = spawnRole('worker', env);
    const total = await waiting();
    const deadline = Date.now() + 120_000;
    // start the clock once the worker has taken its first jobs (its start-up is not what is measured)
    let left = total;
    while ((left = await waiting()) > total - 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    const cpu0 = cpuSeconds(worker.pid);
    const t0 = performance.now();
    while (await waiting() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    drainAlone = { jobs: left, s: (performance.now() - t0) / 1000, cpuS: cpuSeconds(worker.pid) - cpu0 };
    await stop(worker);
    await queue.close();
    conn.disconnect();
  }

  // --- wait until every job is processed and every Slack call made -----------------------------------
  const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  const alertQ = new Queue('alert', { connection: conn, prefix });
  const notifyQ = new Queue('notify', { connection: conn, prefix });
  const store = new IncidentStore(conn, { keyPrefix: `${prefix}:` });
  const deadline = Date.now() + 240_000;
  let quiet = 0;
  let stored = 0;
  for (;;) {
    const pending = await pendingJobs([alertQ, notifyQ]);
    const incidents = (await store.listActive(1000)).filter((i) => i.runtime === 'storm');
    stored = incidents.reduce((s, i) => s + i.alertsTotal, 0);
    quiet = pending === 0 && stored >= N ? quiet + 1 : 0;
    if (quiet >= 3 || Date.now() > deadline || WORKERS === 0) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  const drainedS = (Date.now() - stormStartedAt) / 1000;
  const incidents = (await store.listActive(1000)).filter((i) => i.runtime === 'storm');
  const rss = { bot: peakRssMb(bot.pid), workers: workers.map((w) => peakRssMb(w.pid)) };
  const cpu = {
    bot: cpuSeconds(bot.pid) - cpuAtStart.bot,
    workers: workers.reduce((s, w, i) => s + cpuSeconds(w.pid) - cpuAtStart.workers[i]!, 0),
    redis: cpuSeconds(redis.pid) - cpuAtStart.redis,
  };

  // --- Slack calls ----------------------------------------------------------------------------------
  const stormCalls = sandbox.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && String(c.args.channel ?? '').startsWith('C0STORM') && c.at >= stormStartedAt);
  const posts = stormCalls.filter((c) => c.method === 'chat.postMessage');
  const roots = posts.filter((c) => c.args.thread_ts === undefined);
  const replies = posts.length - roots.length;
  const edits = stormCalls.length - posts.length;
  let busiest = 0;
  for (let ch = 0; ch < CHANNELS; ch += 1) {
    // the per-channel rate is Slack's for posts (chat.postMessage); root edits (chat.update) have a lane of their own
    const times = posts.filter((c) => c.args.channel === `C0STORM${ch}`).map((c) => c.at).sort((x, y) => x - y);
    for (let i = 0, j = 0; i < times.length; i += 1) {
      while (times[i]! - times[j]! >= 1000) j += 1;
      busiest = Math.max(busiest, i - j + 1);
    }
  }
  const rootAt = new Map<number, number>();
  for (const r of roots) {
    const k = Number(/Agent(\d+) /.exec(String(r.args.text))?.[1] ?? NaN);
    if (!Number.isNaN(k) && !rootAt.has(k)) rootAt.set(k, r.at);
  }
  const firstAlertAt = Math.min(...[...firstAccepted].filter(([k]) => k !== LATE).map(([, at]) => at));
  const firstRootMs = Math.min(...rootAt.values()) - firstAlertAt;
  const perIncidentRoot = [...rootAt.entries()].map(([k, at]) => at - (firstAccepted.get(k) ?? at)).sort((x, y) => x - y);
  const lateRoot = sandbox.calls.find((c) => c.method === 'chat.postMessage' && c.args.channel === 'C0LATE' && c.args.thread_ts === undefined);
  const lateRootMs = lateRoot ? lateRoot.at - (firstAccepted.get(LATE) ?? NaN) : NaN;
  // where the first root's time went: its alert job (queued → started → done), then its notify job, then Slack
  let firstRootPath = '';
  const firstK = [...rootAt.entries()].sort((x, y) => x[1] - y[1])[0]?.[0];
  const firstInc = incidents.find((i) => i.agent === `Agent${firstK}`);
  if (firstInc) {
    const done = await alertQ.getJobs(['completed'], 0, -1);
    const opener = done.find((j) => (j.returnvalue as { opened?: string[] } | null)?.opened?.includes(firstInc.id));
    const rootJob = await notifyQ.getJob(`inc-root-${firstInc.id}`);
    const t0 = firstAccepted.get(firstK!) ?? NaN;
    const rel = (t: number | undefined): string => (t === undefined ? '?' : `+${(t - t0).toFixed(0)}`);
    firstRootPath = `its first alert accepted +0 ms; alert job queued ${rel(opener?.timestamp)}, started ${rel(opener?.processedOn)}, done ${rel(opener?.finishedOn)}; `
      + `root notify job queued ${rel(rootJob?.timestamp)}, started ${rel(rootJob?.processedOn)}; Slack call ${rel(rootAt.get(firstK!))} ms`;
  }
  const lat = [...latencies].sort((x, y) => x - y);
  const accepted = N + B - refused * B;
  const rate = accepted / stormS;
  const baseRate = N / baselineS;

  console.log(`storm: ${N} alerts, ${K} incidents, ${bodies.length} notifications of ${B}, ${C} connections, ${CHANNELS} channels at ${RATE_PER_S}/s (burst ${BURST}), ${WORKERS} worker processes${WORKER_NICE ? ` at nice ${WORKER_NICE}` : ''}`);
  console.log(`intake accepted ${accepted} alerts in ${stormS.toFixed(2)} s = ${rate.toFixed(0)} alerts/s (${(stormBodies.length / stormS).toFixed(0)} requests/s); refused ${refused} requests`);
  console.log(`baseline raw BullMQ addBulk of the same jobs: ${N} in ${baselineS.toFixed(2)} s = ${baseRate.toFixed(0)} alerts/s; reference, one job per alert: ${(N / perAlertS).toFixed(0)} alerts/s`);
  console.log(`webhook latency p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${lat[lat.length - 1]?.toFixed(1)} ms`);
  const ab = [...acksBefore].sort((x, y) => x - y);
  const ad = [...acksDuring].sort((x, y) => x - y);
  if (WORKERS > 0) {
    console.log(`incidents ${incidents.length}; alerts stored ${stored}; lost ${N - Math.min(stored, N)}; duplicated ${Math.max(0, stored - N)}; all drained ${drainedS.toFixed(1)} s after the first alert`);
    console.log(`Slack calls ${stormCalls.length}: ${roots.length} thread roots, ${replies} thread replies, ${edits} root edits; busiest channel ${busiest} posts in one second (rate ${RATE_PER_S}/s, burst ${BURST}; edits have a lane of their own)`);
    console.log(`first thread root ${firstRootMs.toFixed(0)} ms after the first alert; per-incident root after its first alert p50 ${pct(perIncidentRoot, 50).toFixed(0)} ms, p90 ${pct(perIncidentRoot, 90).toFixed(0)} ms (${CHANNELS} channels at ${RATE_PER_S}/s)`);
    console.log(`per-incident root after its first alert, sorted (ms): ${perIncidentRoot.join(' ')}`);
    console.log(`an incident starting half way through the storm (own channel): its root ${lateRootMs.toFixed(0)} ms after its first alert`);
    console.log(`first root's path: ${firstRootPath}`);
    console.log(`slash command acks (/autogen help, same bot process): before the storm p50 ${pct(ab, 50).toFixed(1)} ms, max ${ab[ab.length - 1]?.toFixed(1)} ms; during it (${ad.length}) p50 ${pct(ad, 50).toFixed(1)} ms, max ${ad[ad.length - 1]?.toFixed(1)} ms (Slack's limit 3,000 ms)`);
    console.log(`peak RSS: bot (intake) ${rss.bot.toFixed(0)} MB; workers ${rss.workers.map((x) => x.toFixed(0)).join(' / ')} MB`);
    const d = cpuDuringStorm;
    console.log(`CPU during the storm (${stormS.toFixed(2)} s): bot ${d.bot.toFixed(2)} s, workers ${d.workers.toFixed(2)} s, redis ${d.redis.toFixed(2)} s, this load generator + sandbox ${d.self.toFixed(2)} s`);
    console.log(`CPU from the storm's start to drained: bot ${cpu.bot.toFixed(2)} s, workers ${cpu.workers.toFixed(2)} s (${((cpu.workers / N) * 1e6).toFixed(0)} µs per alert), redis ${cpu.redis.toFixed(2)} s (${((cpu.redis / N) * 1e6).toFixed(0)} µs per alert)`);
  } else {
    console.log(`slash command acks (/autogen help, same bot process): before the storm max ${ab[ab.length - 1]?.toFixed(1)} ms; during it (${ad.length}) max ${ad[ad.length - 1]?.toFixed(1)} ms`);
  }
  console.log(`RESULT alert storm${LABEL} intake ${rate.toFixed(0)} alerts/s = ${(rate / baseRate).toFixed(2)}x raw BullMQ addBulk (target ≥ 2000/s: ${rate >= 2000 ? 'met' : 'NOT met'})`);
  console.log(`RESULT alert storm${LABEL} webhook p99 ${pct(lat, 99).toFixed(1)} ms (target < 50 ms: ${pct(lat, 99) < 50 ? 'met' : 'NOT met'})`);
  if (WORKERS === 0) {
    console.log(`RESULT alert storm${LABEL} peak RSS ${rss.bot.toFixed(0)} MB (no workers during the storm)`);
    if (drainAlone) {
      const alerts = drainAlone.jobs * B;
      console.log(`RESULT alert storm, one worker draining the backlog alone: ${drainAlone.jobs} notifications (${alerts} alerts) in ${drainAlone.s.toFixed(2)} s = ${(alerts / drainAlone.s).toFixed(0)} alerts/s; worker CPU ${((drainAlone.cpuS / alerts) * 1e6).toFixed(0)} µs per alert`);
    }
  } else {
    console.log(`RESULT alert storm${LABEL} lost ${N - Math.min(stored, N)} of ${N} (target 0); ${roots.length} roots for ${K} incidents; ${stormCalls.length} Slack calls; busiest channel ${busiest} posts/s (limit ${RATE_PER_S}/s + burst ${BURST})`);
    console.log(`RESULT alert storm${LABEL} slash-command ack during the storm max ${ad[ad.length - 1]?.toFixed(0)} ms = ${((ad[ad.length - 1] ?? NaN) / (ab[ab.length - 1] ?? NaN)).toFixed(2)}x the max before it (never blocked: all ${ad.length} acked 200)`);
    const rootP50 = pct(perIncidentRoot, 50);
    console.log(`RESULT alert storm${LABEL} thread root after an incident's first alert p50 ${rootP50.toFixed(0)} ms over ${perIncidentRoot.length} incidents (target < 300 ms: ${rootP50 < 300 ? 'met' : 'NOT met'}); the very first ${firstRootMs.toFixed(0)} ms; an incident starting mid-storm ${lateRootMs.toFixed(0)} ms; bot peak RSS ${rss.bot.toFixed(0)} MB`);
  }

  await pool.close();
  await alertQ.close();
  await notifyQ.close();
  conn.disconnect();
  await stop(bot);
  await Promise.all(workers.map(stop));
  await sandbox.stop();
  await redis.stop();
}

runMain(main);
