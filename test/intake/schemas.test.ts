import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertsFromAlertmanager, alertmanagerPayloadSchema, isTruncated } from '../../src/intake/alertmanager.js';
import { alertsFromGeneric, genericPayloadSchema } from '../../src/intake/generic.js';
import { MAX_VALUE_UNITS, normalizedAlertSchema } from '../../src/incidents/alert.js';
import { isWellFormed } from '../../src/text/shorten.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/alertmanager-v4-firing.json', import.meta.url), 'utf8')) as unknown;

describe('Alertmanager v4 payload', () => {
  it('accepts a real group notification and normalizes every alert', () => {
    const payload = alertmanagerPayloadSchema.parse(fixture);
    expect(isTruncated(payload)).toBe(false);
    const alerts = alertsFromAlertmanager(payload, 'alertmanager');
    expect(alerts).toHaveLength(2);
    const [firing, resolved] = alerts;
    expect(firing).toMatchObject({
      source: 'alertmanager', kind: 'alertmanager', fingerprint: '5c3b2a4e1f0d9c8b', status: 'firing',
      startsAt: '2025-01-01T10:00:00.123Z', endsAt: null, groupKey: payload.groupKey,
    });
    expect(resolved).toMatchObject({ status: 'resolved', startsAt: '2025-01-01T09:58:00.000Z', endsAt: '2025-01-01T10:01:00.000Z' });
    for (const a of alerts) expect(normalizedAlertSchema.safeParse(a).success).toBe(true);
  });

  it('refuses other versions and shapes, with the path of the problem', () => {
    const wrongVersion = alertmanagerPayloadSchema.safeParse({ ...(fixture as object), version: '3' });
    expect(wrongVersion.success).toBe(false);
    const badTime = alertmanagerPayloadSchema.safeParse({ ...(fixture as object), alerts: [{ status: 'firing', labels: {}, startsAt: 'yesterday' }] });
    expect(badTime.success).toBe(false);
    expect(JSON.stringify(badTime.error?.issues[0]?.path)).toContain('startsAt');
  });

  it('keeps huge values bounded and well-formed', () => {
    const huge = '告警'.repeat(10_000) + '👨‍👩‍👧';
    const payload = alertmanagerPayloadSchema.parse({
      ...(fixture as object),
      alerts: [{ status: 'firing', labels: { alertname: 'X', empty: '' }, annotations: { description: huge }, startsAt: '2025-01-01T00:00:00Z' }],
    });
    const [a] = alertsFromAlertmanager(payload, 'am');
    expect(a!.annotations.description!.length).toBeLessThanOrEqual(MAX_VALUE_UNITS);
    expect(isWellFormed(a!.annotations.description!)).toBe(true);
    expect(a!.labels).toEqual({ alertname: 'X' });
    expect(a!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('parses a notification whose alerts list is empty, with nothing to act on (the generic schema refuses one)', () => {
    const payload = alertmanagerPayloadSchema.parse({ ...(fixture as object), alerts: [] });
    expect(alertsFromAlertmanager(payload, 'am')).toEqual([]);
  });

  it('marks a truncated group', () => {
    const payload = alertmanagerPayloadSchema.parse({ ...(fixture as object), truncatedAlerts: 7 });
    expect(isTruncated(payload)).toBe(true);
  });
});

describe('generic payload', () => {
  it('maps the documented fields onto labels and annotations', () => {
    const payload = genericPayloadSchema.parse({
      alerts: [{ title: 'Queue stuck', description: 'no progress', severity: 'critical', runtime: 'prod', agent: 'ToolAgent', labels: { team: 'search' }, url: 'https://ci.example/1' }],
    });
    const [a] = alertsFromGeneric(payload, 'ci');
    expect(a).toMatchObject({
      source: 'ci', kind: 'generic', status: 'firing', startsAt: null, endsAt: null, generatorURL: 'https://ci.example/1',
      labels: { alertname: 'Queue stuck', agent_type: 'ToolAgent', runtime: 'prod', severity: 'critical', team: 'search' },
      annotations: { summary: 'Queue stuck', description: 'no progress' },
    });
    expect(normalizedAlertSchema.safeParse(a).success).toBe(true);
  });

  it('accepts a single alert without the wrapper; the same labels give the same fingerprint', () => {
    const one = alertsFromGeneric(genericPayloadSchema.parse({ title: 'Disk full', labels: { host: 'a' } }), 'x');
    const two = alertsFromGeneric(genericPayloadSchema.parse({ alerts: [{ labels: { host: 'a' }, title: 'Disk full', status: 'resolved' }] }), 'x');
    expect(one[0]!.fingerprint).toBe(two[0]!.fingerprint);
    expect(two[0]!.status).toBe('resolved');
  });

  it('uses the sender id as identity when given', () => {
    const [a] = alertsFromGeneric(genericPayloadSchema.parse({ id: 'job-42', title: 'x' }), 'x');
    expect(a!.fingerprint).toBe('job-42');
  });

  it('refuses unknown fields, non-string labels and alerts with nothing to identify them', () => {
    expect(genericPayloadSchema.safeParse({ titel: 'typo' }).success).toBe(false);
    expect(genericPayloadSchema.safeParse({ alerts: [{ title: 'x', labels: { n: 1 } }] }).success).toBe(false);
    expect(genericPayloadSchema.safeParse({ alerts: [{ status: 'firing' }] }).success).toBe(false);
    expect(genericPayloadSchema.safeParse({ alerts: [] }).success).toBe(false);
  });
});
