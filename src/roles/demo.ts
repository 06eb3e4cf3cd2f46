/**
 * `make demo`: embedded defaults for whatever is not configured — a local Redis, the demo AutoGen fleet and
 * the Slack sandbox — then bot+worker in one process. Everything started here is stopped by its own PID /
 * handle, on Ctrl-C (SIGINT/SIGTERM, via cli.ts) or at the end of the one-shot run.
 *
 * Interactive (default): the fleet runs healthy with fault injection on, the bot's monitor watches it and
 * opens incident threads in #autogen-alerts, approvals go to the demo users (alice approves, bob and carol
 * do not), and the sandbox serves its web page (sandbox/web.ts) with a demo control panel; prints the
 * page's address and a short script, and runs until stopped.
 *
 * One-shot (`DEMO_ONCE=1`): the fleet starts with `cascade:ChatAgent`, a signed `/autogen diagnose ChatAgent`
 * is sent, the posted report is printed as text, and everything stops.
 */
import { randomBytes } from 'node:crypto';
import { withOverrides, type Config, type RuntimeTarget } from '../config.js';
import type { Logger } from '../log.js';
import { parseGroupMembers } from '../approvals/rules.js';
import { startLocalRedis, type LocalRedis } from '../local/redis.js';
import { redisConfigured, redisTopology } from '../redis/connect.js';
import { startFleet, type LocalFleet } from '../local/fleet.js';
import { fleetFaults } from '../local/faults.js';
import { scheduleMonitors } from '../monitor/schedule.js';
import { scheduleStaleCheck } from '../incidents/stale.js';
import { startSandbox, type Sandbox } from '../../sandbox/server.js';
import { attachWeb } from '../../sandbox/web.js';
import { renderBlocks } from '../../sandbox/render.js';
import { startBotRole, type BotRole } from './bot.js';
import { startWorkerRole, type WorkerRole } from './worker.js';

const DEMO_FAULT = 'cascade:ChatAgent';

/** The people of the demo workspace: one approver and two who are not (the runbooks' groups below). */
export const DEMO_USERS = [
  { id: 'U0DEMOALICE', name: 'alice', title: 'SRE, approver (member of @autogen-sre)' },
  { id: 'U0DEMOBOB', name: 'bob', title: 'developer, not an approver' },
  { id: 'U0DEMOCAROL', name: 'carol', title: 'on call (@autogen-oncall), not an approver' },
] as const;
/** The runbooks' placeholder groups and their demo members (used when APPROVAL_GROUPS is not set). */
export const DEMO_GROUPS = [
  { id: 'S0AUTOGENSRE', handle: 'autogen-sre', members: ['U0DEMOALICE'] },
  { id: 'S0AUTOGENONCALL', handle: 'autogen-oncall', members: ['U0DEMOCAROL'] },
] as const;
export const DEMO_CHANNELS = {
  ops: { id: 'C0DEMOOPS', name: 'ops', topic: 'Type /autogen commands here' },
  alerts: { id: 'C0DEMOALERTS', name: 'autogen-alerts', topic: 'Incident threads opened by the bot\'s monitor' },
} as const;
/** The demo's monitor looks this often at most (MONITOR_INTERVAL_S applies when shorter). */
const DEMO_MONITOR_INTERVAL_MS = 2_000;

/** The short script printed by `make demo` and shown on the page. */
export function demoScript(command: string): string[] {
  return [
    `In #${DEMO_CHANNELS.ops.name}, as alice, send \`${command} health\`: the health check of the demo runtime comes back.`,
    'In the demo control panel, inject the fault `cascade` on ChatAgent (its dependency RetrieverAgent starts timing out).',
    `Open #${DEMO_CHANNELS.alerts.name}: within about 30 s the monitor opens an incident thread; the diagnosis and a recovery plan arrive in it.`,
    'The plan follows the incident\'s diagnosis; if the thread says "No recovery plan" (it was diagnosed before the cascade showed), click Diagnose again on its root.',
    'Click Approve on the plan (as bob you are refused; as alice it runs): RetrieverAgent is isolated and the verification says "Mitigated, cause still present" — ChatAgent still fails without it.',
    'Clear the faults in the panel, then click "Revert now" on the outcome: the next look says "Fixed and verified — resolved" and the thread\'s root turns resolved.',
  ];
}

type Stop = () => Promise<void>;

export async function runDemo(config: Config, logger: Logger, onSignals: (l: Logger, stop: Stop) => void): Promise<number> {
  const say = (s: string): void => { process.stdout.write(`${s}\n`); };
  const stops: Stop[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => logger.warn({ err }, 'demo: a component failed to stop'));
    stops.length = 0;
  };
  onSignals(logger, stopAll);
  const once = config.local.demoOnce;
  try {
    if (config.slack.botToken && config.slack.apiUrl === undefined) {
      say('SLACK_BOT_TOKEN is set: the demo drives the local Slack sandbox only. Unset it, or run `tsx src/cli.ts all` against your workspace.');
      return 2;
    }
    let redisSettings = config.redis;
    if (!redisConfigured(redisSettings)) {
      const redis: LocalRedis = await startLocalRedis();
      stops.push(() => redis.stop());
      redisSettings = { url: redis.url };
      say(`• local Redis on ${redis.url} (pid ${redis.pid})`);
    } else say(`• Redis from the configuration (${redisTopology(redisSettings) ?? 'single'})`);

    let runtimes: Record<string, RuntimeTarget> = { ...config.runtimes.byName };
    let runtimeName = config.runtimes.defaultName;
    let fleet: LocalFleet | undefined;
    if (Object.keys(runtimes).length === 0) {
      const token = randomBytes(12).toString('hex');
      fleet = await startFleet({ python: config.local.python, token, ...(once ? { faults: [DEMO_FAULT] } : { enableFaults: true }), name: 'demo' });
      const started = fleet;
      stops.push(() => started.stop());
      runtimes = { demo: { name: 'demo', url: fleet.url, token } };
      runtimeName = 'demo';
      say(`• demo AutoGen fleet on ${fleet.url} (pid ${fleet.pid}) ${once ? `with fault ${DEMO_FAULT}` : 'healthy, fault injection on'}`);
    } else say(`• runtimes from AUTOGEN_RUNTIMES: ${Object.keys(runtimes).join(', ')}`);

    const secret = randomBytes(16).toString('hex');
    const botToken = `xoxb-demo-${randomBytes(8).toString('hex')}`;
    const sandbox: Sandbox = await startSandbox({ botToken, signingSecret: secret });
    stops.push(() => sandbox.stop());
    say(`• Slack sandbox on ${sandbox.url}`);

    const interactive = once ? {} : interactiveOverrides(config);
    const demoConfig = withOverrides(config, {
      slack: { botToken, signingSecret: secret, apiUrl: sandbox.apiUrl, mode: 'http', port: 0, host: '127.0.0.1', botId: sandbox.botId, botUserId: sandbox.botUserId },
      redis: redisSettings,
      runtimes: { byName: runtimes, defaultName: runtimeName },
      ...interactive,
    });
    const worker: WorkerRole = startWorkerRole(demoConfig, logger);
    stops.push(() => worker.stop(5_000));
    const bot: BotRole = await startBotRole(demoConfig, logger);
    stops.push(() => bot.stop());
    const eventsUrl = `http://127.0.0.1:${bot.slack.port}/slack/events`;

    if (once) {
      say(`• bot + worker (HTTP mode) on ${eventsUrl}\n`);
      return await oneShot(sandbox, eventsUrl, say);
    }

    // The demo workspace as Slack would answer for it: its user groups and who is in which channel.
    for (const g of DEMO_GROUPS) sandbox.defineUserGroup(g.id, g.members);
    for (const c of Object.values(DEMO_CHANNELS)) sandbox.channelMembers.set(c.id, [sandbox.botUserId, ...DEMO_USERS.map((u) => u.id)]);
    await scheduleMonitors(worker.deps.queues, demoConfig, logger);
    await scheduleStaleCheck(worker.deps.queues, demoConfig, logger);
    const web = attachWeb(sandbox, {
      botEventsUrl: eventsUrl,
      users: DEMO_USERS.map((u) => ({ ...u })),
      channels: [DEMO_CHANNELS.ops, DEMO_CHANNELS.alerts].filter((c, i) => i === 0 || c.id === demoConfig.alerts.channel).map((c) => ({ ...c })),
      groups: DEMO_GROUPS.map((g) => ({ id: g.id, handle: g.handle })),
      command: demoConfig.slack.command,
      ...(fleet ? { faults: fleetFaults(fleet.url, fleet.token) } : {}),
      script: demoScript(demoConfig.slack.command),
      onError: (what, err) => logger.warn({ err, what }, 'sandbox page: request failed'),
    });
    stops.push(async () => web.close());
    say(`• bot + worker (HTTP mode) on ${eventsUrl}; the monitor looks every ${demoConfig.monitor.intervalMs / 1000} s, incident threads open in ${demoConfig.alerts.channel === DEMO_CHANNELS.alerts.id ? `#${DEMO_CHANNELS.alerts.name}` : demoConfig.alerts.channel ?? '(no ALERT_CHANNEL)'}\n`);
    say(`Open the sandbox page: ${web.url}\n`);
    say('Try this (the same steps are on the page):');
    demoScript(demoConfig.slack.command).forEach((s, i) => say(`  ${i + 1}. ${s}`));
    say('\nRunning until Ctrl-C, which stops everything started here.');
    await new Promise<never>(() => undefined);
    return 0;
  } finally {
    await stopAll();
  }
}

/** The interactive demo's embedded defaults: an incident channel, the monitor, demo approvers — each only when not configured. */
function interactiveOverrides(config: Config): Pick<Parameters<typeof withOverrides>[1], 'alerts' | 'monitor' | 'response'> {
  const noRoute = config.alerts.channel === undefined && config.alerts.routes.length === 0;
  const groups = config.response.groups.size > 0
    ? config.response.groups
    : parseGroupMembers(DEMO_GROUPS.map((g) => `${g.id}=${g.members.join(',')}`).join(';')).groups;
  return {
    ...(noRoute ? { alerts: { channel: DEMO_CHANNELS.alerts.id } } : {}),
    monitor: { intervalMs: Math.min(config.monitor.intervalMs, DEMO_MONITOR_INTERVAL_MS) },
    response: { groups },
  };
}

/** Today's scripted run: one diagnose, its report printed. */
async function oneShot(sandbox: Sandbox, eventsUrl: string, say: (s: string) => void): Promise<number> {
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
  return 0;
}
