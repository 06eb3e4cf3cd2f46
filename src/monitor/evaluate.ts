/**
 * The monitor's decision: which of the guide's thresholds one runtime crosses right now.
 *
 * Pure over bridge data shaped as in docs/bridge-api.md (`GET /v1/runtime`, `GET /v1/agents`), with the
 * clock passed in. Agents are judged over the bridge's short `recent` window (default 60 s), so a slow or
 * failing agent shows within a minute and a recovered one clears within a minute; a bridge without it is
 * judged over its long statistics window. Checks (guide §2.3 and §4.2; numbers from the `thresholds`
 * configuration):
 *   - an agent's average response time above `avgResponseMs` (2 s), or its p95 above `p95ResponseMs` (2 s),
 *     once it handled `latencyMinSamples` (20) messages in the window: a handful of slow first calls while a
 *     fleet warms up is not slowness, and over a few messages a "p95" is only the slowest call (p99 is shown
 *     beside them, never judged)
 *   - runtime memory (RSS) above `memoryMb` (512 MB)
 *   - runtime CPU above `cpuPercent` (80 %)
 *   - an agent's error rate above `errorRate` (5 %), once it handled `minSamples` messages in the window
 *   - in-flight over the maximum concurrency above `concurrencyRatio` (90 %), per agent and runtime-wide;
 *     the maximum is the backpressure limit, or `defaultMaxConcurrency` (100) when none is set
 *   - the runtime's queue backlog above `queueDepth` (10)
 *   - an agent's errors: an error in the window, or agent construction failures
 *
 * An isolated or degraded agent handles nothing, so it shows nothing: `heldAgents` names them, and the
 * monitor keeps their alerts open (mitigated, not healthy) until they are released and judged again.
 */
import type { Severity } from '../incidents/severity.js';
import { labelOf } from '../runtime/resolve-agent.js';
import type {
  AgentSummary, DegradedState, ErrorRecord, Fields, LatencyStats, MaybeFields, RecentWindow, RuntimeInfo, TeamInfo,
} from '../runtime/schemas.js';

/** The thresholds the monitor reads (a subset of the configuration's `thresholds` section). */
export interface MonitorThresholds {
  readonly avgResponseMs: number;
  readonly p95ResponseMs: number;
  readonly memoryMb: number;
  readonly cpuPercent: number;
  readonly errorRate: number;
  readonly concurrencyRatio: number;
  readonly defaultMaxConcurrency: number;
  readonly queueDepth: number;
}

export const GUIDE_THRESHOLDS: MonitorThresholds = Object.freeze({
  avgResponseMs: 2000,
  p95ResponseMs: 2000,
  memoryMb: 512,
  cpuPercent: 80,
  errorRate: 0.05,
  concurrencyRatio: 0.9,
  defaultMaxConcurrency: 100,
  queueDepth: 10,
});

/** Monitor options that are not thresholds. */
export interface MonitorOptions {
  /** Messages an agent must have handled in the stats window before its error rate is judged. Default 5. */
  readonly minSamples: number;
  /** Messages an agent must have handled in the judged window before its latency is judged. Default 20. */
  readonly latencyMinSamples: number;
  /** Stats window (seconds) used when the bridge does not state `stats_window_s`. Default 300. */
  readonly defaultWindowS: number;
}

export const DEFAULT_MONITOR_OPTIONS: MonitorOptions = Object.freeze({ minSamples: 5, latencyMinSamples: 20, defaultWindowS: 300 });

/** What the monitor reads of `GET /v1/runtime` (the model of the bridge's answers: `src/runtime/schemas.ts`). */
export type RuntimeView = Readonly<MaybeFields<RuntimeInfo,
  'queue_depth' | 'inflight' | 'max_inflight' | 'rss_bytes' | 'cpu_percent' | 'stats_window_s' | 'recent_window_s' | 'isolated'>
  & { degraded?: Readonly<MaybeFields<DegradedState, 'active' | 'agent_types'>> | null }>;

/** Latency figures, ms. */
export type LatencyView = Readonly<Fields<LatencyStats, 'count'> & MaybeFields<LatencyStats, 'avg' | 'p95' | 'p99'>>;

/** An agent's figures over the bridge's short recent window. */
export type RecentWindowView = Readonly<Fields<RecentWindow, 'window_s' | 'count' | 'errors'> & MaybeFields<RecentWindow, 'error_rate'>
  & { latency_ms?: LatencyView | null }>;

/**
 * What the monitor reads of one entry of `GET /v1/agents`: the stable name of an AgentChat participant and
 * its team (see `labelOf`); `recent`, absent from bridges that do not report it.
 */
export type AgentView = Readonly<Fields<AgentSummary, 'type'> & MaybeFields<AgentSummary,
  'name' | 'inflight' | 'max_inflight' | 'error_rate' | 'construction_errors' | 'handled_total' | 'isolated' | 'degraded'>
  & {
    team?: Readonly<Fields<TeamInfo, 'name'>> | null;
    latency_ms?: LatencyView | null;
    last_error?: Readonly<Fields<ErrorRecord, 'ts'> & MaybeFields<ErrorRecord, 'exception_type' | 'message'>> | null;
    recent?: RecentWindowView | null;
  }>;

/** The window an agent is judged over: `recent` when the bridge reports it, else the long stats window. */
interface JudgedWindow {
  readonly label: string;
  readonly count: number;
  readonly errorRate: number;
  readonly errors: number | null;
  readonly latency: LatencyView;
}

function judgedWindow(a: AgentView, statsWindowS: number): JudgedWindow {
  const r = a.recent;
  if (r) {
    const latency = r.latency_ms ?? { count: 0 };
    return { label: `last ${round(r.window_s, 0)} s`, count: r.count, errors: r.errors,
      errorRate: r.error_rate ?? (r.count > 0 ? r.errors / r.count : 0), latency };
  }
  const latency = a.latency_ms ?? { count: 0 };
  return { label: `last ${round(statsWindowS, 0)} s`, count: latency.count, errors: null, errorRate: a.error_rate ?? 0, latency };
}

/** Agents held back by an operator or a plan: isolated, or shed by a degrade. */
export function heldAgents(runtime: RuntimeView, agents: readonly AgentView[]): Map<string, 'isolated' | 'degraded'> {
  const out = new Map<string, 'isolated' | 'degraded'>();
  const shed = runtime.degraded?.active === false ? [] : (runtime.degraded?.agent_types ?? []);
  for (const a of agents) {
    if (a.isolated === true || (runtime.isolated ?? []).includes(a.type)) out.set(labelOf(a), 'isolated');
    else if (a.degraded === true || shed.includes(a.type)) out.set(labelOf(a), 'degraded');
  }
  return out;
}

export const MONITOR_ALERTS = {
  slow: 'AutoGenAgentSlowResponse',
  memory: 'AutoGenRuntimeHighMemory',
  cpu: 'AutoGenRuntimeHighCpu',
  errorRate: 'AutoGenAgentHighErrorRate',
  agentConcurrency: 'AutoGenAgentConcurrencySaturated',
  runtimeConcurrency: 'AutoGenRuntimeConcurrencySaturated',
  backlog: 'AutoGenRuntimeQueueBacklog',
  agentErrors: 'AutoGenAgentErrors',
  unreachable: 'AutoGenRuntimeUnreachable',
} as const;

/** One threshold crossed. `id` is stable across polls while the same condition holds. */
export interface Finding {
  readonly id: string;
  readonly alertname: string;
  readonly agent: string | null;
  readonly severity: Severity;
  /** One line: what, where, value against threshold. */
  readonly summary: string;
  readonly value: number;
  readonly threshold: number;
}

function finding(alertname: string, agent: string | null, severity: Severity, summary: string, value: number, threshold: number): Finding {
  return { id: agent === null ? alertname : `${alertname}/${agent}`, alertname, agent, severity, summary, value, threshold };
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const pct = (ratio: number): string => `${round(ratio * 100, 1)} %`;

/** The thresholds `runtime` and `agents` cross at `nowMs`. */
export function evaluate(
  runtime: RuntimeView,
  agents: readonly AgentView[],
  t: MonitorThresholds,
  nowMs: number,
  opts: MonitorOptions = DEFAULT_MONITOR_OPTIONS,
): Finding[] {
  const out: Finding[] = [];
  const windowS = runtime.stats_window_s ?? opts.defaultWindowS;

  const rssMb = (runtime.rss_bytes ?? 0) / (1024 * 1024);
  if (rssMb > t.memoryMb) {
    out.push(finding(MONITOR_ALERTS.memory, null, 'warning', `memory ${round(rssMb, 0)} MB > ${t.memoryMb} MB`, rssMb, t.memoryMb));
  }
  const cpu = runtime.cpu_percent ?? 0;
  if (cpu > t.cpuPercent) {
    out.push(finding(MONITOR_ALERTS.cpu, null, 'warning', `CPU ${round(cpu, 1)} % > ${t.cpuPercent} %`, cpu, t.cpuPercent));
  }
  const depth = runtime.queue_depth ?? 0;
  if (depth > t.queueDepth) {
    out.push(finding(MONITOR_ALERTS.backlog, null, 'warning', `queue backlog ${depth} messages > ${t.queueDepth}`, depth, t.queueDepth));
  }
  const runtimeMax = runtime.max_inflight ?? t.defaultMaxConcurrency;
  const runtimeRatio = runtimeMax > 0 ? (runtime.inflight ?? 0) / runtimeMax : 0;
  if (runtimeRatio > t.concurrencyRatio) {
    out.push(finding(MONITOR_ALERTS.runtimeConcurrency, null, 'warning',
      `${runtime.inflight ?? 0} in flight of max ${runtimeMax} (${pct(runtimeRatio)} > ${pct(t.concurrencyRatio)})`, runtimeRatio, t.concurrencyRatio));
  }

  for (const a of agents) {
    const w = judgedWindow(a, windowS);
    // AgentChat participants by their stable name: an incident, a silence or a runbook about them still
    // applies after the application restarts with new team ids.
    const name = labelOf(a);
    const slow = slowness(name, w, t, opts.latencyMinSamples);
    if (slow) out.push(slow);
    const samples = w.count;
    const rate = w.errorRate;
    if (samples >= opts.minSamples && rate > t.errorRate) {
      out.push(finding(MONITOR_ALERTS.errorRate, name, 'critical',
        `${name} error rate ${pct(rate)} > ${pct(t.errorRate)} (${samples} messages, ${w.label})`, rate, t.errorRate));
    }
    const max = a.max_inflight ?? t.defaultMaxConcurrency;
    const ratio = max > 0 ? (a.inflight ?? 0) / max : 0;
    if (ratio > t.concurrencyRatio) {
      out.push(finding(MONITOR_ALERTS.agentConcurrency, name, 'warning',
        `${name}: ${a.inflight ?? 0} in flight of max ${max} (${pct(ratio)} > ${pct(t.concurrencyRatio)})`, ratio, t.concurrencyRatio));
    }
    const lastErrorMs = a.last_error ? Date.parse(a.last_error.ts) : NaN;
    const recentError = w.errors !== null ? w.errors > 0 : !Number.isNaN(lastErrorMs) && nowMs - lastErrorMs <= windowS * 1000;
    const construction = a.construction_errors ?? 0;
    if (recentError || construction > 0) {
      const what = a.last_error?.exception_type ?? (construction > 0 ? 'construction failure' : 'error');
      const detail = construction > 0 ? `${construction} construction failure(s)` : `last: ${what}`;
      out.push(finding(MONITOR_ALERTS.agentErrors, name, 'error', `${name} is raising errors (${detail})`, construction > 0 ? construction : 1, 0));
    }
  }
  return out;
}

const secs = (ms: number): string => `${round(ms / 1000)} s`;

/**
 * Slow: the average or the p95 over its threshold, once `minSamples` messages were handled in the window.
 * Fewer prove nothing (a fleet's first calls are slow; over five messages the "p95" is the slowest one): no
 * latency alert is raised on them, and an open one resolves when the agent's traffic falls below that.
 */
function slowness(agent: string, w: JudgedWindow, t: MonitorThresholds, minSamples: number): Finding | null {
  const { count, avg, p95, p99 } = { count: w.latency.count, avg: w.latency.avg ?? null, p95: w.latency.p95 ?? null, p99: w.latency.p99 ?? null };
  if (count <= 0 || count < minSamples) return null;
  const tail = [p95 !== null ? `p95 ${secs(p95)}` : '', p99 !== null ? `p99 ${secs(p99)}` : ''].filter(Boolean).join(', ');
  const over = `${tail ? `${tail}; ` : ''}${count} messages, ${w.label}`;
  if (avg !== null && avg > t.avgResponseMs) {
    return finding(MONITOR_ALERTS.slow, agent, 'warning', `${agent} average response ${secs(avg)} > ${secs(t.avgResponseMs)} (${over})`, avg, t.avgResponseMs);
  }
  if (p95 !== null && p95 > t.p95ResponseMs) {
    return finding(MONITOR_ALERTS.slow, agent, 'warning',
      `${agent} p95 response ${secs(p95)} > ${secs(t.p95ResponseMs)} (average ${secs(avg ?? 0)}${p99 !== null ? `, p99 ${secs(p99)}` : ''}; ${count} messages, ${w.label})`, p95, t.p95ResponseMs);
  }
  return null;
}

/** The finding raised while a runtime's bridge cannot be read. */
export function unreachableFinding(runtime: string, reason: string): Finding {
  return finding(MONITOR_ALERTS.unreachable, null, 'critical', `runtime ${runtime} bridge unreachable: ${reason}`, 1, 0);
}
