/**
 * Reading a runtime for planning and verification: `/v1/runtime` and `/v1/agents` in parallel, plus the
 * agent details (dependency calls) when a dependency is down and recent deliveries of the agents asked
 * for. The bridge client's lenient shapes are normalised into `RuntimeView`.
 */
import type { BridgeClient } from '../runtime/client.js';
import type { AgentDetail, AgentSummary, LatencyStats, MessageRecord, RuntimeInfo } from '../runtime/schemas.js';
import type { RssSampleView } from './findings.js';
import type { AgentView, LatencyView, MessageView, PeerView, RecentView, RuntimeInfoView, RuntimeView } from './runtime-view.js';

function numOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function toRuntimeInfoView(info: RuntimeInfo): RuntimeInfoView {
  const features = { ...info.features };
  return {
    name: info.name,
    queue_depth: numOrNull(info.queue_depth) ?? 0,
    inflight: numOrNull(info.inflight),
    max_inflight: numOrNull(info.max_inflight),
    rss_bytes: numOrNull(info.rss_bytes),
    isolated: info.isolated ?? [],
    degraded: { active: info.degraded?.active === true, features: info.degraded?.features ?? [], agent_types: info.degraded?.agent_types ?? [] },
    features,
    // A dependency the bridge could not judge (reachable null) is not reported as down.
    dependencies: (info.dependencies ?? []).map((d) => ({ name: d.name, reachable: d.reachable !== false, error: d.error ?? null })),
  };
}

function toLatency(l: LatencyStats | null | undefined): LatencyView {
  return { count: numOrNull(l?.count), avg: numOrNull(l?.avg), p95: numOrNull(l?.p95), p99: numOrNull(l?.p99) };
}

/** The bridge's `recent` window; null when this bridge does not report one. */
function toRecent(a: AgentSummary): RecentView | null {
  const r = a.recent;
  if (!r) return null;
  return {
    window_s: r.window_s, count: r.count, errors: r.errors, refused: numOrNull(r.refused), error_rate: numOrNull(r.error_rate),
    latency_ms: toLatency(r.latency_ms),
  };
}

function toPeers(peers: AgentDetail['callers']): PeerView[] {
  return (peers ?? []).map((p) => ({ agent_type: p.agent_type, count: p.count, errors: numOrNull(p.errors), refused: numOrNull(p.refused) }));
}

function toAgentView(a: AgentSummary, detail?: AgentDetail | null): AgentView {
  const calls = detail?.dependency_calls;
  return {
    type: a.type,
    // The names people use (AgentChat participant, team, role): what incidents and /autogen recover name.
    ...(a.name ? { name: a.name } : {}),
    ...(a.team ? { team: { name: a.team.name, kind: a.team.kind ?? null, id: a.team.id ?? null } } : {}),
    ...(a.role ? { role: a.role } : {}),
    registered: a.registered,
    instances: a.instances ?? [],
    inflight: numOrNull(a.inflight),
    max_inflight: numOrNull(a.max_inflight),
    handled_total: numOrNull(a.handled_total),
    errors_total: numOrNull(a.errors_total),
    error_rate: numOrNull(a.error_rate),
    latency_ms: toLatency(a.latency_ms),
    refused_total: numOrNull(a.refused_total),
    recent: toRecent(a),
    isolated: a.isolated ?? false,
    backpressured: a.backpressured ?? false,
    degraded: a.degraded ?? false,
    construction_errors: numOrNull(a.construction_errors),
    ...(calls ? { dependency_calls: calls.map((c) => ({ name: c.name })) } : {}),
    ...(detail?.callers ? { callers: toPeers(detail.callers) } : {}),
  };
}

/** Deliveries to `agentType` (the bridge's `agent` filter also matches it as sender). */
function deliveriesTo(agentType: string, records: readonly MessageRecord[]): MessageView[] {
  return records
    .filter((m) => (m.recipient ?? '').split('/')[0] === agentType)
    .map((m) => ({ message_id: m.message_id, sender: m.sender ?? null, recipient: m.recipient ?? null, started_at: m.started_at ?? null, outcome: m.outcome, message_type: m.message_type ?? null, parent_id: m.parent_id ?? null }));
}

export interface ReadOptions {
  /** Agent types whose recent deliveries to read (cascade origins, `no_deliveries` evidence). */
  readonly messagesFor?: readonly string[] | 'failing';
  /** Error rate from which an agent counts as failing (for `messagesFor: 'failing'`). */
  readonly failingRate?: number;
  /** Agent types whose details to read whatever the dependencies (their callers, for verification). */
  readonly detailsFor?: readonly string[];
}

export interface RuntimeReading {
  readonly view: RuntimeView;
  readonly rssHistory: readonly RssSampleView[];
}

/** One reading of `bridge`'s runtime. Throws the client's coded errors (unreachable is transient). */
export async function readRuntime(bridge: BridgeClient, opts: ReadOptions = {}): Promise<RuntimeReading> {
  const [info, list] = await Promise.all([bridge.runtime(), bridge.agents()]);
  const runtime = toRuntimeInfoView(info);
  const anyDown = (runtime.dependencies ?? []).some((d) => !d.reachable);
  const registered = list.agents.filter((a) => a.registered);
  // Details (dependency calls) only when they can matter: a dependency is down; or when asked for.
  const asked = new Set(opts.detailsFor ?? []);
  const detailed = anyDown ? registered.slice(0, 50) : registered.filter((a) => asked.has(a.type)).slice(0, 20);
  const details = await Promise.all(detailed.map((a) => bridge.agent(a.type).catch(() => null)));
  const detailOf = new Map(details.flatMap((d) => (d ? [[d.type, d] as const] : [])));
  const agents = list.agents.map((a) => toAgentView(a, detailOf.get(a.type)));
  const wanted = opts.messagesFor === 'failing'
    ? agents.filter((a) => a.registered && (a.error_rate ?? 0) >= (opts.failingRate ?? 0.05)).map((a) => a.type)
    : [...(opts.messagesFor ?? [])];
  const messages: Record<string, readonly MessageView[]> = {};
  await Promise.all(wanted.slice(0, 20).map(async (t) => {
    messages[t] = deliveriesTo(t, (await bridge.messages({ agent: t, limit: 500 })).messages);
  }));
  const rssHistory = (info.rss_history ?? []).map((s) => ({ ts: s.ts, rss_bytes: s.rss_bytes }));
  return { view: { runtime, agents, messages }, rssHistory };
}
