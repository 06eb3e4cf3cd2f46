import { describe, expect, it } from 'vitest';
import { diagnosePerformance, memoryTrend, PERF_GUIDE, rankBottlenecks } from '../../src/diagnosis/performance.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnosis/thresholds.js';
import { agent, flatRss, growingRss, healthyAgents, isoAgo, NOW, runtimeInfo, summaries } from './fixtures.js';

const t = DEFAULT_THRESHOLDS;
const base = { runtime: 'demo', thresholds: t, now: NOW };

describe('performance diagnosis (guide §2.3)', () => {
  it('a healthy agent and runtime: no bottleneck, healthy verdict', () => {
    const r = diagnosePerformance({ ...base, info: runtimeInfo(), target: { kind: 'agent', agent: healthyAgents()[0]! } });
    expect(r.verdict.status).toBe('healthy');
    expect(r.sections[0]).toEqual({ title: 'Bottlenecks (ranked)', lines: ['None: every metric is within its threshold'] });
    expect(r.findings.map((f) => f.check)).toEqual(['perf.avg_response', 'perf.p95_response', 'perf.error_rate', 'perf.concurrency', 'perf.memory', 'perf.cpu', 'perf.memory_trend']);
  });

  it('average response above 2 s is a runtime › performance failure with the guide\'s slow-response fixes', () => {
    const slow = agent('ChatAgent', { latency_ms: { count: 40, avg: 3100, p50: 3000, p95: 3400, p99: 3500, max: 3600 } });
    const r = diagnosePerformance({ ...base, info: runtimeInfo(), target: { kind: 'agent', agent: slow } });
    expect(r.classification?.label).toBe('Runtime › Performance');
    expect(r.classification?.primary.evidence).toBe('average 3.1 s over 40 messages in the last 5 min, p95 3.4 s, p99 3.5 s (threshold 2.0 s)');
    expect(r.flow.fix).toEqual(PERF_GUIDE['perf.avg_response']!.fix);
    expect(r.verdict.headline).toBe('ChatAgent responds slowly — average 3.1 s over 40 messages in the last 5 min, p95 3.4 s, p99 3.5 s (threshold 2.0 s)');
  });

  it('an agent slow for the last minute is flagged although five minutes of fast messages dilute the long window', () => {
    const slow = agent('ChatAgent', {
      latency_ms: { count: 2000, avg: 29, p50: 10, p95: 40, p99: 3000, max: 3100 },
      recent: { window_s: 60, count: 19, errors: 0, refused: 0, error_rate: 0, latency_ms: { count: 19, avg: 3000, p50: 3000, p95: 3010, p99: 3020, max: 3020 } },
    });
    const r = diagnosePerformance({ ...base, info: runtimeInfo(), target: { kind: 'agent', agent: slow } });
    expect(r.classification?.primary).toMatchObject({ check: 'perf.avg_response', status: 'fail' });
    expect(r.classification?.primary.evidence).toContain('in the last 1 min');
  });

  it('two agents failing 100 %: the one where the failures start is the bottleneck named', () => {
    const front = agent('OrderDesk', { error_rate: 1, failure_origins: ['StockKeeper'], last_error: { ts: isoAgo(1000), agent_type: 'OrderDesk', exception_type: 'ConnectionRefusedError', message: '[Errno 111] Connection refused' } });
    const origin = agent('StockKeeper', { error_rate: 1, failure_origins: [], last_error: { ts: isoAgo(1500), agent_type: 'StockKeeper', exception_type: 'ConnectionRefusedError', message: '[Errno 111] Connection refused' } });
    const r = diagnosePerformance({ ...base, info: runtimeInfo(), target: { kind: 'runtime', agents: summaries([front, origin]) } });
    expect(r.classification?.primary).toMatchObject({ check: 'perf.error_rate', subject: 'StockKeeper' });
    expect(r.sections[0]?.lines[0]).toContain('StockKeeper error rate high');
    expect(r.findings.find((f) => f.subject === 'OrderDesk' && f.check === 'perf.error_rate')?.evidence).toContain('come from failed calls to StockKeeper');
  });

  it('a slow p99 alone is a slow tail', () => {
    const tail = agent('ChatAgent', { latency_ms: { count: 200, avg: 300, p50: 100, p95: 900, p99: 3000, max: 3100 } });
    const r = diagnosePerformance({ ...base, info: runtimeInfo(), target: { kind: 'agent', agent: tail } });
    expect(r.findings.find((f) => f.check === 'perf.p95_response')).toMatchObject({ status: 'warn' });
    expect(r.findings.find((f) => f.check === 'perf.p95_response')?.evidence).toContain('p99 3.0 s');
  });

  it('memory above 512 MB and CPU above 80 % are resource failures', () => {
    const r = diagnosePerformance({ ...base, info: runtimeInfo({ rss_bytes: 700 * 1024 * 1024, cpu_percent: 95 }), target: { kind: 'runtime', agents: summaries(healthyAgents()) } });
    const failing = r.findings.filter((f) => f.status === 'fail').map((f) => f.check);
    expect(failing).toEqual(['perf.memory', 'perf.cpu']);
    expect(r.classification?.category).toBe('resources');
  });

  it('error rate above 5 % takes its category and fix from the last error', () => {
    const failing = agent('RetrieverAgent', {
      error_rate: 0.4,
      last_error: { ts: isoAgo(100), exception_type: 'ConnectionRefusedError', message: 'Connect call failed (\'127.0.0.1\', 6999)' },
    });
    const r = diagnosePerformance({ ...base, info: runtimeInfo({ dependencies: [{ name: 'vector-db', kind: 'database', url: 'tcp://127.0.0.1:6999', reachable: false }] }), target: { kind: 'agent', agent: failing } });
    expect(r.findings.find((f) => f.check === 'perf.error_rate')).toMatchObject({ status: 'fail', category: 'database' });
    expect(r.classification?.category).toBe('database');
  });

  it('concurrency above 90 % of the backpressure limit, or of the assumed 100', () => {
    const limited = agent('ToolAgent', { inflight: 4, max_inflight: 4 });
    const unlimited = agent('PlannerAgent', { inflight: 95 });
    const r = diagnosePerformance({ ...base, info: runtimeInfo(), target: { kind: 'runtime', agents: [limited, unlimited] } });
    const conc = r.findings.filter((f) => f.check === 'perf.concurrency');
    expect(conc.map((f) => f.status)).toEqual(['fail', 'fail']);
    expect(conc[1]?.evidence).toContain('(assumed maximum)');
  });

  it('the declared capacity is the maximum when no backpressure limit is set', () => {
    const a = { ...agent('RetrieverAgent', { inflight: 16 }), capacity: 16 };
    const r = diagnosePerformance({ ...base, info: runtimeInfo(), target: { kind: 'agent', agent: a } });
    expect(r.findings.find((f) => f.check === 'perf.concurrency')).toMatchObject({ status: 'fail', evidence: '16 in flight of 16 (declared capacity) = 100.0 % (threshold 90.0 %)' });
  });

  it('a slow tail (p95 above 2 s) warns before the average crosses 2 s', () => {
    const a = agent('ChatAgent', { latency_ms: { count: 300, avg: 640, p50: 8, p95: 3004, p99: 3008, max: 3011 } });
    const r = diagnosePerformance({ ...base, info: runtimeInfo(), target: { kind: 'agent', agent: a } });
    expect(r.findings.find((f) => f.check === 'perf.p95_response')).toMatchObject({ status: 'warn', category: 'performance' });
    expect(r.verdict.status).toBe('warning');
  });

  it('slow external calls (> 1 s) warn, slow database calls (> 0.5 s) fail', () => {
    const a = agent('RetrieverAgent', {
      dependency_calls: [
        { name: 'search-api', kind: 'external', count: 10, errors: 0, avg_ms: 1500 },
        { name: 'orders-db', kind: 'database', count: 10, errors: 0, avg_ms: 700 },
        { name: 'fast-db', kind: 'database', count: 10, errors: 0, avg_ms: 20 },
      ],
    });
    const r = diagnosePerformance({ ...base, info: runtimeInfo(), target: { kind: 'agent', agent: a } });
    expect(r.findings.find((f) => f.subject === 'search-api')).toMatchObject({ check: 'perf.slow_external', status: 'warn', category: 'external_api' });
    expect(r.findings.find((f) => f.subject === 'orders-db')).toMatchObject({ check: 'perf.slow_database', status: 'fail', category: 'database' });
    expect(r.findings.find((f) => f.subject === 'fast-db')?.status).toBe('ok');
    expect(r.classification?.category).toBe('database');
  });

  it('ranks bottlenecks by the guide\'s impact times overshoot', () => {
    const a = agent('ChatAgent', {
      latency_ms: { count: 10, avg: 2500 },
      dependency_calls: [{ name: 'search-api', kind: 'external', count: 10, avg_ms: 5000 }],
    });
    const r = diagnosePerformance({ ...base, info: runtimeInfo({ rss_history: growingRss(40) }), target: { kind: 'agent', agent: a } });
    const ranked = rankBottlenecks(r.findings).map((b) => [b.finding.check, b.impact]);
    expect(ranked).toEqual([
      ['perf.memory_trend', 'severe'],
      ['perf.slow_external', 'medium'],
      ['perf.avg_response', 'high'],
    ]);
    expect(r.sections[0]?.lines[0]).toMatch(/^1\. Memory grows steadily: suspected leak/);
  });
});

describe('memory-leak trend (slope of RSS relative to its mean, per minute)', () => {
  it('flat memory has a slope near zero', () => {
    const trend = memoryTrend(flatRss(), isoAgo(600_000), t);
    expect(trend.judged).toBe(true);
    if (trend.judged) expect(Math.abs(trend.slopePerMin)).toBeLessThan(0.01);
  });

  it('growth of 20 MB/min on ~100 MB is about 0.2/min: above 0.1, a suspected leak', () => {
    const trend = memoryTrend(growingRss(20), isoAgo(600_000), t);
    expect(trend.judged).toBe(true);
    if (!trend.judged) return;
    expect(trend.mbPerMin).toBeCloseTo(20, 5);
    expect(trend.slopePerMin).toBeGreaterThan(0.1);
    const r = diagnosePerformance({ ...base, info: runtimeInfo({ rss_history: growingRss(20) }), target: { kind: 'runtime', agents: [] } });
    expect(r.classification?.primary.check).toBe('perf.memory_trend');
    expect(r.classification?.category).toBe('resources');
  });

  it('slow growth of 2 MB/min on 80 MB (0.02/min) is not a leak', () => {
    const trend = memoryTrend(growingRss(2), isoAgo(600_000), t);
    expect(trend.judged && trend.slopePerMin < 0.1).toBe(true);
  });

  it('ignores warm-up samples and does not judge a short span', () => {
    const history = growingRss(50);
    const startedRecently = isoAgo(40_000);
    const trend = memoryTrend(history, startedRecently, t);
    expect(trend).toMatchObject({ judged: false });
    const r = diagnosePerformance({ ...base, info: runtimeInfo({ rss_history: history, started_at: startedRecently, uptime_s: 40 }), target: { kind: 'runtime', agents: [] } });
    expect(r.findings.some((f) => f.check === 'perf.memory_trend')).toBe(false);
    expect(r.sections.find((s) => s.title === 'Memory trend')?.lines[0]).toMatch(/^Not judged yet/);
  });
});
