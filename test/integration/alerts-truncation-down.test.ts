/**
 * Truncation with Alertmanager down (issue 14): a group of 300 alerts arrives truncated (`max_alerts: 50`,
 * `truncatedAlerts: 250`) while ALERTMANAGER_URL points at a port nobody listens on. The incident's root says
 * what is missing, the reconcile job keeps itself delayed with back-off (never `failed`), and once a real
 * Alertmanager answers on that port — holding none of the alerts any more — the reconciliation completes and
 * the incident resolves, its root no longer saying anything is missing.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local/redis.js';
import { startAlertmanager, type LocalAlertmanager } from '../incidents/alertmanager.js';
import { ALERT_CHANNEL, AM_TOKEN, allText, amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';
import type { SandboxMessage } from '../support/sandbox.js';

let h: AlertHarness;
let am: LocalAlertmanager | undefined;
let amPort: number;

beforeAll(async () => {
  amPort = await freePort();
  h = await startAlertHarness({
    workers: 1,
    env: { ALERTMANAGER_URL: `http://127.0.0.1:${amPort}`, ALERT_RECONCILE_RETRY_MS: '200', ALERT_RECONCILE_RETRY_MAX_MS: '1000' },
  });
}, 60_000);

afterAll(async () => {
  await am?.stop();
  await h?.stop();
});

/** The root's text as it reads now (its last edit, or as posted). */
function rootNow(root: SandboxMessage): string {
  const last = root.edits.at(-1);
  return allText({ ...root, edits: [], ...(last ? { text: last.text, blocks: last.blocks } : {}) });
}

const MISSING = '250 alerts not shown: Alertmanager truncated the group and could not be asked';

describe('a truncated group while Alertmanager cannot be asked', () => {
  it('says what is missing in the root, keeps retrying, and resolves once Alertmanager answers again', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const alerts = Array.from({ length: 50 }, (_, i) => ({
      status: 'firing' as const,
      labels: { alertname: 'AutoGenAgentDown', runtime: 'prod', agent_type: 'ToolAgent', severity: 'critical', team: 'trunc', instance: `i${i}` },
      annotations: { summary: 'ToolAgent instances down' },
      startsAt,
      fingerprint: `f${String(i).padStart(15, '0')}`,
    }));
    const res = await h.postAlertmanager(amNotification(alerts, { truncatedAlerts: 250, groupKey: '{}:{alertname="AutoGenAgentDown"}' }));
    expect(res.status).toBe(202);

    const incident = await waitFor(async () => {
      const inc = (await h.store.listActive(50)).find((i) => i.title === 'ToolAgent instances down');
      return inc && inc.alertsFiring === 50 && inc.caveats?.truncated ? inc : undefined;
    }, { what: 'incident with the truncation caveat', timeoutMs: 30_000 });
    expect(incident.caveats?.truncated).toMatchObject({ count: 250, reason: 'unreachable' });
    const root = await waitFor(() => h.roots(ALERT_CHANNEL).find((m) => allText(m).includes(incident.id) && rootNow(m).includes(MISSING)), { what: 'root says what is missing', timeoutMs: 30_000 });
    // the thread says it once too
    await waitFor(() => h.replies(root).some((r) => allText(r).includes(MISSING)), { what: 'thread line about the truncation' });

    // the reconcile job is waiting for its next attempt, not failed
    const q = new Queue('alert', { connection: h.redis, prefix: h.bot.config.queues.prefix });
    try {
      const retrying = await waitFor(async () => {
        const delayed = (await q.getJobs(['delayed'])).filter((j) => (j.data as { kind: string }).kind === 'reconcile');
        return delayed.find((j) => ((j.data as { tries?: number }).tries ?? 0) >= 2);
      }, { what: 'reconcile job delayed after two attempts', timeoutMs: 20_000 });
      expect(retrying.attemptsMade).toBe(0);
      const failed = (await q.getJobs(['failed'])).filter((j) => (j.data as { kind: string }).kind === 'reconcile');
      expect(failed).toHaveLength(0);
    } finally {
      await q.close();
    }

    // Alertmanager comes up on that port: it holds none of the group's alerts any more
    am = await startAlertmanager({ port: amPort, webhookUrl: `${h.intake.intake.url}/alerts/alertmanager`, bearerToken: AM_TOKEN, maxAlerts: 0, groupBy: ['alertname'] });
    await waitFor(async () => (await h.store.get(incident.id))?.state === 'resolved', { what: 'incident resolved after reconciliation', timeoutMs: 30_000 });
    const after = await h.store.get(incident.id);
    expect(after?.alertsFiring).toBe(0);
    expect(after?.caveats?.truncated).toBeUndefined();
    await waitFor(() => rootNow(root).includes('Resolved: ') && !rootNow(root).includes(MISSING), { what: 'root edited to resolved, nothing missing', timeoutMs: 20_000 });
    expect(h.roots(ALERT_CHANNEL).filter((m) => allText(m).includes(incident.id))).toHaveLength(1);
  }, 120_000);
});
