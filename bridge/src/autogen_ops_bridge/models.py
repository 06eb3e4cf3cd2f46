"""Request and response models of the HTTP API; FastAPI derives ``openapi.json`` from them. The body of each
control action is declared beside the action, in ``actions.py`` (its table of endpoints)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors -------------------------------------------------------------------------------------
class ErrorBody(BaseModel):
    code: str = Field(description="Stable error code, e.g. AGENT_NOT_FOUND")
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    error: ErrorBody


# --- read models --------------------------------------------------------------------------------
class Health(BaseModel):
    status: Literal["ok"] = "ok"
    runtime: str
    uptime_s: float


class RssSample(BaseModel):
    ts: str
    rss_bytes: int


class BackpressureState(BaseModel):
    runtime: int | None
    agents: dict[str, int]


class DegradedState(BaseModel):
    active: bool
    features: list[str]
    agent_types: list[str]


class DependencyStatus(BaseModel):
    name: str
    kind: str
    url: str | None
    reachable: bool | None
    latency_ms: float | None
    error: str | None


class RuntimeInfo(BaseModel):
    name: str
    autogen_core_version: str
    python_version: str
    pid: int
    started_at: str
    uptime_s: float
    running: bool
    queue_depth: int
    unfinished_messages: int
    inflight: int
    max_inflight: int | None
    rss_bytes: int
    cpu_percent: float
    memory_percent: float
    disk_percent: float
    rss_history: list[RssSample]
    agent_types: list[str]
    isolated: list[str]
    backpressure: BackpressureState
    degraded: DegradedState
    features: dict[str, bool]
    dependencies: list[DependencyStatus]
    errors_last_hour: int
    stats_window_s: float
    recent_window_s: float = Field(description="Seconds covered by each agent's `recent` figures")
    fault_injection_enabled: bool
    active_faults: list[FaultInfo]
    cache_hooks: list[str]
    bridge_buffer_bytes: int = Field(
        description="Estimated bytes held by the bridge's own buffers (message log, log collector, error "
                    "records, formatted tracebacks): part of rss_bytes; subtract it before judging a leak")
    bridge_accelerated: bool = Field(
        description="Whether the bridge runs its C accelerator for the per-message path (built at install where a "
                    "C compiler is at hand; AUTOGEN_OPS_BRIDGE_NO_C=1 turns it off): without it an error storm "
                    "costs the application more")


class LatencyMs(BaseModel):
    count: int
    avg: float
    p50: float
    p95: float
    p99: float
    max: float


class ErrorRecord(BaseModel):
    ts: str
    agent_type: str
    agent_key: str | None
    exception_type: str
    message: str
    traceback: str
    message_id: str | None
    message_type: str | None
    phase: Literal["handler", "construction"]


class ErrorGroup(BaseModel):
    """Every error of one signature (exception type and the code locations of its traceback's frames,
    chained causes included) while the bridge remembers it."""

    signature: str = Field(description="Stable digest of the signature (type names, files, functions, offsets)")
    exception_type: str
    message: str = Field(description="The message of the latest error")
    count: int = Field(description="Errors of this signature since first_at (exact)")
    first_at: str
    last_at: str


class RecentWindow(BaseModel):
    """An agent's figures over the short recent window: counts are exact (per-second counters); the
    latency percentiles come from the handler samples the bridge keeps (``latency_ms.count`` of them)."""

    window_s: float
    count: int = Field(description="Messages handled in the window (exact)")
    errors: int = Field(description="Handler failures in the window (exact)")
    refused: int = Field(description="Messages refused by isolation, degrade or backpressure (exact)")
    error_rate: float = Field(description="errors / count; 0 when nothing was handled")
    throughput_per_s: float
    latency_ms: LatencyMs


class TeamInfo(BaseModel):
    name: str = Field(description="The team's name if the application registered the team, else its kind")
    kind: str = Field(description="RoundRobinGroupChat, SelectorGroupChat, Swarm, GraphFlow, …")
    id: str = Field(description="AgentChat's team id (changes at every start of the application)")


class AgentSummary(BaseModel):
    type: str
    name: str = Field(description="Stable name: an AgentChat participant's own name, else the type")
    team: TeamInfo | None
    role: Literal["agent", "participant", "manager"]
    registered: bool
    instances: list[str]
    inflight: int
    peak_inflight: int
    waiting: int
    max_inflight: int | None
    capacity: int | None
    handled_total: int
    errors_total: int
    error_rate: float
    refused_total: int
    latency_ms: LatencyMs
    isolated: bool
    isolation_mode: str | None
    backpressured: bool
    degraded: bool
    last_error: ErrorRecord | None
    construction_errors: int
    window_errors: int = Field(description="Handler failures in the stats window (exact)")
    recent: RecentWindow
    failure_origins: list[str] = Field(
        description="Agent types whose failed calls explain this agent's failures (message graph), most first"
    )


class SubscriptionInfo(BaseModel):
    id: str
    kind: Literal["type", "type_prefix", "default", "other"]
    topic_type: str | None


class DependencyCall(BaseModel):
    name: str
    kind: str
    count: int
    errors: int
    avg_ms: float
    p95_ms: float
    last_error: str | None


class ToolCallStats(BaseModel):
    """Calls this agent type made to one tool, read from the tool results an AgentChat participant publishes
    (a failed call is a result with ``is_error``; it also counts as the handler's error, ``ToolError``)."""

    tool: str
    count: int
    errors: int
    avg_ms: float | None = Field(description="From the tool-call request to its result; null when not seen")
    p95_ms: float | None
    last_error: str | None


class ModelCallStats(BaseModel):
    """Model calls this agent type made. Answers are counted from autogen-core's ``LLMCallEvent`` and
    ``LLMStreamEndEvent`` (logged by autogen-ext's OpenAI, Azure, Anthropic, Ollama, … clients; a
    ``ReplayChatCompletionClient`` logs none); failures from the failure the agent reported whose traceback
    runs through a model client call (a rate limit, a timeout), whether or not the handler raised it."""

    calls: int = Field(description="Model calls ended: answered or failed")
    errors: int
    errors_by_type: dict[str, int] = Field(description="Failed calls by exception type (RateLimitError, …)")
    error_rate: float = Field(description="errors / calls since the bridge attached")
    last_error: str | None = Field(description="'<exception type>: <message>' of the latest failed call")
    prompt_tokens: int
    completion_tokens: int
    avg_ms: float | None = Field(description="From the handler's previous step (its start, its last published "
                                 "message or model call) to the answer or failure: an upper bound of the call")
    p95_ms: float | None


class TeamRunStats(BaseModel):
    """Runs of the AgentChat team this agent type belongs to, counted by the team's group-chat manager."""

    team: str
    kind: str
    manager: str = Field(description="The manager's agent type")
    started: int
    finished: int = Field(description="stopped + failed")
    stopped: int = Field(description="Runs ended by a termination condition or max turns")
    max_turns_reached: int = Field(description="Runs stopped because max_turns was exhausted")
    failed: int = Field(description="Runs ended by an error")
    last_ended_by: Literal["termination", "max_turns", "error"] | None
    last_ended_at: str | None
    last_stop_reason: str | None
    last_error: str | None


class Handoff(BaseModel):
    """Handoffs (Swarm's ``HandoffMessage``) this agent made to one target."""

    target: str
    count: int


class FailedCall(BaseModel):
    """A cascade proven by the message graph: this agent's handler failed while a message it sent failed,
    possibly several hops deep. ``path`` runs from this agent down to the origin, the deepest failing agent."""

    path: list[str]
    origin: str
    outcome: Literal["error", "refused"] = Field(description="How the origin's hop ended")
    origin_error: str | None
    count: int = Field(description="Failures of this agent explained by this path, among the messages considered")
    first_at: str
    last_at: str


class Peer(BaseModel):
    """Messages exchanged with one other agent type, from the message graph."""

    agent_type: str
    count: int
    errors: int
    refused: int
    last_at: str


class MessageGraphScope(BaseModel):
    """What the message-graph figures (``failed_calls``, ``callers``, ``callees``) were read from: the
    bridge keeps the most recent messages only, so these are counts among ``messages`` hops since ``since``.
    Under load it links a sample of whole traces (the first few per second entering each agent type) and
    only counts the other messages (``unlinked``): the figures are then counts within that sample."""

    messages: int
    since: str | None
    failures: int = Field(0, description="This agent type's failed hops among ``messages``")
    unlinked: int = Field(0, description="Messages since ``since`` counted but not linked (not in the sample)")


class AgentDetail(AgentSummary):
    subscriptions: list[SubscriptionInfo]
    message_types: list[str]
    saved_state: dict[str, Any] | None
    recent_errors: list[ErrorRecord]
    dependency_calls: list[DependencyCall]
    errors_by_type: dict[str, int]
    failed_calls: list[FailedCall]
    callers: list[Peer]
    callees: list[Peer]
    message_graph: MessageGraphScope
    tool_calls: list[ToolCallStats] = Field(description="AgentChat tool calls (empty for other agents)")
    model_calls: ModelCallStats | None = Field(description="Model calls; null when none was seen")
    team_runs: TeamRunStats | None = Field(description="Runs of the agent's AgentChat team; null for other agents")
    handoffs: list[Handoff] = Field(description="Handoffs made by this agent (Swarm), most first")
    error_groups: list[ErrorGroup] = Field(
        description="Errors by signature, most frequent first (the 64 most recently seen signatures)")


class AgentList(BaseModel):
    agents: list[AgentSummary]


class LogRecordOut(BaseModel):
    ts: str
    level: str
    logger: str
    event: str | None
    message: str
    agent_type: str | None
    agent_key: str | None
    message_id: str | None
    trace_id: str | None
    exception_type: str | None
    traceback: str | None
    count: int = Field(1, description="Events this record stands for: itself and, under load, the events of its "
                                      "kind after it that were counted but not kept (up to the next record kept)")


class LogList(BaseModel):
    records: list[LogRecordOut]
    truncated: bool


class MessageRecordOut(BaseModel):
    message_id: str
    sender: str | None
    recipient: str
    message_type: str
    kind: Literal["send", "publish"]
    started_at: str
    finished_at: str | None
    duration_ms: float | None
    outcome: Literal["ok", "error", "refused", "pending", "held"]
    error: str | None
    parent_id: str | None
    trace_id: str | None
    queued_ms: float | None
    handler_ms: float | None


class MessageList(BaseModel):
    messages: list[MessageRecordOut]


class Trace(BaseModel):
    message_id: str
    trace_id: str | None
    hops: list[MessageRecordOut]


class Environment(BaseModel):
    python: str
    platform: str
    packages: dict[str, str]
    env: dict[str, str]


class Snapshot(BaseModel):
    taken_at: str
    runtime: RuntimeInfo
    agents: list[AgentDetail]
    recent_messages: list[MessageRecordOut]
    recent_errors: list[ErrorRecord]
    config: dict[str, Any]
    environment: Environment


# --- actions ------------------------------------------------------------------------------------
class ActionBase(_Model):
    dry_run: bool = Field(False, description="Return what would change; change nothing")
    ttl_s: float | None = Field(
        None, ge=1, le=86400, description="Seconds after which the action reverts by itself"
    )
    reason: str | None = Field(None, max_length=2000)


class ActionResult(BaseModel):
    action_id: str
    action: str
    target: str | None
    dry_run: bool
    applied: bool
    replayed: bool
    before: dict[str, Any]
    after: dict[str, Any]
    expires_at: str | None
    message: str
    reason: str | None = None
    team_effect: str | None = Field(
        default=None, description="What the action does to the AgentChat team of its target (null outside a team)")


class ActiveAction(BaseModel):
    action_id: str
    action: str
    target: str | None
    created_at: str
    expires_at: str | None
    reason: str | None


class ActiveActionList(BaseModel):
    actions: list[ActiveAction]


# --- faults -------------------------------------------------------------------------------------
class FaultInfo(BaseModel):
    fault: str
    agent_type: str
    params: dict[str, Any]
    since: str


class FaultList(BaseModel):
    faults: list[FaultInfo]
    known_faults: list[str] = Field(default_factory=list)


class FaultRequest(_Model):
    fault: str = Field(min_length=1, max_length=100)
    agent_type: str = Field("ChatAgent", min_length=1, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)


RuntimeInfo.model_rebuild()
