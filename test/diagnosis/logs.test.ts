import { describe, expect, it } from 'vitest';
import { GUIDE_FIXES } from '../../src/diagnosis/error-signals.js';
import { analyseLogs, logsReport, MAX_PATTERN_FINDINGS, messageTemplate, parseSince, sparkline, type LogsInput } from '../../src/diagnosis/logs.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnosis/thresholds.js';
import { isoAgo, logRecord, NOW, runtimeInfo } from './fixtures.js';

const HOUR = 3_600_000;

/** 0 → "aa", 1 → "ab", …: distinct words without digits (digits would be folded into <n>). */
function letters(n: number): string {
  return String.fromCharCode(97 + Math.floor(n / 26)) + String.fromCharCode(97 + (n % 26));
}

function input(patch: Partial<LogsInput> = {}): LogsInput {
  return { runtime: 'demo', since: new Date(NOW.getTime() - HOUR), until: NOW, records: [], thresholds: DEFAULT_THRESHOLDS, now: NOW, ...patch };
}

describe('log window and patterns', () => {
  it('reads durations and ISO times as the window start', () => {
    expect(parseSince('15m', NOW)?.toISOString()).toBe('2026-01-10T11:45:00.000Z');
    expect(parseSince('2h', NOW)?.toISOString()).toBe('2026-01-10T10:00:00.000Z');
    expect(parseSince('1d', NOW)?.toISOString()).toBe('2026-01-09T12:00:00.000Z');
    expect(parseSince('90s', NOW)?.toISOString()).toBe('2026-01-10T11:58:30.000Z');
    expect(parseSince('30', NOW)?.toISOString()).toBe('2026-01-10T11:30:00.000Z');
    expect(parseSince('2026-01-10T09:00:00Z', NOW)?.toISOString()).toBe('2026-01-10T09:00:00.000Z');
    expect(parseSince('yesterday', NOW)).toBeNull();
  });

  it('replaces ids, numbers, quoted values and URLs by placeholders', () => {
    expect(messageTemplate("user 42 not found in 'tenant-a' (req 3f2a9c1e-1111-2222-3333-444455556666)")).toBe('user <n> not found in <str> (req <uuid>)');
    expect(messageTemplate('GET https://api.example.com/v1/x failed after 1.5 s')).toBe('GET <url> failed after <n> s');
  });

  it('draws a sparkline, empty buckets as dots', () => {
    expect(sparkline([0, 1, 2, 4])).toBe('·▂▄█');
    expect(sparkline([0, 0])).toBe('▁▁');
  });
});

describe('log analysis (guide §3.2)', () => {
  it('no warnings or errors: a healthy report and no attachment', () => {
    const records = [logRecord({ ts: isoAgo(1000), level: 'INFO', event: 'MessageEvent', exception_type: null })];
    const r = logsReport(input({ records }));
    expect(r.verdict.status).toBe('healthy');
    expect(r.findings[0]?.check).toBe('logs.none');
    expect(r.attachment).toBeUndefined();
  });

  it('groups errors by pattern; patterns seen fewer than 3 times are listed apart', () => {
    const records = [
      ...Array.from({ length: 5 }, (_, i) => logRecord({ ts: isoAgo(10 * 60_000 - i * 1000), message: `order ${i} has no total` , exception_type: 'KeyError' })),
      logRecord({ ts: isoAgo(5 * 60_000), exception_type: 'ValueError', message: 'odd input' }),
      logRecord({ ts: isoAgo(4 * 60_000), exception_type: 'ValueError', message: 'odd input' }),
    ];
    const a = analyseLogs(input({ records }));
    expect(a.patterns.map((p) => [p.key, p.count])).toEqual([['KeyError: order <n> has no total', 5]]);
    expect(a.sporadic.map((p) => [p.key, p.count])).toEqual([['ValueError: odd input', 2]]);
    expect(a.distribution.reduce((x, y) => x + y, 0)).toBe(7);
    const r = logsReport(input({ records }), a);
    expect(r.findings.map((f) => f.check)).toEqual(['logs.pattern', 'logs.sporadic']);
    expect(r.classification?.category).toBe('business_logic');
    expect(r.flow.fix).toContain(GUIDE_FIXES.businessLogic);
    expect(r.attachment?.mimeType).toBe('text/markdown');
    expect(r.attachment?.content).toContain('## Sporadic patterns (seen fewer than 3 times) (1)');
  });

  it('describes the time distribution: a burst', () => {
    const records = Array.from({ length: 20 }, (_, i) => logRecord({ ts: isoAgo(20 * 60_000 - i * 100) }));
    const a = analyseLogs(input({ records }));
    expect(a.distributionShape).toBe('burst around 11:40:00–11:40:01 UTC (20 of 20)');
  });

  it('a burst is placed at its errors\' own times, not at the start of its bucket', () => {
    // one-minute-wide buckets and more: the errors start 50 s into theirs
    const records = Array.from({ length: 20 }, (_, i) => logRecord({ ts: isoAgo(19 * 60_000 + 10_000 - i * 500) }));
    const a = analyseLogs(input({ records }));
    expect(a.bucketMs).toBeGreaterThan(60_000);
    expect(a.distributionShape).toBe('burst around 11:40:50–11:40:59 UTC (20 of 20)');
  });

  it('finds a cascade: the same error moving through agents, starting at the first to fail', () => {
    const records = [];
    for (let i = 0; i < 10; i++) {
      const t0 = 30 * 60_000 - i * 60_000;
      records.push(
        logRecord({ ts: isoAgo(t0), agent_type: 'ToolAgent', exception_type: 'RuntimeError', message: 'injected failure' }),
        logRecord({ ts: isoAgo(t0 - 5), agent_type: 'RetrieverAgent', exception_type: 'RuntimeError', message: 'injected failure' }),
        logRecord({ ts: isoAgo(t0 - 9), agent_type: 'PlannerAgent', exception_type: 'RuntimeError', message: 'injected failure' }),
        logRecord({ ts: isoAgo(t0 - 14), agent_type: 'ChatAgent', exception_type: 'RuntimeError', message: 'injected failure' }),
      );
    }
    const a = analyseLogs(input({ records }));
    expect(a.origin).toBe('ToolAgent');
    expect(a.patterns).toHaveLength(1);
    expect(a.patterns[0]?.agents.map((x) => x.type)).toEqual(['ChatAgent', 'PlannerAgent', 'RetrieverAgent', 'ToolAgent']);
    const r = logsReport(input({ records }), a);
    expect(r.classification?.primary.check).toBe('logs.cascade');
    expect(r.classification?.primary.title).toBe('Cascade: errors start in ToolAgent and spread to ChatAgent, PlannerAgent, RetrieverAgent');
    expect(r.flow.fix[0]).toBe(GUIDE_FIXES.isolateFailing.replace('the failing agent', 'ToolAgent'));
  });

  it('a cascade whose errors share a millisecond: the bridge\'s microseconds and record order name the origin', () => {
    const records = [];
    for (let i = 0; i < 10; i++) {
      const ms = new Date(NOW.getTime() - 10 * 60_000 + i * 1000).toISOString().slice(0, 23);
      const trace_id = `trace-${i}`;
      records.push(
        logRecord({ ts: `${ms}441Z`, agent_type: 'Ledger', exception_type: 'TimeoutError', message: 'write timed out', trace_id }),
        logRecord({ ts: `${ms}576Z`, agent_type: 'Checkout', exception_type: 'RuntimeError', message: 'checkout failed', trace_id }),
        logRecord({ ts: `${ms}576Z`, agent_type: 'Storefront', exception_type: 'ValueError', message: 'order failed', trace_id }),
      );
    }
    expect(analyseLogs(input({ records })).origin).toBe('Ledger');
  });

  it('reads the exception out of autogen-core\'s JSON event messages, so user payloads neither split patterns nor leak', () => {
    const records = [1, 2, 3].map((i) => logRecord({
      ts: isoAgo(i * 1000),
      exception_type: 'InjectedFaultError',
      message: JSON.stringify({ payload: JSON.stringify({ text: `secret question ${i} about ${['refunds', 'invoices', 'passwords'][i - 1]}` }), handling_agent: 'ChatAgent/default', exception: 'injected fault: ChatAgent handler raised an unexpected exception', type: 'MessageHandlerException' }),
    }));
    const r = logsReport(input({ records }));
    expect(r.findings.filter((f) => f.check === 'logs.pattern')).toHaveLength(1);
    expect(r.findings[0]?.evidence).toContain('"injected fault: ChatAgent handler raised an unexpected exception"');
    expect(JSON.stringify(r)).not.toContain('secret question');
  });

  it('uncorrelated errors in two agents are no cascade', () => {
    const records = [
      ...Array.from({ length: 4 }, (_, i) => logRecord({ ts: isoAgo(50 * 60_000 - i * 60_000), agent_type: 'ChatAgent' })),
      ...Array.from({ length: 4 }, (_, i) => logRecord({ ts: isoAgo(20 * 60_000 - i * 60_000), agent_type: 'ToolAgent' })),
    ];
    const a = analyseLogs(input({ records }));
    expect(a.correlations).toEqual([]);
    expect(a.origin).toBeNull();
  });

  it('connection refused to the declared database is integration › database', () => {
    const records = Array.from({ length: 6 }, (_, i) =>
      logRecord({ ts: isoAgo(i * 1000), agent_type: 'RetrieverAgent', exception_type: 'ConnectionRefusedError', message: "[Errno 111] Connect call failed ('127.0.0.1', 6999)" }),
    );
    const info = runtimeInfo({ dependencies: [{ name: 'vector-db', kind: 'database', url: 'tcp://127.0.0.1:6999', reachable: false }] });
    const r = logsReport(input({ records, info }));
    expect(r.classification?.label).toBe('Integration › Database');
    expect(r.flow.fix).toContain(GUIDE_FIXES.databaseService);
  });

  it('1,000 distinct errors: a bounded number of findings, everything in the file', () => {
    const records = Array.from({ length: 1000 }, (_, i) =>
      logRecord({ ts: isoAgo(i * 3000), exception_type: `Error${letters(i % 250)}`, message: `failure kind ${letters(i % 250)}`, traceback: 'Traceback (most recent call last):\n  ...' }),
    );
    const r = logsReport(input({ records }));
    expect(r.findings.filter((f) => f.check === 'logs.pattern')).toHaveLength(MAX_PATTERN_FINDINGS);
    expect(r.findings.find((f) => f.check === 'logs.more_patterns')?.title).toMatch(/^\d+ more patterns/);
    expect(r.attachment?.content.match(/^### /gm)?.length).toBe(250);
    expect(r.findings.length).toBeLessThanOrEqual(MAX_PATTERN_FINDINGS + 2);
  });

  it('notes a truncated page from the bridge', () => {
    const r = logsReport(input({ records: [logRecord({ ts: isoAgo(1000) })], truncated: true }));
    expect(r.sections[0]?.lines[0]).toContain('(truncated: newest only)');
  });

  it('filters by agent when one is given', () => {
    const records = [logRecord({ ts: isoAgo(1000), agent_type: 'ChatAgent' }), logRecord({ ts: isoAgo(1000), agent_type: 'ToolAgent' })];
    const a = analyseLogs(input({ records, agent: 'ToolAgent' }));
    expect(a.problems).toBe(1);
    expect(a.impact.agents).toEqual([{ type: 'ToolAgent', count: 1 }]);
  });
});

describe('log analysis of records the bridge sampled under load (each record says how many events it stands for)', () => {
  // an error storm of 400 errors of one signature kept as 6 records, plus 2 errors of another kept as they came
  const storm = [100, 80, 70, 60, 50, 40].map((count, i) =>
    logRecord({ ts: isoAgo(10 * 60_000 - i * 1000), agent_type: 'Storefront', message_id: `m${i}`, message: `order ${i} failed`, count }));
  const plain = [
    logRecord({ ts: isoAgo(50 * 60_000), agent_type: 'Gateway', exception_type: 'ValueError', message: 'odd input' }), // no count: an older bridge
    logRecord({ ts: isoAgo(49 * 60_000), agent_type: 'Gateway', exception_type: 'ValueError', message: 'odd input', count: null }),
  ];

  it('a pattern of 6 records whose counts sum to 400 is reported as seen 400 times; a record without a count is one event', () => {
    const a = analyseLogs(input({ records: [...storm, ...plain] }));
    expect(a.patterns.map((p) => [p.key, p.count, p.records])).toEqual([['RuntimeError: order <n> failed', 400, 6]]);
    expect(a.sporadic.map((p) => [p.key, p.count, p.records])).toEqual([['ValueError: odd input', 2, 2]]);
    expect(a.patterns[0]?.agents).toEqual([{ type: 'Storefront', count: 400 }]);
    expect(a.impact.agents).toEqual([{ type: 'Storefront', count: 400 }, { type: 'Gateway', count: 2 }]);
    expect([a.totalRecords, a.totalEvents, a.problems, a.problemRecords, a.sampled]).toEqual([8, 402, 402, 8, true]);
    const r = logsReport(input({ records: [...storm, ...plain] }), a);
    const finding = r.findings.find((f) => f.check === 'logs.pattern');
    expect(finding?.title).toMatch(/^RuntimeError ×400 \(/);
    expect(finding?.evidence).toContain('in Storefront ×400 (from 6 kept records)');
    expect(finding?.severity).toBe(400);
    expect(r.sections[0]?.lines[0]).toContain(': 402 events in 8 records (under load the bridge keeps a sample of records and counts the rest), 402 at WARNING or above');
    // distinct messages can only be read from the kept records: said so, not presented as a total
    expect(r.sections[0]?.lines[3]).toBe('Impact: Storefront 400, Gateway 2; 6 distinct messages among the kept records');
    expect(r.attachment?.content).toContain('### RuntimeError ×400 — ');
    expect(r.attachment?.content).toContain('messages: 6 (instances and messages among the 6 kept records)');
    expect(r.attachment?.content).toContain('- distinct messages among the kept records: 6; traces: 0 (a sample: more may be affected)');
  });

  it('weights the time distribution: buckets count events, not records', () => {
    const records = [
      ...Array.from({ length: 3 }, (_, i) => logRecord({ ts: isoAgo(58 * 60_000 - i * 1000) })),
      logRecord({ ts: isoAgo(5 * 60_000), count: 100 }),
    ];
    const a = analyseLogs(input({ records }));
    expect(a.patterns[0]?.buckets[0]).toBe(3);
    expect(a.patterns[0]?.buckets[11]).toBe(100);
    expect(a.distribution.reduce((x, y) => x + y, 0)).toBe(103);
    expect(a.distributionShape).toBe('burst around 11:55:00 UTC (100 of 103)');
  });

  it('one record standing for several events is a pattern, not a sporadic one', () => {
    const a = analyseLogs(input({ records: [logRecord({ ts: isoAgo(1000), count: 5 })] }));
    expect(a.patterns.map((p) => p.count)).toEqual([5]);
    expect(a.sporadic).toEqual([]);
  });

  it('correlations are read from the kept records and say so', () => {
    const records = [];
    for (let i = 0; i < 10; i++) {
      const t0 = 30 * 60_000 - i * 60_000;
      records.push(
        logRecord({ ts: isoAgo(t0), agent_type: 'ToolAgent', message: 'injected failure', count: 50 }),
        logRecord({ ts: isoAgo(t0 - 5), agent_type: 'ChatAgent', message: 'injected failure', count: 50 }),
      );
    }
    const a = analyseLogs(input({ records }));
    expect(a.correlations.map((c) => [c.leader, c.follower, c.matched, c.followerTotal])).toEqual([['ToolAgent', 'ChatAgent', 10, 10]]);
    const r = logsReport(input({ records }), a);
    expect(r.findings.find((f) => f.check === 'logs.cascade')?.evidence)
      .toBe('10/10 kept ChatAgent error records follow one in ToolAgent (median 5 ms later) — read from the kept records (under load the bridge keeps a sample of records and counts the rest)');
    expect(r.sections[0]?.lines).toContain('Correlations (kept records): ToolAgent → ChatAgent (10)');
    expect(r.attachment?.content).toContain('- ChatAgent follows ToolAgent: 10/10 kept error records, median lag 5 ms');
  });

  it('records of an older bridge (no count) read as before', () => {
    const records = Array.from({ length: 4 }, (_, i) => logRecord({ ts: isoAgo(i * 1000) }));
    const a = analyseLogs(input({ records }));
    expect([a.totalEvents, a.problems, a.sampled]).toEqual([4, 4, false]);
    const r = logsReport(input({ records }), a);
    expect(r.sections[0]?.lines[0]).toMatch(/: 4 records, 4 at WARNING or above$/);
    expect(r.findings[0]?.evidence).not.toContain('kept record');
  });
});
