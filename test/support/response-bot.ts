/**
 * Helpers for the response integration tests: the shipped runbooks with short timings, a bot + worker
 * whose clock the test can move, the whole set-up of one test file (`startResponseTest`), direct reads of
 * the real demo fleet's bridge, and finders for the plan and outcome messages the sandbox received.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { alertsJobs } from '../../src/incidents/jobs.js';
import { rootKey } from '../../src/incidents/thread.js';
import { createLogger, type Logger } from '../../src/log.js';
import { keyPrefix } from '../../src/queues/connection.js';
import { startBotRole, type BotRole } from '../../src/roles/bot.js';
import { startWorkerRole, type WorkerRole } from '../../src/roles/worker.js';
import type { ProcessorMap, WorkerDeps } from '../../handlers/index.js';
import type { FleetOptions } from '../../src/local/fleet.js';
import { testEnv } from './bot.js';
import { startTestSandbox, type Sandbox, type SandboxMessage } from './sandbox.js';
import { startTestFleet, type LocalFleet } from './fleet.js';
import { waitFor } from './poll.js';

export const ALICE = 'U0ALICE';
export const BOB = 'U0BOB';
export const MALLORY = 'U0MALLORY';
export const ONCALL = 'S0AUTOGENONCALL';

/** The shipped runbooks, copied with a short TTL and settle time (everything else as shipped), plus `extra` files. */
export function fastRunbooks(opts: { ttlS: number; settleS?: number; extra?: Record<string, string> }): string {
  const dir = mkdtempSync(join(tmpdir(), 'runbooks-fast-'));
  for (const f of readdirSync('runbooks').filter((n) => n.endsWith('.yaml'))) {
    const text = readFileSync(join('runbooks', f), 'utf8')
      .replace(/^ttl_s: \d+$/m, `ttl_s: ${opts.ttlS}`)
      .replace(/^ {2}settle_s: [\d.]+$/m, `  settle_s: ${opts.settleS ?? 1}`);
    writeFileSync(join(dir, f), text);
  }
  for (const [name, text] of Object.entries(opts.extra ?? {})) writeFileSync(join(dir, name), text);
  return dir;
}

/** A test clock: real time plus an offset the test can move (to expire approvals without waiting). */
export class TestClock {
  offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
}

export interface ResponseBot {
  /** The environment the bot's configuration was loaded from (for child processes of the test). */
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly logger: Logger;
  readonly eventsUrl: string;
  readonly prefix: string;
  readonly bot: BotRole;
  worker: WorkerRole | undefined;
  startWorker(processors?: (deps: WorkerDeps) => ProcessorMap): WorkerRole;
  stop(): Promise<void>;
}

export async function startResponseBot(opts: {
  sandbox: Sandbox;
  fleet: LocalFleet;
  runbooksDir: string;
  clock?: TestClock;
  env?: Record<string, string>;
  worker?: boolean;
}): Promise<ResponseBot> {
  const env = testEnv({
    sandbox: opts.sandbox,
    runtimes: { demo: { url: opts.fleet.url, token: opts.fleet.token } },
    env: {
      RUNBOOKS_DIR: opts.runbooksDir,
      APPROVAL_GROUPS: `S0AUTOGENSRE=${ALICE},${BOB};${ONCALL}=U0CAROL`,
      MONITOR_ENABLED: 'false',
      ...opts.env,
    },
  });
  const config = loadConfig(env);
  const logger = createLogger(config);
  const now = opts.clock?.now ?? (() => new Date());
  const bot = await startBotRole(config, logger, { identity: { botId: opts.sandbox.botId, botUserId: opts.sandbox.botUserId }, now });
  const rb: ResponseBot = {
    env,
    config,
    logger,
    eventsUrl: `http://127.0.0.1:${bot.slack.port}/slack/events`,
    prefix: keyPrefix(config.queues.prefix),
    bot,
    worker: undefined,
    startWorker(processors) {
      const w = startWorkerRole(config, logger, { now, ...(processors ? { processors } : {}) });
      rb.worker = w;
      return w;
    },
    async stop() {
      await bot.stop();
      await rb.worker?.stop(2_000);
    },
  };
  if (opts.worker !== false) rb.startWorker();
  return rb;
}

/** What one response integration test file runs against; `stop()` ends all of it. */
export interface ResponseTest {
  readonly sandbox: Sandbox;
  readonly fleet: LocalFleet;
  readonly bot: ResponseBot;
  /** A connection of the test's own to the bot's Redis (audit, plan records under `bot.prefix`). */
  readonly redis: Redis;
  stop(): Promise<void>;
}

/**
 * The Slack sandbox and a demo fleet started together, a bot + worker on the shipped runbooks with
 * `runbooks` timings, and a Redis connection. What started is stopped again when a later part fails.
 */
export async function startResponseTest(opts: {
  fleet: Partial<FleetOptions>;
  runbooks: Parameters<typeof fastRunbooks>[0];
  clock?: TestClock;
  env?: Record<string, string>;
  worker?: boolean;
}): Promise<ResponseTest> {
  const [sandbox, fleet] = await Promise.all([startTestSandbox(), startTestFleet(opts.fleet)]);
  let bot: ResponseBot;
  try {
    bot = await startResponseBot({ sandbox, fleet, runbooksDir: fastRunbooks(opts.runbooks), clock: opts.clock, env: opts.env, worker: opts.worker });
  } catch (err) {
    await Promise.all([fleet.stop(), sandbox.stop()]);
    throw err;
  }
  const redis = new Redis(inject('redisUrl'));
  return {
    sandbox, fleet, bot, redis,
    async stop() {
      await bot.stop();
      redis.disconnect();
      await Promise.all([fleet.stop(), sandbox.stop()]);
    },
  };
}

/**
 * `startResponseTest` before the file's tests (bounded) and its `stop()` after them; the parts read once
 * started (a test file's set-up in one line).
 */
export function responseTestHooks(opts: Parameters<typeof startResponseTest>[0]): ResponseTest {
  let rt: ResponseTest | undefined;
  beforeAll(async () => { rt = await startResponseTest(opts); }, 90_000);
  afterAll(() => rt?.stop());
  const started = (): ResponseTest => {
    if (!rt) throw new Error('the response test has not started');
    return rt;
  };
  return {
    get sandbox() { return started().sandbox; },
    get fleet() { return started().fleet; },
    get bot() { return started().bot; },
    get redis() { return started().redis; },
    stop: () => started().stop(),
  };
}

/** Queues `alerts` on the bot's alert queue as the intake does (each alert id remembered `ttlS`). */
export async function queueAlerts(bot: ResponseBot, alerts: readonly NormalizedAlert[], ttlS = 3_600): Promise<void> {
  await bot.worker!.deps.queues.get('alert').addBulk(alertsJobs(alerts, new Date(), ttlS).map((j) => ({ name: j.name, data: j.data, opts: j.opts })));
}

/**
 * Asks for a plan for an incident of the demo runtime's `agent`, in the incident's thread, as the worker does:
 * `source: 'incident'` after a diagnosis (`findings`), `'replan'` for another `runbook`.
 */
export async function requestIncidentPlan(bot: ResponseBot, o: {
  channel: string; incidentId: string; agent: string; source: 'incident' | 'replan'; findings: string[];
  labels?: Record<string, string>; runbook?: string; jobId?: string;
}): Promise<void> {
  await bot.worker!.deps.queues.add('respond', {
    kind: 'plan', runtime: 'demo', channel: o.channel, thread_ts_key: rootKey(o.incidentId), agent: o.agent, agents: [o.agent],
    incident_id: o.incidentId, ...(o.labels ? { labels: o.labels } : {}), findings: o.findings, ...(o.runbook ? { runbook: o.runbook } : {}),
    source: o.source, requested_at: new Date().toISOString(),
  }, o.jobId ? { jobId: o.jobId } : undefined);
}

// --- the bridge, read directly (what the runtime really does) ------------------------------------------

export async function bridgeGet<T = Record<string, unknown>>(fleet: LocalFleet, path: string): Promise<T> {
  const res = await fetch(`${fleet.url}${path}`, { headers: { authorization: `Bearer ${fleet.token}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function bridgePost<T = Record<string, unknown>>(fleet: LocalFleet, path: string, body: unknown = {}, method: 'POST' | 'DELETE' = 'POST'): Promise<T> {
  const res = await fetch(`${fleet.url}${path}`, {
    method, headers: { authorization: `Bearer ${fleet.token}`, 'content-type': 'application/json' }, ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface AgentState {
  type: string; handled_total: number; errors_total: number; error_rate: number; isolated: boolean;
  max_inflight: number | null; inflight: number; refused_total?: number; construction_errors: number;
}

export async function agentState(fleet: LocalFleet, type: string): Promise<AgentState> {
  return bridgeGet<AgentState>(fleet, `/v1/agents/${type}`);
}

export async function injectFault(fleet: LocalFleet, fault: string, agentType: string, params: Record<string, unknown> = {}): Promise<void> {
  await bridgePost(fleet, '/v1/faults', { fault, agent_type: agentType, params });
}

/** Clears faults and undoes every control action, so the next test starts from a healthy fleet. */
export async function resetFleet(fleet: LocalFleet): Promise<void> {
  await bridgePost(fleet, '/v1/faults', {}, 'DELETE');
  const { actions } = await bridgeGet<{ actions: { action_id: string }[] }>(fleet, '/v1/actions');
  for (const a of actions) await bridgePost(fleet, `/v1/actions/${a.action_id}/revert`).catch(() => undefined);
  const rt = await bridgeGet<{ isolated: string[]; degraded: { active: boolean }; backpressure: { runtime: number | null; agents: Record<string, number> } }>(fleet, '/v1/runtime');
  for (const t of rt.isolated) await bridgePost(fleet, '/v1/actions/release', { agent_type: t });
  if (rt.degraded.active) await bridgePost(fleet, '/v1/actions/restore', { features: [], agent_types: [] });
  for (const t of Object.keys(rt.backpressure.agents)) await bridgePost(fleet, '/v1/actions/backpressure', { agent_type: t, max_inflight: null });
  if (rt.backpressure.runtime !== null) await bridgePost(fleet, '/v1/actions/backpressure', { agent_type: null, max_inflight: null });
}

// --- what the sandbox received -----------------------------------------------------------------------------

export function blocksText(msg: Pick<SandboxMessage, 'blocks'>): string {
  return JSON.stringify(msg.blocks);
}

/** A message's blocks as last posted or edited (JSON). */
export function latestBlocks(msg: Pick<SandboxMessage, 'blocks' | 'edits'>): string {
  return JSON.stringify(msg.edits.at(-1)?.blocks ?? msg.blocks);
}

export function hasButton(msg: Pick<SandboxMessage, 'blocks'>, actionId: string): boolean {
  return msg.blocks.some((b) => b.type === 'actions' && ((b.elements as { action_id?: string }[] | undefined) ?? []).some((e) => e.action_id === actionId));
}

/** The id of the plan a plan message shows (from its button value or its reference line). */
export function planIdOf(msg: Pick<SandboxMessage, 'blocks'>): string {
  const m = /pl-[a-z0-9]+-[a-z0-9]+/.exec(blocksText(msg));
  if (!m) throw new Error('no plan id in message');
  return m[0];
}

export async function waitForPlan(sandbox: Sandbox, channel: string, after = 0, timeoutMs = 20_000): Promise<SandboxMessage> {
  return waitFor(() => sandbox.messages.slice(after).find((m) => m.channel === channel && blocksText(m).includes('Recovery plan:')), { timeoutMs, what: `a plan in ${channel}` });
}

/** The outcome message of a plan (a reply in its thread), once its blocks contain `text`. */
export async function waitForOutcome(sandbox: Sandbox, channel: string, threadTs: string, text: string, timeoutMs = 20_000): Promise<SandboxMessage> {
  return waitFor(() => sandbox.messages.find((m) => m.channel === channel && m.thread_ts === threadTs && blocksText(m).includes(text)), { timeoutMs, what: `"${text}" in the thread of ${threadTs}` });
}

export async function waitForEphemeral(sandbox: Sandbox, user: string, text: string, timeoutMs = 10_000): Promise<{ text: string }> {
  return waitFor(() => sandbox.ephemerals.find((e) => e.user === user && e.text.includes(text)), { timeoutMs, what: `an ephemeral to ${user} with "${text}"` });
}
