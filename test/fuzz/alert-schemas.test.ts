/**
 * Property-based tests (fast-check) of both alert schemas through the intake's decision
 * (src/intake/accept.ts → alertmanager.ts / generic.ts): arbitrary bytes, arbitrary JSON and mutations of
 * valid bodies never throw — the answer is accepted jobs or a typed 4xx refusal with a bounded reason —
 * and valid bodies roundtrip (every alert, its status, labels and times arrive as sent).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOpsError } from '../../src/errors.js';
import { MAX_PAIRS } from '../../src/incidents/alert.js';
import { acceptRequest, ROUTES, type AcceptOptions } from '../../src/intake/accept.js';

const RUNS = 100;
const TOKEN = 'fuzz-token-0123456789abcdef';
const opts: AcceptOptions = { sources: [{ name: 'fuzz', scheme: 'bearer', secret: TOKEN }], dedupeWindowS: 3_600, canReconcile: false, reconcileCoalesceMs: 2_000 };
const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const NOW = new Date('2026-01-01T00:00:00Z');
const fixture = JSON.parse(readFileSync(new URL('../intake/fixtures/alertmanager-v4-firing.json', import.meta.url), 'utf8')) as Record<string, unknown>;

function decide(path: string, body: string | Buffer, h: Record<string, string> = headers) {
  return acceptRequest({ path, headers: h, body: typeof body === 'string' ? Buffer.from(body) : body }, opts, NOW);
}

/**
 * Never a throw: accepted with one job per alert at most (none for an Alertmanager notification whose
 * `alerts` list is empty: valid, with nothing to act on), or a coded 4xx whose reason is bounded.
 */
function expectTypedAnswer(path: string, body: string | Buffer, h?: Record<string, string>): void {
  const d = decide(path, body, h);
  if (d.ok) {
    expect(d.jobs.length).toBeLessThanOrEqual(d.alerts.length);
    expect(d.jobs.length > 0).toBe(d.alerts.length > 0);
    return;
  }
  expect(isOpsError(d.error)).toBe(true);
  expect(d.error.code).toMatch(/^INTAKE_[A-Z_]+$/);
  expect(d.error.httpStatus).toBeGreaterThanOrEqual(400);
  expect(d.error.httpStatus).toBeLessThan(500);
  expect(JSON.stringify(d.error.details).length).toBeLessThan(20_000);
}

/** A JSON value with the dangerous keys and odd shapes mixed in. */
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'alerts', 'version', 'labels', 'status', 'toString'), fc.jsonValue({ maxDepth: 2 })),
);

/** Replaces the value at a random path of `base` with `value` (a mutation of a valid body). */
function mutate(base: unknown, path: readonly number[], value: unknown): unknown {
  if (path.length === 0 || base === null || typeof base !== 'object') return value;
  const [i, ...rest] = path;
  if (Array.isArray(base)) {
    if (base.length === 0) return value;
    const k = i! % base.length;
    return base.map((v, j) => (j === k ? mutate(v, rest, value) : v));
  }
  const keys = Object.keys(base);
  if (keys.length === 0) return value;
  const key = keys[i! % keys.length]!;
  return { ...(base as Record<string, unknown>), [key]: mutate((base as Record<string, unknown>)[key], rest, value) };
}

const time = fc.date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString());
/** Label names/values as senders use them (printable; empty values are dropped as Alertmanager does). */
const labels = fc.dictionary(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,30}$/), fc.string({ minLength: 1, maxLength: 60 }), { maxKeys: 8 });

describe('fuzz: both alert schemas never throw (src/intake/alertmanager.ts, src/intake/generic.ts)', () => {
  for (const path of [ROUTES.alertmanager, ROUTES.generic]) {
    it(`${path}: arbitrary bytes and arbitrary JSON are accepted or refused with a typed 4xx`, () => {
      fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), anyJson.map((v) => JSON.stringify(v))), (body) => {
        expectTypedAnswer(path, body);
      }), { numRuns: RUNS });
    });
  }

  it('mutations of a valid Alertmanager notification are accepted or refused with a typed 4xx', () => {
    fc.assert(fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), anyJson, (path, value) => {
      expectTypedAnswer(ROUTES.alertmanager, JSON.stringify(mutate(fixture, path, value)));
    }), { numRuns: RUNS });
  });

  it('mutations of a valid generic alert are accepted or refused with a typed 4xx', () => {
    const generic = { alerts: [{ title: 'ChatAgent failing', severity: 'critical', runtime: 'prod', agent: 'ChatAgent', labels: { team: 'ai' }, annotations: { runbook: 'x' }, startsAt: '2025-01-01T00:00:00Z', url: 'https://x' }] };
    fc.assert(fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), anyJson, (path, value) => {
      expectTypedAnswer(ROUTES.generic, JSON.stringify(mutate(generic, path, value)));
    }), { numRuns: RUNS });
  });

  it('arbitrary content types and credentials are refused with a typed 4xx, never a throw', () => {
    const h = fc.record({ authorization: fc.oneof(fc.string(), fc.constant(`Bearer ${TOKEN}`)), 'content-type': fc.oneof(fc.string(), fc.constantFrom('application/json', 'application/x+json; charset=utf-8', 'text/plain')), 'x-signature-256': fc.string(), 'x-signature-timestamp': fc.oneof(fc.string(), fc.integer().map(String)) }, { requiredKeys: [] });
    fc.assert(fc.property(h, fc.constantFrom(ROUTES.alertmanager, ROUTES.generic), (hs, path) => {
      expectTypedAnswer(path, JSON.stringify(fixture), hs as Record<string, string>);
    }), { numRuns: RUNS });
  });
});

describe('fuzz: valid bodies roundtrip', () => {
  const amAlert = fc.record({
    status: fc.constantFrom('firing' as const, 'resolved' as const),
    labels: labels.map((l) => ({ alertname: 'Fuzz', ...l })),
    annotations: labels,
    startsAt: time,
    endsAt: time,
    fingerprint: fc.stringMatching(/^[a-f0-9]{16}$/),
  });

  it('an Alertmanager notification: every alert arrives with its status, labels, annotations and times', () => {
    fc.assert(fc.property(fc.array(amAlert, { minLength: 1, maxLength: 5 }), (alerts) => {
      const body = { ...fixture, alerts: alerts.map((a) => ({ ...a, endsAt: a.status === 'firing' ? '0001-01-01T00:00:00Z' : a.endsAt })) };
      const d = decide(ROUTES.alertmanager, JSON.stringify(body));
      if (!d.ok) throw d.error;
      expect(d.alerts).toHaveLength(alerts.length);
      d.alerts.forEach((got, i) => {
        const sent = alerts[i]!;
        expect(got.status).toBe(sent.status);
        expect(got.labels).toEqual(sent.labels);
        expect(got.annotations).toEqual(sent.annotations);
        expect(got.fingerprint).toBe(sent.fingerprint);
        expect(got.startsAt).toBe(sent.startsAt);
        expect(got.endsAt).toBe(sent.status === 'resolved' ? sent.endsAt : null);
      });
    }), { numRuns: RUNS });
  });

  const genericAlert = fc.record({
    status: fc.constantFrom('firing' as const, 'resolved' as const),
    title: fc.string({ minLength: 1, maxLength: 80 }),
    severity: fc.constantFrom('critical', 'error', 'warning', 'info'),
    runtime: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    agent: fc.stringMatching(/^[A-Za-z][\w.-]{0,30}$/),
    labels: labels.filter((l) => !['severity', 'runtime', 'agent_type', 'alertname'].some((k) => k in l)),
    id: fc.stringMatching(/^[a-z0-9-]{1,40}$/),
    startsAt: time,
    endsAt: time,
  }, { requiredKeys: ['title'] });

  it('a generic alert (wrapped or single): title, severity, runtime and agent land in the documented labels', () => {
    fc.assert(fc.property(fc.array(genericAlert, { minLength: 1, maxLength: 4 }), fc.boolean(), (alerts, wrap) => {
      const body = wrap || alerts.length > 1 ? { alerts } : alerts[0];
      const d = decide(ROUTES.generic, JSON.stringify(body));
      if (!d.ok) throw d.error;
      const sentList = wrap || alerts.length > 1 ? alerts : [alerts[0]!];
      expect(d.alerts).toHaveLength(sentList.length);
      d.alerts.forEach((got, i) => {
        const sent = sentList[i]!;
        expect(got.status).toBe(sent.status ?? 'firing');
        expect(got.annotations.summary).toBe(sent.title);
        if (sent.severity !== undefined) expect(got.labels.severity).toBe(sent.severity);
        if (sent.runtime !== undefined) expect(got.labels.runtime).toBe(sent.runtime);
        if (sent.agent !== undefined) expect(got.labels.agent_type).toBe(sent.agent);
        for (const [k, v] of Object.entries(sent.labels ?? {})) expect(got.labels[k]).toBe(v);
        if (sent.id !== undefined) expect(got.fingerprint).toBe(sent.id);
        if (sent.startsAt !== undefined) expect(got.startsAt).toBe(sent.startsAt);
        expect(Object.keys(got.labels).length).toBeLessThanOrEqual(MAX_PAIRS);
      });
    }), { numRuns: RUNS });
  });
});
