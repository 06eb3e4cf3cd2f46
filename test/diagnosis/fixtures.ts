/**
 * Plain bridge data shaped like docs/bridge-api.md, for the guide analyses' unit tests: a healthy demo
 * runtime with four agents, and small builders to break one thing at a time.
 */
import type { AgentDetail, AgentSummary, LogRecord, MessageRecord, RuntimeInfo } from '../../src/runtime/schemas.js';

export const NOW = new Date('2026-01-10T12:00:00.000Z');

export function isoAgo(ms: number, now: Date = NOW): string {
  return new Date(now.getTime() - ms).toISOString();
}

export const AGENT_TYPES = ['ChatAgent', 'PlannerAgent', 'RetrieverAgent', 'ToolAgent'] as const;

export function runtimeInfo(patch: Partial<RuntimeInfo> = {}): RuntimeInfo {
  return {
    name: 'demo',
    autogen_core_version: '0.7.5',
    python_version: '3.11.7',
    pid: 123,
    started_at: isoAgo(600_000),
    uptime_s: 600,
    queue_depth: 0,
    inflight: 2,
    max_inflight: null,
    rss_bytes: 80 * 1024 * 1024,
    cpu_percent: 3.5,
    memory_percent: 0.4,
    disk_percent: 41,
    rss_history: flatRss(),
    agent_types: [...AGENT_TYPES],
    isolated: [],
    backpressure: { runtime: null, agents: {} },
    degraded: { active: false, features: [], agent_types: [] },
    features: { web_search: true },
    dependencies: [{ name: 'vector-db', kind: 'database', url: 'tcp://127.0.0.1:6999', reachable: true, latency_ms: 1.2, error: null }],
    errors_last_hour: 0,
    stats_window_s: 300,
    fault_injection_enabled: true,
    active_faults: [],
    ...patch,
  };
}

/** 5 minutes of samples every 10 s around 80 MB, with ±0.5 MB noise and no trend. */
export function flatRss(now: Date = NOW): { ts: string; rss_bytes: number }[] {
  return Array.from({ length: 30 }, (_, i) => ({
    ts: isoAgo((30 - i) * 10_000, now),
    rss_bytes: Math.round((80 + (i % 2 === 0 ? 0.5 : -0.5)) * 1024 * 1024),
  }));
}

/** 5 minutes of samples every 10 s, growing `mbPerMin` from 80 MB. */
export function growingRss(mbPerMin: number, now: Date = NOW): { ts: string; rss_bytes: number }[] {
  return Array.from({ length: 30 }, (_, i) => ({
    ts: isoAgo((30 - i) * 10_000, now),
    rss_bytes: Math.round((80 + (mbPerMin * i) / 6) * 1024 * 1024),
  }));
}

export function agent(type: string, patch: Partial<AgentDetail> = {}): AgentDetail {
  return {
    type,
    registered: true,
    instances: ['default'],
    inflight: 0,
    max_inflight: null,
    handled_total: 120,
    errors_total: 0,
    error_rate: 0,
    latency_ms: { count: 120, avg: 12, p50: 10, p95: 30, p99: 45, max: 50 },
    isolated: false,
    backpressured: false,
    degraded: false,
    last_error: null,
    construction_errors: 0,
    subscriptions: [{ id: `sub-${type}`, kind: 'type', topic_type: type }],
    message_types: [],
    saved_state: null,
    recent_errors: [],
    dependency_calls: [],
    ...patch,
  };
}

export function healthyAgents(): AgentDetail[] {
  return [
    agent('ChatAgent', { message_types: ['ChatRequest'] }),
    agent('PlannerAgent', { message_types: ['PlanRequest'] }),
    agent('RetrieverAgent', {
      message_types: ['RetrieveRequest'],
      dependency_calls: [{ name: 'vector-db', kind: 'database', count: 100, errors: 0, avg_ms: 2, p95_ms: 4, last_error: null }],
    }),
    agent('ToolAgent', { message_types: ['ToolRequest'] }),
  ];
}

export function summaries(agents: readonly AgentDetail[]): AgentSummary[] {
  return agents.map(({ subscriptions: _s, message_types: _m, saved_state: _st, recent_errors: _r, dependency_calls: _d, ...rest }) => rest);
}

let seq = 0;
export function message(from: string, to: string, patch: Partial<MessageRecord> = {}): MessageRecord {
  seq += 1;
  return {
    message_id: `m-${seq}`,
    sender: `${from}/default`,
    recipient: `${to}/default`,
    message_type: 'PlanRequest',
    kind: 'send',
    started_at: isoAgo(60_000 - seq),
    finished_at: isoAgo(60_000 - seq - 5),
    duration_ms: 5,
    outcome: 'ok',
    error: null,
    ...patch,
  };
}

export function logRecord(patch: Partial<LogRecord> & { ts: string }): LogRecord {
  return {
    level: 'ERROR',
    logger: 'autogen_core.events',
    event: 'MessageHandlerExceptionEvent',
    message: 'boom',
    agent_type: 'ChatAgent',
    agent_key: 'default',
    message_id: null,
    trace_id: null,
    exception_type: 'RuntimeError',
    traceback: null,
    ...patch,
  };
}
