/**
 * The bot in Socket Mode against the sandbox's Socket Mode stand-in (real WebSocket, real Bolt
 * SocketModeReceiver, real Redis): a slash command envelope is acked over the socket and enqueued; after
 * Slack asks for a reconnect, commands keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { SocketModeStandIn } from '../../sandbox/socket-mode.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET } from '../support/sandbox.js';
import { waitFor } from '../support/poll.js';

const APP_TOKEN = 'xapp-1-A0SANDBOX-test';
let sandbox: Sandbox;
let socket: SocketModeStandIn;
let bot: TestBot;
let redis: Redis;
let queue: Queue;

beforeAll(async () => {
  sandbox = await startSandbox({ botToken: SANDBOX_BOT_TOKEN, signingSecret: SANDBOX_SIGNING_SECRET, appToken: APP_TOKEN });
  socket = new SocketModeStandIn(sandbox);
  bot = await startTestBot({
    sandbox, worker: false,
    runtimes: { prod: { url: 'http://127.0.0.1:9', token: 't' } },
    env: { SLACK_MODE: 'socket', SLACK_APP_TOKEN: APP_TOKEN },
  });
  await waitFor(() => socket.open > 0, { what: 'socket connection' });
  redis = new Redis(bot.config.redis.url ?? '', { maxRetriesPerRequest: null });
  queue = new Queue('diagnose', { connection: redis, prefix: bot.config.queues.prefix });
}, 30_000);

afterAll(async () => {
  await queue.close();
  redis.disconnect();
  await bot.stop();
  await socket.close();
  await sandbox.stop();
});

describe('Socket Mode', () => {
  it('a slash command over the socket is acked with the ephemeral text and enqueued', async () => {
    const ack = await socket.sendCommand('diagnose ChatAgent', { channel: 'C0SOCK' });
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral' });
    expect(String(ack.payload?.text)).toContain('Diagnosing `ChatAgent` on runtime `prod`');
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.some((j) => j.data.channel === 'C0SOCK')).toBe(true);
  });

  it('an invalid command gets the coded error over the socket', async () => {
    const ack = await socket.sendCommand('diagnose "bad name"');
    expect(String(ack.payload?.text)).toContain('AGENT_NAME_INVALID');
  });

  it('after Slack asks for a reconnect, the bot reconnects and commands keep working', async () => {
    const before = socket.connections;
    socket.disconnect();
    await waitFor(() => socket.connections > before && socket.open > 0, { timeoutMs: 20_000, what: 'reconnect' });
    const ack = await socket.sendCommand('diagnose PlannerAgent', { channel: 'C0RECONNECT' });
    expect(String(ack.payload?.text)).toContain('Diagnosing `PlannerAgent`');
  });
});
