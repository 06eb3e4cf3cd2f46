import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { DEFAULT_GROUPING, scopeOf, type GroupingRules } from '../../src/incidents/grouping.js';
import { severityFromLabels } from '../../src/incidents/severity.js';
import { IncidentStore } from '../../src/incidents/store.js';

let redis: Redis;

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  redis.disconnect();
});

function newStore(opts: { reopenWindowMs?: number } = {}): IncidentStore {
  return new IncidentStore(redis, { keyPrefix: `{t-${randomUUID().slice(0, 8)}}:`, ...opts });
}

const T0 = Date.parse('2025-01-01T10:00:00Z');

function alert(over: Partial<NormalizedAlert> & { labels?: Record<string, string> } = {}): NormalizedAlert {
  return {
    source: 'alertmanager',
    kind: 'alertmanager',
    fingerprint: 'fp1',
    status: 'firing',
    labels: { alertname: 'HighErrorRate', runtime: 'prod', agent_type: 'ChatAgent', severity: 'critical' },
    annotations: { summary: 'ChatAgent error rate 12 %' },
    startsAt: new Date(T0).toISOString(),
    endsAt: null,
    generatorURL: null,
    groupKey: null,
    ...over,
  };
}

function apply(store: IncidentStore, a: NormalizedAlert, now: number, rules: GroupingRules = DEFAULT_GROUPING) {
  return store.applyAlert({ alert: a, scope: scopeOf(a.labels, rules), severity: severityFromLabels(a.labels), channel: 'C0ALERTS' }, now);
}

describe('IncidentStore.applyAlert', () => {
  it('opens one incident for a first firing alert and keeps its fields', async () => {
    const store = newStore();
    const r = await apply(store, alert(), T0);
    expect(r).toMatchObject({ created: true, changed: true, state: 'open', firing: 1, total: 1, version: 1 });
    const inc = await store.get(r.incidentId);
    expect(inc).toMatchObject({
      id: r.incidentId, title: 'ChatAgent error rate 12 %', runtime: 'prod', agent: 'ChatAgent', agents: ['ChatAgent'],
      severity: 'critical', state: 'open', channel: 'C0ALERTS', openedAt: T0, alertsFiring: 1, alertsTotal: 1,
    });
    expect((await store.listActive()).map((i) => i.id)).toEqual([r.incidentId]);
  });

  it('a resend of the same alert changes nothing', async () => {
    const store = newStore();
    const first = await apply(store, alert(), T0);
    const again = await apply(store, alert(), T0 + 60_000);
    expect(again).toMatchObject({ incidentId: first.incidentId, created: false, changed: false, version: 1 });
    expect(await store.timeline(first.incidentId)).toHaveLength(1);
  });

  it('a resolution arriving for no incident stores nothing', async () => {
    const store = newStore();
    const r = await apply(store, alert({ status: 'resolved', endsAt: new Date(T0 + 1000).toISOString() }), T0);
    expect(r.incidentId).toBe('');
    expect(await store.countActive()).toBe(0);
  });

  it('resolves the incident when its last firing alert resolves, and a late firing of that episode is ignored', async () => {
    const store = newStore();
    const a = await apply(store, alert({ fingerprint: 'a' }), T0);
    await apply(store, alert({ fingerprint: 'b', labels: { alertname: 'Slow', runtime: 'prod', agent_type: 'ChatAgent' } }), T0 + 1);
    const r1 = await apply(store, alert({ fingerprint: 'a', status: 'resolved', endsAt: new Date(T0 + 5000).toISOString() }), T0 + 5000);
    expect(r1).toMatchObject({ changed: true, resolvedNow: false, state: 'open', firing: 1, total: 2 });
    const r2 = await apply(store, alert({ fingerprint: 'b', status: 'resolved', labels: { alertname: 'Slow', runtime: 'prod', agent_type: 'ChatAgent' }, endsAt: new Date(T0 + 6000).toISOString() }), T0 + 6000);
    expect(r2).toMatchObject({ incidentId: a.incidentId, changed: true, resolvedNow: true, state: 'resolved', firing: 0 });
    const late = await apply(store, alert({ fingerprint: 'a' }), T0 + 7000);
    expect(late).toMatchObject({ changed: false, state: 'resolved' });
    const inc = await store.get(a.incidentId);
    expect(inc).toMatchObject({ state: 'resolved', resolvedAt: T0 + 6000, resolvedBy: '' });
    expect(await store.countActive()).toBe(0);
  });

  it('a new firing episode within the reopen window reopens the same incident; after it, opens a new one', async () => {
    const store = newStore({ reopenWindowMs: 200 });
    const a = await apply(store, alert(), T0);
    await apply(store, alert({ status: 'resolved', endsAt: new Date(T0 + 1000).toISOString() }), T0 + 1000);
    const again = await apply(store, alert({ startsAt: new Date(T0 + 2000).toISOString() }), T0 + 2000);
    expect(again).toMatchObject({ incidentId: a.incidentId, reopened: true, state: 'open', firing: 1 });
    expect((await store.get(a.incidentId))?.reopenedCount).toBe(1);
    await apply(store, alert({ startsAt: new Date(T0 + 2000).toISOString(), status: 'resolved', endsAt: new Date(T0 + 3000).toISOString() }), T0 + 3000);
    // the open index expires with the reopen window (200 ms, in Redis time)
    const deadline = Date.now() + 5000;
    while ((await redis.exists(store.openIndexKey(scopeOf(alert().labels, DEFAULT_GROUPING).key))) === 1) {
      if (Date.now() > deadline) throw new Error('open index did not expire');
      await new Promise((r) => setTimeout(r, 50));
    }
    const fresh = await apply(store, alert({ startsAt: new Date(T0 + 9000).toISOString() }), T0 + 9000);
    expect(fresh.created).toBe(true);
    expect(fresh.incidentId).not.toBe(a.incidentId);
  });

  it('groups an agent cascade (configured dependencies) into one incident', async () => {
    const store = newStore();
    const rules: GroupingRules = { ...DEFAULT_GROUPING, dependencies: [['ChatAgent', 'PlannerAgent'], ['PlannerAgent', 'ToolAgent']] };
    const agents = ['ToolAgent', 'PlannerAgent', 'ChatAgent'];
    const ids = new Set<string>();
    for (const [i, agent] of agents.entries()) {
      const r = await apply(store, alert({ fingerprint: `fp-${agent}`, labels: { alertname: 'Errors', runtime: 'prod', agent_type: agent } }), T0 + i, rules);
      ids.add(r.incidentId);
    }
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect((await store.get(id!))?.agents).toEqual(['ChatAgent', 'PlannerAgent', 'ToolAgent']);
    // an unrelated agent opens its own incident
    const other = await apply(store, alert({ fingerprint: 'x', labels: { alertname: 'Errors', runtime: 'prod', agent_type: 'BillingAgent' } }), T0 + 10, rules);
    expect(other.created).toBe(true);
  });

  it('escalates severity to the highest firing alert', async () => {
    const store = newStore();
    const r = await apply(store, alert({ labels: { alertname: 'A', runtime: 'p', agent_type: 'X', severity: 'warning' } }), T0);
    expect((await store.get(r.incidentId))?.severity).toBe('warning');
    await apply(store, alert({ fingerprint: 'fp2', labels: { alertname: 'B', runtime: 'p', agent_type: 'X', severity: 'critical' } }), T0 + 1);
    await apply(store, alert({ fingerprint: 'fp3', labels: { alertname: 'C', runtime: 'p', agent_type: 'X', severity: 'info' } }), T0 + 2);
    expect((await store.get(r.incidentId))?.severity).toBe('critical');
  });

  it('generic alerts without a start time: firing twice is one episode, firing after resolution is a new one', async () => {
    const store = newStore();
    const g = (status: 'firing' | 'resolved') => alert({ kind: 'generic', source: 'ci', startsAt: null, status, endsAt: null });
    const r1 = await apply(store, g('firing'), T0);
    expect((await apply(store, g('firing'), T0 + 10)).changed).toBe(false);
    expect((await apply(store, g('resolved'), T0 + 20)).resolvedNow).toBe(true);
    const r4 = await apply(store, g('firing'), T0 + 30);
    expect(r4).toMatchObject({ incidentId: r1.incidentId, reopened: true, changed: true });
  });

  it('concurrent appliers on one incident never open two (one connection per applier)', async () => {
    const prefix = `{t-${randomUUID().slice(0, 8)}}:`;
    const clients = await Promise.all(Array.from({ length: 8 }, async () => {
      const c = new Redis(inject('redisUrl'), { lazyConnect: true });
      await c.connect();
      return c;
    }));
    try {
      const stores = clients.map((c) => new IncidentStore(c, { keyPrefix: prefix }));
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
        apply(stores[i % stores.length]!, alert({ fingerprint: `fp-${i}`, labels: { alertname: 'E', runtime: 'prod', agent_type: 'ChatAgent', instance: String(i) } }), T0 + i)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
      const inc = await stores[0]!.get(results[0]!.incidentId);
      expect(inc).toMatchObject({ alertsTotal: 200, alertsFiring: 200, version: 200 });
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});

describe('IncidentStore.applyAlerts (a notification in one call)', () => {
  const input = (a: NormalizedAlert, rules: GroupingRules = DEFAULT_GROUPING) =>
    ({ alert: a, scope: scopeOf(a.labels, rules), severity: severityFromLabels(a.labels), channel: 'C0ALERTS' });

  it('applies in order: the first alert opens, the rest of its cascade joins, a resend and an unknown resolution change nothing', async () => {
    const store = newStore();
    const rules: GroupingRules = { ...DEFAULT_GROUPING, dependencies: [['ChatAgent', 'ToolAgent']] };
    const labels = (agent: string) => ({ alertname: 'Errors', runtime: 'prod', agent_type: agent, severity: 'critical' });
    const results = await store.applyAlerts([
      input(alert({ fingerprint: 'a', labels: labels('ToolAgent') }), rules),
      input(alert({ fingerprint: 'b', labels: labels('ChatAgent') }), rules),
      input(alert({ fingerprint: 'a', labels: labels('ToolAgent') }), rules),
      input(alert({ fingerprint: 'z', status: 'resolved', labels: labels('BillingAgent') }), rules),
      input(alert({ fingerprint: 'c', labels: labels('BillingAgent') }), rules),
    ], T0);
    expect(results.map((r) => [r.created, r.changed, r.needsFlush])).toEqual([
      [true, true, true], [false, true, false], [false, false, false], [false, false, false], [true, true, true],
    ]);
    expect(results[1]!.incidentId).toBe(results[0]!.incidentId);
    expect(results[3]!.incidentId).toBe('');
    expect(results[4]!.incidentId).not.toBe(results[0]!.incidentId);
    expect(await store.get(results[0]!.incidentId)).toMatchObject({ agents: ['ChatAgent', 'ToolAgent'], alertsTotal: 2, version: 2 });
    expect((await store.timeline(results[0]!.incidentId)).map((e) => [e.v, e.k, e.fp])).toEqual([[1, 'firing', 'a'], [2, 'firing', 'b']]);
  });

  it('a group bigger than one script call is split and still makes one incident with every alert', async () => {
    const store = newStore();
    const inputs = Array.from({ length: 250 }, (_, i) => input(alert({ fingerprint: `fp-${i}`, labels: { alertname: 'E', runtime: 'prod', agent_type: 'ChatAgent', instance: String(i) } })));
    const results = await store.applyAlerts(inputs, T0);
    expect(results).toHaveLength(250);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
    expect(await store.get(results[0]!.incidentId)).toMatchObject({ alertsTotal: 250, alertsFiring: 250, version: 250 });
    expect(results.at(-1)).toMatchObject({ total: 250, firing: 250, version: 250 });
  });

  it('resolving a whole group in one call resolves the incident exactly once', async () => {
    const store = newStore();
    const fps = ['r1', 'r2', 'r3'];
    const [first] = await store.applyAlerts(fps.map((fp) => input(alert({ fingerprint: fp }))), T0);
    const resolved = await store.applyAlerts(fps.map((fp) => input(alert({ fingerprint: fp, status: 'resolved', endsAt: new Date(T0 + 5000).toISOString() }))), T0 + 5000);
    expect(resolved.map((r) => r.resolvedNow)).toEqual([false, false, true]);
    expect(await store.get(first!.incidentId)).toMatchObject({ state: 'resolved', alertsFiring: 0, alertsTotal: 3 });
  });
});

describe('IncidentStore.transition', () => {
  it('follows the state machine and records who did what', async () => {
    const store = newStore();
    const { incidentId: id } = await apply(store, alert(), T0);
    expect(await store.transition(id, 'acknowledge', 'U1', T0 + 1)).toMatchObject({ outcome: 'changed', state: 'acknowledged' });
    expect(await store.transition(id, 'acknowledge', 'U2', T0 + 2)).toMatchObject({ outcome: 'same', state: 'acknowledged' });
    expect(await store.transition(id, 'mitigate', 'U1', T0 + 3)).toMatchObject({ outcome: 'changed', state: 'mitigating' });
    expect(await store.transition(id, 'resolve', 'U2', T0 + 4)).toMatchObject({ outcome: 'changed', state: 'resolved' });
    expect(await store.transition(id, 'acknowledge', 'U1', T0 + 5)).toMatchObject({ outcome: 'invalid', state: 'resolved' });
    expect(await store.transition('inc-nope', 'resolve', 'U1', T0)).toEqual({ outcome: 'missing' });
    const inc = await store.get(id);
    expect(inc).toMatchObject({ ackedBy: 'U1', mitigatedBy: 'U1', resolvedBy: 'U2', alertsFiring: 0, state: 'resolved' });
    const states = (await store.timeline(id)).filter((e) => e.k === 'state').map((e) => `${e.from}>${e.to}:${e.by}`);
    expect(states).toEqual(['open>acknowledged:U1', 'acknowledged>mitigating:U1', 'mitigating>resolved:U2']);
  });

  it('a plan\'s mitigation that ends without a recovery: back to open, no longer shown as mitigated by anyone', async () => {
    const store = newStore();
    const { incidentId: id } = await apply(store, alert(), T0);
    expect(await store.transition(id, 'mitigate', 'U1', T0 + 1, 'plan pl-1: isolate OriginAgent')).toMatchObject({ outcome: 'changed', state: 'mitigating' });
    expect(await store.transition(id, 'unmitigate', 'verification', T0 + 2, 'plan pl-1: FrontAgent fails again')).toMatchObject({ outcome: 'changed', state: 'open' });
    expect(await store.get(id)).toMatchObject({ state: 'open', mitigatedBy: null, alertsFiring: 1 });
    expect((await store.timeline(id)).filter((e) => e.k === 'state').map((e) => `${e.from}>${e.to}:${e.by}:${e.note}`))
      .toEqual(['open>mitigating:U1:plan pl-1: isolate OriginAgent', 'mitigating>open:verification:plan pl-1: FrontAgent fails again']);
    expect(await store.transition(id, 'unmitigate', 'verification', T0 + 3)).toMatchObject({ outcome: 'same', state: 'open' });
  });

  it('after a manual resolve, resends of the same episode do not reopen, a new episode does', async () => {
    const store = newStore();
    const { incidentId: id } = await apply(store, alert(), T0);
    await store.transition(id, 'resolve', 'U1', T0 + 100);
    expect((await apply(store, alert(), T0 + 200)).changed).toBe(false);
    const r = await apply(store, alert({ startsAt: new Date(T0 + 300).toISOString() }), T0 + 300);
    expect(r).toMatchObject({ incidentId: id, reopened: true, state: 'open' });
  });
});

describe('IncidentStore flush, diagnosis and silence', () => {
  it('claims each change once; a retry of the same claimer gets the same range', async () => {
    const store = newStore();
    const { incidentId: id } = await apply(store, alert(), T0);
    await apply(store, alert({ fingerprint: 'fp2' }), T0 + 1);
    const c1 = await store.claimFlush(id, 'job-1');
    expect(c1).toMatchObject({ from: 0, to: 2 });
    expect(c1?.entries.map((e) => e.k)).toEqual(['firing', 'firing']);
    expect(await store.claimFlush(id, 'job-1')).toEqual(c1);
    expect(await store.claimFlush(id, 'job-2')).toMatchObject({ from: 2, to: 2, entries: [] });
    await store.transition(id, 'acknowledge', 'U1', T0 + 2);
    const c3 = await store.claimFlush(id, 'job-3');
    expect(c3?.entries.map((e) => `${e.k}:${e.to}`)).toEqual(['state:acknowledged']);
    expect(await store.claimFlush('inc-missing', 'job-4')).toBeNull();
  });

  it('asks for a flush on the first change after each claim only', async () => {
    const store = newStore();
    const first = await apply(store, alert(), T0);
    expect(first.needsFlush).toBe(true);
    expect((await apply(store, alert({ fingerprint: 'fp2' }), T0 + 1)).needsFlush).toBe(false);
    expect((await apply(store, alert({ fingerprint: 'fp2' }), T0 + 2)).needsFlush).toBe(false); // resend: no change
    await store.claimFlush(first.incidentId, 'job-1');
    expect((await apply(store, alert({ fingerprint: 'fp3' }), T0 + 3)).needsFlush).toBe(true);
    expect((await apply(store, alert({ fingerprint: 'fp4' }), T0 + 4)).needsFlush).toBe(false);
  });

  it('grants the automatic diagnosis once', async () => {
    const store = newStore();
    const { incidentId: id } = await apply(store, alert(), T0);
    const claims = await Promise.all([1, 2, 3].map(() => store.claimDiagnosis(id, T0)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimDiagnosis('inc-missing', T0)).toBe(false);
  });

  it('silences and records it', async () => {
    const store = newStore();
    const { incidentId: id } = await apply(store, alert(), T0);
    expect(await store.silence(id, T0 + 3_600_000, 'U9', T0)).toBe(true);
    expect(await store.get(id)).toMatchObject({ silencedUntil: T0 + 3_600_000, silencedBy: 'U9' });
    expect(await store.silence('inc-missing', 1, 'U9', T0)).toBe(false);
  });

  it('indexes firing alerts by Alertmanager group for reconciliation', async () => {
    const store = newStore();
    const { incidentId: id } = await apply(store, alert({ groupKey: '{}:{alertname="E"}' }), T0);
    await apply(store, alert({ fingerprint: 'fp2', groupKey: '{}:{alertname="E"}' }), T0);
    expect((await store.firingInGroup('{}:{alertname="E"}')).map((m) => m.fingerprint).sort()).toEqual(['fp1', 'fp2']);
    await apply(store, alert({ fingerprint: 'fp2', groupKey: '{}:{alertname="E"}', status: 'resolved', endsAt: new Date(T0 + 1).toISOString() }), T0 + 1);
    expect(await store.firingInGroup('{}:{alertname="E"}')).toEqual([{ incidentId: id, fingerprint: 'fp1' }]);
    expect((await store.alert(id, 'fp2'))?.status).toBe('resolved');
  });
});
