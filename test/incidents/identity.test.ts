import { describe, expect, it } from 'vitest';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { boundPairs } from '../../src/incidents/alert.js';
import { alertJobId, labelsFingerprint } from '../../src/incidents/fingerprint.js';
import { MAX_ALERTS_PER_JOB, alertsJobId, alertsJobs, withAlertTurns } from '../../src/incidents/jobs.js';
import { ELLIPSIS, isWellFormed, shorten, toWellFormed } from '../../src/text/shorten.js';
import { maxSeverity, severityFromLabels } from '../../src/incidents/severity.js';

const base: NormalizedAlert = {
  source: 'am', kind: 'alertmanager', fingerprint: 'abc', status: 'firing', labels: { alertname: 'A' },
  annotations: { summary: 's' }, startsAt: '2025-01-01T00:00:00.000Z', endsAt: null, generatorURL: null, groupKey: 'g',
};

describe('alertJobId', () => {
  it('is the same for the same content and valid for BullMQ (no ":", not all digits)', () => {
    const id = alertJobId(base);
    expect(id).toBe(alertJobId({ ...base, labels: { alertname: 'A' } }));
    expect(id).toMatch(/^al-[0-9a-f]{32}$/);
    expect(id).not.toContain(':');
  });

  it('changes when what the alert says changes', () => {
    const id = alertJobId(base);
    const variants: Partial<NormalizedAlert>[] = [
      { status: 'resolved', endsAt: '2025-01-01T00:05:00.000Z' },
      { startsAt: '2025-01-01T01:00:00.000Z' },
      { annotations: { summary: 'other' } },
      { fingerprint: 'def' },
      { source: 'other' },
    ];
    for (const v of variants) expect(alertJobId({ ...base, ...v })).not.toBe(id);
  });
});

describe('alerts jobs', () => {
  const many = Array.from({ length: MAX_ALERTS_PER_JOB + 3 }, (_, i) => ({ ...base, fingerprint: `f${i}` }));

  it('one job per part, under a content id: the same alerts in any order → the same id', () => {
    const jobs = alertsJobs(many, new Date(), 60);
    expect(jobs.map((j) => (j.data.kind === 'alerts' ? j.data.alerts.length : 0))).toEqual([MAX_ALERTS_PER_JOB, 3]);
    // deduplicated by content for the short window only (a retry of the delivery), not under a fixed job id:
    // the same content later — a re-fire after a resolution can be byte-identical — is a new job
    expect(jobs[0]!.opts.jobId).toBeUndefined();
    expect(jobs[0]!.opts.deduplication).toEqual({ id: alertsJobId(many.slice(0, MAX_ALERTS_PER_JOB)), ttl: 60_000 });
    expect(alertsJobId(many.slice(0, MAX_ALERTS_PER_JOB))).toMatch(/^ab-[0-9a-f]{32}$/);
    // behind people's requests and thread upkeep, which carry no priority
    expect(jobs[0]!.opts.priority).toBeGreaterThan(0);
    expect(alertsJobId([many[0]!, many[1]!])).toBe(alertsJobId([many[1]!, many[0]!]));
    expect(alertsJobId([many[0]!])).not.toBe(alertsJobId([{ ...many[0]!, status: 'resolved' }]));
    expect(alertsJobs(many, new Date(), 60).map((j) => j.opts.deduplication?.id)).toEqual(jobs.map((j) => j.opts.deduplication?.id));
  });

  it('the deduplication id carries each alert\'s turn: the same content at a later turn (a re-fire) is another id', () => {
    const turn = (n: number) => new Map([[alertJobId(base), n]]);
    const [first] = withAlertTurns(alertsJobs([base], new Date(), 60), turn(1));
    const [again] = withAlertTurns(alertsJobs([base], new Date(), 60), turn(1));
    const [refire] = withAlertTurns(alertsJobs([base], new Date(), 60), turn(3));
    expect(first!.opts.deduplication).toEqual({ id: alertsJobId([base], turn(1)), ttl: 60_000 });
    expect(again!.opts.deduplication?.id).toBe(first!.opts.deduplication?.id);
    expect(refire!.opts.deduplication?.id).not.toBe(first!.opts.deduplication?.id);
    expect(alertsJobId([base], turn(1))).not.toBe(alertsJobId([base]));
    expect(refire!.opts.deduplication?.id).toMatch(/^ab-[0-9a-f]{32}$/);
  });
});

describe('labelsFingerprint', () => {
  it('ignores label order', () => {
    expect(labelsFingerprint({ a: '1', b: '2' })).toBe(labelsFingerprint({ b: '2', a: '1' }));
    expect(labelsFingerprint({ a: '1' })).not.toBe(labelsFingerprint({ a: '2' }));
  });
});

describe('shorten', () => {
  it('keeps short text and cuts long text on grapheme boundaries', () => {
    expect(shorten('abc', 3)).toBe('abc');
    expect(shorten('abcdef', 4)).toBe(`abc${ELLIPSIS}`);
    const family = '👨‍👩‍👧';
    const cut = shorten(family.repeat(5), family.length * 2 + 1);
    expect(cut).toBe(family + family + ELLIPSIS);
    const chinese = shorten('故障'.repeat(5000), 101);
    expect(chinese.length).toBeLessThanOrEqual(101);
    expect(isWellFormed(chinese)).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    for (let n = 1; n < 12; n += 1) expect(isWellFormed(shorten('😀'.repeat(10), n))).toBe(true);
    expect(toWellFormed('a\ud800b')).toBe('a\ufffdb');
  });
});

describe('severity', () => {
  it('reads the usual spellings and falls back', () => {
    expect(severityFromLabels({ severity: 'CRITICAL' })).toBe('critical');
    expect(severityFromLabels({ severity: 'page' })).toBe('critical');
    expect(severityFromLabels({ priority: 'P2' })).toBe('error');
    expect(severityFromLabels({ severity: 'warn' })).toBe('warning');
    expect(severityFromLabels({ severity: 'whatever' }, 'info')).toBe('info');
    expect(severityFromLabels({})).toBe('warning');
    expect(maxSeverity('warning', 'critical')).toBe('critical');
  });
});

describe('label pairs', () => {
  it('a label named __proto__ is kept as a label (it neither vanishes nor becomes a prototype)', () => {
    const input = JSON.parse('{"__proto__":"evil","alertname":"X","constructor":"c"}') as Record<string, string>;
    const out = boundPairs(input);
    expect(Object.keys(out)).toEqual(['__proto__', 'alertname', 'constructor']);
    expect(JSON.parse(JSON.stringify(out))).toEqual(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});
