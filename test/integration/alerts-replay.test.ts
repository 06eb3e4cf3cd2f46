/**
 * The replay harness (`make replay`): Alertmanager-shaped notification sequences fed to the bot, then the
 * final state of every incident asserted, scenario by scenario. The shapes come from real Alertmanagers
 * (Debian's prometheus-alertmanager 0.25) started here — one forwarding whole groups, one truncating them
 * (`max_alerts: 3`, the bot reconciling against its API) — fed the way Prometheus feeds them
 * (`POST /api/v2/alerts`); resends and late copies, which Alertmanager produces only over hours, are
 * replayed as byte-identical webhook bodies of the documented v4 shape.
 *
 *   scenario    sequence                                                       final state
 *   storm       3 agents × 24 alerts fired in 3 batches (own startsAt each),   3 incidents, resolved, 24 in all, 1 root each
 *               resolved in one push restamped with the first batch's start
 *   truncated   12 alerts of one group, 3 per notification; all resolved       1 incident, resolved, 12 in all
 *   flapping    one alert fires, resolves, fires again (new start), resolves   1 incident, resolved, reopened once, 1 root
 *   resends     a notification sent 3×, a changed one (+1 alert) sent 2×,      1 incident, resolved, 2 in all; the old
 *               the resolution sent 2×, then the first notification again     notification changes nothing
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/store.js';
import { freePort } from '../../src/local/redis.js';
import { startAlertmanager, type LocalAlertmanager } from '../incidents/alertmanager.js';
import { AM_TOKEN, allText, amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';

let h: AlertHarness;
let whole: LocalAlertmanager;
let truncating: LocalAlertmanager;

beforeAll(async () => {
  const [wholePort, truncPort] = [await freePort(), await freePort()];
  h = await startAlertHarness({ workers: 2, env: { ALERTMANAGER_URL: `http://127.0.0.1:${truncPort}` } });
  const webhookUrl = `${h.intake.intake.url}/alerts/alertmanager`;
  [whole, truncating] = await Promise.all([
    startAlertmanager({ port: wholePort, webhookUrl, bearerToken: AM_TOKEN, maxAlerts: 0, groupBy: ['alertname', 'agent_type'] }),
    startAlertmanager({ port: truncPort, webhookUrl, bearerToken: AM_TOKEN, maxAlerts: 3, groupBy: ['alertname'] }),
  ]);
}, 60_000);

afterAll(async () => {
  await whole?.stop();
  await truncating?.stop();
  await h?.stop();
});

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** The incidents (active or not) holding alerts of `scenario` (label `scenario`). */
async function incidentsOf(scenario: string): Promise<Incident[]> {
  const ids = new Set<string>();
  for (const key of await h.redis.keys(`${h.bot.config.queues.prefix}:inc:inc-*:alerts`)) {
    const values = await h.redis.hvals(key);
    if (values.some((v) => v.includes(`\\"scenario\\":\\"${scenario}\\"`))) ids.add(key.split(':').at(-2)!);
  }
  const out: Incident[] = [];
  for (const id of ids) {
    const inc = await h.store.get(id);
    if (inc) out.push(inc);
  }
  return out.sort((a, b) => a.title.localeCompare(b.title));
}

const firingOf = async (scenario: string) => (await incidentsOf(scenario)).reduce((n, i) => n + i.alertsFiring, 0);
const rootsOf = (inc: Incident) => h.roots(inc.channel).filter((m) => allText(m).includes(inc.id));

describe('replayed Alertmanager sequences end in the right state', () => {
  it('storm: fired in batches, resolved in one push under the first batch\'s start', async () => {
    const agents = ['BillingAgent', 'SearchAgent', 'MailAgent'];
    const base = Date.now() - HOUR;
    const alert = (i: number, startsAt: number, endsAt: number) => ({
      labels: { alertname: 'ReplayStorm', scenario: 'storm', runtime: 'prod', agent_type: agents[i % 3]!, severity: 'critical', instance: `pod-${i}` },
      annotations: { summary: `${agents[i % 3]!} failing` }, startsAt: iso(startsAt), endsAt: iso(endsAt),
    });
    for (let batch = 0; batch < 3; batch += 1) {
      await whole.pushAlerts(Array.from({ length: 24 }, (_, k) => alert(batch * 24 + k, base + batch * 300_000, Date.now() + HOUR)));
      await waitFor(async () => (await firingOf('storm')) === (batch + 1) * 24, { what: `storm batch ${batch}`, timeoutMs: 20_000 });
    }
    await whole.pushAlerts(Array.from({ length: 72 }, (_, i) => alert(i, base, Date.now())));
    await waitFor(async () => (await incidentsOf('storm')).every((i) => i.state === 'resolved'), { what: 'storm resolved', timeoutMs: 20_000 });
  }, 60_000);

  it('truncated: a group of 12 behind max_alerts 3, reconciled, then resolved', async () => {
    const startsAt = Date.now() - 60_000;
    const alert = (i: number, endsAt: number) => ({
      labels: { alertname: 'ReplayTruncated', scenario: 'truncated', runtime: 'prod', agent_type: 'OrderDesk', severity: 'error', instance: `i${i}` },
      annotations: { summary: 'OrderDesk failing' }, startsAt: iso(startsAt), endsAt: iso(endsAt),
    });
    await truncating.pushAlerts(Array.from({ length: 12 }, (_, i) => alert(i, Date.now() + HOUR)));
    await waitFor(async () => (await firingOf('truncated')) === 12, { what: 'all 12 reconciled', timeoutMs: 20_000 });
    await truncating.pushAlerts(Array.from({ length: 12 }, (_, i) => alert(i, Date.now())));
    await waitFor(async () => (await incidentsOf('truncated')).every((i) => i.state === 'resolved'), { what: 'truncated group resolved', timeoutMs: 20_000 });
  }, 60_000);

  it('flapping: fires, resolves, fires again with a new start, resolves', async () => {
    const alert = (startsAt: number, endsAt: number) => ({
      labels: { alertname: 'ReplayFlap', scenario: 'flapping', runtime: 'prod', agent_type: 'Concierge', severity: 'warning' },
      annotations: { summary: 'Concierge slow' }, startsAt: iso(startsAt), endsAt: iso(endsAt),
    });
    const first = Date.now() - 120_000;
    const state = async () => (await incidentsOf('flapping'))[0];
    await whole.pushAlerts([alert(first, Date.now() + HOUR)]);
    await waitFor(async () => (await state())?.state === 'open', { what: 'flap fired' });
    await whole.pushAlerts([alert(first, Date.now())]);
    await waitFor(async () => (await state())?.state === 'resolved', { what: 'flap resolved' });
    // a new episode starts after the resolution's end (as Prometheus restarts it): Alertmanager would merge an
    // overlapping one back into the first episode, under its old start
    const second = Date.now() + 1;
    await whole.pushAlerts([alert(second, Date.now() + HOUR)]);
    await waitFor(async () => (await state())?.reopenedCount === 1 && (await state())?.state === 'open', { what: 'flap fired again' });
    await whole.pushAlerts([alert(second, Date.now())]);
    await waitFor(async () => (await state())?.state === 'resolved', { what: 'flap resolved again' });
  }, 60_000);

  it('resends: byte-identical notifications, a changed one, the resolution, then an old copy', async () => {
    const startsAt = iso(Date.now() - 300_000);
    const a = (fp: string, status: 'firing' | 'resolved', instance: string) => ({
      status, fingerprint: fp, startsAt, endsAt: iso(Date.now()),
      labels: { alertname: 'ReplayResend', scenario: 'resends', runtime: 'prod', agent_type: 'Archiver', severity: 'error', instance },
      annotations: { summary: 'Archiver failing' },
    });
    const group = { groupKey: '{}:{alertname="ReplayResend"}' };
    const first = JSON.stringify(amNotification([a('fa1', 'firing', 'x1')], group));
    const changed = JSON.stringify(amNotification([a('fa1', 'firing', 'x1'), a('fa2', 'firing', 'x2')], group));
    const resolved = JSON.stringify(amNotification([a('fa1', 'resolved', 'x1'), a('fa2', 'resolved', 'x2')], group));
    for (const body of [first, first, first, changed, changed]) expect((await h.postAlertmanager(body)).status).toBe(202);
    await waitFor(async () => (await firingOf('resends')) === 2, { what: 'two firing' });
    for (const body of [resolved, resolved]) expect((await h.postAlertmanager(body)).status).toBe(202);
    await waitFor(async () => (await incidentsOf('resends'))[0]?.state === 'resolved', { what: 'resends resolved' });
    // the first notification once more (a retry that was still in flight): the same job, nothing changes
    expect((await h.postAlertmanager(first)).status).toBe(202);
    await waitFor(async () => {
      const [inc] = await incidentsOf('resends');
      return inc?.state === 'resolved' && (await h.workers[0]!.deps.queues.get('alert').getWaitingCount()) === 0;
    }, { what: 'the old copy processed' });
  }, 60_000);

  it('the final state of every incident', async () => {
    const summary = async (scenario: string) => (await incidentsOf(scenario)).map((i) => ({
      title: i.title, state: i.state, firing: i.alertsFiring, total: i.alertsTotal, reopened: i.reopenedCount, roots: rootsOf(i).length,
    }));
    expect(await summary('storm')).toEqual([
      { title: 'BillingAgent failing', state: 'resolved', firing: 0, total: 24, reopened: 0, roots: 1 },
      { title: 'MailAgent failing', state: 'resolved', firing: 0, total: 24, reopened: 0, roots: 1 },
      { title: 'SearchAgent failing', state: 'resolved', firing: 0, total: 24, reopened: 0, roots: 1 },
    ]);
    expect(await summary('truncated')).toEqual([{ title: 'OrderDesk failing', state: 'resolved', firing: 0, total: 12, reopened: 0, roots: 1 }]);
    expect(await summary('flapping')).toEqual([{ title: 'Concierge slow', state: 'resolved', firing: 0, total: 1, reopened: 1, roots: 1 }]);
    expect(await summary('resends')).toEqual([{ title: 'Archiver failing', state: 'resolved', firing: 0, total: 2, reopened: 0, roots: 1 }]);
    // every root ends edited to resolved
    for (const scenario of ['storm', 'truncated', 'flapping', 'resends']) {
      for (const inc of await incidentsOf(scenario)) {
        await waitFor(() => rootsOf(inc)[0]?.edits.some((e) => JSON.stringify(e.blocks).includes('Resolved: ')), { what: `${scenario} root resolved` });
      }
    }
  }, 60_000);
});
