/**
 * The chaos suite's duplicate, made exact: a worker SIGKILLed after Slack stored its post and before the
 * post's ts was recorded. BullMQ takes the job back as stalled (the product's lock and stall settings,
 * shortened) and another worker runs it: it finds the message by its metadata and records that ts — one
 * message in the channel, and what the caller waits for is the ts of that one (src/outbox/deliver.ts,
 * "Posting once").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifyProcessor } from '../../handlers/notify.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { stallOptions, wrapProcessor } from '../../src/queues/worker.js';
import { startWorkerRole, type WorkerRole } from '../../src/roles/worker.js';
import { md } from '../../src/slack/blocks/mrkdwn.js';
import { testEnv } from '../support/bot.js';
import { waitFor } from '../support/poll.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';

let sandbox: Sandbox;
let env: Record<string, string>;
let role: WorkerRole;
let child: ChildProcess | undefined;
let retryWorker: Worker | undefined;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  env = testEnv({ sandbox, env: { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', SLACK_REQUEST_TIMEOUT_MS: '1000' } });
  // this process only queues (no workers); the child takes the notify job first
  role = startWorkerRole(loadConfig(env), createLogger({ log: { level: 'silent' } }), { processors: () => ({}) });
});

afterAll(async () => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  await retryWorker?.close();
  await role?.stop(2_000);
  await sandbox?.stop();
});

function startChild(): Promise<{ proc: ChildProcess; posted: Promise<string> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/outbox/kill-notify-worker.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr?.resume();
  const lines = createInterface({ input: proc.stdout! });
  let postedResolve: (ts: string) => void = () => undefined;
  const posted = new Promise<string>((resolve) => { postedResolve = resolve; });
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`kill-notify-worker exited early (${code})`)));
    lines.on('line', (line) => {
      if (line === 'READY') resolve({ proc, posted });
      if (line.startsWith('POSTED ')) postedResolve(line.slice('POSTED '.length));
    });
  });
}

describe('a worker killed between Slack storing a post and the post being recorded', () => {
  it('the job taken back posts nothing more: it finds the message and records its ts', async () => {
    const started = await startChild();
    child = started.proc;
    await role.deps.outbox.post({ channel: 'C0KILLED', text: md`the outcome`, ts_key: 'killed-1' });
    const ts = await started.posted;
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    expect(await role.deps.outbox.postedTs('killed-1')).toBeUndefined();

    retryWorker = new Worker('notify', wrapProcessor('notify', createNotifyProcessor(role.deps), role.deps.logger), {
      connection: role.deps.redis, prefix: role.deps.config.queues.prefix, ...stallOptions(role.deps.config.queues),
    });
    expect(await waitFor(() => role.deps.outbox.postedTs('killed-1'), { what: 'the post recorded by the retry', timeoutMs: 30_000 })).toBe(ts);
    expect(sandbox.messages.filter((m) => m.channel === 'C0KILLED').map((m) => m.ts)).toEqual([ts]);
    expect(sandbox.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C0KILLED')).toHaveLength(1);
    expect(sandbox.callsOf('conversations.history').filter((c) => c.args.channel === 'C0KILLED').length).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
