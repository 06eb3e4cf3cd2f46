/**
 * `make demo`: embedded defaults for whatever is not configured — a local Redis, the demo AutoGen fleet
 * with a fault injected (`cascade:ChatAgent`) and the Slack sandbox — then bot+worker in one process; sends
 * a signed `/autogen diagnose ChatAgent`, waits for the posted report and prints it. Everything started
 * here is stopped by its own PID / handle.
 */
import { randomBytes } from 'node:crypto';
import { withOverrides, type Config, type RuntimeTarget } from '../config.js';
import type { Logger } from '../log.js';
import { startLocalRedis, type LocalRedis } from '../local/redis.js';
import { startFleet, type LocalFleet } from '../local/fleet.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { renderBlocks } from '../../sandbox/render.js';
import { startBotRole, type BotRole } from './bot.js';
import { startWorkerRole, type WorkerRole } from './worker.js';

const DEMO_FAULT = 'cascade:ChatAgent';

export async function runDemo(config: Config, logger: Logger, onSignals: (l: Logger, stop: () => Promise<void>) => void): Promise<number> {
  const say = (s: string): void => { process.stdout.write(`${s}\n`); };
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    stops.length = 0;
  };
  onSignals(logger, stopAll);
  try {
    if (config.slack.botToken && config.slack.apiUrl === undefined) {
      say('SLACK_BOT_TOKEN is set: the demo drives the local Slack sandbox only. Unset it, or run `tsx src/cli.ts all` against your workspace.');
      return 2;
    }
    let redisUrl = config.redis.url;
    if (!redisUrl) {
      const redis: LocalRedis = await startLocalRedis();
      stops.push(() => redis.stop());
      redisUrl = redis.url;
      say(`• local Redis on ${redis.url} (pid ${redis.pid})`);
    } else say(`• Redis from REDIS_URL`);

    let runtimes: Record<string, RuntimeTarget> = { ...config.runtimes.byName };
    let runtimeName = config.runtimes.defaultName;
    if (Object.keys(runtimes).length === 0) {
      const token = randomBytes(12).toString('hex');
      const fleet: LocalFleet = await startFleet({ python: config.local.python, token, faults: [DEMO_FAULT], name: 'demo' });
      stops.push(() => fleet.stop());
      runtimes = { demo: { name: 'demo', url: fleet.url, token } };
      runtimeName = 'demo';
      say(`• demo AutoGen fleet on ${fleet.url} (pid ${fleet.pid}) with fault ${DEMO_FAULT}`);
    } else say(`• runtimes from AUTOGEN_RUNTIMES: ${Object.keys(runtimes).join(', ')}`);

    const secret = randomBytes(16).toString('hex');
    const botToken = `xoxb-demo-${randomBytes(8).toString('hex')}`;
    const sandbox: Sandbox = await startSandbox({ botToken, signingSecret: secret });
    stops.push(() => sandbox.stop());
    say(`• Slack sandbox on ${sandbox.url}`);

    const demoConfig = withOverrides(config, {
      slack: { botToken, signingSecret: secret, apiUrl: sandbox.apiUrl, mode: 'http', port: 0, host: '127.0.0.1', botId: sandbox.botId, botUserId: sandbox.botUserId },
      redis: { url: redisUrl },
      runtimes: { byName: runtimes, defaultName: runtimeName },
    });
    const worker: WorkerRole = startWorkerRole(demoConfig, logger);
    stops.push(() => worker.stop(5_000));
    const bot: BotRole = await startBotRole(demoConfig, logger);
    stops.push(() => bot.stop());
    const eventsUrl = `http://127.0.0.1:${bot.slack.port}/slack/events`;
    say(`• bot + worker (HTTP mode) on ${eventsUrl}\n`);

    const text = 'diagnose ChatAgent';
    say(`$ /autogen ${text}`);
    const started = Date.now();
    const ack = await sandbox.sendCommand(eventsUrl, { text });
    say(`  ack (HTTP ${ack.status}, ephemeral): ${String(ack.json?.text ?? ack.text)}\n`);
    const deadline = Date.now() + 30_000;
    while (sandbox.messages.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const msg = sandbox.messages[0];
    if (!msg) {
      say('No report was posted within 30 s — see the logs above (LOG_LEVEL=debug for more).');
      return 1;
    }
    say(`Posted to #ops after ${Date.now() - started} ms (chat.postMessage, ${msg.blocks.length} blocks):\n`);
    say(renderBlocks(msg.blocks));
    say('');
    if (config.local.keepDemoRunning) {
      say(`Still running (DEMO_KEEP_RUNNING=true): send more with the sandbox at ${sandbox.url}. Ctrl-C stops everything.`);
      await new Promise(() => undefined);
    }
    return 0;
  } finally {
    await stopAll();
  }
}
