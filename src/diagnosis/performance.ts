/**
 * `/autogen perf <agent|runtime>` — the guide's Performance Diagnostic tool (§2.3) and bottleneck
 * identification (§4.3): average response, memory, CPU, error rate, concurrency, slow external and
 * database calls, a memory-leak trend, and the bottlenecks ranked. Pure: pass the data and `now` in.
 */
import type { AgentDetail, AgentSummary, DependencyCall, RuntimeInfo } from '../runtime/schemas.js';
import type { Finding } from './classify.js';
import { GUIDE_FIXES, readErrorSignal } from './error-signals.js';
import { assembleReport, type GuideReport, type ReportSection } from './guide-report.js';
import { formatMb, formatMs, formatPercent, formatShare, plural } from './quantities.js';
import { memoryTrend, trendEvidence, type MemoryTrend } from './memory-trend.js';
import { judgedWindow, worstTail } from './windows.js';
import { labelOf } from '../runtime/resolve-agent.js';
import type { Thresholds } from './thresholds.js';

/** The guide's impact grades (严重 severe, 高 high, 中 medium), used to rank bottlenecks. */
export type Impact = 'severe' | 'high' | 'medium';
const IMPACT_WEIGHT: Readonly<Record<Impact, number>> = { severe: 3, high: 2, medium: 1 };

/** Per check: the guide's impact grade and its recommendations. */
export const PERF_GUIDE: Readonly<Record<string, { impact: Impact; fix: readonly string[] }>> = {
  'perf.avg_response': {
    impact: 'high',
    fix: [
      GUIDE_FIXES.asyncOps,
      'Check the agent\'s external and database calls below for the slow one',
      GUIDE_FIXES.scaleAgents,
    ],
  },
  'perf.slow_external': {
    impact: 'medium',
    fix: [
      'Set a timeout on the external API call',
      'Cache the API\'s responses',
      'Call it asynchronously and poll for the result',
      'Ask the API provider about its performance',
    ],
  },
  'perf.slow_database': {
    impact: 'high',
    fix: ['Optimise the SQL statements', 'Add the missing database indexes', 'Cache query results', 'Consider sharding the database'],
  },
  'perf.memory': {
    impact: 'medium',
    fix: [
      'Give large cached objects an LRU eviction',
      'Move large objects to external storage',
      GUIDE_FIXES.memoryCleanup,
    ],
  },
  'perf.memory_trend': {
    impact: 'severe',
    fix: [
      'Look for resources that are never closed (files, connections)',
      'Check that caches expire',
      'Profile with `memory_profiler` to find what grows',
      'Schedule a periodic memory clean-up; meanwhile clear caches or restart the agent',
    ],
  },
  'perf.cpu': {
    impact: 'high',
    fix: ['Optimise the compute-heavy functions', 'Use several processes for CPU-bound work', 'Cache computed results'],
  },
  'perf.error_rate': { impact: 'high', fix: [GUIDE_FIXES.inspectLogs] },
  'perf.concurrency': { impact: 'high', fix: [GUIDE_FIXES.scaleAgents, GUIDE_FIXES.backpressure] },
};

function guide(check: string): { impact: Impact; fix: readonly string[] } {
  const g = PERF_GUIDE[check];
  /* c8 ignore next */
  if (!g) throw new Error(`no guide entry for ${check}`);
  return g;
}

export { memoryTrend, type MemoryTrend };

export interface PerfInput {
  readonly runtime: string;
  /** `agent` for `/autogen perf <agent>`, `runtime` for the whole runtime. */
  readonly target: { readonly kind: 'agent'; readonly agent: AgentDetail } | { readonly kind: 'runtime'; readonly agents: readonly (AgentSummary | AgentDetail)[] };
  readonly info: RuntimeInfo;
  readonly thresholds: Thresholds;
  readonly now: Date;
}

export function agentChecks(a: AgentSummary | AgentDetail, info: RuntimeInfo, t: Thresholds): Finding[] {
  const out: Finding[] = [];
  const judged = judgedWindow(a, info);
  const lat = judged.latency;
  if (lat && lat.count > 0 && lat.avg != null) {
    const slow = lat.avg > t.avgResponseMs;
    const p95 = lat.p95 != null ? `, p95 ${formatMs(lat.p95)}, p99 ${formatMs(lat.p99 ?? lat.p95)}` : '';
    out.push({
      check: 'perf.avg_response',
      status: slow ? 'fail' : 'ok',
      category: 'performance',
      title: slow ? `${labelOf(a)} responds slowly` : `${labelOf(a)} response time normal`,
      evidence: `average ${formatMs(lat.avg)} over ${plural(lat.count, 'message')} in ${judged.label}${p95} (threshold ${formatMs(t.avgResponseMs)})`,
      fix: slow ? guide('perf.avg_response').fix : [],
      subject: a.type,
      severity: lat.avg / t.avgResponseMs,
    });
    if (lat.p95 != null && !slow) {
      const worst = worstTail(lat);
      const tail = worst.ms > t.p95ResponseMs;
      out.push({
        check: 'perf.p95_response',
        status: tail ? 'warn' : 'ok',
        category: 'performance',
        title: tail ? `${labelOf(a)} has a slow tail` : `${labelOf(a)} tail latency normal`,
        evidence: `${worst.name} ${formatMs(worst.ms)} in ${judged.label} (threshold ${formatMs(t.p95ResponseMs)}); the average is still ${formatMs(lat.avg)}`,
        fix: tail ? guide('perf.avg_response').fix : [],
        subject: a.type,
        severity: worst.ms / t.p95ResponseMs,
      });
    }
  } else {
    out.push({
      check: 'perf.avg_response',
      status: 'ok',
      category: 'performance',
      title: `${labelOf(a)} idle`,
      evidence: 'no messages handled in the stats window',
      fix: [],
      subject: a.type,
    });
  }
  if (a.error_rate != null || judged.recent) {
    const errorRate = judged.errorRate;
    const high = errorRate > t.errorRate;
    const signal = a.last_error ? readErrorSignal({ ...a.last_error, dependencies: info.dependencies ?? [] }) : null;
    const last = a.last_error ? `; last: ${a.last_error.exception_type ?? 'error'}: ${a.last_error.message ?? ''}` : '';
    out.push({
      check: 'perf.error_rate',
      status: high ? 'fail' : 'ok',
      category: high ? (signal?.category ?? 'business_logic') : 'business_logic',
      title: high ? `${labelOf(a)} error rate high` : `${labelOf(a)} error rate normal`,
      evidence: `${formatShare(errorRate)} of the messages in ${judged.label} failed (threshold ${formatShare(t.errorRate)})${high ? last : ''}`,
      fix: high ? [...(signal?.fix ?? []), ...guide('perf.error_rate').fix] : [],
      subject: a.type,
      severity: errorRate / t.errorRate,
    });
  }
  const inflight = a.inflight ?? 0;
  // The limit: a backpressure limit, else the concurrency the application declared, else the guide's 100.
  const capacity = (a as Record<string, unknown>)['capacity'];
  const declared = a.max_inflight ?? (typeof capacity === 'number' && capacity > 0 ? capacity : null);
  const max = declared ?? t.defaultMaxConcurrency;
  const ratio = inflight / max;
  const saturated = ratio > t.concurrencyRatio;
  out.push({
    check: 'perf.concurrency',
    status: saturated ? 'fail' : 'ok',
    category: 'performance',
    title: saturated ? `${labelOf(a)} concurrency saturated` : `${labelOf(a)} concurrency has headroom`,
    evidence: `${inflight} in flight of ${max}${a.max_inflight != null ? ' (backpressure limit)' : declared != null ? ' (declared capacity)' : ' (assumed maximum)'} = ${formatShare(ratio)} (threshold ${formatShare(t.concurrencyRatio)})`,
    fix: saturated ? guide('perf.concurrency').fix : [],
    subject: a.type,
    severity: ratio / t.concurrencyRatio,
  });
  const calls: readonly DependencyCall[] = ('dependency_calls' in a ? (a as AgentDetail).dependency_calls : null) ?? [];
  for (const call of calls) {
    if (call.avg_ms == null || !call.count) continue;
    const isDb = (call.kind ?? '').toLowerCase() === 'database';
    const limit = isDb ? t.slowDatabaseMs : t.slowExternalMs;
    const slow = call.avg_ms > limit;
    const check = isDb ? 'perf.slow_database' : 'perf.slow_external';
    const noun = isDb ? 'Database calls to' : 'External calls to';
    out.push({
      check,
      status: slow ? (isDb ? 'fail' : 'warn') : 'ok',
      category: isDb ? 'database' : 'external_api',
      title: slow ? `${noun} ${call.name} slow` : `${noun} ${call.name} fast enough`,
      evidence: `${labelOf(a)}: average ${formatMs(call.avg_ms)} over ${plural(call.count, 'call')} (threshold ${formatMs(limit)})`,
      fix: slow ? guide(check).fix : [],
      subject: call.name,
      severity: call.avg_ms / limit,
    });
  }
  return out;
}

/** When the runtime started: `started_at` when the bridge sends it, else now minus `uptime_s`. */
export function startedAt(info: RuntimeInfo, now: Date): string | null {
  const declared = (info as Record<string, unknown>)['started_at'];
  if (typeof declared === 'string') return declared;
  return info.uptime_s != null ? new Date(now.getTime() - info.uptime_s * 1000).toISOString() : null;
}

function runtimeChecks(info: RuntimeInfo, t: Thresholds, now: Date): { findings: Finding[]; trend: MemoryTrend } {
  const out: Finding[] = [];
  const subject = `runtime ${info.name}`;
  if (info.rss_bytes != null) {
    const mb = info.rss_bytes / 1024 / 1024;
    const high = mb > t.memoryMb;
    out.push({
      check: 'perf.memory',
      status: high ? 'fail' : 'ok',
      category: 'resources',
      title: high ? 'Runtime memory high' : 'Runtime memory normal',
      evidence: `RSS ${formatMb(info.rss_bytes)} (threshold ${t.memoryMb} MB)`,
      fix: high ? guide('perf.memory').fix : [],
      subject,
      severity: mb / t.memoryMb,
    });
  }
  if (info.cpu_percent != null) {
    const high = info.cpu_percent > t.cpuPercent;
    out.push({
      check: 'perf.cpu',
      status: high ? 'fail' : 'ok',
      category: 'resources',
      title: high ? 'Runtime CPU high' : 'Runtime CPU normal',
      evidence: `${formatPercent(info.cpu_percent)} (threshold ${formatPercent(t.cpuPercent)})`,
      fix: high ? guide('perf.cpu').fix : [],
      subject,
      severity: info.cpu_percent / t.cpuPercent,
    });
  }
  const bridgeBytes = info.bridge_buffer_bytes ?? 0;
  const trend = memoryTrend(info.rss_history ?? [], startedAt(info, now), t, bridgeBytes);
  if (trend.judged) {
    const leaking = trend.leaking;
    out.push({
      check: 'perf.memory_trend',
      status: leaking ? 'fail' : 'ok',
      category: 'resources',
      title: leaking ? 'Memory grows steadily: suspected leak' : 'Memory steady',
      evidence: trendEvidence(trend, t, bridgeBytes),
      fix: leaking ? guide('perf.memory_trend').fix : [],
      subject,
      severity: trend.slopePerMin / t.leakSlopePerMin,
    });
  }
  return { findings: out, trend };
}

export interface Bottleneck {
  readonly rank: number;
  readonly finding: Finding;
  readonly impact: Impact;
  /** impact weight × how far past the threshold (capped at 10×). */
  readonly score: number;
}

/** The guide's §4.3 bottleneck identification: breached checks ordered by impact × overshoot. */
export function rankBottlenecks(findings: readonly Finding[]): Bottleneck[] {
  return findings
    .filter((f) => f.status !== 'ok')
    .map((f) => {
      const impact = PERF_GUIDE[f.check]?.impact ?? 'medium';
      return { finding: f, impact, score: IMPACT_WEIGHT[impact] * Math.min(f.severity ?? 1, 10) };
    })
    .sort((a, b) => b.score - a.score || (b.finding.explains ?? 0) - (a.finding.explains ?? 0))
    .map((b, i) => ({ ...b, rank: i + 1 }));
}

/**
 * Failing error rates are ranked by what the message graph says about them: an agent whose failures come
 * from failed calls to another (`failure_origins`) only repeats that agent's failure, so the agent where
 * they start is the bottleneck named first, with the callers' figures saying where theirs come from.
 */
function attributeErrors(agents: readonly (AgentSummary | AgentDetail)[], findings: readonly Finding[]): Finding[] {
  const originsOf = new Map(agents.map((a) => [a.type, a.failure_origins ?? []]));
  const named = new Set(agents.flatMap((a) => a.failure_origins ?? []));
  return findings.map((f) => {
    if (f.check !== 'perf.error_rate' || f.status === 'ok' || !f.subject) return f;
    const origins = originsOf.get(f.subject) ?? [];
    if (origins.length > 0) return { ...f, explains: 0, evidence: `${f.evidence}; these failures come from failed calls to ${origins.join(', ')}` };
    return named.has(f.subject) ? { ...f, explains: 1, evidence: `${f.evidence}; the failures of its callers start here` } : f;
  });
}

export function diagnosePerformance(input: PerfInput): GuideReport {
  const { info, thresholds: t } = input;
  const agents = input.target.kind === 'agent' ? [input.target.agent] : input.target.agents;
  const agentFindings = attributeErrors(agents, agents.flatMap((a) => agentChecks(a, info, t)));
  const { findings: rtFindings, trend } = runtimeChecks(info, t, input.now);
  const findings = [...agentFindings, ...rtFindings];
  const bottlenecks = rankBottlenecks(findings);
  const sections: ReportSection[] = [
    {
      title: 'Bottlenecks (ranked)',
      lines: bottlenecks.length
        ? bottlenecks.map((b) => `${b.rank}. ${b.finding.title}: ${b.finding.evidence} (impact ${b.impact})`)
        : ['None: every metric is within its threshold'],
    },
  ];
  if (!trend.judged) sections.push({ title: 'Memory trend', lines: [`Not judged yet: ${trend.reason}`] });
  const subject = input.target.kind === 'agent' ? input.target.agent.type : `Runtime ${input.runtime}`;
  const target = input.target.kind === 'agent' ? `${input.target.agent.type} ${input.runtime}` : input.runtime;
  return assembleReport({
    tool: 'perf',
    runtime: input.runtime,
    subject,
    now: input.now,
    findings,
    sections,
    collected: ['runtime info (RSS, CPU, RSS history)', input.target.kind === 'agent' ? 'agent detail (latency, errors, dependency calls)' : 'agents (latency, errors, concurrency)'],
    verifyCommand: `/autogen perf ${target}`,
    snapshotCommand: `/autogen snapshot ${input.runtime}`,
    healthyHeadline: `${subject}: performance within the guide's thresholds`,
  });
}
