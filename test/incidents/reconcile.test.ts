import { describe, expect, it } from 'vitest';
import { groupAlertsUrl, matcher, reconcileEvents, type ApiAlert } from '../../src/incidents/reconcile.js';
import type { StoredAlert } from '../../src/incidents/store.js';

const NOW = Date.parse('2025-01-01T10:10:00Z');
const api = (fp: string, state: 'active' | 'suppressed' = 'active'): ApiAlert => ({
  fingerprint: fp, labels: { alertname: 'E', instance: fp }, annotations: { summary: 's' }, startsAt: '2025-01-01T10:00:00.5Z',
  endsAt: '2025-01-01T11:00:00Z', status: { state }, receivers: [{ name: 'autogen-ops' }], generatorURL: 'http://p/g',
});
const held = (fp: string): StoredAlert => ({
  fingerprint: fp, status: 'firing', startsAt: Date.parse('2025-01-01T09:59:00Z'), endsAt: null,
  detail: { labels: { alertname: 'E', instance: fp }, annotations: { summary: 's' }, generatorURL: null, source: 'am', groupKey: 'g' },
});

describe('reconciling a truncated group', () => {
  it('queries the group by its labels and the receiver (regex-escaped), including silenced and inhibited alerts', () => {
    const url = new URL(groupAlertsUrl('http://am:9093/', { alertname: 'High "quoted" rate', env: 'prod' }, 'autogen.ops'));
    expect(url.pathname).toBe('/api/v2/alerts');
    expect(url.searchParams.getAll('filter')).toEqual([matcher('alertname', 'High "quoted" rate'), 'env="prod"']);
    expect(url.searchParams.get('receiver')).toBe('^autogen\\.ops$');
    for (const f of ['active', 'silenced', 'inhibited', 'unprocessed']) expect(url.searchParams.get(f)).toBe('true');
  });

  it('adds the active alerts it has and resolves the held ones Alertmanager no longer has', () => {
    const events = reconcileEvents([api('a'), api('b'), api('s', 'suppressed')], [{ incidentId: 'inc-x', stored: held('a') }, { incidentId: 'inc-x', stored: held('gone') }], { source: 'am', groupKey: 'g' }, NOW);
    expect(events.filter((e) => e.status === 'firing').map((e) => e.fingerprint)).toEqual(['a', 'b']);
    const resolved = events.filter((e) => e.status === 'resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ fingerprint: 'gone', startsAt: '2025-01-01T09:59:00.000Z', endsAt: new Date(NOW).toISOString(), groupKey: 'g' });
    // a silenced alert is neither re-raised nor resolved (it still exists)
    expect(events.some((e) => e.fingerprint === 's')).toBe(false);
    expect(events.every((e) => e.groupKey === 'g' && e.source === 'am')).toBe(true);
  });
});
