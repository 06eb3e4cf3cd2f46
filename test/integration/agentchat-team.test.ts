/**
 * An AgentChat team as its users run it (the demo fleet's RoundRobinGroupChat "support": two
 * AssistantAgents on replayed model clients, one tool calling a loopback orders API), its tool's backend
 * refusing every connection. Through the real bot, worker, monitor and sandbox: the monitor opens an
 * incident thread by itself; `/autogen diagnose <participant>` says failing, names the tool and the
 * dependency, an error rate above 0, the guide's category and a fix; and after the application restarts
 * (new team id, so new registered agent types) the same name still resolves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBlocks } from '../../sandbox/render.js';
import { freePort } from '../../src/local/redis.js';
import { scheduleMonitors } from '../../src/monitor/schedule.js';
import { ALERT_CHANNEL, allText, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import type { SandboxMessage } from '../support/sandbox.js';

const TOKEN = 'agentchat-team-token-0123';
let port: number;
let fleet: LocalFleet;
let h: AlertHarness;

interface AgentRow { type: string; name?: string | null; errors_total?: number }

async function agents(): Promise<AgentRow[]> {
  const res = await fetch(`${fleet.url}/v1/agents`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return ((await res.json()) as { agents: AgentRow[] }).agents;
}

const start = () => startTestFleet({ token: TOKEN, name: 'shop', port, faults: ['tool_down'], rate: 2 });

beforeAll(async () => {
  port = await freePort();
  fleet = await start();
  h = await startAlertHarness({
    runtimes: { shop: { url: fleet.url, token: TOKEN } },
    workers: 1,
    env: { MONITOR_ENABLED: 'true', MONITOR_INTERVAL_S: '1', BRIDGE_TIMEOUT_MS: '15000' },
  });
  expect(await scheduleMonitors(h.workers[0]!.deps.queues, h.bot.config, h.bot.logger)).toEqual(['shop']);
}, 90_000);

afterAll(async () => {
  await h?.stop();
  await fleet?.stop();
});

async function diagnose(text: string, channel: string): Promise<SandboxMessage> {
  const ack = await h.sandbox.sendCommand(h.bot.eventsUrl, { text, channel });
  expect(ack.status).toBe(200);
  return waitFor(() => h.sandbox.messages.find((m) => m.channel === channel && m.thread_ts === undefined),
    { timeoutMs: 30_000, what: `report in ${channel}` });
}

describe('an AgentChat team whose tool fails on every call', () => {
  it('the monitor opens an incident thread about the participant by itself', async () => {
    await waitFor(async () => ((await agents()).find((a) => a.name === 'triage')?.errors_total ?? 0) > 0,
      { timeoutMs: 30_000, what: 'tool errors counted on triage' });
    const root = await waitFor(() => h.roots(ALERT_CHANNEL).find((m) => /triage/.test(allText(m))),
      { timeoutMs: 60_000, what: 'an incident thread naming triage' })
      .catch(async (err: Error) => {
        const seen = (await h.store.listActive()).map((i) => i.title);
        const posted = h.sandbox.messages.map((m) => `${m.channel}: ${m.text}`);
        throw new Error(`${err.message}; open incidents: ${JSON.stringify(seen)}; posted: ${JSON.stringify(posted)}; agents: ${JSON.stringify(await agents())}`);
      });
    expect(allText(root)).toMatch(/support\/triage|triage/);
    const open = (await h.store.listActive()).filter((i) => i.runtime === 'shop');
    expect(open.length).toBeGreaterThan(0);
    expect(open.some((i) => i.source === 'monitor')).toBe(true);
  }, 120_000);

  it('diagnose <participant> says failing and names the tool, the dependency, the rate, the category and a fix', async () => {
    const msg = await diagnose('diagnose triage shop', 'C0TEAM1');
    const text = renderBlocks(msg.blocks);
    expect(text.split('\n')[0]).toMatch(/support\/triage on shop — Failing/); // the name people use, not the UUID type
    expect(text).toContain('lookup_order');
    expect(text).toContain('orders-api');
    expect(text).toMatch(/error rate [1-9]\d*(\.\d+)? ?%|[1-9]\d*(\.\d+)? ?% of/i);
    expect(text).toMatch(/Integration/);
    expect(text).toMatch(/Fix/);
    expect(text).not.toMatch(/No agent type/);
  }, 60_000);

  it('after the application restarts (a new team id) the same names still resolve', async () => {
    const before = (await agents()).find((a) => a.name === 'triage')!.type;
    await fleet.stop();
    fleet = await start();
    const after = await waitFor(async () => (await agents()).find((a) => a.name === 'triage')?.type,
      { timeoutMs: 30_000, what: 'triage registered again' });
    expect(after).not.toBe(before); // AgentChat registered it under a new team id
    for (const [text, channel] of [['diagnose triage shop', 'C0TEAM2'], ['diagnose support/triage shop', 'C0TEAM3']] as const) {
      const msg = await diagnose(text, channel);
      const rendered = renderBlocks(msg.blocks);
      expect(rendered).toContain('triage');
      expect(rendered).not.toMatch(/No agent type|not registered|AGENT_NOT_FOUND/);
    }
  }, 120_000);
});
