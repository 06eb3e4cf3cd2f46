/**
 * Nothing left silently open (issue 14): incidents without an update for INCIDENT_STALE_AFTER_S are
 * re-checked by the scheduled `stale` job against their sources — here a real Alertmanager:
 * - an alert whose resolution never reached the bot (Alertmanager does not hold it) is resolved, and its
 *   incident with it;
 * - an alert Alertmanager still holds firing stays open, and the root says so;
 * - once Alertmanager cannot be asked, the root says that it could not confirm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local/redis.js';
import { STALE_SCHEDULER_ID, scheduleStaleCheck } from '../../src/incidents/stale.js';
import { startAlertmanager, type LocalAlertmanager } from '../incidents/alertmanager.js';
import { ALERT_CHANNEL, AM_TOKEN, allText, amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';
import type { SandboxMessage } from '../support/sandbox.js';

let h: AlertHarness;
let am: LocalAlertmanager;

beforeAll(async () => {
  const amPort = await freePort();
  h = await startAlertHarness({
    workers: 1,
    env: { ALERTMANAGER_URL: `http://127.0.0.1:${amPort}`, INCIDENT_STALE_AFTER_S: '2', INCIDENT_STALE_CHECK_S: '1' },
  });
  am = await startAlertmanager({ port: amPort, webhookUrl: `${h.intake.intake.url}/alerts/alertmanager`, bearerToken: AM_TOKEN, maxAlerts: 0, groupBy: ['alertname'] });
  expect(await scheduleStaleCheck(h.workers[0]!.deps.queues, h.bot.config, h.bot.logger)).toBe(true);
}, 60_000);

afterAll(async () => {
  await am?.stop();
  await h?.stop();
});

function rootNow(root: SandboxMessage): string {
  const last = root.edits.at(-1);
  return allText({ ...root, edits: [], ...(last ? { text: last.text, blocks: last.blocks } : {}) });
}

async function incidentTitled(title: string) {
  return waitFor(async () => (await h.store.listActive(50)).find((i) => i.title === title), { what: `incident "${title}"`, timeoutMs: 30_000 });
}

describe('stale incidents', () => {
  it('is one job scheduler, whichever replica upserts it', async () => {
    await scheduleStaleCheck(h.workers[0]!.deps.queues, h.bot.config, h.bot.logger);
    const schedulers = await h.workers[0]!.deps.queues.get('alert').getJobSchedulers(0, -1);
    expect(schedulers.filter((s) => s.key === STALE_SCHEDULER_ID)).toHaveLength(1);
  });

  it('resolves an incident whose resolution was lost, and flags one Alertmanager still holds', async () => {
    // held firing by Alertmanager (pushed to it, notified by it)
    await am.pushAlerts([{
      labels: { alertname: 'AutoGenAgentHighLatency', runtime: 'prod', agent_type: 'PlannerAgent', severity: 'warning', team: 'stale' },
      annotations: { summary: 'PlannerAgent latency high' },
      startsAt: new Date(Date.now() - 30_000).toISOString(),
      endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    }]);
    // a notification whose resolution never came, of an alert Alertmanager does not hold
    const res = await h.postAlertmanager(amNotification([{
      status: 'firing',
      labels: { alertname: 'AutoGenAgentDown', runtime: 'prod', agent_type: 'RetrieverAgent', severity: 'critical', team: 'stale' },
      annotations: { summary: 'RetrieverAgent down' },
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      fingerprint: 'a1b2c3d4e5f60718',
    }]));
    expect(res.status).toBe(202);

    const lost = await incidentTitled('RetrieverAgent down');
    const held = await incidentTitled('PlannerAgent latency high');

    await waitFor(async () => (await h.store.get(lost.id))?.state === 'resolved', { what: 'the lost resolution re-checked and resolved', timeoutMs: 30_000 });
    const flagged = await waitFor(async () => {
      const inc = await h.store.get(held.id);
      return inc?.caveats?.stale ? inc : undefined;
    }, { what: 'the held incident flagged', timeoutMs: 30_000 });
    expect(flagged.state).toBe('open');
    expect(flagged.caveats?.stale?.notes).toEqual(['Alertmanager still has 1 of them firing']);
    const root = h.roots(ALERT_CHANNEL).find((m) => allText(m).includes(held.id))!;
    await waitFor(() => /No update for \S+.*; Alertmanager still has 1 of them firing/.test(rootNow(root)), { what: 'root says it was re-checked', timeoutMs: 20_000 });

    // Alertmanager goes away: the next re-check could not confirm, and the root says so
    await am.stop();
    await waitFor(() => rootNow(root).includes('Alertmanager could not confirm'), { what: 'root says Alertmanager could not confirm', timeoutMs: 30_000 });
    expect((await h.store.get(held.id))?.state).toBe('open');
  }, 120_000);
});
