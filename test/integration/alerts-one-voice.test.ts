/**
 * One voice per problem, against the real demo fleet (issue 14): the bot's monitor and Alertmanager both
 * alert on ToolAgent's errors; the incident holds one entry for that agent and condition, not one per
 * source. Then the fault is cleared, Alertmanager resolves its alert, and the monitor — judging the bridge's
 * short recent window — resolves its own: the root says resolved (bounded wait, no timing assertion).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONDITIONS, conditionOf, voiceKeyOf } from '../../src/incidents/conditions.js';
import { scheduleMonitors } from '../../src/monitor/schedule.js';
import { keyPrefix } from '../../src/queues/connection.js';
import { ALERT_CHANNEL, allText, amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { fleetFaults } from '../../src/local/faults.js';

let fleet: LocalFleet;
let h: AlertHarness;

/** The fleet's fault injection (the same client the sandbox page's control panel uses). */
const faults = () => fleetFaults(fleet.url, fleet.token);

beforeAll(async () => {
  fleet = await startTestFleet({ enableFaults: true, name: 'demo', recentWindowS: 20 }); // a 20 s recent window: the monitor's resolve comes ~20 s after recovery, not ~60 s
  h = await startAlertHarness({
    runtimes: { demo: { url: fleet.url, token: fleet.token } },
    workers: 1,
    env: { MONITOR_ENABLED: 'true', MONITOR_INTERVAL_S: '1', ALERT_AUTO_DIAGNOSE: 'false', BRIDGE_TIMEOUT_MS: '15000' },
  });
  await scheduleMonitors(h.workers[0]!.deps.queues, h.bot.config, h.bot.logger);
}, 60_000);

afterAll(async () => {
  await faults().clear().catch(() => undefined);
  await h?.stop();
  await fleet?.stop();
});

const labels = { alertname: 'AgentHighErrorRate', runtime: 'demo', agent_type: 'ToolAgent', severity: 'critical' };
const amAlert = (status: 'firing' | 'resolved') => ({ status, labels, annotations: { summary: 'ToolAgent error rate above 5 % (Prometheus)' }, startsAt: new Date(Date.now() - 30_000).toISOString(), fingerprint: 'ab12cd34ef560789' });

describe('the monitor and Alertmanager about one problem', () => {
  it('are one entry in the incident, and the root is resolved once the agent recovers', async () => {
    expect((await faults().inject('exception', 'ToolAgent')).fault).toBe('exception');
    const incident = await waitFor(async () => {
      const inc = (await h.store.listActive()).find((i) => i.agents.includes('ToolAgent'));
      if (!inc) return undefined;
      const own = (await h.store.alerts(inc.id)).filter((a) => a.status === 'firing' && a.detail.source === 'monitor' && a.detail.labels.agent_type === 'ToolAgent' && conditionOf(a.detail.labels, DEFAULT_CONDITIONS) === 'errors');
      return own.length > 0 ? inc : undefined;
    }, { what: 'the monitor\'s ToolAgent errors alert in an incident', timeoutMs: 60_000 });

    // Alertmanager says the same: recorded as a voice, not shown as a second entry
    expect((await h.postAlertmanager(amNotification([amAlert('firing')]))).status).toBe(202);
    const voiceKey = `${keyPrefix(h.bot.config.queues.prefix)}inc:voice:${voiceKeyOf(labels, h.bot.config.alerts.grouping, h.bot.config.alerts.conditions)}`;
    await waitFor(async () => (await h.redis.hexists(voiceKey, 'v:ab12cd34ef560789')) === 1, { what: 'Alertmanager\'s voice recorded' });
    const held = await h.store.alerts(incident.id);
    expect(held.some((a) => a.fingerprint === 'ab12cd34ef560789')).toBe(false);
    const errorsOfTool = held.filter((a) => a.status === 'firing' && a.detail.labels.agent_type === 'ToolAgent' && conditionOf(a.detail.labels, DEFAULT_CONDITIONS) === 'errors');
    expect(new Set(errorsOfTool.map((a) => a.detail.source))).toEqual(new Set(['monitor']));

    // recovery: the fault goes, Alertmanager resolves its alert, the monitor's recent window clears
    await faults().clear();
    expect((await h.postAlertmanager(amNotification([amAlert('resolved')]))).status).toBe(202);
    const root = await waitFor(() => h.roots(ALERT_CHANNEL).find((m) => allText(m).includes(incident.id)), { what: 'the incident root' });
    await waitFor(async () => (await h.store.get(incident.id))?.state === 'resolved', { what: 'incident resolved after recovery', timeoutMs: 90_000 });
    await waitFor(() => JSON.stringify(root.edits.at(-1)?.blocks ?? []).includes('Resolved: '), { what: 'root says resolved', timeoutMs: 20_000 });
    expect(h.roots(ALERT_CHANNEL).filter((m) => allText(m).includes(incident.id))).toHaveLength(1);
  }, 180_000);
});
