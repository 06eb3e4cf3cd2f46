/**
 * One slash-command server for the ack benchmark, in its own process: `tsx bench/ack-server.ts <kind> <redisUrl> <secret>`.
 *   bare          — a bare Bolt app whose listener only acks (the baseline)
 *   bare-enqueue  — a bare Bolt app that adds one BullMQ job, then acks (reference)
 *   ops           — the AutoGen Ops bot (src/roles/bot.ts): parse, validate, enqueue, ack
 * Prints `{"port": N}` once listening; SIGTERM stops it.
 */
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startBotRole } from '../src/roles/bot.js';

const [kind, redisUrl, secret] = process.argv.slice(2);
if (!kind || !redisUrl || !secret) throw new Error('usage: ack-server.ts <bare|bare-enqueue|ops> <redisUrl> <secret>');
const identity = { botId: 'B0BENCH', botUserId: 'U0BENCH' };
let stop: () => Promise<void>;
let port: number;

if (kind === 'ops') {
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: secret, SLACK_API_URL: 'http://127.0.0.1:9/api/',
    REDIS_URL: redisUrl, QUEUE_PREFIX: '{bench-ops}', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent',
    AUTOGEN_RUNTIMES: 'demo=http://127.0.0.1:9', AUTOGEN_RUNTIME_DEMO_TOKEN: 't',
  });
  const bot = await startBotRole(config, createLogger(config), { identity });
  port = bot.slack.port;
  stop = () => bot.stop();
} else {
  const receiver = new HTTPReceiver({ signingSecret: secret, endpoints: '/slack/events', processBeforeResponse: false, logLevel: LogLevel.ERROR });
  const app = new App({ receiver, token: 'xoxb-bench', ...identity, logLevel: LogLevel.ERROR });
  const redis = kind === 'bare-enqueue' ? new Redis(redisUrl, { maxRetriesPerRequest: null }) : undefined;
  const queue = redis ? new Queue('bench', { connection: redis, prefix: '{bench-bare}' }) : undefined;
  app.command('/autogen', async ({ ack, command }) => {
    if (queue) await queue.add('diagnose', { text: command.text, channel: command.channel_id }, { jobId: `b-${command.trigger_id}`.replace(/[:.]/g, '_') });
    await ack({ response_type: 'ephemeral', text: 'ok' });
  });
  const server = (await receiver.start({ port: 0, host: '127.0.0.1' })) as Server;
  port = (server.address() as AddressInfo).port;
  stop = async () => { await app.stop(); await queue?.close(); redis?.disconnect(); };
}
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => { void stop().then(() => process.exit(0)); });
