/**
 * `/autogen health` — the guide's health-check script (§5.1) over the bridge's runtime and agent data:
 * runtime and agents up, queue depth, memory and disk below 80 %, errors in the last hour, configured
 * dependencies reachable. Pure: pass the data and `now` in.
 */
import type { AgentSummary, RuntimeInfo } from '../runtime/schemas.js';
import { judgedWindow } from './windows.js';
import { labelOf } from '../runtime/resolve-agent.js';
import type { Finding } from './classify.js';
import { dependencyCategory, GUIDE_FIXES, readErrorSignal } from './error-signals.js';
import { assembleReport, type GuideReport, type ReportSection } from './guide-report.js';
import { formatMb, formatMs, formatPercent, formatShare, plural } from './quantities.js';
import type { Thresholds } from './thresholds.js';

export interface HealthInput {
  readonly runtime: string;
  readonly info: RuntimeInfo;
  readonly agents: readonly AgentSummary[];
  readonly thresholds: Thresholds;
  readonly now: Date;
}

function runtimeFinding(info: RuntimeInfo): Finding {
  const uptime = info.uptime_s != null ? `up ${formatMs(info.uptime_s * 1000)}` : 'up';
  const version = info.autogen_core_version ? `, autogen-core ${info.autogen_core_version}` : '';
  const bridge = info.bridge_accelerated === false
    ? '; the bridge runs without its C accelerator (built where a C compiler is at hand), so an error storm costs the app more'
    : '';
  return {
    check: 'health.runtime',
    status: 'ok',
    category: 'network',
    title: `Runtime ${info.name} up`,
    evidence: `${uptime}${version}${bridge}`,
    fix: [],
    subject: info.name,
  };
}

/** One finding per agent type in trouble; one summary finding when all are fine. */
export function agentFindings(info: RuntimeInfo, agents: readonly AgentSummary[]): Finding[] {
  const out: Finding[] = [];
  const byType = new Map(agents.map((a) => [a.type, a]));
  for (const type of info.agent_types ?? []) {
    if (!byType.has(type)) {
      out.push({
        check: 'health.agent_registered',
        status: 'fail',
        category: 'agent_creation',
        title: `${type} not registered`,
        evidence: 'the runtime lists the type but the bridge has no agent for it',
        fix: [GUIDE_FIXES.registerFactory],
        subject: type,
      });
    }
  }
  for (const a of agents) {
    if (!a.registered) {
      out.push({
        check: 'health.agent_registered',
        status: 'fail',
        category: 'agent_creation',
        title: `${labelOf(a)} not registered`,
        evidence: 'no factory registered for this agent type',
        fix: [GUIDE_FIXES.registerFactory],
        subject: a.type,
      });
      continue;
    }
    const constructionErrors = a.construction_errors ?? 0;
    if (constructionErrors > 0) {
      const last = a.last_error?.phase === 'construction' ? a.last_error : null;
      const signal = readErrorSignal(last ?? { phase: 'construction' });
      const sample = last ? `; last: ${last.exception_type ?? 'error'}: ${last.message ?? ''}` : '';
      out.push({
        check: 'health.agent_construction',
        status: 'fail',
        category: 'agent_creation',
        title: `${labelOf(a)} cannot be created`,
        evidence: `${plural(constructionErrors, 'construction error')} (${signal.meaning})${sample}`,
        fix: signal.fix,
        subject: a.type,
        severity: constructionErrors,
      });
    }
    if (a.isolated) {
      out.push({
        check: 'health.agent_isolated',
        status: 'warn',
        category: 'message_delivery',
        title: `${labelOf(a)} isolated`,
        evidence: 'messages to it are refused or held until it is released',
        fix: ['Release it once its fault is fixed (`/autogen recover` plans the release)'],
        subject: a.type,
      });
    }
    if (a.degraded) {
      out.push({
        check: 'health.agent_degraded',
        status: 'warn',
        category: 'performance',
        title: `${labelOf(a)} shed by degradation`,
        evidence: 'the runtime is in degraded mode and skips this optional agent',
        fix: ['Restore the agent when the load or fault that caused the degradation is gone'],
        subject: a.type,
      });
    }
  }
  if (out.length === 0) {
    const instances = agents.reduce((n, a) => n + (a.instances?.length ?? 0), 0);
    out.push({
      check: 'health.agents',
      status: 'ok',
      category: 'agent_creation',
      title: `${plural(agents.length, 'agent type')} up`,
      evidence: `${plural(instances, 'instance')} active: ${agents.map(labelOf).join(', ') || 'none'}`,
      fix: [],
    });
  }
  return out;
}

function queueFinding(info: RuntimeInfo, t: Thresholds): Finding {
  const depth = info.queue_depth ?? 0;
  const over = depth > t.queueDepth;
  return {
    check: 'health.queue_depth',
    status: over ? (depth > t.queueDepth * 10 ? 'fail' : 'warn') : 'ok',
    category: 'message_delivery',
    title: over ? `Runtime queue backed up` : 'Runtime queue drains',
    evidence: `${plural(depth, 'message')} waiting (threshold ${t.queueDepth})`,
    fix: over ? [GUIDE_FIXES.backpressure, GUIDE_FIXES.scaleAgents] : [],
    severity: t.queueDepth > 0 ? depth / t.queueDepth : depth,
  };
}

function percentFinding(
  check: string,
  value: number | null | undefined,
  limit: number,
  what: string,
  category: 'resources' | 'storage',
  fix: readonly string[],
): Finding | null {
  if (value == null) return null;
  const over = value >= limit;
  return {
    check,
    status: over ? 'warn' : 'ok',
    category,
    title: over ? `${what} use high` : `${what} use normal`,
    evidence: `${formatPercent(value)} (threshold ${formatPercent(limit)})`,
    fix: over ? fix : [],
    severity: value / limit,
  };
}

/**
 * The agents whose errors are their own: not explained by a failed call to another agent (the bridge's
 * message graph). Their latest error says what the runtime's errors mean; a caller's error only repeats it.
 */
function originErrors(agents: readonly AgentSummary[]): NonNullable<AgentSummary['last_error']>[] {
  const named = new Set(agents.flatMap((a) => a.failure_origins ?? []));
  const own = agents.filter((a) => (a.failure_origins ?? []).length === 0);
  const preferred = own.filter((a) => named.has(a.type));
  return (preferred.length > 0 ? preferred : own.length > 0 ? own : agents)
    .map((a) => a.last_error)
    .filter((e): e is NonNullable<AgentSummary['last_error']> => e != null)
    .sort((a, b) => Date.parse(b.ts) - Date.parse(a.ts));
}

function errorsFinding(info: RuntimeInfo, agents: readonly AgentSummary[], t: Thresholds): Finding | null {
  const count = info.errors_last_hour;
  if (count == null) return null;
  if (count <= t.errorsLastHour) {
    return { check: 'health.errors', status: 'ok', category: 'business_logic', title: 'No errors in the last hour', evidence: `${count} errors`, fix: [] };
  }
  const latest = originErrors(agents)[0];
  const signal = latest ? readErrorSignal({ ...latest, dependencies: info.dependencies ?? [] }) : null;
  const labels = new Map(agents.map((a) => [a.type, labelOf(a)]));
  const where = latest?.agent_type ? labels.get(latest.agent_type) ?? latest.agent_type : '?';
  const sample = latest ? `; latest at the origin: ${where} ${latest.exception_type ?? 'error'}: ${latest.message ?? ''}` : '';
  // Errors now at a rate above the guide's threshold are a failure, not a warning about the past hour.
  const failing = agents
    .map((a) => ({ a, rate: judgedWindow(a, info).errorRate }))
    .filter(({ rate }) => rate > t.errorRate)
    .sort((x, y) => y.rate - x.rate);
  const worst = failing[0];
  const rates = failing.slice(0, 3).map(({ a, rate }) => `${labelOf(a)} ${formatShare(rate)}`).join(', ');
  const origin = latest?.agent_type && agents.some((a) => (a.failure_origins ?? []).includes(latest.agent_type ?? '')) ? `; they start in ${where}` : '';
  return {
    check: 'health.errors',
    status: worst ? 'fail' : 'warn',
    category: signal?.category ?? 'business_logic',
    title: worst ? `Errors above ${formatShare(t.errorRate)}: ${rates}${origin}` : `${plural(count, 'error')} in the last hour`,
    evidence: `${plural(count, 'error')} in the last hour (threshold ${t.errorsLastHour})${sample}`,
    fix: [...(signal?.fix ?? []), GUIDE_FIXES.inspectLogs],
    ...(latest?.agent_type ? { subject: latest.agent_type } : {}),
    severity: worst ? worst.rate / t.errorRate : count,
  };
}

function dependencyFindings(info: RuntimeInfo): Finding[] {
  return (info.dependencies ?? []).map((dep) => {
    const category = dependencyCategory(dep);
    const where = dep.url ? ` (${dep.url})` : '';
    if (dep.reachable !== false) {
      const latency = dep.reachable == null ? 'not probed by the bridge' : dep.latency_ms != null ? `answers in ${formatMs(dep.latency_ms)}` : 'answers';
      return { check: 'health.dependency', status: 'ok', category, title: `Dependency ${dep.name} reachable`, evidence: `${latency}${where}`, fix: [], subject: dep.name };
    }
    const signal = readErrorSignal({ message: `${dep.name}: ${dep.error ?? 'connection refused'}`, dependencies: [dep] });
    return {
      check: 'health.dependency',
      status: 'fail',
      category,
      title: `Dependency ${dep.name} unreachable`,
      evidence: `${dep.error ?? 'no answer'}${where}`,
      fix: signal.fix,
      subject: dep.name,
      // a dependency that does not answer explains the errors of the agents that use it
      explains: 1,
    };
  });
}

function agentTable(agents: readonly AgentSummary[]): ReportSection {
  return {
    title: 'Agents',
    lines: agents.map((a) => {
      const flags = [a.isolated ? 'isolated' : null, a.degraded ? 'degraded' : null, a.backpressured ? 'backpressured' : null].filter(Boolean);
      const avg = a.latency_ms?.count && a.latency_ms.avg != null ? `avg ${formatMs(a.latency_ms.avg)}` : 'no traffic';
      const rate = a.error_rate != null ? `${formatShare(a.error_rate)} errors` : '';
      return [`${labelOf(a)}: ${plural(a.instances?.length ?? 0, 'instance')}`, `${a.handled_total ?? 0} handled`, rate, avg, ...flags].filter(Boolean).join(', ');
    }),
  };
}

export function evaluateHealth(input: HealthInput): GuideReport {
  const { info, agents, thresholds: t } = input;
  const findings: Finding[] = [
    runtimeFinding(info),
    ...agentFindings(info, agents),
    queueFinding(info, t),
    ...[
      percentFinding('health.memory', info.memory_percent, t.memoryPercent, 'Memory', 'resources', [GUIDE_FIXES.memoryCleanup, GUIDE_FIXES.leakHunt]),
      percentFinding('health.disk', info.disk_percent, t.diskPercent, 'Disk', 'storage', [GUIDE_FIXES.freeDisk]),
      errorsFinding(info, agents, t),
    ].filter((f): f is Finding => f !== null),
    ...dependencyFindings(info),
  ];
  const rss = info.rss_bytes != null ? `, RSS ${formatMb(info.rss_bytes)}` : '';
  return assembleReport({
    tool: 'health',
    runtime: input.runtime,
    subject: `Runtime ${input.runtime}`,
    now: input.now,
    findings,
    sections: [agentTable(agents)],
    collected: ['runtime info', 'agents', 'dependency probes'],
    verifyCommand: `/autogen health ${input.runtime}`,
    snapshotCommand: `/autogen snapshot ${input.runtime}`,
    healthyHeadline: `Runtime ${input.runtime} is healthy: ${plural(agents.length, 'agent type')} up, queue ${info.queue_depth ?? 0}${rss}, no alarms`,
  });
}
