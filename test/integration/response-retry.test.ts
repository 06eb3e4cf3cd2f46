/**
 * A job killed after the bridge acted is retried and does not act twice: a worker process takes the
 * `execute` job, the bridge applies the action, and the process is SIGKILLed before it can record the
 * outcome. BullMQ finds the stalled job (with the product's lock and stall settings) and a second worker
 * runs it again with the same idempotency key: the thread first says "the worker running this was lost;
 * resuming", the bridge replays its first answer instead of acting again, and the thread and the audit say so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProcessors } from '../../handlers/index.js';
import { createExecuteProcessor } from '../../handlers/execute.js';
import { readAudit } from '../../src/audit/stream.js';
import { stallOptions, wrapProcessor } from '../../src/queues/worker.js';
import { waitFor } from '../support/poll.js';
import { reportCounts } from '../chaos/counts.js';
import type { Sandbox } from '../support/sandbox.js';
import type { LocalFleet } from '../support/fleet.js';
import {
  ALICE, agentState, blocksText, bridgeGet, planIdOf, startResponseTest, waitForOutcome, waitForPlan, type ResponseBot, type ResponseTest,
} from '../support/response-bot.js';

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: ResponseBot;
let redis: Redis;
let rt: ResponseTest | undefined;
let child: ChildProcess | undefined;
let retryWorker: Worker | undefined;

beforeAll(async () => {
  // the product's lock and stall settings, shortened: a lost worker's job is back within about 3 s
  rt = await startResponseTest({
    fleet: { rate: 5 }, runbooks: { ttlS: 60, settleS: 1 }, worker: false,
    env: { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_MAX_STALLED_COUNT: '2' },
  });
  ({ sandbox, fleet, bot, redis } = rt);
  // Every queue but `execute` in this process; `execute` first runs in the child that gets killed.
  bot.startWorker((deps) => {
    const all = createProcessors(deps);
    delete all.execute;
    return all;
  });
}, 90_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  await retryWorker?.close();
  await rt?.stop();
});

function startChild(): Promise<{ proc: ChildProcess; acted: Promise<string> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/response/kill-worker.ts'], { env: { ...process.env, ...bot.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr?.resume();
  const lines = createInterface({ input: proc.stdout! });
  let actedResolve: (line: string) => void = () => undefined;
  const acted = new Promise<string>((resolve) => { actedResolve = resolve; });
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`kill-worker exited early (${code})`)));
    lines.on('line', (line) => {
      if (line === 'READY') resolve({ proc, acted });
      if (line.startsWith('ACTED')) actedResolve(line);
    });
  });
}

describe('execution as BullMQ jobs with idempotency keys', () => {
  it('a worker killed after the bridge acted: the retried job does not act twice', async () => {
    const started = await startChild();
    child = started.proc;
    const before = sandbox.messages.length;
    await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent message-timeout', channel: 'C0RETRY', user: ALICE });
    const plan = await waitForPlan(sandbox, 'C0RETRY', before);
    await sandbox.clickButton(bot.eventsUrl, plan, 'plan:approve', ALICE);

    const acted = await started.acted;
    const firstActionId = acted.split(' ')[2];
    expect(firstActionId).toMatch(/^act_/);
    expect((await agentState(fleet, 'ToolAgent')).max_inflight).toBe(2);
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    process.kill(child.pid!, 'SIGKILL');
    await exited;

    // A second worker that checks for stalled jobs often picks the job up again.
    retryWorker = new Worker('execute', wrapProcessor('execute', createExecuteProcessor(bot.worker!.deps), bot.logger), {
      connection: bot.worker!.deps.redis, prefix: bot.config.queues.prefix, ...stallOptions(bot.config.queues),
    });
    // the thread says why the outcome is late, before it arrives
    const lost = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0RETRY' && m.thread_ts === plan.ts && m.text.includes('The worker running this was lost; resuming')), { timeoutMs: 30_000, what: 'the "worker lost" note in the thread' });
    const outcome = await waitForOutcome(sandbox, 'C0RETRY', plan.ts, 'Fixed and verified', 30_000);
    expect(blocksText(outcome)).toContain('nothing ran twice');
    expect(sandbox.messages.indexOf(lost)).toBeLessThan(sandbox.messages.indexOf(outcome));
    expect(sandbox.messages.filter((m) => m.text.includes('The worker running this was lost'))).toHaveLength(1);

    // The bridge acted once: one action (the first one's id), replayed to the retry.
    const { actions } = await bridgeGet<{ actions: { action_id: string; target: string }[] }>(fleet, '/v1/actions');
    expect(actions.filter((a) => a.target === 'ToolAgent').map((a) => a.action_id)).toEqual([firstActionId]);
    const audit = await readAudit(redis, bot.prefix, { subject: planIdOf(plan) });
    const executed = audit.filter((e) => e.type === 'action.executed');
    const onBridge = actions.filter((a) => a.target === 'ToolAgent').length;
    const outcomes = sandbox.messages.filter((m) => m.channel === 'C0RETRY' && m.thread_ts === plan.ts && !m.text.includes('was lost; resuming')).length;
    reportCounts('worker SIGKILLed during an action (chaos c)', {
      posts: { expected: 1, made: outcomes, duplicated: Math.max(0, outcomes - 1) },
      actions: { approved: 1, executed: Math.min(1, onBridge), executedTwice: Math.max(0, onBridge - 1) },
      notes: { 'audit action.executed': executed.length, 'worker lost notes': 1 },
    });
    expect(executed).toHaveLength(1);
    expect(executed[0]!.data).toMatchObject({ status: 'replayed', action_id: firstActionId });
  });
});
