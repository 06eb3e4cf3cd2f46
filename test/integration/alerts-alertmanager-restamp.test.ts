/**
 * A real Prometheus Alertmanager (0.25, Debian) in front of the bot, fed the way a sender that restamps its
 * resolutions does: a storm of 300 alerts fired in six batches, each batch with its own `startsAt`, then
 * resolved in one push whose alerts all carry the first batch's `startsAt`. Alertmanager identifies alerts
 * by their labels, merges, and forwards what it holds; every incident must end resolved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local/redis.js';
import { startAlertmanager, type LocalAlertmanager } from '../incidents/alertmanager.js';
import { AM_TOKEN, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';

let h: AlertHarness;
let am: LocalAlertmanager;

beforeAll(async () => {
  const amPort = await freePort();
  h = await startAlertHarness({ workers: 2 });
  am = await startAlertmanager({
    port: amPort, webhookUrl: `${h.intake.intake.url}/alerts/alertmanager`, bearerToken: AM_TOKEN, maxAlerts: 0, groupBy: ['alertname', 'agent_type'],
  });
}, 60_000);

afterAll(async () => {
  await am?.stop();
  await h?.stop();
});

const AGENTS = ['BillingAgent', 'SearchAgent', 'MailAgent'];
const base = Date.now() - 60 * 60_000;
const batchStart = (batch: number) => new Date(base + batch * 5 * 60_000).toISOString();
const alert = (i: number, startsAt: string, endsAt: string) => ({
  labels: { alertname: 'AutoGenAgentHighErrorRate', runtime: 'prod', agent_type: AGENTS[i % 3]!, severity: 'critical', team: 'restamp', instance: `pod-${i}` },
  annotations: { summary: `${AGENTS[i % 3]!} error rate above 5 %` },
  startsAt,
  endsAt,
});

async function stormIncidents() {
  return (await h.store.listActive(100)).filter((i) => i.title.includes('error rate above 5 %'));
}

describe('a storm resolved with restamped startsAt, through a real Alertmanager', () => {
  it('300 alerts fired in six batches, resolved in one push under the first batch\'s start: every incident resolves', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    for (let batch = 0; batch < 6; batch += 1) {
      await am.pushAlerts(Array.from({ length: 50 }, (_, k) => alert(batch * 50 + k, batchStart(batch), later)));
      const expected = (batch + 1) * 50;
      // each batch reaches the bot in notifications of its own
      await waitFor(async () => (await stormIncidents()).reduce((n, i) => n + i.alertsFiring, 0) === expected,
        { what: `${expected} alerts firing`, timeoutMs: 30_000 });
    }
    const open = await stormIncidents();
    expect(open.map((i) => i.alertsFiring)).toEqual([100, 100, 100]);

    const now = new Date().toISOString();
    await am.pushAlerts(Array.from({ length: 300 }, (_, i) => alert(i, batchStart(0), now)));
    await waitFor(async () => (await stormIncidents()).length === 0, { what: 'every storm incident resolved', timeoutMs: 30_000 });
    for (const inc of open) expect(await h.store.get(inc.id)).toMatchObject({ state: 'resolved', alertsFiring: 0, alertsTotal: 100, resolvedBy: '' });
  }, 120_000);
});
