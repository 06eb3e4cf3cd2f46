/**
 * `/autogen inspect <agent>` — the guide's Distributed Debugging tool, agent view (§3.1
 * `inspect_agent_state`): basic info, internal state, queue, connections, performance. A large saved
 * state is summarised and attached as a JSON file. Pure.
 */
import type { AgentDetail, Peer, RuntimeInfo } from '../runtime/schemas.js';
import type { Finding } from './classify.js';
import { dependencyCategory, fixForDependency, GUIDE_FIXES, readErrorSignal } from './error-signals.js';
import { assembleReport, type GuideReport, type ReportAttachment, type ReportSection } from './guide-report.js';
import { agentChecks } from './performance.js';
import { formatCount, formatMs, formatShare, plural } from './quantities.js';
import type { Thresholds } from './thresholds.js';

export interface InspectInput {
  readonly runtime: string;
  readonly agent: AgentDetail;
  readonly info: RuntimeInfo;
  readonly thresholds: Thresholds;
  readonly now: Date;
}

/** Saved state up to this many characters of JSON is shown inline; more goes to the attached file. */
export const INLINE_STATE_CHARS = 1500;
const MAX_LIST = 10;

function list(items: readonly string[], max = MAX_LIST): string {
  if (items.length === 0) return 'none';
  return items.slice(0, max).join(', ') + (items.length > max ? `, … ${items.length - max} more` : '');
}

/** One line per instance key: its top-level fields, or its size when large. */
export function summariseState(state: Record<string, unknown> | null | undefined): { lines: string[]; json: string | null } {
  if (!state || Object.keys(state).length === 0) return { lines: ['No saved state (the agent does not implement `save_state`, or has none yet)'], json: null };
  const json = JSON.stringify(state, null, 2);
  const keys = Object.keys(state);
  const lines = keys.slice(0, MAX_LIST).map((key) => {
    const value = state[key];
    const size = JSON.stringify(value ?? null).length;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const fields = Object.keys(value as Record<string, unknown>);
      return `${key}: ${plural(fields.length, 'field')} (${list(fields, 8)}), ${size} bytes as JSON`;
    }
    return `${key}: ${size} bytes as JSON`;
  });
  if (keys.length > MAX_LIST) lines.push(`… ${keys.length - MAX_LIST} more instances`);
  if (json.length <= INLINE_STATE_CHARS) lines.push(json);
  return { lines, json };
}

function peerLine(direction: string, p: Peer): string {
  const failed = [p.errors ? `${p.errors} failed` : null, p.refused ? `${p.refused} refused` : null].filter(Boolean).join(', ');
  return `${direction} ${p.agent_type}: ${plural(p.count, 'message')}${failed ? ` (${failed})` : ''}`;
}

/** External dependency calls the application reports, and agent-to-agent calls the bridge's message graph links. */
function connections(a: AgentDetail): string[] {
  const lines = [
    ...(a.dependency_calls ?? []).map((c) => `${c.name} (${c.kind ?? 'external'}): ${plural(c.count ?? 0, 'call')}, ${c.errors ?? 0} errors${c.avg_ms != null ? `, avg ${formatMs(c.avg_ms)}` : ''}`),
    ...(a.callees ?? []).map((p) => peerLine('Calls', p)),
    ...(a.callers ?? []).map((p) => peerLine('Called by', p)),
  ];
  if (lines.length === 0) return ['No dependency or agent-to-agent calls recorded'];
  const graph = a.message_graph;
  const peers = (a.callees?.length ?? 0) + (a.callers?.length ?? 0);
  if (peers === 0 || !graph) return lines;
  const unlinked = graph.unlinked ?? 0;
  // under load the bridge links a sample of traces and only counts the other messages
  const sample = unlinked > 0 ? `; a sample: ${formatCount(unlinked)} more message${unlinked === 1 ? ' was' : 's were'} counted, not linked` : '';
  return [...lines, `(agent-to-agent counts are among the last ${plural(graph.messages, 'message hop')} the bridge keeps${sample})`];
}

function creationFindings(a: AgentDetail): Finding[] {
  const construction = (a.recent_errors ?? []).filter((e) => e.phase === 'construction');
  const count = Math.max(a.construction_errors ?? 0, construction.length);
  if (!a.registered) {
    return [{ check: 'inspect.registered', status: 'fail', category: 'agent_creation', title: `${a.type} not registered`, evidence: 'no factory for this type', fix: [GUIDE_FIXES.registerFactory], subject: a.type }];
  }
  if (count === 0) {
    return [{ check: 'inspect.creation', status: 'ok', category: 'agent_creation', title: `${a.type} created normally`, evidence: `${plural(a.instances?.length ?? 0, 'instance')}, no construction errors`, fix: [], subject: a.type }];
  }
  const last = construction[0] ?? (a.last_error?.phase === 'construction' ? a.last_error : null);
  const signal = readErrorSignal(last ?? { phase: 'construction' });
  return [
    {
      check: 'inspect.creation',
      status: 'fail',
      category: 'agent_creation',
      title: `${a.type} cannot be created (${signal.meaning})`,
      evidence: `${plural(count, 'construction error')}${last ? `; last: ${last.exception_type ?? 'error'}: ${last.message ?? ''}` : ''}`,
      fix: signal.fix,
      subject: a.type,
      severity: count,
    },
  ];
}

function controlFindings(a: AgentDetail): Finding[] {
  const out: Finding[] = [];
  if (a.isolated) {
    out.push({ check: 'inspect.isolated', status: 'warn', category: 'message_delivery', title: `${a.type} isolated`, evidence: 'messages to it are refused or held', fix: ['Release it once its fault is fixed'], subject: a.type });
  }
  if (a.degraded) {
    out.push({ check: 'inspect.degraded', status: 'warn', category: 'performance', title: `${a.type} shed by degradation`, evidence: 'the runtime skips it while degraded', fix: ['Restore it when the degradation ends'], subject: a.type });
  }
  return out;
}

function dependencyErrorFindings(a: AgentDetail, info: RuntimeInfo): Finding[] {
  return (a.dependency_calls ?? [])
    .filter((c) => (c.errors ?? 0) > 0)
    .map((c) => {
      const category = dependencyCategory(c);
      const signal = readErrorSignal({ message: c.last_error ?? 'error', dependencies: [c, ...(info.dependencies ?? [])] });
      const fix = [...new Set([fixForDependency(category), ...signal.fix])];
      return {
        check: 'inspect.dependency_errors',
        status: 'fail' as const,
        category,
        title: `Calls to ${c.name} fail`,
        evidence: `${c.errors} of ${plural(c.count ?? 0, 'call')} failed; last: ${c.last_error ?? 'unknown'}`,
        fix,
        subject: c.name,
        severity: c.count ? (c.errors ?? 0) / c.count : 1,
      };
    });
}

export function inspectReport(input: InspectInput): GuideReport {
  const { agent: a, info, thresholds: t } = input;
  const findings: Finding[] = [...creationFindings(a), ...controlFindings(a), ...dependencyErrorFindings(a, info), ...agentChecks(a, info, t)];
  const state = summariseState(a.saved_state);
  const lat = a.latency_ms;
  const errors = a.recent_errors ?? [];
  const sections: ReportSection[] = [
    {
      title: 'Basic info',
      lines: [
        `Type ${a.type}, ${a.registered ? 'registered' : 'not registered'}; instances: ${list(a.instances ?? [])}`,
        `Flags: ${[a.isolated ? 'isolated' : null, a.backpressured ? 'backpressured' : null, a.degraded ? 'degraded' : null].filter(Boolean).join(', ') || 'none'}`,
        `Handles: ${list(a.message_types ?? [])}`,
      ],
    },
    { title: 'Internal state', lines: state.lines },
    {
      title: 'Queue',
      lines: [
        `${a.inflight ?? 0} in flight${a.max_inflight != null ? ` of at most ${a.max_inflight} (backpressure)` : ', no limit'}; runtime queue depth ${info.queue_depth}`,
      ],
    },
    {
      title: 'Connections',
      lines: [
        `Subscriptions: ${list((a.subscriptions ?? []).map((s) => `${s.kind}${s.topic_type ? `:${s.topic_type}` : ''}`))}`,
        ...connections(a),
      ],
    },
    {
      title: 'Performance',
      lines: [
        `${a.handled_total ?? 0} handled, ${a.errors_total ?? 0} errors${a.error_rate != null ? ` (${formatShare(a.error_rate)} recently)` : ''}`,
        lat && lat.count > 0
          ? `Latency over ${plural(lat.count, 'message')}: avg ${formatMs(lat.avg ?? 0)}, p50 ${formatMs(lat.p50 ?? 0)}, p95 ${formatMs(lat.p95 ?? 0)}, p99 ${formatMs(lat.p99 ?? 0)}, max ${formatMs(lat.max ?? 0)}`
          : 'No messages in the stats window',
        ...errors.slice(0, 3).map((e) => `${e.ts} ${e.phase ?? 'handler'} ${e.exception_type ?? 'error'}: ${(e.message ?? '').slice(0, 200)}`),
      ],
    },
  ];
  const attachment: ReportAttachment | undefined =
    state.json && state.json.length > INLINE_STATE_CHARS
      ? { filename: `state-${input.runtime}-${a.type}.json`, title: `Saved state of ${a.type}`, mimeType: 'application/json', content: state.json }
      : undefined;
  return assembleReport({
    tool: 'inspect',
    runtime: input.runtime,
    subject: a.type,
    now: input.now,
    findings,
    sections,
    ...(attachment ? { attachment } : {}),
    collected: [`${a.type} detail (state, queue, subscriptions, dependency calls, recent errors)`, 'runtime info'],
    verifyCommand: `/autogen inspect ${a.type} ${input.runtime}`,
    snapshotCommand: `/autogen snapshot ${input.runtime}`,
    healthyHeadline: `${a.type}: created, reachable and within the guide's thresholds`,
  });
}
