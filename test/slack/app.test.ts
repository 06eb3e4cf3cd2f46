/**
 * Signed requests through the real Bolt app (HTTP receiver on a free port) into real BullMQ queues on the
 * test Redis; Slack replaced by the sandbox. No worker: we assert what was acked and what was enqueued.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';

let sandbox: Sandbox;
let bot: TestBot;
let redis: Redis;
let diagnoseQueue: Queue;

async function diagnoseJobs() {
  return diagnoseQueue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  bot = await startTestBot({ sandbox, worker: false, runtimes: { prod: { url: 'http://127.0.0.1:9', token: 't' }, staging: { url: 'http://127.0.0.1:9', token: 't' } } });
  redis = new Redis(bot.config.redis.url ?? '', { maxRetriesPerRequest: null });
  diagnoseQueue = new Queue('diagnose', { connection: redis, prefix: bot.config.queues.prefix });
});

afterAll(async () => {
  await diagnoseQueue.close();
  redis.disconnect();
  await bot.stop();
  await sandbox.stop();
});

describe('slash command /autogen through the app', () => {
  it('valid signed diagnose: acks ephemerally with what was queued and enqueues one diagnose job', async () => {
    const before = (await diagnoseJobs()).length;
    const res = await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose ChatAgent staging', channel: 'C0OPS', user: 'U0ALICE' });
    expect(res.status).toBe(200);
    expect(res.json?.response_type).toBe('ephemeral');
    expect(String(res.json?.text)).toContain('Diagnosing `ChatAgent` on runtime `staging`');
    const jobs = await diagnoseJobs();
    expect(jobs.length).toBe(before + 1);
    const job = jobs.find((j) => j.data.channel === 'C0OPS');
    expect(job?.data).toMatchObject({ agent: 'ChatAgent', runtime: 'staging', channel: 'C0OPS', user: 'U0ALICE', source: 'slash', mode: 'report' });
  });

  it('uses the default runtime when none is named', async () => {
    const res = await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose PlannerAgent', channel: 'C0DEFAULT' });
    expect(String(res.json?.text)).toContain('on runtime `prod`');
    expect((await diagnoseJobs()).some((j) => j.data.channel === 'C0DEFAULT' && j.data.runtime === 'prod')).toBe(true);
  });

  it('bad signature: 401 and nothing enqueued', async () => {
    const before = (await diagnoseJobs()).length;
    const res = await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose ChatAgent', secret: 'not-the-secret' });
    expect(res.status).toBe(401);
    expect((await diagnoseJobs()).length).toBe(before);
  });

  it('stale timestamp (older than 5 minutes): 401 and nothing enqueued', async () => {
    const before = (await diagnoseJobs()).length;
    const res = await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose ChatAgent', timestampS: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(res.status).toBe(401);
    expect((await diagnoseJobs()).length).toBe(before);
  });

  it('a replayed delivery with x-slack-retry-num is processed once', async () => {
    const first = await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose ToolAgent', channel: 'C0REPLAY' });
    expect(first.status).toBe(200);
    const retry = await sandbox.sendCommand(bot.eventsUrl, { text: 'ignored', rawBody: first.body, retryNum: 1 });
    expect(retry.status).toBe(200);
    const jobs = (await diagnoseJobs()).filter((j) => j.data.channel === 'C0REPLAY');
    expect(jobs).toHaveLength(1);
  });

  it('ssl_check probes answer 200 and dispatch nothing', async () => {
    const before = (await diagnoseJobs()).length;
    const res = await sandbox.sslCheck(bot.eventsUrl);
    expect(res.status).toBe(200);
    expect((await diagnoseJobs()).length).toBe(before);
  });

  it.each([
    ['frobnicate ChatAgent', 'COMMAND_UNKNOWN', '/autogen help'],
    ['diagnose', 'COMMAND_USAGE', 'diagnose ChatAgent'],
    ['diagnose Chat<!channel>Agent', 'AGENT_NAME_INVALID', 'letters, digits'],
    ['diagnose ChatAgent nowhere', 'RUNTIME_UNKNOWN', '`prod`, `staging`'],
    ['diagnose ChatAgent prod extra', 'COMMAND_USAGE', 'diagnose &lt;agent&gt; [runtime]'],
  ])('"%s" → ephemeral %s saying what to type; nothing enqueued', async (text, code, hint) => {
    const before = (await diagnoseJobs()).length;
    const res = await sandbox.sendCommand(bot.eventsUrl, { text });
    expect(res.status).toBe(200);
    expect(res.json?.response_type).toBe('ephemeral');
    expect(String(res.json?.text)).toContain(code);
    expect(String(res.json?.text)).toContain(hint);
    expect(String(res.json?.text)).not.toContain('<!channel>');
    expect((await diagnoseJobs()).length).toBe(before);
  });

  it('/autogen help lists every subcommand from the registry', async () => {
    const res = await sandbox.sendCommand(bot.eventsUrl, { text: 'help' });
    expect(String(res.json?.text)).toContain('/autogen diagnose &lt;agent&gt; [runtime]');
    expect(String(res.json?.text)).toContain('/autogen help');
  });

  it('a failing auth.test cannot swallow commands (identity is resolved once, not per request)', async () => {
    sandbox.failAuthTest = true;
    try {
      const before = (await diagnoseJobs()).length;
      const res = await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose RetrieverAgent', channel: 'C0AUTH' });
      expect(res.status).toBe(200);
      expect(String(res.json?.text)).toContain('Diagnosing `RetrieverAgent`');
      expect((await diagnoseJobs()).length).toBe(before + 1);
      expect(sandbox.callsOf('auth.test')).toHaveLength(0);
    } finally {
      sandbox.failAuthTest = false;
    }
  });

  it('/metrics: Prometheus text with command outcomes and jobs per queue and state', async () => {
    const res = await fetch(bot.eventsUrl.replace('/slack/events', '/metrics'));
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toMatch(/autogen_ops_slash_commands_total\{outcome="queued"\} [1-9]/);
    expect(body).toMatch(/autogen_ops_slash_commands_total\{outcome="rejected"\} [1-9]/);
    expect(body).toMatch(/autogen_ops_queue_jobs\{queue="diagnose",state="waiting"\} [1-9]/);
    expect(body).toContain('autogen_ops_process_resident_memory_bytes');
  });
});
