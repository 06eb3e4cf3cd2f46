/**
 * `/autogen diagnose ChatAgent` end to end — signed command → bot → Redis → worker → real demo fleet with
 * 100 agent instances and a cascade fault → outbox → sandbox chat.postMessage — against a baseline measured
 * in the same run: the same bridge reads made directly (undici, in parallel), i.e. the floor any bot pays.
 * Usage: tsx bench/diagnose-e2e.ts [runs] [instances]
 */
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startLocalRedis } from '../src/local/redis.js';
import { startFleet } from '../src/local/fleet.js';
import { startBotRole } from '../src/roles/bot.js';
import { startWorkerRole } from '../src/roles/worker.js';
import { startSandbox, type SandboxMessage } from '../sandbox/server.js';
import { percentile as pct } from './percentile.js';

const [runsArg, instancesArg, pythonArg] = process.argv.slice(2);
const RUNS = Number(runsArg ?? 30);
const INSTANCES = Number(instancesArg ?? 100);
const PYTHON = pythonArg ?? '.venv/bin/python';

const redis = await startLocalRedis();
const token = randomBytes(8).toString('hex');
const fleet = await startFleet({ python: PYTHON, token, faults: ['cascade:ChatAgent'], instances: INSTANCES, name: 'bench' });
const secret = randomBytes(16).toString('hex');
const sandbox = await startSandbox({ botToken: 'xoxb-bench', signingSecret: secret });
const config = loadConfig({
  SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: secret, SLACK_API_URL: sandbox.apiUrl, REDIS_URL: redis.url,
  QUEUE_PREFIX: '{bench-e2e}', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent',
  AUTOGEN_RUNTIMES: `demo=${fleet.url}`, AUTOGEN_RUNTIME_DEMO_TOKEN: token,
});
const logger = createLogger(config);
const worker = startWorkerRole(config, logger);
const bot = await startBotRole(config, logger, { identity: { botId: sandbox.botId, botUserId: sandbox.botUserId } });
const eventsUrl = `http://127.0.0.1:${bot.slack.port}/slack/events`;

async function directReads(): Promise<number> {
  const h = { authorization: `Bearer ${token}` };
  const t0 = performance.now();
  await Promise.all(['/healthz', '/v1/runtime', '/v1/agents/ChatAgent', '/v1/logs?agent=ChatAgent&since=900&level=WARNING&limit=100']
    .map(async (p) => { const r = await request(`${fleet.url}${p}`, { headers: h }); await r.body.json(); }));
  return performance.now() - t0;
}

async function e2e(i: number): Promise<{ ms: number; msg: SandboxMessage }> {
  const channel = `C0BENCH${i}`;
  const posted = new Promise<SandboxMessage>((resolve) => {
    const on = (m: SandboxMessage): void => { if (m.channel === channel) { sandbox.events.off('message', on); resolve(m); } };
    sandbox.events.on('message', on);
  });
  const t0 = performance.now();
  const ack = await sandbox.sendCommand(eventsUrl, { text: 'diagnose ChatAgent', channel });
  if (ack.status !== 200) throw new Error(`ack ${ack.status}`);
  const msg = await posted;
  return { ms: performance.now() - t0, msg };
}

try {
  // let the fleet's traffic produce the fault's errors, and warm both paths
  await new Promise((r) => setTimeout(r, 3_000));
  for (let i = 0; i < 3; i += 1) { await directReads(); await e2e(1000 + i); }
  const base: number[] = [];
  const full: number[] = [];
  let last: SandboxMessage | undefined;
  for (let i = 0; i < RUNS; i += 1) {
    base.push(await directReads());
    const r = await e2e(i);
    full.push(r.ms);
    last = r.msg;
  }
  const p50 = pct(full, 50);
  console.log(`fleet: ${INSTANCES} agent instances, fault cascade:ChatAgent; ${RUNS} sequential runs`);
  console.log(`baseline (direct parallel bridge reads): p50 ${pct(base, 50).toFixed(1)} ms, p95 ${pct(base, 95).toFixed(1)} ms`);
  console.log(`diagnose end to end (command → report posted): p50 ${p50.toFixed(1)} ms, p95 ${pct(full, 95).toFixed(1)} ms`);
  console.log(`report headline: ${String(last?.text).slice(0, 160)}`);
  console.log(`RESULT diagnose e2e p50 = ${p50.toFixed(0)} ms (target < 500 ms: ${p50 < 500 ? 'met' : 'NOT met'}); ratio to direct bridge reads = ${(p50 / pct(base, 50)).toFixed(2)}x`);
} finally {
  await bot.stop();
  await worker.stop(2_000);
  await sandbox.stop();
  await fleet.stop();
  await redis.stop();
}
