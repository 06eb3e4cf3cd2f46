/**
 * What response planning and verification read from a runtime: views built from the bridge's answers
 * (`/v1/runtime`, `/v1/agents`, `/v1/agents/{type}`, `/v1/messages`; the model is `src/runtime/schemas.ts`),
 * so the bridge client's parsed objects pass in as they are and tests build plain objects. Each view names
 * the fields it reads of a model type; the bot's own meanings (a dependency not judged counts as reachable,
 * latency and peers cut to what is read) are noted where they differ.
 */
import type {
  AgentSummary, DegradedState, Dependency, DependencyCall, Fields, LatencyStats, MaybeFields, MessageRecord, Peer,
  RecentWindow, RuntimeInfo,
} from '../runtime/schemas.js';

/** Latency figures, ms; null where the bridge reported none. */
export type LatencyView = MaybeFields<LatencyStats, 'count' | 'avg' | 'p95' | 'p99'>;

export interface AgentView extends Fields<AgentSummary, 'type' | 'registered'>, MaybeFields<AgentSummary,
  'name' | 'team' | 'role' | 'instances' | 'inflight' | 'max_inflight' | 'handled_total' | 'errors_total' | 'error_rate'
  | 'refused_total' | 'isolated' | 'backpressured' | 'degraded' | 'construction_errors'> {
  latency_ms?: LatencyView | null;
  /** The bridge's short recent window (`recent`), when the bridge reports one. */
  recent?: RecentView | null;
  /** Only in `/v1/agents/{type}`: the dependencies this agent calls. */
  dependency_calls?: readonly DependencyCallView[] | null;
  /** Only in `/v1/agents/{type}`: who sent this agent messages, from the bridge's message graph. */
  callers?: readonly PeerView[] | null;
}

export type DependencyCallView = Fields<DependencyCall, 'name'> & MaybeFields<DependencyCall, 'count' | 'errors'>;

/** An agent's figures over the bridge's short recent window (exact counts; `refused` null when not counted). */
export interface RecentView extends Fields<RecentWindow, 'window_s' | 'count' | 'errors'>, MaybeFields<RecentWindow, 'refused' | 'error_rate'> {
  latency_ms?: LatencyView | null;
}

/** Messages exchanged with one other agent type (the bridge's `callers` / `callees`). */
export type PeerView = Fields<Peer, 'agent_type' | 'count'> & MaybeFields<Peer, 'errors' | 'refused'>;

/** A dependency as the planner judges it: `reachable` false only when the bridge found it down. */
export type DependencyView = Fields<Dependency, 'name' | 'reachable'> & MaybeFields<Dependency, 'error'>;

export type DegradedView = Fields<DegradedState, 'active'> & MaybeFields<DegradedState, 'features' | 'agent_types'>;

export interface RuntimeInfoView extends Fields<RuntimeInfo, 'name' | 'queue_depth'>,
  MaybeFields<RuntimeInfo, 'inflight' | 'max_inflight' | 'rss_bytes' | 'isolated' | 'features'> {
  degraded?: DegradedView | null;
  dependencies?: readonly DependencyView[] | null;
}

export type MessageView = Fields<MessageRecord, 'message_id' | 'outcome'>
  & MaybeFields<MessageRecord, 'sender' | 'recipient' | 'started_at' | 'message_type' | 'parent_id'>;

/** One reading of a runtime, as the planner and the verifier see it. */
export interface RuntimeView {
  readonly runtime: RuntimeInfoView;
  readonly agents: readonly AgentView[];
  /** Recent deliveries per agent type (cascade origins at planning; `no_deliveries` evidence at verification). */
  readonly messages?: Readonly<Record<string, readonly MessageView[]>>;
}

export function findAgent(view: RuntimeView, type: string): AgentView | undefined {
  return view.agents.find((a) => a.type === type);
}
