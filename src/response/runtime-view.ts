/**
 * What response planning and verification read from a runtime: structural subsets of the bridge's
 * `/v1/runtime`, `/v1/agents`, `/v1/agents/{type}` and `/v1/messages` answers (docs/bridge-api.md), so the
 * bridge client's parsed objects pass in as they are and tests build plain objects.
 */

export interface AgentView {
  type: string;
  /** The stable name of an AgentChat participant, and its team: what incidents and commands call it. */
  name?: string | null;
  team?: { name: string; kind?: string | null; id?: string | null } | null;
  /** `participant`, `manager` (an AgentChat team's group chat manager: acting on it acts on the team) or `agent`. */
  role?: string | null;
  registered: boolean;
  instances?: readonly string[] | null;
  inflight?: number | null;
  max_inflight?: number | null;
  handled_total?: number | null;
  errors_total?: number | null;
  error_rate?: number | null;
  latency_ms?: { count?: number | null; avg?: number | null; p95?: number | null; p99?: number | null } | null;
  /** Messages refused by isolation, degrade or backpressure since the bridge started (bridge counter). */
  refused_total?: number | null;
  /** The bridge's short recent window (`recent`), when the bridge reports one. */
  recent?: RecentView | null;
  isolated?: boolean | null;
  backpressured?: boolean | null;
  degraded?: boolean | null;
  construction_errors?: number | null;
  /** Only in `/v1/agents/{type}`: the dependencies this agent calls. */
  dependency_calls?: readonly { name: string; count?: number; errors?: number | null }[] | null;
  /** Only in `/v1/agents/{type}`: who sent this agent messages, from the bridge's message graph. */
  callers?: readonly PeerView[] | null;
}

/** An agent's figures over the bridge's short recent window (exact counts). */
export interface RecentView {
  window_s: number;
  count: number;
  errors: number;
  /** Refused deliveries in the window; null when the bridge does not count them. */
  refused?: number | null;
  error_rate?: number | null;
  latency_ms?: { count?: number | null; avg?: number | null; p95?: number | null; p99?: number | null } | null;
}

/** Messages exchanged with one other agent type (the bridge's `callers` / `callees`). */
export interface PeerView {
  agent_type: string;
  count: number;
  errors?: number | null;
  refused?: number | null;
}

export interface RuntimeInfoView {
  name: string;
  queue_depth: number;
  inflight?: number | null;
  max_inflight?: number | null;
  rss_bytes?: number | null;
  isolated?: readonly string[] | null;
  degraded?: { active: boolean; features?: readonly string[] | null; agent_types?: readonly string[] | null } | null;
  features?: Readonly<Record<string, boolean>> | null;
  dependencies?: readonly { name: string; reachable: boolean; error?: string | null }[] | null;
}

export interface MessageView {
  message_id: string;
  sender?: string | null;
  recipient?: string | null;
  started_at?: string | null;
  outcome: string;
  /** The message's class (`GroupChatRequestPublish` is an AgentChat manager asking a participant for its turn). */
  message_type?: string | null;
  /** The message being handled when this one was sent (the bridge's causal link). */
  parent_id?: string | null;
}

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
