/**
 * `/autogen logs [agent] [since] [level]` — the guide's Log Analysis tool (§3.2): errors grouped by
 * pattern (patterns seen fewer than 3 times listed apart as sporadic), their time distribution,
 * correlations between agents (a cascade and where it starts), impact, and suggested fixes. A compact
 * summary for Slack and the full analysis as a Markdown file. Pure: pass the records and `now` in.
 *
 * Under load the bridge keeps a sample of records and counts the rest: each record says how many events it
 * stands for (`count`, see `eventsOf`), and every count here is weighted by it, so figures are true counts.
 * What only the kept records can tell (distinct messages, traces and instances, correlations between
 * agents) stays a figure of the sample and says so.
 */
import { eventsOf, type LogRecord, type RuntimeInfo } from '../runtime/schemas.js';
import type { Finding } from './classify.js';
import { GUIDE_FIXES, readErrorSignal, type ErrorSignal } from './error-signals.js';
import { assembleReport, type GuideReport, type ReportSection } from './guide-report.js';
import { formatCount, formatMs, plural, toMs } from './quantities.js';
import type { Thresholds } from './thresholds.js';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function levelRank(level: string | null | undefined): number {
  const up = (level ?? '').toUpperCase();
  const normal = up === 'WARN' ? 'WARNING' : up === 'FATAL' ? 'CRITICAL' : up;
  const i = (LOG_LEVELS as readonly string[]).indexOf(normal);
  return i === -1 ? 0 : i;
}

/** "15m", "2h", "1d", "90s", "30" (minutes) or an ISO time → the window's start; null when unreadable. */
export function parseSince(text: string, now: Date): Date | null {
  const m = /^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d)?$/i.exec(text.trim());
  if (m) {
    const n = Number(m[1]);
    const unit = (m[2] ?? 'm').toLowerCase();
    const ms = unit.startsWith('s') ? n * 1000 : unit.startsWith('m') ? n * 60_000 : unit.startsWith('h') ? n * 3_600_000 : n * 86_400_000;
    return new Date(now.getTime() - ms);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const t = Date.parse(text.trim());
    return Number.isFinite(t) ? new Date(t) : null;
  }
  return null;
}

/**
 * The pattern of one error message: ids, numbers, addresses and quoted values replaced by placeholders,
 * so that "user 42 not found" and "user 7 not found" group together.
 */
export function messageTemplate(message: string): string {
  return message
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
    .replace(/\b[a-z]+:\/\/[^\s'"]+/gi, '<url>')
    .replace(/\b0x[0-9a-f]+\b/gi, '<hex>')
    .replace(/\b[0-9a-f]{12,}\b/gi, '<hex>')
    .replace(/'[^']*'|"[^"]*"/g, '<str>')
    .replace(/\b\d+(?:\.\d+)?\b/g, '<n>')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

export interface ErrorPattern {
  /** `exception_type: template` — the grouping key. */
  readonly key: string;
  readonly exceptionType: string;
  readonly template: string;
  readonly level: string;
  /** Occurrences (events: each record weighted by how many it stands for). */
  readonly count: number;
  /** Records kept of those occurrences. */
  readonly records: number;
  /** Occurrences per agent type, most first. */
  readonly agents: readonly { readonly type: string; readonly count: number }[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Occurrences per time bucket of the window (same buckets as the analysis). */
  readonly buckets: readonly number[];
  /** Distinct message ids and agent instances among the kept records (a sample under load). */
  readonly messageIds: number;
  readonly agentKeys: number;
  readonly sample: LogRecord;
  readonly signal: ErrorSignal;
}

export interface AgentCorrelation {
  /** The agent whose errors come first. */
  readonly leader: string;
  readonly follower: string;
  /**
   * Follower errors with a leader error within the correlation window (or sharing a trace id). Read from
   * the kept records: under load (`LogAnalysis.sampled`) a count of the sample, not of all errors.
   */
  readonly matched: number;
  readonly followerTotal: number;
  /** Median delay from the leader's error to the follower's, ms. */
  readonly medianLagMs: number;
}

export interface LogAnalysis {
  readonly since: string;
  readonly until: string;
  readonly agent: string | null;
  /** Records kept in the window. */
  readonly totalRecords: number;
  /** Events they stand for (`totalRecords` unless the bridge sampled). */
  readonly totalEvents: number;
  readonly truncated: boolean;
  /** Events at WARNING or above (weighted). */
  readonly problems: number;
  /** Records kept of those events. */
  readonly problemRecords: number;
  /** Some records stand for more than one event: the bridge kept a sample and counted the rest. */
  readonly sampled: boolean;
  /** Patterns seen at least `rarePatternCount` times, most frequent first. */
  readonly patterns: readonly ErrorPattern[];
  /** Patterns seen fewer times: listed apart. */
  readonly sporadic: readonly ErrorPattern[];
  readonly bucketMs: number;
  /** Problems per bucket across the window. */
  readonly distribution: readonly number[];
  readonly distributionShape: string;
  readonly correlations: readonly AgentCorrelation[];
  /** The agent where a cascade starts, when errors of several agents move together. */
  readonly origin: string | null;
  readonly impact: {
    readonly agents: readonly { readonly type: string; readonly count: number }[];
    /** Distinct ids among the kept records (a sample when `sampled`). */
    readonly messageIds: number;
    readonly traceIds: number;
  };
}

export interface LogsInput {
  readonly runtime: string;
  readonly agent?: string | null;
  readonly since: Date;
  readonly until: Date;
  /** The minimum level asked for (for the title); grouping looks at WARNING and above. */
  readonly level?: string | null;
  readonly records: readonly LogRecord[];
  readonly truncated?: boolean;
  readonly info?: RuntimeInfo | null;
  readonly thresholds: Thresholds;
  readonly now: Date;
}

const BUCKETS = 12;
const SPARK = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  if (max === 0) return SPARK[0]!.repeat(values.length);
  return values.map((v) => (v === 0 ? '·' : SPARK[Math.min(SPARK.length - 1, Math.floor((v / max) * (SPARK.length - 1)))])).join('');
}

/**
 * The error text of a record. autogen-core's events carry a JSON object as the message (`payload`,
 * `handling_agent`, `exception`, `type`): the exception is the error; the payload is the user's data and
 * must neither split the grouping nor be repeated in Slack.
 */
export function recordText(r: LogRecord): string {
  const m = r.message ?? '';
  if (m.startsWith('{')) {
    try {
      const o = JSON.parse(m) as Record<string, unknown>;
      if (typeof o['exception'] === 'string') return o['exception'];
      if (typeof o['error'] === 'string') return o['error'];
    } catch { /* plain text that starts with a brace */ }
  }
  return m;
}

function isProblem(r: LogRecord): boolean {
  return levelRank(r.level) >= levelRank('WARNING') || !!r.exception_type;
}

function bucketOf(ts: number, since: number, bucketMs: number): number {
  return Math.min(BUCKETS - 1, Math.max(0, Math.floor((ts - since) / bucketMs)));
}

/** "12:03:10–12:03:55": the times of the problems themselves in one bucket, not the bucket's start. */
function spanIn(times: readonly number[], bucket: number, since: number, bucketMs: number): string {
  const inside = times.filter((t) => bucketOf(t, since, bucketMs) === bucket);
  if (inside.length === 0) return new Date(since + bucket * bucketMs).toISOString().slice(11, 19);
  const from = new Date(Math.min(...inside)).toISOString().slice(11, 19);
  const to = new Date(Math.max(...inside)).toISOString().slice(11, 19);
  return from === to ? from : `${from}–${to}`;
}

function describeShape(dist: readonly number[], bucketMs: number, since: number, times: readonly number[]): string {
  const total = dist.reduce((a, b) => a + b, 0);
  if (total === 0) return 'none';
  const max = Math.max(...dist);
  const peak = dist.indexOf(max);
  const nonEmpty = dist.filter((v) => v > 0).length;
  const half = Math.floor(dist.length / 2);
  const firstHalf = dist.slice(0, half).reduce((a, b) => a + b, 0);
  const secondHalf = total - firstHalf;
  const peakAt = spanIn(times, peak, since, bucketMs);
  if (max > total / 2 && nonEmpty <= 3) return `burst around ${peakAt} UTC (${max} of ${total})`;
  if (secondHalf >= firstHalf * 3 && firstHalf + secondHalf > 3) return 'rising: most occurrences in the second half of the window';
  if (nonEmpty >= dist.length * 0.6) return 'steady across the window';
  return `intermittent, peak around ${peakAt} UTC`;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? 0 : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** For every pair of agents with problems: how many of one's errors have one of the other's nearby. */
/** Milliseconds since the epoch with the sub-millisecond digits an ISO time carries (Date.parse drops them). */
function preciseMs(iso: string): number {
  const m = /\.(\d{3})(\d{1,6})/.exec(iso);
  return toMs(iso) + (m ? Number(`0.${m[2]}`) : 0);
}

export function correlateAgents(problems: readonly LogRecord[], windowMs: number): AgentCorrelation[] {
  const byAgent = new Map<string, { ts: number; trace: string | null }[]>();
  for (const [i, r] of problems.entries()) {
    if (!r.agent_type) continue;
    const list = byAgent.get(r.agent_type) ?? [];
    // The bridge stamps records to the microsecond and lists them in the order they happened: errors of one
    // cascade often share a millisecond, so the microseconds and then that order decide who failed first.
    list.push({ ts: preciseMs(r.ts) + i * 1e-6, trace: r.trace_id ?? null });
    byAgent.set(r.agent_type, list);
  }
  for (const list of byAgent.values()) list.sort((a, b) => a.ts - b.ts);
  const types = [...byAgent.keys()].sort();
  const out: AgentCorrelation[] = [];
  for (let i = 0; i < types.length; i++) {
    for (let j = i + 1; j < types.length; j++) {
      const a = types[i]!;
      const b = types[j]!;
      const ea = byAgent.get(a)!;
      const eb = byAgent.get(b)!;
      const lags: number[] = [];
      const byTrace = new Map<string, { ts: number; trace: string | null }>();
      for (const x of ea) if (x.trace && !byTrace.has(x.trace)) byTrace.set(x.trace, x);
      let k = 0;
      for (const e of eb) {
        while (k + 1 < ea.length && ea[k + 1]!.ts <= e.ts) k++;
        const candidates = [ea[k], ea[k + 1]].filter((x): x is { ts: number; trace: string | null } => !!x);
        const sameTrace = e.trace ? byTrace.get(e.trace) : undefined;
        const nearest = sameTrace ?? candidates.sort((x, y) => Math.abs(x.ts - e.ts) - Math.abs(y.ts - e.ts))[0];
        if (nearest && (sameTrace || Math.abs(nearest.ts - e.ts) <= windowMs)) lags.push(e.ts - nearest.ts);
      }
      const share = lags.length / eb.length;
      const reverseShare = Math.min(1, lags.length / ea.length);
      if (lags.length < 2 || share < 0.5 || reverseShare < 0.25) continue;
      const lag = median(lags);
      out.push(
        lag >= 0
          ? { leader: a, follower: b, matched: lags.length, followerTotal: eb.length, medianLagMs: lag }
          : { leader: b, follower: a, matched: lags.length, followerTotal: ea.length, medianLagMs: -lag },
      );
    }
  }
  return out.sort((x, y) => y.matched - x.matched);
}

/** The agent that leads the most correlations and follows none: where a cascade starts. */
export function cascadeOrigin(correlations: readonly AgentCorrelation[]): string | null {
  if (correlations.length === 0) return null;
  const lead = new Map<string, number>();
  const follows = new Set<string>();
  for (const c of correlations) {
    if (c.medianLagMs > 0) {
      lead.set(c.leader, (lead.get(c.leader) ?? 0) + 1);
      follows.add(c.follower);
    }
  }
  const roots = [...lead.entries()].filter(([a]) => !follows.has(a)).sort((x, y) => y[1] - x[1]);
  return roots[0]?.[0] ?? null;
}

function sumEvents(records: readonly LogRecord[]): number {
  return records.reduce((n, r) => n + eventsOf(r), 0);
}

export function analyseLogs(input: LogsInput): LogAnalysis {
  const since = input.since.getTime();
  const until = Math.max(input.until.getTime(), since + 1);
  const bucketMs = (until - since) / BUCKETS;
  const records = input.agent ? input.records.filter((r) => r.agent_type === input.agent) : input.records;
  const problems = records.filter(isProblem);
  const groups = new Map<string, LogRecord[]>();
  for (const r of problems) {
    const type = r.exception_type || r.event || r.level;
    const key = `${type}: ${messageTemplate(recordText(r))}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const dependencies = input.info?.dependencies ?? [];
  const all: ErrorPattern[] = [...groups.entries()].map(([key, list]) => {
    const sorted = [...list].sort((a, b) => toMs(a.ts) - toMs(b.ts));
    const agents = new Map<string, number>();
    const buckets = new Array<number>(BUCKETS).fill(0);
    for (const r of sorted) {
      const t = r.agent_type ?? 'runtime';
      const n = eventsOf(r);
      agents.set(t, (agents.get(t) ?? 0) + n);
      // the events a record stands for fall within the same second as the record (the bridge's budget is per second)
      const ts = toMs(r.ts);
      if (Number.isFinite(ts)) buckets[bucketOf(ts, since, bucketMs)]! += n;
    }
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    const sample = [...sorted].reverse().find((r) => r.traceback) ?? last;
    const exceptionType = first.exception_type || first.event || first.level;
    return {
      key,
      exceptionType,
      template: messageTemplate(recordText(first)),
      level: sorted.reduce((lvl, r) => (levelRank(r.level) > levelRank(lvl) ? r.level : lvl), first.level),
      count: sumEvents(sorted),
      records: sorted.length,
      agents: [...agents.entries()].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
      firstSeen: first.ts,
      lastSeen: last.ts,
      buckets,
      messageIds: new Set(sorted.map((r) => r.message_id).filter(Boolean)).size,
      agentKeys: new Set(sorted.map((r) => `${r.agent_type}/${r.agent_key}`).filter((k) => !k.endsWith('/null') && !k.endsWith('/undefined'))).size,
      sample,
      signal: readErrorSignal({ exception_type: first.exception_type, message: recordText(sample), phase: first.event === 'AgentConstructionExceptionEvent' ? 'construction' : null, dependencies }),
    };
  });
  all.sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
  const distribution = new Array<number>(BUCKETS).fill(0);
  for (const p of all) p.buckets.forEach((v, i) => (distribution[i]! += v));
  const correlations = correlateAgents(problems, input.thresholds.correlationWindowMs);
  const agentCounts = new Map<string, number>();
  for (const r of problems) agentCounts.set(r.agent_type ?? 'runtime', (agentCounts.get(r.agent_type ?? 'runtime') ?? 0) + eventsOf(r));
  return {
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    agent: input.agent ?? null,
    totalRecords: records.length,
    totalEvents: sumEvents(records),
    truncated: input.truncated === true,
    problems: sumEvents(problems),
    problemRecords: problems.length,
    sampled: records.some((r) => eventsOf(r) > 1),
    patterns: all.filter((p) => p.count >= input.thresholds.rarePatternCount),
    sporadic: all.filter((p) => p.count < input.thresholds.rarePatternCount),
    bucketMs,
    distribution,
    distributionShape: describeShape(distribution, bucketMs, since, problems.map((r) => toMs(r.ts)).filter(Number.isFinite)),
    correlations,
    origin: cascadeOrigin(correlations),
    impact: {
      agents: [...agentCounts.entries()].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
      messageIds: new Set(problems.map((r) => r.message_id).filter(Boolean)).size,
      traceIds: new Set(problems.map((r) => r.trace_id).filter(Boolean)).size,
    },
  };
}

/** How many patterns become findings (and evidence lines); the rest are counted and left to the file. */
export const MAX_PATTERN_FINDINGS = 6;

function agentsOf(p: ErrorPattern): string {
  return p.agents.map((a) => `${a.type} ×${formatCount(a.count)}`).join(', ');
}

/** " (from 6 kept records)" when the pattern's records stand for more events than themselves. */
function keptOf(p: ErrorPattern): string {
  return p.count > p.records ? ` (from ${plural(p.records, 'kept record')})` : '';
}

/** What a count read from the kept records is, when the bridge sampled: a figure of the sample. */
const SAMPLE_NOTE = 'under load the bridge keeps a sample of records and counts the rest';

function patternFinding(p: ErrorPattern): Finding {
  return {
    check: 'logs.pattern',
    status: levelRank(p.level) >= levelRank('ERROR') ? 'fail' : 'warn',
    category: p.signal.category,
    title: `${p.exceptionType} ×${formatCount(p.count)} (${p.signal.meaning})`,
    evidence: `"${p.template}" in ${agentsOf(p)}${keptOf(p)}; first ${p.firstSeen}, last ${p.lastSeen}`,
    fix: p.signal.fix,
    subject: p.agents[0]?.type ?? 'runtime',
    severity: p.count,
  };
}

export function logFindings(a: LogAnalysis): Finding[] {
  const findings: Finding[] = [];
  if (a.origin) {
    const spread = a.correlations.filter((c) => c.leader === a.origin).map((c) => c.follower);
    const originPattern = a.patterns.find((p) => p.agents.some((x) => x.type === a.origin)) ?? a.sporadic.find((p) => p.agents.some((x) => x.type === a.origin));
    const signal = originPattern?.signal;
    const total = a.impact.agents.reduce((n, x) => n + x.count, 0);
    findings.push({
      check: 'logs.cascade',
      status: 'fail',
      category: signal?.category ?? 'business_logic',
      title: `Cascade: errors start in ${a.origin} and spread to ${spread.join(', ')}`,
      evidence: a.correlations
        .filter((c) => c.leader === a.origin)
        .map((c) => `${c.matched}/${c.followerTotal} ${a.sampled ? `kept ${c.follower} error records` : `${c.follower} errors`} follow one in ${a.origin} (median ${formatMs(c.medianLagMs)} later)`)
        .join('; ') + (a.sampled ? ` — read from the kept records (${SAMPLE_NOTE})` : ''),
      fix: [GUIDE_FIXES.isolateFailing.replace('the failing agent', a.origin), ...(signal?.fix ?? [])],
      subject: a.origin,
      severity: total + 1,
    });
  }
  for (const p of a.patterns.slice(0, MAX_PATTERN_FINDINGS)) findings.push(patternFinding(p));
  const hidden = a.patterns.length - MAX_PATTERN_FINDINGS;
  if (hidden > 0) {
    const count = a.patterns.slice(MAX_PATTERN_FINDINGS).reduce((n, p) => n + p.count, 0);
    findings.push({
      check: 'logs.more_patterns',
      status: 'warn',
      category: 'business_logic',
      title: `${plural(hidden, 'more pattern')} (${formatCount(count)} occurrence${count === 1 ? '' : 's'})`,
      evidence: 'listed in the attached analysis',
      fix: [],
      severity: 0,
    });
  }
  if (a.sporadic.length > 0) {
    const top = a.sporadic[0]!;
    findings.push({
      check: 'logs.sporadic',
      status: 'warn',
      category: top.signal.category,
      title: `${plural(a.sporadic.length, 'sporadic pattern')} (seen fewer than 3 times each)`,
      evidence: a.sporadic.slice(0, 3).map((p) => `${p.exceptionType} ×${formatCount(p.count)} in ${p.agents.map((x) => x.type).join(', ')}`).join('; ') + (a.sporadic.length > 3 ? '; …' : ''),
      fix: top.signal.fix,
      subject: top.agents[0]?.type ?? 'runtime',
      severity: 0,
    });
  }
  if (findings.length === 0) {
    findings.push({
      check: 'logs.none',
      status: 'ok',
      category: 'business_logic',
      title: 'No warnings or errors',
      evidence: `${plural(a.totalRecords, 'record')} in the window, none at WARNING or above`,
      fix: [],
    });
  }
  return findings;
}

function windowLabel(a: LogAnalysis): string {
  return `${a.since.slice(0, 16).replace('T', ' ')} – ${a.until.slice(0, 16).replace('T', ' ')} UTC`;
}

/** The full analysis as Markdown, for the attached file. */
export function logAnalysisMarkdown(a: LogAnalysis, runtime: string): string {
  const out: string[] = [];
  out.push(`# Log analysis — runtime ${runtime}${a.agent ? `, agent ${a.agent}` : ''}`, '');
  out.push(`Window: ${windowLabel(a)}  `);
  out.push(a.sampled
    ? `Records: ${a.totalRecords} kept, standing for ${formatCount(a.totalEvents)} events (${SAMPLE_NOTE}; each record says how many events it stands for)${a.truncated ? ' (truncated by the bridge: newest records only)' : ''}; warnings and errors: ${formatCount(a.problems)} (in ${plural(a.problemRecords, 'record')})`
    : `Records: ${a.totalRecords}${a.truncated ? ' (truncated by the bridge: newest records only)' : ''}; warnings and errors: ${a.problems}`, '');
  out.push('## Time distribution', '', `\`${sparkline(a.distribution)}\` — ${a.distributionShape} (buckets of ${formatMs(a.bucketMs)})`, '');
  out.push('## Correlations between agents', '');
  if (a.correlations.length === 0) out.push('None found.');
  else if (a.sampled) out.push(`Read from the kept records (${SAMPLE_NOTE}): counts of records, not of all errors.`, '');
  for (const c of a.correlations) out.push(`- ${c.follower} follows ${c.leader}: ${c.matched}/${c.followerTotal} ${a.sampled ? 'kept error records' : 'errors'}, median lag ${formatMs(c.medianLagMs)}`);
  if (a.origin) out.push('', `Cascade origin: **${a.origin}**`);
  out.push('', '## Impact', '');
  for (const x of a.impact.agents) out.push(`- ${x.type}: ${formatCount(x.count)}`);
  out.push(a.sampled
    ? `- distinct messages among the kept records: ${a.impact.messageIds}; traces: ${a.impact.traceIds} (a sample: more may be affected)`
    : `- distinct messages affected: ${a.impact.messageIds}; traces: ${a.impact.traceIds}`, '');
  const section = (title: string, list: readonly ErrorPattern[]): void => {
    out.push(`## ${title} (${list.length})`, '');
    if (list.length === 0) out.push('None.', '');
    for (const p of list) {
      out.push(`### ${p.exceptionType} ×${formatCount(p.count)} — ${p.signal.meaning}`, '');
      out.push(`- pattern: \`${p.template}\``);
      out.push(`- category: ${p.signal.category}; level: ${p.level}`);
      out.push(`- agents: ${agentsOf(p)}; agent instances: ${p.agentKeys}; messages: ${p.messageIds}${p.count > p.records ? ` (instances and messages among the ${plural(p.records, 'kept record')})` : ''}`);
      out.push(`- first: ${p.firstSeen}; last: ${p.lastSeen}; distribution: \`${sparkline(p.buckets)}\``);
      out.push(`- suggested fixes:`);
      for (const f of p.signal.fix) out.push(`  - ${f}`);
      if (p.sample.traceback) out.push('', '```', p.sample.traceback.slice(0, 4000), '```');
      out.push('');
    }
  };
  section('Error patterns', a.patterns);
  section('Sporadic patterns (seen fewer than 3 times)', a.sporadic);
  return out.join('\n');
}

export function logsReport(input: LogsInput, analysis: LogAnalysis = analyseLogs(input)): GuideReport {
  const a = analysis;
  const subject = input.agent ? `Logs of ${input.agent}` : `Logs of runtime ${input.runtime}`;
  const stamp = input.now.toISOString().replace(/[-:]/g, '').slice(0, 13);
  const sections: ReportSection[] = [
    {
      title: 'Summary',
      lines: [
        a.sampled
          ? `${windowLabel(a)}: ${formatCount(a.totalEvents)} events in ${plural(a.totalRecords, 'record')} (${SAMPLE_NOTE})${a.truncated ? ' (truncated: newest only)' : ''}, ${formatCount(a.problems)} at WARNING or above`
          : `${windowLabel(a)}: ${plural(a.totalRecords, 'record')}${a.truncated ? ' (truncated: newest only)' : ''}, ${a.problems} at WARNING or above`,
        `${plural(a.patterns.length, 'pattern')}, ${plural(a.sporadic.length, 'sporadic pattern')}`,
        `Time distribution: ${sparkline(a.distribution)} ${a.distributionShape}`,
        a.impact.agents.length
          ? `Impact: ${a.impact.agents.map((x) => `${x.type} ${formatCount(x.count)}`).join(', ')}; ${a.sampled ? `${plural(a.impact.messageIds, 'distinct message')} among the kept records` : `${plural(a.impact.messageIds, 'message')} affected`}`
          : 'Impact: none',
        ...(a.correlations.length ? [`Correlations${a.sampled ? ' (kept records)' : ''}: ${a.correlations.slice(0, 3).map((c) => `${c.leader} → ${c.follower} (${c.matched})`).join(', ')}`] : []),
      ],
    },
  ];
  const attachment =
    a.problems > 0
      ? {
          filename: `logs-${input.runtime}-${input.agent ?? 'all'}-${stamp}.md`,
          title: `Log analysis ${input.runtime}${input.agent ? ` ${input.agent}` : ''} (full)`,
          mimeType: 'text/markdown',
          content: logAnalysisMarkdown(a, input.runtime),
        }
      : undefined;
  const windowMin = Math.max(1, Math.round((input.until.getTime() - input.since.getTime()) / 60_000));
  const args = [input.agent, `${windowMin}m`, input.level && input.level !== 'WARNING' ? input.level : null].filter(Boolean).join(' ');
  return assembleReport({
    tool: 'logs',
    runtime: input.runtime,
    subject,
    now: input.now,
    findings: logFindings(a),
    sections,
    ...(attachment ? { attachment } : {}),
    collected: [`logs ${windowLabel(a)}${input.level ? ` at ${input.level}+` : ''}`],
    verifyCommand: `/autogen logs ${args}${input.runtime ? ` ${input.runtime}` : ''}`,
    snapshotCommand: `/autogen snapshot ${input.runtime}`,
    healthyHeadline: `${subject}: no warnings or errors in the window`,
  });
}
