/**
 * The alert merge (src/redis/scripts/incident-apply.lua), one test per row of its merge table, on real
 * Redis, fed with Alertmanager v4 notification bodies parsed the way the intake parses them. "received" is
 * when the bot took the notification in (the job's `received_at`), passed to the store as `receivedAt`.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_GROUPING, scopeOf } from '../../src/incidents/grouping.js';
import { severityFromLabels } from '../../src/incidents/severity.js';
import { IncidentStore, type ApplyResult } from '../../src/incidents/store.js';
import { alertmanagerPayloadSchema, alertsFromAlertmanager } from '../../src/intake/alertmanager.js';
import { amNotification } from './harness.js';

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { lazyConnect: true });
  await redis.connect();
});
afterAll(() => redis.disconnect());

const newStore = () => new IncidentStore(redis, { keyPrefix: `{m-${randomUUID().slice(0, 8)}}:` });

const T0 = Date.parse('2025-03-01T10:00:00Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface AmAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  fingerprint: string;
}

/** One alert of a group as Alertmanager forwards it (fingerprint: 16 hex digits, like Alertmanager's). */
function amAlert(instance: number, over: Partial<AmAlert> & { agent?: string } = {}): AmAlert {
  const agent = over.agent ?? 'ChatAgent';
  return {
    status: 'firing',
    labels: { alertname: 'AutoGenAgentHighErrorRate', runtime: 'prod', agent_type: agent, severity: 'critical', instance: `pod-${instance}` },
    annotations: { summary: `${agent} error rate 12 %`, description: `${agent} fails 12 % of its messages.` },
    startsAt: iso(T0),
    fingerprint: `a1b2c3d4e5f6${instance.toString(16).padStart(4, '0')}`,
    ...over,
  };
}

const resolved = (a: AmAlert, startsAt: string, endsAt: number): AmAlert => ({ ...a, status: 'resolved', startsAt, endsAt: iso(endsAt) });

/** Parses a v4 body like the intake and applies its alerts as received at `receivedAt` (undefined: not said). */
async function deliver(store: IncidentStore, alerts: AmAlert[], receivedAt: number | undefined, nowMs = receivedAt ?? T0): Promise<ApplyResult[]> {
  const body = JSON.parse(JSON.stringify(amNotification(alerts, { groupKey: '{}/{}:{alertname="AutoGenAgentHighErrorRate"}' }))) as unknown;
  const normalized = alertsFromAlertmanager(alertmanagerPayloadSchema.parse(body), 'alertmanager');
  return store.applyAlerts(normalized.map((alert) => ({
    alert, scope: scopeOf(alert.labels, DEFAULT_GROUPING), severity: severityFromLabels(alert.labels), channel: 'C0ALERTS',
    ...(receivedAt === undefined ? {} : { receivedAt }),
  })), nowMs);
}

describe('the alert merge (one test per row of the merge table)', () => {
  it('M1: a first firing alert opens an incident', async () => {
    const store = newStore();
    const [r] = await deliver(store, [amAlert(1)], T0);
    expect(r).toMatchObject({ created: true, changed: true, state: 'open', firing: 1, total: 1 });
  });

  it('M2: a resolution of an alert never seen firing is kept as resolved in its incident, and fires nothing', async () => {
    const store = newStore();
    const [open] = await deliver(store, [amAlert(1)], T0);
    const [r] = await deliver(store, [resolved(amAlert(2), iso(T0), T0 + MIN)], T0 + MIN);
    expect(r).toMatchObject({ incidentId: open!.incidentId, changed: true, firing: 1, total: 2, state: 'open' });
    expect((await store.alert(open!.incidentId, amAlert(2).fingerprint))?.status).toBe('resolved');
  });

  it('M3: a resend of a firing alert changes nothing, whatever start it carries', async () => {
    const store = newStore();
    const [first] = await deliver(store, [amAlert(1)], T0);
    const again = await deliver(store, [amAlert(1), amAlert(1, { startsAt: iso(T0 - 5 * MIN) }), amAlert(1, { startsAt: iso(T0 + 5 * MIN) })], T0 + MIN);
    expect(again.map((r) => r.changed)).toEqual([false, false, false]);
    expect(await store.get(first!.incidentId)).toMatchObject({ version: 1, alertsFiring: 1, alertsTotal: 1 });
    expect(await store.timeline(first!.incidentId)).toHaveLength(1);
  });

  it('M4: changed annotations of a firing alert are an update of the same incident: a timeline line, a flush, the title follows', async () => {
    const store = newStore();
    const [first] = await deliver(store, [amAlert(1)], T0);
    await store.claimFlush(first!.incidentId, 'flush-1');
    const now37 = { summary: 'ChatAgent error rate now 37 %', description: 'ChatAgent fails 37 % of its messages.' };
    const [r] = await deliver(store, [amAlert(1, { annotations: now37 })], T0 + MIN);
    expect(r).toMatchObject({ incidentId: first!.incidentId, created: false, changed: true, needsFlush: true, firing: 1, total: 1, state: 'open' });
    const inc = await store.get(first!.incidentId);
    expect(inc).toMatchObject({ title: 'ChatAgent error rate now 37 %', alertsFiring: 1, alertsTotal: 1 });
    expect((await store.timeline(first!.incidentId)).at(-1)).toMatchObject({ k: 'updated', fp: amAlert(1).fingerprint, t: expect.stringContaining('now 37 %') as unknown });
    expect((await store.alert(first!.incidentId, amAlert(1).fingerprint))?.detail.annotations.summary).toBe('ChatAgent error rate now 37 %');
    expect(await store.countActive()).toBe(1);
    // an alert that did not name the incident updates its line, not the title
    await deliver(store, [amAlert(1, { annotations: now37 }), amAlert(2)], T0 + 2 * MIN);
    await deliver(store, [amAlert(1, { annotations: now37 }), amAlert(2, { annotations: { summary: 'pod-2 at 50 %' } })], T0 + 3 * MIN);
    expect((await store.get(first!.incidentId))?.title).toBe('ChatAgent error rate now 37 %');
    expect((await store.timeline(first!.incidentId)).at(-1)).toMatchObject({ k: 'updated', t: expect.stringContaining('pod-2 at 50 %') as unknown });
  });

  it('M5: a changed copy received before what is held (processed late) changes nothing', async () => {
    const store = newStore();
    const [first] = await deliver(store, [amAlert(1, { annotations: { summary: 'now 37 %' } })], T0 + 2 * MIN);
    const [late] = await deliver(store, [amAlert(1, { annotations: { summary: 'now 12 %' } })], T0 + MIN, T0 + 3 * MIN);
    expect(late!.changed).toBe(false);
    expect((await store.alert(first!.incidentId, amAlert(1).fingerprint))?.detail.annotations.summary).toBe('now 37 %');
  });

  it('M6: a resolution resolves the open episode whatever startsAt it carries', async () => {
    const store = newStore();
    const fired = amAlert(1, { startsAt: iso(T0 + 10 * MIN) });
    const [first] = await deliver(store, [fired], T0 + 10 * MIN);
    // resolved with another (earlier) start than it fired with, as Alertmanager forwards a restamped resolution
    const [r] = await deliver(store, [resolved(fired, iso(T0), T0 + 20 * MIN)], T0 + 20 * MIN);
    expect(r).toMatchObject({ incidentId: first!.incidentId, changed: true, resolvedNow: true, state: 'resolved', firing: 0 });
    expect(await store.countActive()).toBe(0);
  });

  it('M7: a resolution received before the held firing (a late copy of an earlier episode) changes nothing', async () => {
    const store = newStore();
    // episode 1 fired and resolved, episode 2 fired; the workers applied episode 2 before episode 1's resolution
    await deliver(store, [amAlert(1)], T0);
    const [second] = await deliver(store, [amAlert(1, { startsAt: iso(T0 + 30 * MIN) })], T0 + 30 * MIN);
    const [late] = await deliver(store, [resolved(amAlert(1), iso(T0), T0 + 10 * MIN)], T0 + 10 * MIN, T0 + 31 * MIN);
    expect(late).toMatchObject({ changed: false, state: 'open', firing: 1 });
    expect((await store.get(second!.incidentId))?.state).toBe('open');
  });

  it('M8: a resend of a resolution changes nothing', async () => {
    const store = newStore();
    await deliver(store, [amAlert(1)], T0);
    const [r] = await deliver(store, [resolved(amAlert(1), iso(T0), T0 + MIN)], T0 + MIN);
    const [again] = await deliver(store, [resolved(amAlert(1), iso(T0), T0 + MIN)], T0 + 2 * MIN);
    expect(again).toMatchObject({ incidentId: r!.incidentId, changed: false, state: 'resolved' });
    expect((await store.get(r!.incidentId))?.version).toBe(r!.version);
  });

  it('M9: a firing received after the source resolved it is a new episode, whatever its start (the incident reopens)', async () => {
    const store = newStore();
    const [first] = await deliver(store, [amAlert(1)], T0);
    await deliver(store, [resolved(amAlert(1), iso(T0), T0 + MIN)], T0 + MIN);
    // a sender that fires again under the start it used before
    const [again] = await deliver(store, [amAlert(1)], T0 + 5 * MIN);
    expect(again).toMatchObject({ incidentId: first!.incidentId, changed: true, reopened: true, state: 'open', firing: 1 });
    await deliver(store, [resolved(amAlert(1), iso(T0), T0 + 6 * MIN)], T0 + 6 * MIN);
    const [later] = await deliver(store, [amAlert(1, { startsAt: iso(T0 + 7 * MIN) })], T0 + 7 * MIN);
    expect(later).toMatchObject({ incidentId: first!.incidentId, reopened: true, state: 'open' });
    expect((await store.get(first!.incidentId))?.reopenedCount).toBe(2);
  });

  it('M10: a firing received before the source resolved it (processed late) changes nothing', async () => {
    const store = newStore();
    const [first] = await deliver(store, [amAlert(1)], T0);
    await deliver(store, [resolved(amAlert(1), iso(T0), T0 + 2 * MIN)], T0 + 2 * MIN);
    // even with a later start: the resolution received after it is the newer state
    const [late] = await deliver(store, [amAlert(1, { startsAt: iso(T0 + MIN) })], T0 + MIN, T0 + 3 * MIN);
    expect(late).toMatchObject({ changed: false, state: 'resolved' });
    expect((await store.get(first!.incidentId))?.state).toBe('resolved');
  });

  it('M11: after a person resolved it, a firing with a later start is a new episode', async () => {
    const store = newStore();
    const [first] = await deliver(store, [amAlert(1)], T0);
    await store.transition(first!.incidentId, 'resolve', 'U0ONCALL', T0 + MIN);
    const [r] = await deliver(store, [amAlert(1, { startsAt: iso(T0 + 5 * MIN) })], T0 + 5 * MIN);
    expect(r).toMatchObject({ incidentId: first!.incidentId, reopened: true, state: 'open' });
  });

  it('M12: after a person resolved it, resends of the episode still firing at the source change nothing', async () => {
    const store = newStore();
    const [first] = await deliver(store, [amAlert(1)], T0);
    await store.transition(first!.incidentId, 'resolve', 'U0ONCALL', T0 + MIN);
    const resends = await deliver(store, [amAlert(1), amAlert(1, { startsAt: iso(T0 - MIN) })], T0 + 4 * 60 * MIN);
    expect(resends.map((r) => [r.changed, r.state])).toEqual([[false, 'resolved'], [false, 'resolved']]);
  });

  it('M13: once the source resolves what a person resolved, a firing received after is a new episode again', async () => {
    const store = newStore();
    const [first] = await deliver(store, [amAlert(1)], T0);
    await store.transition(first!.incidentId, 'resolve', 'U0ONCALL', T0 + MIN);
    const [settled] = await deliver(store, [resolved(amAlert(1), iso(T0), T0 + 2 * MIN)], T0 + 2 * MIN);
    expect(settled!.changed).toBe(false);
    const [r] = await deliver(store, [amAlert(1)], T0 + 3 * MIN);
    expect(r).toMatchObject({ incidentId: first!.incidentId, reopened: true, state: 'open' });
  });

  it('without a receipt time, only a later start is a new episode after a resolution', async () => {
    const store = newStore();
    const [first] = await deliver(store, [amAlert(1)], undefined, T0);
    await deliver(store, [resolved(amAlert(1), iso(T0 - MIN), T0 + MIN)], undefined, T0 + MIN);
    expect((await store.get(first!.incidentId))?.state).toBe('resolved');
    expect((await deliver(store, [amAlert(1)], undefined, T0 + 2 * MIN))[0]!.changed).toBe(false);
    expect((await deliver(store, [amAlert(1, { startsAt: iso(T0 + 2 * MIN) })], undefined, T0 + 2 * MIN))[0]).toMatchObject({ reopened: true });
  });
});

describe('a storm resolved with restamped startsAt', () => {
  it('300 alerts fired in six batches and resolved in one notification carrying the first batch\'s startsAt: every incident resolves', async () => {
    const store = newStore();
    const agents = ['BillingAgent', 'SearchAgent', 'MailAgent'];
    const all = Array.from({ length: 300 }, (_, i) => amAlert(i, { agent: agents[i % 3]!, startsAt: iso(T0 + Math.floor(i / 50) * MIN) }));
    // each notification is the group's whole current state: batch k's notification carries batches 1..k
    for (let batch = 1; batch <= 6; batch += 1) {
      await deliver(store, all.slice(0, batch * 50), T0 + batch * MIN);
    }
    const open = await store.listActive();
    expect(open.map((i) => [i.agent, i.alertsFiring]).sort()).toEqual([['BillingAgent', 100], ['MailAgent', 100], ['SearchAgent', 100]]);
    const results = await deliver(store, all.map((a) => resolved(a, iso(T0), T0 + 30 * MIN)), T0 + 30 * MIN);
    expect(results.filter((r) => r.changed)).toHaveLength(300);
    expect(results.filter((r) => r.resolvedNow)).toHaveLength(3);
    expect(await store.countActive()).toBe(0);
    for (const inc of open) {
      expect(await store.get(inc.id)).toMatchObject({ state: 'resolved', alertsFiring: 0, alertsTotal: 100, resolvedBy: '' });
    }
  });
});
