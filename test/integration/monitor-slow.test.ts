/**
 * A slow agent is seen within a minute: the demo fleet's ChatAgent starts answering in 3 s (the `slow`
 * fault, injected while the fleet runs its usual traffic); the bot's own monitor, judging the bridge's
 * recent window, opens an incident thread about it by itself — bounded by 60 s from the injection — and
 * `/autogen perf ChatAgent` names it slow in the same minute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBlocks } from '../../sandbox/render.js';
import { MONITOR_ALERTS } from '../../src/monitor/evaluate.js';
import { scheduleMonitors } from '../../src/monitor/schedule.js';
import { ALERT_CHANNEL, allText, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { fleetFaults } from '../../src/local/faults.js';

let fleet: LocalFleet;
let h: AlertHarness;

beforeAll(async () => {
  fleet = await startTestFleet({ enableFaults: true, name: 'demo' });
  h = await startAlertHarness({
    runtimes: { demo: { url: fleet.url, token: fleet.token } },
    workers: 1,
    env: { MONITOR_ENABLED: 'true', MONITOR_INTERVAL_S: '1', BRIDGE_TIMEOUT_MS: '15000' },
  });
  expect(await scheduleMonitors(h.workers[0]!.deps.queues, h.bot.config, h.bot.logger)).toEqual(['demo']);
}, 90_000);

afterAll(async () => {
  await h?.stop();
  await fleet?.stop();
});

describe('a slow agent', () => {
  it('is flagged by the monitor and by perf within 60 s of becoming slow', async () => {
    expect((await fleetFaults(fleet.url, fleet.token).inject('slow', 'ChatAgent')).fault).toBe('slow');
    const injectedAt = Date.now();
    const root = await waitFor(() => h.roots(ALERT_CHANNEL).find((m) => /ChatAgent/.test(allText(m)) && /respon|slow|latenc/i.test(allText(m))),
      { timeoutMs: 60_000, what: 'an incident thread about ChatAgent answering slowly' })
      .catch(async (err: Error) => {
        const seen = (await h.store.listActive()).map((i) => i.title);
        const r = await fetch(`${fleet.url}/v1/agents/ChatAgent`, { headers: { authorization: `Bearer ${fleet.token}` } });
        const recent = ((await r.json()) as { recent?: unknown }).recent;
        throw new Error(`${err.message}; open incidents: ${JSON.stringify(seen)}; ChatAgent's recent window: ${JSON.stringify(recent)}`);
      });
    const incident = (await h.store.listActive()).find((i) => i.runtime === 'demo' && i.source === 'monitor');
    expect(incident).toBeDefined();
    const alerts = await h.store.alerts(incident!.id);
    expect(alerts.map((a) => a.detail.labels.alertname)).toContain(MONITOR_ALERTS.slow);
    expect(allText(root)).toContain('ChatAgent');

    const ack = await h.sandbox.sendCommand(h.bot.eventsUrl, { text: 'perf ChatAgent demo', channel: 'C0PERF' });
    expect(ack.status).toBe(200);
    const report = await waitFor(() => h.sandbox.messages.find((m) => m.channel === 'C0PERF' && m.thread_ts === undefined),
      { timeoutMs: Math.max(5_000, 60_000 - (Date.now() - injectedAt)), what: 'the perf report' });
    expect(renderBlocks(report.blocks)).toMatch(/ChatAgent responds slowly/);
  }, 120_000);
});
