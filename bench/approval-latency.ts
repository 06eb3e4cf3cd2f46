/**
 * Approve-click → isolation effective in the runtime. A signed `plan:approve` click reaches the bot (real
 * Bolt HTTP receiver), which checks the approver and consumes the approval record atomically in Redis,
 * queues the `execute` job; a worker runs the plan's isolate action on the real demo fleet through the
 * bridge. The clock stops when the bridge reports the agent isolated (polled every millisecond).
 *
 * Two set-ups in the same run: one bot + one worker, and two bots + two workers with two approvers
 * clicking at the same moment (one click per bot replica) — there the plan must still run exactly once.
 * Baseline measured in the same run: the same isolate call made directly to the bridge (undici), polled
 * the same way — the floor any bot pays.
 * Usage: tsx bench/approval-latency.ts [runs] [python]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startLocalRedis } from '../src/local/redis.js';
import { startFleet } from '../src/local/fleet.js';
import { startBotRole, type BotRole } from '../src/roles/bot.js';
import { startWorkerRole, type WorkerRole } from '../src/roles/worker.js';
import { startSandbox, type SandboxMessage } from '../sandbox/server.js';
import { percentile as pct } from './percentile.js';

const [runsArg, pythonArg] = process.argv.slice(2);
const RUNS = Number(runsArg ?? 30);
const PYTHON = pythonArg ?? '.venv/bin/python';
const AGENT = 'ToolAgent';

// A runbook that isolates the agent named in the request (verification and TTL far away: only the run is timed).
const runbooks = mkdtempSync(join(tmpdir(), 'bench-runbooks-'));
writeFileSync(join(runbooks, 'bench-isolate.yaml'), `id: bench-isolate
title: Benchmark — isolate the named agent
scenario: benchmark
risk: high
match:
  labels:
    alertname: BenchmarkOnly
steps:
  - action: isolate
    target: incident_agent
    temporary: true
approval:
  users: [U0BENCHA, U0BENCHB]
verify:
  settle_s: 3600
  checks:
    - check: isolated
ttl_s: 3600
`);

const redis = await startLocalRedis();
const token = randomBytes(8).toString('hex');
const fleet = await startFleet({ python: PYTHON, token, rate: 10, name: 'bench' });
const secret = randomBytes(16).toString('hex');
const sandbox = await startSandbox({ botToken: 'xoxb-bench', signingSecret: secret });
const config = loadConfig({
  SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: secret, SLACK_API_URL: sandbox.apiUrl, REDIS_URL: redis.url,
  QUEUE_PREFIX: '{bench-approval}', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', MONITOR_ENABLED: 'false',
  SLACK_CHANNEL_RATE_PER_S: '50', SLACK_CHANNEL_BURST: '20',
  AUTOGEN_RUNTIMES: `demo=${fleet.url}`, AUTOGEN_RUNTIME_DEMO_TOKEN: token, RUNBOOKS_DIR: runbooks,
  RESPONSE_MAX_ACTIONS: '10000',
});
const logger = createLogger(config);
const identity = { botId: sandbox.botId, botUserId: sandbox.botUserId };
const bots: BotRole[] = [await startBotRole(config, logger, { identity }), await startBotRole(config, logger, { identity })];
const workers: WorkerRole[] = [startWorkerRole(config, logger)];
const urls = bots.map((b) => `http://127.0.0.1:${b.slack.port}/slack/events`);
const bridge = new Agent({ keepAliveTimeout: 30_000, connections: 4 });
const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function bridgeCall(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await request(`${fleet.url}${path}`, { method, headers: auth, dispatcher: bridge, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return (await res.body.json()) as Record<string, unknown>;
}

async function untilIsolated(): Promise<void> {
  for (;;) {
    if ((await bridgeCall('GET', `/v1/agents/${AGENT}`)).isolated === true) return;
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function releaseAll(): Promise<number> {
  const { actions } = await bridgeCall('GET', '/v1/actions') as { actions: { action_id: string; target: string }[] };
  const mine = actions.filter((a) => a.target === AGENT);
  for (const a of mine) await bridgeCall('POST', `/v1/actions/${a.action_id}/revert`, {});
  if ((await bridgeCall('GET', `/v1/agents/${AGENT}`)).isolated === true) await bridgeCall('POST', '/v1/actions/release', { agent_type: AGENT });
  return mine.length;
}

let seq = 0;
async function planMessage(): Promise<SandboxMessage> {
  const channel = `C0BENCH${(seq += 1)}`;
  await sandbox.sendCommand(urls[0]!, { text: `recover ${AGENT} bench-isolate`, channel, user: 'U0BENCHA' });
  for (;;) {
    const m = sandbox.messages.find((x) => x.channel === channel && JSON.stringify(x.blocks).includes('plan:approve'));
    if (m) return m;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function baselineRun(): Promise<number> {
  const t0 = performance.now();
  await bridgeCall('POST', '/v1/actions/isolate', { agent_type: AGENT, mode: 'refuse', ttl_s: 3600, reason: 'baseline' });
  await untilIsolated();
  const ms = performance.now() - t0;
  await releaseAll();
  return ms;
}

/** One click (or two racing clicks, one per bot replica); returns ms and how many actions the bridge got. */
async function botRun(racing: boolean): Promise<{ ms: number; actions: number }> {
  const plan = await planMessage();
  const t0 = performance.now();
  const clicks = racing
    ? [sandbox.clickButton(urls[0]!, plan, 'plan:approve', 'U0BENCHA'), sandbox.clickButton(urls[1]!, plan, 'plan:approve', 'U0BENCHB')]
    : [sandbox.clickButton(urls[0]!, plan, 'plan:approve', 'U0BENCHA')];
  await Promise.all([...clicks, untilIsolated()]);
  const ms = performance.now() - t0;
  // Give a second (wrong) run the chance to show up before counting.
  await new Promise((r) => setTimeout(r, 50));
  return { ms, actions: await releaseAll() };
}

try {
  await releaseAll();
  for (let i = 0; i < 3; i += 1) { await baselineRun(); await botRun(false); }
  const base: number[] = [];
  const one: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    base.push(await baselineRun());
    one.push((await botRun(false)).ms);
  }
  workers.push(startWorkerRole(config, logger));
  const two: number[] = [];
  let doubleRuns = 0;
  for (let i = 0; i < RUNS; i += 1) {
    const r = await botRun(true);
    two.push(r.ms);
    if (r.actions !== 1) doubleRuns += 1;
  }
  const b50 = pct(base, 50);
  const p1 = pct(one, 50);
  const p2 = pct(two, 50);
  console.log(`demo fleet at 10 chat requests/s; ${RUNS} runs each; isolation observed by polling the bridge every 1 ms`);
  console.log(`baseline (direct bridge isolate call): p50 ${b50.toFixed(1)} ms, p95 ${pct(base, 95).toFixed(1)} ms`);
  console.log(`approve click → isolated, 1 bot + 1 worker: p50 ${p1.toFixed(1)} ms, p95 ${pct(one, 95).toFixed(1)} ms`);
  console.log(`approve click → isolated, 2 bots + 2 workers, 2 racing clicks: p50 ${p2.toFixed(1)} ms, p95 ${pct(two, 95).toFixed(1)} ms; runs that acted twice: ${doubleRuns}`);
  console.log(`RESULT approval → isolation p50 = ${p1.toFixed(0)} ms (target < 200 ms: ${p1 < 200 ? 'met' : 'NOT met'}); ratio to a direct bridge call = ${(p1 / b50).toFixed(2)}x`);
  console.log(`RESULT approval → isolation, 2 workers racing p50 = ${p2.toFixed(0)} ms (target < 200 ms: ${p2 < 200 ? 'met' : 'NOT met'}); ratio = ${(p2 / b50).toFixed(2)}x; double runs = ${doubleRuns}`);
} finally {
  for (const b of bots) await b.stop();
  for (const w of workers) await w.stop(2_000);
  await bridge.close();
  await sandbox.stop();
  await fleet.stop();
  await redis.stop();
}
