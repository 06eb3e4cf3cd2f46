/**
 * Caveats (src/incidents/caveats.ts): what the root says when its state may not be the whole truth — the
 * words (pure), the atomic set/clear in real Redis, and the reconcile job without ALERTMANAGER_URL.
 */
import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { DEFAULT_GROUPING, scopeOf } from '../../src/incidents/grouping.js';
import { alertmanagerAnswer, isStale, monitorAnswer } from '../../src/incidents/stale.js';
import { IncidentStore, type StoredAlert } from '../../src/incidents/store.js';
import { reconcileBackoffMs, reconcileTruncated } from '../../src/incidents/truncation.js';
import { Queues } from '../../src/queues/queues.js';
import { caveatLines } from '../../src/slack/blocks/incident-caveats.js';
import { incidentRoot } from '../../src/slack/blocks/incident.js';
import { useTestRedis } from '../support/redis.js';

const T0 = Date.parse('2025-01-01T10:00:00Z');
const H = 3_600_000;

const stored = (fp: string, over: Partial<StoredAlert['detail']> = {}): StoredAlert => ({
  fingerprint: fp, status: 'firing', startsAt: T0, endsAt: null,
  detail: { labels: { alertname: 'X', runtime: 'prod' }, annotations: {}, generatorURL: null, source: 'alertmanager', groupKey: 'g', ...over },
});

describe('caveat words', () => {
  it('a truncated group says how many alerts are not shown and why', () => {
    const lines = caveatLines({ state: 'open', updatedAt: T0, caveats: { truncated: { count: 250, reason: 'unreachable', since: T0 } } }, T0);
    expect(lines).toEqual(['⚠️ 250 alerts not shown: Alertmanager truncated the group and could not be asked (asking again until it answers)']);
    const unset = caveatLines({ state: 'acknowledged', updatedAt: T0, caveats: { truncated: { count: 1, reason: 'not-configured', since: T0 } } }, T0);
    expect(unset[0]).toBe('⚠️ 1 alert not shown: Alertmanager truncated the group and could not be asked (ALERTMANAGER_URL is not set)');
  });

  it('a stale incident says how long nothing was heard and what its sources said, until an update makes it moot', () => {
    const stale = { lastUpdate: T0, checkedAt: T0 + 3 * H, notes: ['Alertmanager could not confirm', 'source ci cannot be asked'] };
    expect(caveatLines({ state: 'open', updatedAt: T0, caveats: { stale } }, T0 + 3 * H))
      .toEqual(['⏳ No update for 3h 00m; Alertmanager could not confirm; source ci cannot be asked']);
    expect(caveatLines({ state: 'open', updatedAt: T0 + 1, caveats: { stale } }, T0 + 3 * H)).toEqual([]);
    expect(caveatLines({ state: 'resolved', updatedAt: T0, caveats: { stale } }, T0 + 3 * H)).toEqual([]);
  });

  it('the root carries the caveat lines, escaped', () => {
    const msg = incidentRoot({
      id: 'inc-abc123', key: 'k', title: 'T', runtime: 'prod', agent: 'A', agents: ['A'], source: 'am', severity: 'critical', state: 'open',
      channel: 'C0ALERTS', openedAt: T0, startedAt: T0, updatedAt: T0, resolvedAt: null, resolvedBy: null, ackedBy: null, mitigatedBy: null,
      silencedUntil: null, silencedBy: null, alertsTotal: 50, alertsFiring: 50, reopenedCount: 0, version: 3, diagnosedAt: null,
      caveats: { stale: { lastUpdate: T0, checkedAt: T0, notes: ['the bridge of runtime <!here> could not confirm'] } },
    }, T0 + 2 * H);
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain('No update for 2h 00m');
    expect(text).not.toContain('<!here>');
  });
});

describe('re-check decisions', () => {
  it('an incident is due once INCIDENT_STALE_AFTER_S passed since its last update or its last check', () => {
    expect(isStale({ state: 'open', updatedAt: T0 }, T0 + 2 * H, 2 * H)).toBe(true);
    expect(isStale({ state: 'open', updatedAt: T0 }, T0 + 2 * H - 1, 2 * H)).toBe(false);
    expect(isStale({ state: 'open', updatedAt: T0, caveats: { stale: { lastUpdate: T0, checkedAt: T0 + H, notes: [] } } }, T0 + 2 * H, 2 * H)).toBe(false);
    expect(isStale({ state: 'resolved', updatedAt: T0 }, T0 + 9 * H, 2 * H)).toBe(false);
  });

  it('Alertmanager: what it no longer holds is resolved, what it holds is still firing, no answer is said', () => {
    const r = alertmanagerAnswer([stored('a'), stored('b')], new Set(['b']));
    expect(r.resolve.map((a) => a.fingerprint)).toEqual(['a']);
    expect(r.notes).toEqual(['Alertmanager still has 1 of them firing']);
    expect(alertmanagerAnswer([stored('a')], { reason: '' })).toEqual({ resolve: [], notes: ['Alertmanager could not confirm'] });
    expect(alertmanagerAnswer([stored('a')], { reason: 'ALERTMANAGER_URL is not set' }).notes).toEqual(['Alertmanager could not confirm (ALERTMANAGER_URL is not set)']);
  });

  it('the monitor: resolved when its firing set no longer holds the alert; unconfirmed while the bridge is unreachable or the monitor off', () => {
    const a = [stored('m1', { source: 'monitor', groupKey: null }), stored('m2', { source: 'monitor', groupKey: null })];
    expect(monitorAnswer('prod', a, { active: true, firing: new Set(), unreachable: false }).resolve).toHaveLength(2);
    expect(monitorAnswer('prod', a, { active: true, firing: new Set(['m2']), unreachable: true }).notes).toEqual(['the bridge of runtime prod could not confirm (unreachable)']);
    expect(monitorAnswer('prod', a, { active: true, firing: new Set(['m2']), unreachable: false }).notes).toEqual(['the monitor still sees 1 of them on runtime prod']);
    expect(monitorAnswer('prod', a, { active: false, firing: new Set(['m1', 'm2']), unreachable: false })).toEqual({ resolve: [], notes: ['the bridge of runtime prod could not confirm (the monitor is off)'] });
  });

  it('the reconcile back-off doubles up to its ceiling', () => {
    const retry = { firstMs: 5_000, maxMs: 300_000 };
    expect([0, 1, 2, 3, 6, 7, 50].map((t) => reconcileBackoffMs(t, retry))).toEqual([5_000, 10_000, 20_000, 40_000, 300_000, 300_000, 300_000]);
  });
});

describe('caveats in Redis', () => {
  const { redis, prefix } = useTestRedis();
  const keyPrefix = `{${prefix.slice(0, -1)}}:`;

  const firing = (fp: string): NormalizedAlert => ({
    source: 'alertmanager', kind: 'alertmanager', fingerprint: fp, status: 'firing',
    labels: { alertname: 'AutoGenAgentDown', runtime: 'prod', agent_type: 'ToolAgent', instance: fp }, annotations: { summary: 'down' },
    startsAt: new Date(T0).toISOString(), endsAt: null, generatorURL: null, groupKey: '{}:{alertname="AutoGenAgentDown"}',
  });

  it('set and clear are atomic and idempotent: only a real change bumps the version and adds a thread line', async () => {
    const store = new IncidentStore(redis, { keyPrefix });
    const { incidentId } = await store.applyAlert({ alert: firing('f1'), scope: scopeOf(firing('f1').labels, DEFAULT_GROUPING), severity: 'critical', channel: 'C0ALERTS' }, T0);
    const v0 = (await store.get(incidentId))!.version;
    const caveat = { count: 250, reason: 'unreachable' as const, since: T0 };
    expect(await store.setCaveat(incidentId, 'truncated', caveat, T0, '250 alerts not shown')).toBe(true);
    expect(await store.setCaveat(incidentId, 'truncated', { ...caveat, since: T0 + 5_000 }, T0 + 5_000, '250 alerts not shown')).toBe(false);
    const inc = (await store.get(incidentId))!;
    expect(inc.version).toBe(v0 + 1);
    expect(inc.updatedAt).toBe(T0); // a caveat is not news about the problem
    expect(inc.caveats?.truncated).toEqual({ ...caveat, since: T0 + 5_000 });
    expect((await store.timeline(incidentId)).at(-1)).toMatchObject({ k: 'caveat', note: '250 alerts not shown', v: v0 + 1 });
    expect(await store.setCaveat(incidentId, 'truncated', null, T0 + 6_000)).toBe(true);
    expect(await store.setCaveat(incidentId, 'truncated', null, T0 + 7_000)).toBe(false);
    expect((await store.get(incidentId))!.caveats).toEqual({});
    expect(await store.setCaveat('inc-missing0', 'stale', { lastUpdate: T0, checkedAt: T0, notes: [] }, T0)).toBe(false);
  });

  it('without ALERTMANAGER_URL a truncated group\'s incident says it could not be asked, and the job ends', async () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'signing-secret-0123456789', REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent', ALERT_CHANNEL: 'C0ALERTS' });
    const store = new IncidentStore(redis, { keyPrefix });
    const queues = new Queues({ host: redis.options.host ?? '127.0.0.1', port: redis.options.port ?? 6379 }, `{${prefix.slice(2, 12)}q}`, { attempts: 1, backoffMs: 50 });
    try {
      const alert = firing('g1');
      const { incidentId } = await store.applyAlert({ alert, scope: scopeOf(alert.labels, DEFAULT_GROUPING), severity: 'critical', channel: 'C0ALERTS' }, T0);
      const ctx = { config: config.alerts, store, queues, redis, keyPrefix, logger: createLogger(config), now: () => new Date(T0) };
      const out = await reconcileTruncated(ctx, {
        source: 'alertmanager', group_key: alert.groupKey!, receiver: 'autogen-ops', group_labels: { alertname: 'AutoGenAgentDown' },
        received_at: new Date(T0).toISOString(), truncated: 250, tries: 0,
      }, { id: 'rec-1' } as Job, undefined);
      expect(out.outcome).toBe('not reconciled: ALERTMANAGER_URL is not set');
      expect((await store.get(incidentId))!.caveats?.truncated).toMatchObject({ count: 250, reason: 'not-configured' });
      const flush = await queues.get('alert').getJobs(['delayed', 'waiting']);
      expect(flush.some((j) => (j.data as { kind: string; incident_id?: string }).kind === 'flush' && (j.data as { incident_id?: string }).incident_id === incidentId)).toBe(true);
    } finally {
      await queues.close();
    }
  });
});
