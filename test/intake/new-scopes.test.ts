import { describe, expect, it } from 'vitest';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { DEFAULT_GROUPING, ownScopeOf, scopeOf } from '../../src/incidents/grouping.js';
import { ALERTS_AHEAD_PRIORITY, ALERTS_JOB_PRIORITY, alertsJobs, type JobSpec } from '../../src/incidents/jobs.js';
import { promoteNewScopes, RecentScopes } from '../../src/intake/new-scopes.js';

const T0 = Date.parse('2026-01-01T10:00:00Z');

function alert(agent: string, fingerprint: string, extra: Record<string, string> = {}): NormalizedAlert {
  return {
    source: 'alertmanager', kind: 'alertmanager', fingerprint, status: 'firing',
    labels: { alertname: 'AutoGenAgentHighErrorRate', runtime: 'prod', agent_type: agent, ...extra }, annotations: {},
    startsAt: new Date(T0).toISOString(), endsAt: null, generatorURL: null, groupKey: null,
  };
}

const jobsOf = (...alerts: NormalizedAlert[]): JobSpec[] => alertsJobs(alerts, new Date(T0), 3_600);

describe('RecentScopes', () => {
  it('a key is new until marked, and new again once unseen for longer than the TTL', () => {
    const recent = new RecentScopes({ ttlMs: 1_000, max: 10 });
    expect(recent.isNew('a', T0)).toBe(true);
    recent.mark(['a'], T0);
    expect(recent.isNew('a', T0 + 1_000)).toBe(false);
    expect(recent.isNew('a', T0 + 1_001)).toBe(true);
    // seeing it again restarts the TTL
    recent.mark(['a'], T0 + 900);
    expect(recent.isNew('a', T0 + 1_800)).toBe(false);
  });

  it('remembers at most `max` keys, forgetting the least recently seen first', () => {
    const recent = new RecentScopes({ ttlMs: 60_000, max: 2 });
    recent.mark(['a'], T0);
    recent.mark(['b'], T0 + 1);
    recent.mark(['a'], T0 + 2); // a is now the most recent
    recent.mark(['c'], T0 + 3);
    expect(recent.size).toBe(2);
    expect(recent.isNew('b', T0 + 4)).toBe(true);
    expect(recent.isNew('a', T0 + 4)).toBe(false);
    expect(recent.isNew('c', T0 + 4)).toBe(false);
  });
});

describe('promoteNewScopes', () => {
  it('puts a job ahead when one of its alerts has a scope not seen recently, and names every scope to mark', () => {
    const recent = new RecentScopes();
    const first = promoteNewScopes(jobsOf(alert('ToolAgent', 'f1'), alert('ToolAgent', 'f2')), recent, DEFAULT_GROUPING, T0);
    expect(first.jobs[0]!.opts.priority).toBe(ALERTS_AHEAD_PRIORITY);
    expect([...first.scopes]).toEqual([scopeOf(alert('ToolAgent', 'f1').labels, DEFAULT_GROUPING).key]);
    recent.mark(first.scopes, T0);

    // more alerts of the same incident: the bulk priority
    const again = promoteNewScopes(jobsOf(alert('ToolAgent', 'f3')), recent, DEFAULT_GROUPING, T0 + 10);
    expect(again.jobs[0]!.opts.priority).toBe(ALERTS_JOB_PRIORITY);

    // a job mixing a known scope with a new one goes ahead
    const mixed = promoteNewScopes(jobsOf(alert('ToolAgent', 'f4'), alert('PlannerAgent', 'f5')), recent, DEFAULT_GROUPING, T0 + 20);
    expect(mixed.jobs[0]!.opts.priority).toBe(ALERTS_AHEAD_PRIORITY);
    expect(mixed.scopes.size).toBe(2);
  });

  it('follows the configured group-by labels: another cluster is another incident, hence new', () => {
    const rules = { ...DEFAULT_GROUPING, groupBy: ['cluster'] };
    const recent = new RecentScopes();
    recent.mark(promoteNewScopes(jobsOf(alert('ChatAgent', 'f1', { cluster: 'eu' })), recent, rules, T0).scopes, T0);
    expect(promoteNewScopes(jobsOf(alert('ChatAgent', 'f2', { cluster: 'eu' })), recent, rules, T0).jobs[0]!.opts.priority).toBe(ALERTS_JOB_PRIORITY);
    expect(promoteNewScopes(jobsOf(alert('ChatAgent', 'f3', { cluster: 'us' })), recent, rules, T0).jobs[0]!.opts.priority).toBe(ALERTS_AHEAD_PRIORITY);
  });

  it("keys a scope as the store's incident does (the own key, whatever the cascade)", () => {
    const rules = { ...DEFAULT_GROUPING, dependencies: [['ChatAgent', 'ToolAgent'] as const] };
    for (const labels of [alert('ChatAgent', 'f1').labels, { alertname: 'RuntimeDown', runtime: 'prod' }, { alertname: 'DiskFull' }]) {
      expect(ownScopeOf(labels, rules).key).toBe(scopeOf(labels, rules).key);
    }
    expect(ownScopeOf(alert('ChatAgent', 'f1').labels, rules).key).not.toBe(ownScopeOf(alert('ToolAgent', 'f2').labels, rules).key);
  });

  it('leaves other jobs alone and never changes a job id', () => {
    const recent = new RecentScopes();
    const alerts = jobsOf(alert('ChatAgent', 'f1'));
    const reconcile: JobSpec = {
      name: 'alert',
      data: { kind: 'reconcile', source: 'alertmanager', group_key: '{}:{}', receiver: 'ops', group_labels: {}, received_at: new Date(T0).toISOString() },
      opts: { delay: 2_000 },
    };
    const out = promoteNewScopes([...alerts, reconcile], recent, DEFAULT_GROUPING, T0);
    expect(out.jobs[0]!.opts.deduplication).toEqual(alerts[0]!.opts.deduplication);
    expect(out.jobs[1]).toBe(reconcile);
    // the input is not modified (a retried request decides afresh)
    expect(alerts[0]!.opts.priority).toBe(ALERTS_JOB_PRIORITY);
  });
});
