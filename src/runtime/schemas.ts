/**
 * The bridge's answers (docs/bridge-api.md; `bridge/openapi.json` is their machine-readable form): the one
 * model of them in the bot. Each schema is registered in `BRIDGE_ANSWERS` under the name of the OpenAPI
 * component it models, and `test/runtime/bridge-answers-drift.test.ts` compares the two — a field added,
 * removed or renamed on either side fails it. TypeScript types come from here (`z.infer`); views of the
 * bot's own are built from them with `Fields` / `MaybeFields`.
 *
 * Validated leniently, on purpose: a bot may read a bridge older or newer than itself. Only the fields the
 * bot cannot do without are required; the others may be missing or null. Unknown fields pass through
 * (loose objects), and an enumeration accepts a value it does not list (`openEnum`).
 */
import { z } from 'zod';

/** The bridge's answers by OpenAPI component name (`#/components/schemas/<id>` of `bridge/openapi.json`). */
export const BRIDGE_ANSWERS = z.registry<{ id: string }>();

function answer<T extends z.ZodType>(id: string, schema: T): T {
  BRIDGE_ANSWERS.add(schema, { id });
  return schema;
}

/** An enumeration of the bridge: its values are declared (and checked against the document), and a value a newer bridge adds still parses. */
function openEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.union([z.enum(values), z.string()]);
}

const num = z.number();
const optNum = num.nullish();
const optStr = z.string().nullish();
const strings = z.array(z.string());
const anyRecord = z.record(z.string(), z.unknown());

export const Health = answer('Health', z.looseObject({ status: openEnum(['ok']).nullish(), runtime: optStr, uptime_s: optNum }));
export type Health = z.infer<typeof Health>;

export const ErrorRecord = answer('ErrorRecord', z.looseObject({
  ts: z.string(),
  agent_type: optStr,
  agent_key: optStr,
  exception_type: optStr,
  message: optStr,
  traceback: optStr,
  message_id: optStr,
  message_type: optStr,
  phase: openEnum(['handler', 'construction']).nullish(),
}));
export type ErrorRecord = z.infer<typeof ErrorRecord>;

/** The one error shape of every 4xx answer. */
export const ErrorBody = answer('ErrorBody', z.looseObject({ code: z.string(), message: z.string(), details: anyRecord.nullish() }));
export const BridgeErrorBody = answer('ErrorResponse', z.looseObject({ error: ErrorBody }));

export const Dependency = answer('DependencyStatus', z.looseObject({
  name: z.string(),
  kind: optStr,
  url: optStr,
  reachable: z.boolean().nullish(),
  latency_ms: optNum,
  error: optStr,
}));
export type Dependency = z.infer<typeof Dependency>;

export const RssSample = answer('RssSample', z.looseObject({ ts: z.string(), rss_bytes: num }));
export type RssSample = z.infer<typeof RssSample>;

export const DegradedState = answer('DegradedState', z.looseObject({ active: z.boolean().nullish(), features: strings.nullish(), agent_types: strings.nullish() }));
export type DegradedState = z.infer<typeof DegradedState>;

export const BackpressureState = answer('BackpressureState', z.looseObject({ runtime: optNum, agents: z.record(z.string(), num).nullish() }));

export const FaultInfo = answer('FaultInfo', z.looseObject({ fault: z.string(), agent_type: optStr, params: anyRecord.nullish(), since: optStr }));
export type FaultInfo = z.infer<typeof FaultInfo>;
export const FaultList = answer('FaultList', z.looseObject({ faults: z.array(FaultInfo), known_faults: strings.nullish() }));
export type FaultList = z.infer<typeof FaultList>;

export const RuntimeInfo = answer('RuntimeInfo', z.looseObject({
  name: z.string(),
  autogen_core_version: optStr,
  python_version: optStr,
  pid: optNum,
  started_at: optStr,
  uptime_s: optNum,
  running: z.boolean().nullish(),
  queue_depth: optNum,
  unfinished_messages: optNum,
  inflight: optNum,
  max_inflight: optNum,
  rss_bytes: optNum,
  cpu_percent: optNum,
  memory_percent: optNum,
  disk_percent: optNum,
  rss_history: z.array(RssSample).nullish(),
  agent_types: strings,
  isolated: strings.nullish(),
  backpressure: BackpressureState.nullish(),
  degraded: DegradedState.nullish(),
  /** Registered features (degradable) and whether each is on. */
  features: z.record(z.string(), z.boolean()).nullish(),
  dependencies: z.array(Dependency).nullish(),
  errors_last_hour: optNum,
  stats_window_s: optNum,
  /** Seconds covered by each agent's `recent` figures. */
  recent_window_s: optNum,
  fault_injection_enabled: z.boolean().nullish(),
  active_faults: z.array(FaultInfo).nullish(),
  cache_hooks: strings.nullish(),
  /** Bytes the bridge's own buffers hold (message log, collected records, error records): not the app's. */
  bridge_buffer_bytes: optNum,
  /** Whether the bridge runs its C accelerator (false: an error storm costs the application more). */
  bridge_accelerated: z.boolean().nullish(),
}));
export type RuntimeInfo = z.infer<typeof RuntimeInfo>;

export const LatencyStats = answer('LatencyMs', z.looseObject({ count: num, avg: optNum, p50: optNum, p95: optNum, p99: optNum, max: optNum }));
export type LatencyStats = z.infer<typeof LatencyStats>;

/** An agent's figures over the bridge's short recent window (exact counts; latency from kept samples). */
export const RecentWindow = answer('RecentWindow', z.looseObject({
  window_s: num,
  count: num,
  errors: num,
  refused: optNum,
  error_rate: num,
  throughput_per_s: optNum,
  latency_ms: LatencyStats.nullish(),
}));
export type RecentWindow = z.infer<typeof RecentWindow>;

/** The AgentChat team an agent belongs to; its id changes at every start, its name does not. */
export const TeamInfo = answer('TeamInfo', z.looseObject({ name: z.string(), kind: optStr, id: optStr }));
export type TeamInfo = z.infer<typeof TeamInfo>;

export const AgentSummary = answer('AgentSummary', z.looseObject({
  type: z.string(),
  /** Stable name: an AgentChat participant's own name, else the type. */
  name: optStr,
  team: TeamInfo.nullish(),
  /** `participant`, `manager` (an AgentChat team's group chat manager: acting on it acts on the team) or `agent`. */
  role: openEnum(['agent', 'participant', 'manager']).nullish(),
  registered: z.boolean(),
  instances: strings.nullish(),
  inflight: optNum,
  peak_inflight: optNum,
  waiting: optNum,
  max_inflight: optNum,
  capacity: optNum,
  handled_total: optNum,
  errors_total: optNum,
  error_rate: optNum,
  /** Messages refused by isolation, degrade or backpressure since the bridge started. */
  refused_total: optNum,
  latency_ms: LatencyStats.nullish(),
  isolated: z.boolean().nullish(),
  isolation_mode: optStr,
  backpressured: z.boolean().nullish(),
  degraded: z.boolean().nullish(),
  last_error: ErrorRecord.nullish(),
  construction_errors: optNum,
  /** Handler failures in the stats window (exact). */
  window_errors: optNum,
  recent: RecentWindow.nullish(),
  /** Agent types whose failed calls explain this agent's failures (the bridge's message graph), most first. */
  failure_origins: strings.nullish(),
}));
export type AgentSummary = z.infer<typeof AgentSummary>;

export const SubscriptionInfo = answer('SubscriptionInfo', z.looseObject({
  id: optStr,
  kind: openEnum(['type', 'type_prefix', 'default', 'other']).nullish(),
  topic_type: optStr,
}));
export type SubscriptionInfo = z.infer<typeof SubscriptionInfo>;

export const DependencyCall = answer('DependencyCall', z.looseObject({
  name: z.string(),
  kind: optStr,
  count: optNum,
  errors: optNum,
  avg_ms: optNum,
  p95_ms: optNum,
  last_error: optStr,
}));
export type DependencyCall = z.infer<typeof DependencyCall>;

/** A cascade proven by the bridge's message graph: path from the agent down to the origin. */
export const FailedCall = answer('FailedCall', z.looseObject({
  path: strings,
  origin: z.string(),
  outcome: openEnum(['error', 'refused']),
  origin_error: optStr,
  count: num,
  first_at: optStr,
  last_at: optStr,
}));
export type FailedCall = z.infer<typeof FailedCall>;

/** Messages exchanged with one other agent type (`callers` / `callees`). */
export const Peer = answer('Peer', z.looseObject({ agent_type: z.string(), count: num, errors: optNum, refused: optNum, last_at: optStr }));
export type Peer = z.infer<typeof Peer>;

/** AgentChat participants: tool calls by tool, with errors from `is_error` results. */
export const ToolCallStats = answer('ToolCallStats', z.looseObject({
  tool: z.string(), count: num, errors: num, avg_ms: optNum, p95_ms: optNum, last_error: optStr,
}));

/** Model calls (autogen-core LLM events; failures whose traceback runs through a model client). */
export const ModelCallStats = answer('ModelCallStats', z.looseObject({
  calls: num, errors: num, errors_by_type: z.record(z.string(), num).nullish(), error_rate: optNum,
  last_error: optStr, prompt_tokens: optNum, completion_tokens: optNum, avg_ms: optNum, p95_ms: optNum,
}));

/** Runs of the agent's AgentChat team, as its manager counted them. */
export const TeamRunStats = answer('TeamRunStats', z.looseObject({
  team: z.string(), kind: optStr, manager: optStr, started: num, finished: optNum,
  stopped: optNum, max_turns_reached: optNum, failed: optNum,
  last_ended_by: openEnum(['termination', 'max_turns', 'error']).nullish(), last_ended_at: optStr,
  last_stop_reason: optStr, last_error: optStr,
}));

export const Handoff = answer('Handoff', z.looseObject({ target: z.string(), count: num }));

/**
 * What the bridge's message graph covers: messages kept, since when. Under load the bridge links a sample
 * of whole traces and only counts the other messages (`unlinked` > 0): `failed_calls`, `callers` and
 * `callees` are then counts within that sample, and `failures` (this agent type's failed hops among the
 * linked ones) is their denominator. Older bridges send neither.
 */
export const MessageGraphScope = answer('MessageGraphScope', z.looseObject({ messages: num, since: optStr, failures: optNum, unlinked: optNum }));

/** Errors of one signature (exception type and normalised message). */
export const ErrorGroup = answer('ErrorGroup', z.looseObject({
  signature: z.string(), exception_type: optStr, message: optStr, count: num, first_at: optStr, last_at: optStr,
}));

export const AgentDetail = answer('AgentDetail', AgentSummary.extend({
  subscriptions: z.array(SubscriptionInfo).nullish(),
  message_types: strings.nullish(),
  saved_state: anyRecord.nullish(),
  recent_errors: z.array(ErrorRecord).nullish(),
  dependency_calls: z.array(DependencyCall).nullish(),
  errors_by_type: z.record(z.string(), num).nullish(),
  failed_calls: z.array(FailedCall).nullish(),
  callers: z.array(Peer).nullish(),
  callees: z.array(Peer).nullish(),
  message_graph: MessageGraphScope.nullish(),
  tool_calls: z.array(ToolCallStats).nullish(),
  model_calls: ModelCallStats.nullish(),
  team_runs: TeamRunStats.nullish(),
  handoffs: z.array(Handoff).nullish(),
  error_groups: z.array(ErrorGroup).nullish(),
}));
export type AgentDetail = z.infer<typeof AgentDetail>;

export const AgentList = answer('AgentList', z.looseObject({ agents: z.array(AgentSummary) }));

export const LogRecord = answer('LogRecordOut', z.looseObject({
  ts: z.string(),
  level: z.string(),
  logger: optStr,
  event: optStr,
  message: optStr,
  agent_type: optStr,
  agent_key: optStr,
  message_id: optStr,
  trace_id: optStr,
  exception_type: optStr,
  traceback: optStr,
  /**
   * Events this record stands for: itself and, under load, the events of its kind after it that the bridge
   * counted but did not keep. Missing (older bridges): 1. Read it with `eventsOf`.
   */
  count: optNum,
}));
export type LogRecord = z.infer<typeof LogRecord>;

/** How many events a log record stands for (its `count`; 1 when missing or unreadable). */
export function eventsOf(r: { readonly count?: number | null }): number {
  const n = r.count;
  return typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1;
}
export const LogPage = answer('LogList', z.looseObject({ records: z.array(LogRecord), truncated: z.boolean().nullish() }));
export type LogPage = z.infer<typeof LogPage>;

/** One delivery in the bridge's message log (`sender` / `recipient` are `type/key` agent ids). */
export const MessageRecord = answer('MessageRecordOut', z.looseObject({
  message_id: z.string(),
  sender: optStr,
  recipient: optStr,
  message_type: optStr,
  kind: openEnum(['send', 'publish']).nullish(),
  started_at: optStr,
  finished_at: optStr,
  duration_ms: optNum,
  outcome: openEnum(['ok', 'error', 'refused', 'pending', 'held']),
  error: optStr,
  /** The message being handled when this one was sent (the bridge's causal link). */
  parent_id: optStr,
  trace_id: optStr,
  queued_ms: optNum,
  handler_ms: optNum,
}));
export type MessageRecord = z.infer<typeof MessageRecord>;

export const MessageList = answer('MessageList', z.looseObject({ messages: z.array(MessageRecord) }));
export type MessageList = z.infer<typeof MessageList>;

export const Trace = answer('Trace', z.looseObject({ message_id: z.string(), trace_id: optStr, hops: z.array(MessageRecord) }));
export type Trace = z.infer<typeof Trace>;

export const Environment = answer('Environment', z.looseObject({
  python: optStr, platform: optStr, packages: z.record(z.string(), z.string()).nullish(), env: z.record(z.string(), z.string()).nullish(),
}));

/** The debug snapshot (runtime, agents in detail, recent messages and errors, redacted config, environment). */
export const Snapshot = answer('Snapshot', z.looseObject({
  taken_at: z.string(),
  runtime: RuntimeInfo,
  agents: z.array(AgentDetail),
  recent_messages: z.array(MessageRecord),
  recent_errors: z.array(ErrorRecord).nullish(),
  config: anyRecord.nullish(),
  environment: Environment.nullish(),
}));
export type Snapshot = z.infer<typeof Snapshot>;

export const ActionResult = answer('ActionResult', z.looseObject({
  action_id: optStr,
  action: z.string(),
  target: optStr,
  dry_run: z.boolean(),
  applied: z.boolean(),
  replayed: z.boolean().nullish(),
  before: anyRecord.nullish(),
  after: anyRecord.nullish(),
  expires_at: optStr,
  message: optStr,
  reason: optStr,
  /** What the action does to the AgentChat team of its target, one sentence (null outside a team). */
  team_effect: optStr,
}));
export type ActionResult = z.infer<typeof ActionResult>;

/** A temporary action in force (`GET /v1/actions`). */
export const ActiveAction = answer('ActiveAction', z.looseObject({
  action_id: z.string(),
  action: optStr,
  target: optStr,
  created_at: optStr,
  expires_at: optStr,
  reason: optStr,
}));
export type ActiveAction = z.infer<typeof ActiveAction>;
export const ActiveActionList = answer('ActiveActionList', z.looseObject({ actions: z.array(ActiveAction) }));

/** The declared fields of an answer type (without the index signature its loose object adds). */
type Declared<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
type ReadonlyArrays<V> = V extends readonly (infer U)[] ? readonly U[] : V;

/**
 * Fields `K` of bridge answer `T`, present and not null: for a view of the bot's own that needs them. A
 * field renamed or removed in the model fails to compile in every view that reads it.
 */
export type Fields<T, K extends keyof Declared<T>> = { [P in K]-?: ReadonlyArrays<NonNullable<Declared<T>[P]>> };

/** Fields `K` of bridge answer `T`, each of which may be missing or null (arrays read-only). */
export type MaybeFields<T, K extends keyof Declared<T>> = { [P in K]?: ReadonlyArrays<NonNullable<Declared<T>[P]>> | null };
