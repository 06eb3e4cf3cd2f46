/**
 * A real Prometheus Alertmanager (0.25, Debian) in front of the bot, with `max_alerts: 2` on the webhook:
 * its notifications keep carrying the same first two alerts and only `truncatedAlerts` grows. The bot
 * reconciles each truncated group against Alertmanager's `GET /api/v2/alerts`, so the alerts and the
 * resolutions the webhook never shows still reach the incident, and the incident closes.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local/redis.js';
import { startAlertmanager, type LocalAlertmanager } from '../incidents/alertmanager.js';
import { AM_TOKEN, allText, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';

let h: AlertHarness;
let am: LocalAlertmanager;

beforeAll(async () => {
  const amPort = await freePort();
  h = await startAlertHarness({ workers: 1, env: { ALERTMANAGER_URL: `http://127.0.0.1:${amPort}` } });
  am = await startAlertmanager({
    port: amPort, webhookUrl: `${h.intake.intake.url}/alerts/alertmanager`, bearerToken: AM_TOKEN, maxAlerts: 2, groupBy: ['alertname'],
  });
}, 60_000);

afterAll(async () => {
  await am?.stop();
  await h?.stop();
});

const startsAt = new Date(Date.now() - 30_000).toISOString();
const instances = ['i1', 'i2', 'i3', 'i4', 'i5'];
const alert = (instance: string, endsAt: string) => ({
  labels: { alertname: 'AutoGenAgentHighErrorRate', runtime: 'prod', agent_type: 'ChatAgent', severity: 'critical', team: 'am', instance },
  annotations: { summary: 'ChatAgent error rate above 5 %' },
  startsAt,
  endsAt,
});

async function incident() {
  return (await h.store.listActive(100)).find((i) => i.title.includes('ChatAgent error rate')) ?? null;
}

describe('truncated Alertmanager groups', () => {
  it('reconciles alerts and resolutions the webhook never carried, until the incident closes', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await am.pushAlerts(instances.map((i) => alert(i, later)));

    // only 2 of the 5 alerts are in the webhook; reconciliation brings in the other 3
    const opened = await waitFor(async () => {
      const inc = await incident();
      return inc && inc.alertsTotal === 5 && inc.alertsFiring === 5 ? inc : undefined;
    }, { what: 'all five alerts in the incident', timeoutMs: 30_000 });
    const q = new Queue('alert', { connection: h.redis, prefix: h.bot.config.queues.prefix });
    try {
      const reconciles = (await q.getJobs(['completed'])).filter((j) => (j.data as { kind: string }).kind === 'reconcile');
      expect(reconciles.length).toBeGreaterThan(0);
    } finally {
      await q.close();
    }

    // resolve four, two of them beyond the webhook's first two: the incident keeps one firing
    const now = new Date().toISOString();
    await am.pushAlerts(['i1', 'i2', 'i4', 'i5'].map((i) => alert(i, now)));
    await waitFor(async () => (await h.store.get(opened.id))?.alertsFiring === 1, { what: 'four resolutions reconciled', timeoutMs: 30_000 });
    const stillFiring = (await h.store.alerts(opened.id)).filter((a) => a.status === 'firing').map((a) => a.detail.labels.instance);
    expect(stillFiring).toEqual(['i3']);

    // the last one resolves: the incident closes and its root is edited, in the same thread
    await am.pushAlerts([alert('i3', new Date().toISOString())]);
    await waitFor(async () => (await h.store.get(opened.id))?.state === 'resolved', { what: 'incident resolved', timeoutMs: 30_000 });
    const roots = h.roots(opened.channel).filter((m) => allText(m).includes(opened.id));
    expect(roots).toHaveLength(1);
    await waitFor(() => roots[0]!.edits.some((e) => JSON.stringify(e.blocks).includes('Resolved: ')), { what: 'root edited to resolved' });
  }, 120_000);
});
