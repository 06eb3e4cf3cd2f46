/**
 * Response shapes of the runtime bridge (docs/bridge-api.md), validated leniently: the fields the bot
 * relies on are checked, unknown fields pass through (a newer bridge may add some).
 */
import { z } from 'zod';

const num = z.number();
const optNum = num.nullish();

export const Health = z.looseObject({ status: z.string(), runtime: z.string().nullish(), uptime_s: optNum });
export type Health = z.infer<typeof Health>;

export const ErrorRecord = z.looseObject({
  ts: z.string(),
  agent_type: z.string().nullish(),
  agent_key: z.string().nullish(),
  exception_type: z.string().nullish(),
  message: z.string().nullish(),
  traceback: z.string().nullish(),
  message_id: z.string().nullish(),
  message_type: z.string().nullish(),
  phase: z.string().nullish(),
});
export type ErrorRecord = z.infer<typeof ErrorRecord>;

export const Dependency = z.looseObject({
  name: z.string(),
  kind: z.string().nullish(),
  url: z.string().nullish(),
  reachable: z.boolean().nullish(),
  latency_ms: optNum,
  error: z.string().nullish(),
});

export const RuntimeInfo = z.looseObject({
  name: z.string(),
  autogen_core_version: z.string().nullish(),
  started_at: z.string().nullish(),
  uptime_s: optNum,
  queue_depth: optNum,
  inflight: optNum,
  max_inflight: optNum,
  rss_bytes: optNum,
  cpu_percent: optNum,
  memory_percent: optNum,
  disk_percent: optNum,
  rss_history: z.array(z.looseObject({ ts: z.string(), rss_bytes: num })).nullish(),
  agent_types: z.array(z.string()),
  isolated: z.array(z.string()).nullish(),
  degraded: z.looseObject({ active: z.boolean().nullish(), features: z.array(z.string()).nullish(), agent_types: z.array(z.string()).nullish() }).nullish(),
  dependencies: z.array(Dependency).nullish(),
  errors_last_hour: optNum,
  stats_window_s: optNum,
  /** Seconds covered by each agent's `recent` figures. */
  recent_window_s: optNum,
  /** Bytes the bridge's own buffers hold (message log, collected records, error records): not the app's. */
  bridge_buffer_bytes: optNum,
  fault_injection_enabled: z.boolean().nullish(),
  active_faults: z.array(z.unknown()).nullish(),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfo>;

export const LatencyStats = z.looseObject({ count: num, avg: optNum, p50: optNum, p95: optNum, p99: optNum, max: optNum });
export type LatencyStats = z.infer<typeof LatencyStats>;

/** An agent's figures over the bridge's short recent window (exact counts; latency from kept samples). */
export const RecentWindow = z.looseObject({
  window_s: num,
  count: num,
  errors: num,
  refused: optNum,
  error_rate: num,
  throughput_per_s: optNum,
  latency_ms: LatencyStats.nullish(),
});
export type RecentWindow = z.infer<typeof RecentWindow>;

export const AgentSummary = z.looseObject({
  type: z.string(),
  /** Stable name: an AgentChat participant's own name, else the type. */
  name: z.string().nullish(),
  /** The AgentChat team the agent belongs to; its id changes at every start, its name does not. */
  team: z.looseObject({ name: z.string(), kind: z.string().nullish(), id: z.string().nullish() }).nullish(),
  role: z.string().nullish(),
  registered: z.boolean(),
  instances: z.array(z.string()).nullish(),
  inflight: optNum,
  max_inflight: optNum,
  handled_total: optNum,
  errors_total: optNum,
  error_rate: optNum,
  latency_ms: LatencyStats.nullish(),
  isolated: z.boolean().nullish(),
  backpressured: z.boolean().nullish(),
  degraded: z.boolean().nullish(),
  last_error: ErrorRecord.nullish(),
  construction_errors: optNum,
  refused_total: optNum,
  /** Handler failures in the stats window (exact). */
  window_errors: optNum,
  recent: RecentWindow.nullish(),
  /** Agent types whose failed calls explain this agent's failures (the bridge's message graph), most first. */
  failure_origins: z.array(z.string()).nullish(),
});
export type AgentSummary = z.infer<typeof AgentSummary>;

export const DependencyCall = z.looseObject({
  name: z.string(),
  kind: z.string().nullish(),
  count: optNum,
  errors: optNum,
  avg_ms: optNum,
  p95_ms: optNum,
  last_error: z.string().nullish(),
});

/** A cascade proven by the bridge's message graph: path from the agent down to the origin. */
export const FailedCall = z.looseObject({
  path: z.array(z.string()),
  origin: z.string(),
  outcome: z.string(),
  origin_error: z.string().nullish(),
  count: num,
  first_at: z.string().nullish(),
  last_at: z.string().nullish(),
});
export type FailedCall = z.infer<typeof FailedCall>;

export const Peer = z.looseObject({ agent_type: z.string(), count: num, errors: optNum, refused: optNum, last_at: z.string().nullish() });
export type Peer = z.infer<typeof Peer>;

export const AgentDetail = AgentSummary.extend({
  subscriptions: z.array(z.looseObject({})).nullish(),
  message_types: z.array(z.string()).nullish(),
  saved_state: z.record(z.string(), z.unknown()).nullish(),
  recent_errors: z.array(ErrorRecord).nullish(),
  dependency_calls: z.array(DependencyCall).nullish(),
  errors_by_type: z.record(z.string(), num).nullish(),
  /** AgentChat participants: tool calls by tool, with errors from `is_error` results. */
  tool_calls: z.array(z.looseObject({ tool: z.string(), count: num, errors: num, avg_ms: optNum, p95_ms: optNum, last_error: z.string().nullish() })).nullish(),
  /** Model calls (autogen-core LLM events; failures whose traceback runs through a model client). */
  model_calls: z.looseObject({
    calls: num, errors: num, errors_by_type: z.record(z.string(), num).nullish(), error_rate: optNum,
    last_error: z.string().nullish(), prompt_tokens: optNum, completion_tokens: optNum, avg_ms: optNum, p95_ms: optNum,
  }).nullish(),
  /** Runs of the agent's AgentChat team, as its manager counted them. */
  team_runs: z.looseObject({
    team: z.string(), kind: z.string().nullish(), manager: z.string().nullish(), started: num, finished: optNum,
    stopped: optNum, max_turns_reached: optNum, failed: optNum,
    last_ended_by: z.string().nullish(), last_ended_at: z.string().nullish(), last_stop_reason: z.string().nullish(), last_error: z.string().nullish(),
  }).nullish(),
  handoffs: z.array(z.looseObject({ target: z.string(), count: num })).nullish(),
  failed_calls: z.array(FailedCall).nullish(),
  callers: z.array(Peer).nullish(),
  callees: z.array(Peer).nullish(),
  message_graph: z.looseObject({ messages: num, since: z.string().nullish() }).nullish(),
});
export type AgentDetail = z.infer<typeof AgentDetail>;

export const AgentList = z.looseObject({ agents: z.array(AgentSummary) });

export const LogRecord = z.looseObject({
  ts: z.string(),
  level: z.string(),
  logger: z.string().nullish(),
  event: z.string().nullish(),
  message: z.string().nullish(),
  agent_type: z.string().nullish(),
  agent_key: z.string().nullish(),
  message_id: z.string().nullish(),
  trace_id: z.string().nullish(),
  exception_type: z.string().nullish(),
  traceback: z.string().nullish(),
});
export type LogRecord = z.infer<typeof LogRecord>;
export const LogPage = z.looseObject({ records: z.array(LogRecord), truncated: z.boolean().nullish() });
export type LogPage = z.infer<typeof LogPage>;

export const ActionResult = z.looseObject({
  action_id: z.string().nullish(),
  action: z.string(),
  target: z.string().nullish(),
  dry_run: z.boolean(),
  applied: z.boolean(),
  replayed: z.boolean().nullish(),
  before: z.record(z.string(), z.unknown()).nullish(),
  after: z.record(z.string(), z.unknown()).nullish(),
  expires_at: z.string().nullish(),
  message: z.string().nullish(),
  /** What the action does to the AgentChat team of its target, one sentence (null outside a team). */
  team_effect: z.string().nullish(),
});
export type ActionResult = z.infer<typeof ActionResult>;

/** A temporary action in force (`GET /v1/actions`). */
export const ActiveAction = z.looseObject({
  action_id: z.string(),
  action: z.string().nullish(),
  target: z.string().nullish(),
  expires_at: z.string().nullish(),
});
export type ActiveAction = z.infer<typeof ActiveAction>;
export const ActiveActionList = z.looseObject({ actions: z.array(ActiveAction) });

export const BridgeErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
