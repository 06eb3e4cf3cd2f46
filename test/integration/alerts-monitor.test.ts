/**
 * The bot's own monitor against the real demo AutoGen fleet: a BullMQ job scheduler polls the bridge;
 * an injected fault crosses a threshold → an alert through the same pipeline → an incident thread;
 * removing the fault → the alert resolves → the root is edited to resolved.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITOR_ALERTS } from '../../src/monitor/evaluate.js';
import { scheduleMonitors } from '../../src/monitor/schedule.js';
import { ALERT_CHANNEL, allText, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { fleetFaults } from '../../src/local/faults.js';

let fleet: LocalFleet;
let h: AlertHarness;

/** The fleet's fault injection (the same client the sandbox page's control panel uses). */
const faults = () => fleetFaults(fleet.url, fleet.token);

beforeAll(async () => {
  fleet = await startTestFleet({ enableFaults: true, name: 'demo' });
  h = await startAlertHarness({
    runtimes: { demo: { url: fleet.url, token: fleet.token } },
    workers: 1,
    env: {
      MONITOR_ENABLED: 'true',
      MONITOR_INTERVAL_S: '1',
      // a flood slows the agents behind it too; keep this test about the backlog it causes
      AUTOGEN_THRESHOLDS: '{"avgResponseMs": 600000}',
      // a flooded runtime's bridge answers slowly when the whole suite shares two cores: let the poll wait
      BRIDGE_TIMEOUT_MS: '15000',
    },
  });
  const scheduled = await scheduleMonitors(h.workers[0]!.deps.queues, h.bot.config, h.bot.logger);
  expect(scheduled).toEqual(['demo']);
}, 60_000);

afterAll(async () => {
  await faults().clear().catch(() => undefined);
  await h?.stop();
  await fleet?.stop();
});

describe('the monitor', () => {
  it('schedules one poll job scheduler per runtime (upserted, not duplicated)', async () => {
    await scheduleMonitors(h.workers[0]!.deps.queues, h.bot.config, h.bot.logger);
    const q = new Queue('monitor', { connection: h.redis, prefix: h.bot.config.queues.prefix });
    try {
      const schedulers = await q.getJobSchedulers(0, -1);
      expect(schedulers.map((s) => s.key)).toEqual(['monitor-demo']);
    } finally {
      await q.close();
    }
  });

  it('a flooded queue raises an alert and a thread; removing the fault resolves it', async () => {
    // healthy first: polls run and raise nothing
    await waitFor(async () => (await h.redis.exists(`${h.bot.config.queues.prefix}:monitor:firing:demo`)) === 1, { what: 'a first poll' });
    expect(h.roots(ALERT_CHANNEL).filter((m) => allText(m).includes('queue backlog'))).toHaveLength(0);

    expect((await faults().inject('flood', 'ToolAgent')).fault).toBe('flood');
    const root = await waitFor(() => h.roots(ALERT_CHANNEL).find((m) => allText(m).includes('queue backlog')), { what: 'backlog incident thread', timeoutMs: 60_000 })
      .catch(async (err: Error) => {
        // say what the monitor saw instead, so a failure here is diagnosable from the CI log alone
        const seen = (await h.store.listActive()).map((i) => i.title);
        throw new Error(`${err.message}; open incidents: ${JSON.stringify(seen)}`);
      });
    const open = (await h.store.listActive()).find((i) => i.title.includes('queue backlog'))!;
    expect(open).toMatchObject({ runtime: 'demo', agent: null, state: 'open', source: 'monitor' });
    const alerts = await h.store.alerts(open.id);
    expect(alerts.map((a) => a.detail.labels.alertname)).toContain(MONITOR_ALERTS.backlog);

    await faults().clear();
    await waitFor(() => root.edits.some((e) => JSON.stringify(e.blocks).includes('Resolved: ')), { what: 'root edited to resolved', timeoutMs: 60_000 });
    expect((await h.store.get(open.id))).toMatchObject({ state: 'resolved', resolvedBy: '' });
    expect(h.roots(ALERT_CHANNEL).filter((m) => allText(m).includes('queue backlog'))).toHaveLength(1);
  }, 150_000);

  it('an agent raising errors opens an incident about that agent, diagnosed automatically in its thread', async () => {
    expect((await faults().inject('exception', 'ToolAgent')).fault).toBe('exception');
    const incident = await waitFor(async () => (await h.store.listActive()).find((i) => i.agents.includes('ToolAgent')), { what: 'ToolAgent incident', timeoutMs: 60_000 });
    const root = await waitFor(() => h.roots(incident.channel).find((m) => allText(m).includes(incident.id)), { what: 'its root' });
    // the spine's diagnosis report, posted once into the incident's thread
    const report = await waitFor(() => h.replies(root).find((m) => m.blocks.some((b) => b.type === 'header') && allText(m).includes('ToolAgent')), { what: 'diagnosis in the thread', timeoutMs: 60_000 });
    expect(report.thread_ts).toBe(root.ts);
    expect((await h.store.get(incident.id))?.diagnosedAt).not.toBeNull();
    await faults().clear();
  }, 150_000);
});
