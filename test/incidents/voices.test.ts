/**
 * One voice per problem (src/incidents/conditions.ts, voices.ts): the monitor's and Alertmanager's alerts
 * about one agent and condition are one entry; within one source nothing merges. Real Redis, real store.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { DEFAULT_CONDITIONS, conditionOf, parseConditions, voiceKeyOf } from '../../src/incidents/conditions.js';
import { labelsFingerprint } from '../../src/incidents/fingerprint.js';
import { DEFAULT_GROUPING, scopeOf } from '../../src/incidents/grouping.js';
import { IncidentStore } from '../../src/incidents/store.js';
import { oneVoice } from '../../src/incidents/voices.js';

describe('conditions', () => {
  it('maps common alert names and the condition label to one condition', () => {
    expect(conditionOf({ alertname: 'AutoGenAgentHighErrorRate' }, DEFAULT_CONDITIONS)).toBe('errors');
    expect(conditionOf({ alertname: 'AgentHighErrorRate' }, DEFAULT_CONDITIONS)).toBe('errors');
    expect(conditionOf({ alertname: 'AutoGenAgentSlowResponse' }, DEFAULT_CONDITIONS)).toBe('latency');
    expect(conditionOf({ alertname: 'MemoryExhaustion' }, DEFAULT_CONDITIONS)).toBe('memory');
    expect(conditionOf({ alertname: 'Whatever', condition: 'Latency' }, DEFAULT_CONDITIONS)).toBe('latency');
    expect(conditionOf({ alertname: 'DiskFull' }, DEFAULT_CONDITIONS)).toBeNull();
  });

  it('ALERT_CONDITIONS replaces a condition\'s names, adds new ones, removes with an empty list, and reports mistakes', () => {
    const { map, problems } = parseConditions('errors=MyErrors|TheirErrors; disk=DiskFull; memory=; Bad Item; latency=ok|not a name');
    expect(map.errors).toEqual(['MyErrors', 'TheirErrors']);
    expect(map.disk).toEqual(['DiskFull']);
    expect(map.memory).toBeUndefined();
    expect(map.cpu).toEqual(DEFAULT_CONDITIONS.cpu);
    expect(problems).toHaveLength(2);
    expect(conditionOf({ alertname: 'AutoGenAgentHighErrorRate' }, map)).toBeNull();
  });

  it('the voice key is runtime, agent, group-by values and condition — not the alert name or the instance', () => {
    const k = (labels: Record<string, string>) => voiceKeyOf(labels, DEFAULT_GROUPING, DEFAULT_CONDITIONS);
    const base = { runtime: 'prod', agent_type: 'ChatAgent' };
    expect(k({ ...base, alertname: 'AutoGenAgentHighErrorRate', severity: 'critical' })).toBe(k({ ...base, alertname: 'AgentHighErrorRate', instance: 'a:1' }));
    expect(k({ ...base, alertname: 'AutoGenAgentHighErrorRate' })).not.toBe(k({ ...base, alertname: 'AutoGenAgentSlowResponse' }));
    expect(k({ ...base, alertname: 'AutoGenAgentHighErrorRate' })).not.toBe(k({ runtime: 'prod', agent_type: 'ToolAgent', alertname: 'AutoGenAgentHighErrorRate' }));
    expect(k({ alertname: 'AutoGenAgentHighErrorRate' })).toBeNull();
  });
});

describe('one entry per problem in the incident', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'), { lazyConnect: true });
    await redis.connect();
  });
  afterAll(() => redis.disconnect());

  const T0 = Date.parse('2025-01-01T10:00:00Z');
  const monitor = (status: 'firing' | 'resolved'): NormalizedAlert => {
    const labels = { alertname: 'AutoGenAgentHighErrorRate', runtime: 'prod', agent_type: 'ChatAgent', severity: 'critical' };
    return { source: 'monitor', kind: 'monitor', fingerprint: labelsFingerprint(labels), status, labels, annotations: { summary: 'ChatAgent error rate 40 %' },
      startsAt: new Date(T0).toISOString(), endsAt: status === 'resolved' ? new Date(T0 + 60_000).toISOString() : null, generatorURL: null, groupKey: null };
  };
  const am = (instance: string, status: 'firing' | 'resolved'): NormalizedAlert => ({
    source: 'alertmanager', kind: 'alertmanager', fingerprint: `am-${instance}`, status,
    labels: { alertname: 'AgentHighErrorRate', runtime: 'prod', agent_type: 'ChatAgent', severity: 'critical', instance }, annotations: { summary: 'error rate high' },
    startsAt: new Date(T0).toISOString(), endsAt: status === 'resolved' ? new Date(T0 + 90_000).toISOString() : null, generatorURL: null, groupKey: '{}:{alertname="AgentHighErrorRate"}',
  });

  it('monitor first: Alertmanager\'s alerts join silently; when the monitor recovers first they take over; the last one closes it', async () => {
    const store = new IncidentStore(redis, { keyPrefix: `{t-${randomUUID().slice(0, 8)}}:` });
    const ctx = { rules: DEFAULT_GROUPING, conditions: DEFAULT_CONDITIONS, decide: (k: string, a: NormalizedAlert) => store.voice(k, a) };
    const apply = async (alerts: NormalizedAlert[], at: number) => {
      const events = await oneVoice(ctx, alerts);
      const results = await store.applyAlerts(events.map((a) => ({ alert: a, scope: scopeOf(a.labels, DEFAULT_GROUPING), severity: 'critical' as const, channel: 'C0ALERTS' })), at);
      return { events, id: results.find((r) => r.incidentId !== '')?.incidentId ?? '' };
    };

    const { id } = await apply([monitor('firing')], T0);
    const joined = await apply([am('i1', 'firing'), am('i2', 'firing')], T0 + 1_000);
    expect(joined.events).toEqual([]);
    expect(await store.get(id)).toMatchObject({ alertsFiring: 1, alertsTotal: 1, state: 'open' });

    // the monitor's window clears first; Alertmanager still says the problem goes on: it speaks now
    const handover = await apply([monitor('resolved')], T0 + 60_000);
    expect(handover.events.map((e) => `${e.fingerprint}:${e.status}`)).toEqual(['am-i1:firing', 'am-i2:firing', `${monitor('firing').fingerprint}:resolved`]);
    expect(await store.get(id)).toMatchObject({ alertsFiring: 2, state: 'open' });

    // a resend of the monitor's firing while Alertmanager speaks and fires: dropped
    expect((await apply([monitor('firing')], T0 + 61_000)).events).toEqual([]);

    // the monitor's resolution again (a retried job): the speakers' firing alerts again first, nothing changes
    const again = await apply([monitor('resolved')], T0 + 62_000);
    expect(again.events.map((e) => `${e.fingerprint}:${e.status}`)).toEqual(['am-i1:firing', 'am-i2:firing', `${monitor('firing').fingerprint}:resolved`]);
    expect(await store.get(id)).toMatchObject({ alertsFiring: 2, state: 'open' });

    await apply([am('i1', 'resolved'), am('i2', 'resolved')], T0 + 90_000);
    expect((await store.get(id))?.state).toBe('resolved');
  });

  it('within one source nothing merges: five instances are five entries', async () => {
    const store = new IncidentStore(redis, { keyPrefix: `{t-${randomUUID().slice(0, 8)}}:` });
    const ctx = { rules: DEFAULT_GROUPING, conditions: DEFAULT_CONDITIONS, decide: (k: string, a: NormalizedAlert) => store.voice(k, a) };
    const events = await oneVoice(ctx, ['a', 'b', 'c', 'd', 'e'].map((i) => am(i, 'firing')));
    expect(events).toHaveLength(5);
    // and an alert of no known condition is never held back
    const other = { ...am('x', 'firing'), source: 'ci', kind: 'generic' as const, fingerprint: 'ci-1', labels: { alertname: 'DiskFull', runtime: 'prod', agent_type: 'ChatAgent' } };
    expect(await oneVoice(ctx, [other])).toEqual([other]);
  });
});
