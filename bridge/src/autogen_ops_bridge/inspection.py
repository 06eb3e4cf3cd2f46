"""Read models built from the bridge's live state: runtime info, agents, logs, messages, snapshot."""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import os
import platform
import sys
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from . import runtime_internals as internals
from ._accel import speedups
from .actions import supports_state
from .agent_names import AgentName
from .collector import CollectedRecord
from .errors import BridgeError
from .footprint import bridge_buffer_bytes
from .gate import AgentGate, ErrorRecord
from .message_graph import PeerCounts, analyse, origins_by_agent
from .message_log import MessageRecord
from .models import (
    AgentDetail,
    AgentSummary,
    BackpressureState,
    DegradedState,
    DependencyCall,
    DependencyStatus,
    Environment,
    FailedCall,
    Handoff,
    LatencyMs,
    LogList,
    LogRecordOut,
    MessageGraphScope,
    MessageRecordOut,
    ModelCallStats,
    Peer,
    RecentWindow,
    RssSample,
    RuntimeInfo,
    Snapshot,
    SubscriptionInfo,
    TeamInfo,
    TeamRunStats,
    ToolCallStats,
)
from .models import ErrorGroup as ErrorGroupOut
from .models import ErrorRecord as ErrorRecordOut
from .redaction import SECRET_NAME, redact
from .stats import LatencySummary, percentile, summarize
from .timefmt import iso, parse_iso

if TYPE_CHECKING:
    from .attach import Bridge, Dependency

PROBE_TIMEOUT_S = 0.5
MAX_LOG_WINDOW_S = 24 * 3600
PACKAGES = ("autogen-core", "autogen-agentchat", "autogen-ext", "autogen-ops-bridge", "fastapi", "pydantic",
            "uvicorn", "prometheus-client", "psutil", "openai", "tiktoken", "grpcio", "opentelemetry-api")


async def probe(dep: Dependency) -> DependencyStatus:
    started = time.perf_counter()
    try:
        if dep.probe is not None:
            await asyncio.wait_for(dep.probe(), PROBE_TIMEOUT_S)
        elif dep.url and dep.url.startswith("tcp://"):
            parsed = urlparse(dep.url)
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(parsed.hostname, parsed.port), PROBE_TIMEOUT_S)
            writer.close()
        else:
            return DependencyStatus(name=dep.name, kind=dep.kind, url=dep.url, reachable=None,
                                    latency_ms=None, error=None)
    except ConnectionRefusedError:
        return DependencyStatus(name=dep.name, kind=dep.kind, url=dep.url, reachable=False, latency_ms=None,
                                error="connection refused")
    except (asyncio.TimeoutError, TimeoutError):
        return DependencyStatus(name=dep.name, kind=dep.kind, url=dep.url, reachable=False, latency_ms=None,
                                error=f"timeout after {PROBE_TIMEOUT_S}s")
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable; report it
        return DependencyStatus(name=dep.name, kind=dep.kind, url=dep.url, reachable=False, latency_ms=None,
                                error=f"{type(exc).__name__}: {exc}")
    return DependencyStatus(name=dep.name, kind=dep.kind, url=dep.url, reachable=True,
                            latency_ms=(time.perf_counter() - started) * 1000.0, error=None)


async def runtime_info(b: Bridge) -> RuntimeInfo:
    b.sync()
    deps = await asyncio.gather(*(probe(d) for d in b.dependencies.values()))
    degrade = b.degrade_state()
    try:
        core_version = importlib.metadata.version("autogen-core")
    except importlib.metadata.PackageNotFoundError:
        core_version = "unknown"
    return RuntimeInfo(
        name=b.name,
        autogen_core_version=core_version,
        python_version=platform.python_version(),
        pid=os.getpid(),
        started_at=iso(b.started_at),
        uptime_s=b.uptime_s(),
        running=internals.is_running(b.runtime),
        queue_depth=b.queue_depth(),
        unfinished_messages=internals.unfinished_messages(b.runtime),
        inflight=b.inflight(),
        max_inflight=b.limits.limiter.limit,
        rss_bytes=b.process.rss_bytes(),
        cpu_percent=b.process.cpu_percent(),
        memory_percent=b.process.memory_percent(),
        disk_percent=b.process.disk_percent(),
        rss_history=[RssSample(ts=iso(ts), rss_bytes=rss) for ts, rss in b.process.rss_history],
        agent_types=b.registered_types(),
        isolated=sorted(t for t, g in b.gates.items() if g.isolation is not None),
        backpressure=BackpressureState(
            runtime=b.limits.limiter.limit,
            agents={t: g.backpressure for t, g in sorted(b.gates.items()) if g.backpressure is not None},
        ),
        degraded=DegradedState(active=degrade["degraded"], features=degrade["degraded_features"],
                               agent_types=degrade["degraded_agent_types"]),
        features=dict(sorted(b.features.items())),
        dependencies=list(deps),
        errors_last_hour=b.errors_last_hour(),
        stats_window_s=b.stats_window_s,
        recent_window_s=b.recent_window_s,
        fault_injection_enabled=b.faults is not None,
        active_faults=b.faults.active() if b.faults is not None else [],
        cache_hooks=sorted(b.caches),
        bridge_buffer_bytes=bridge_buffer_bytes(b),
        bridge_accelerated=speedups is not None,
    )


def error_out(e: ErrorRecord) -> ErrorRecordOut:
    return ErrorRecordOut(ts=iso(e.ts), agent_type=e.agent_type, agent_key=e.agent_key,
                          exception_type=e.exception_type, message=e.message, traceback=e.traceback,
                          message_id=e.message_id, message_type=e.message_type,
                          phase="construction" if e.phase == "construction" else "handler")


def _latency(summary: LatencySummary) -> LatencyMs:
    return LatencyMs(count=summary.count, avg=summary.avg, p50=summary.p50, p95=summary.p95, p99=summary.p99,
                     max=summary.max)


def _recent(b: Bridge, gate: AgentGate, now: float) -> RecentWindow:
    window_s = b.recent_window_s
    counts = gate.stats.per_second.over(window_s, now)
    return RecentWindow(
        window_s=window_s, count=counts.handled, errors=counts.errors, refused=counts.refused,
        error_rate=counts.errors / counts.handled if counts.handled else 0.0,
        throughput_per_s=counts.handled / window_s,
        latency_ms=_latency(summarize(gate.stats.recent(window_s, now))),
    )


def _name_fields(names: dict[str, AgentName], agent_type: str) -> dict[str, Any]:
    n = names.get(agent_type) or AgentName(agent_type, None, "agent")
    team = TeamInfo(name=n.team.name, kind=n.team.kind, id=n.team.id) if n.team is not None else None
    return dict(name=n.name, team=team, role=n.role)


def _summary_fields(
    b: Bridge, agent_type: str, gate: AgentGate, names: dict[str, AgentName] | None = None
) -> dict[str, Any]:
    s = gate.stats
    now = time.time()
    window = summarize(s.recent(b.stats_window_s, now))
    window_counts = s.per_second.over(b.stats_window_s, now)
    registered = agent_type in internals.agent_factories(b.runtime)
    return dict(
        type=agent_type,
        **_name_fields(names if names is not None else b.agent_names(), agent_type),
        registered=registered,
        instances=[aid.key for aid, _ in b.instances_of(agent_type)],
        inflight=s.inflight,
        peak_inflight=s.peak_inflight,
        waiting=gate.waiting,
        max_inflight=gate.backpressure,
        capacity=gate.capacity,
        handled_total=s.handled_total,
        errors_total=s.errors_total,
        error_rate=(window_counts.errors / window_counts.handled) if window_counts.handled else 0.0,
        refused_total=sum(s.refused_by_reason.values()),
        latency_ms=_latency(window),
        isolated=gate.isolation is not None,
        isolation_mode=gate.isolation.mode if gate.isolation else None,
        backpressured=gate.backpressure is not None,
        degraded=gate.degraded,
        last_error=error_out(latest) if (latest := gate.errors.latest()) is not None else None,
        construction_errors=s.construction_errors,
        window_errors=window_counts.errors,
        recent=_recent(b, gate, now),
    )


def agent_summaries(b: Bridge) -> list[AgentSummary]:
    names = b.agent_names()
    origins = origins_by_agent(b.log, time.time() - b.stats_window_s)
    return [AgentSummary(**_summary_fields(b, t, g, names), failure_origins=origins.get(t, []))
            for t, g in b.gates_snapshot()]


def _subscription(sub: Any) -> SubscriptionInfo:
    from autogen_core import DefaultSubscription, TypePrefixSubscription, TypeSubscription

    if isinstance(sub, DefaultSubscription) and sub.topic_type == "default":
        return SubscriptionInfo(id=sub.id, kind="default", topic_type=sub.topic_type)
    if isinstance(sub, TypeSubscription):
        return SubscriptionInfo(id=sub.id, kind="type", topic_type=sub.topic_type)
    if isinstance(sub, TypePrefixSubscription):
        return SubscriptionInfo(id=sub.id, kind="type_prefix", topic_type=sub.topic_type_prefix)
    return SubscriptionInfo(id=str(getattr(sub, "id", "?")), kind="other", topic_type=None)


async def agent_detail(b: Bridge, agent_type: str) -> AgentDetail:
    gate = b.require_gate(agent_type)
    instances = b.instances_of(agent_type)
    saved: dict[str, Any] | None = None
    stateful = [(aid, a) for aid, a in instances if supports_state(a)]
    if stateful:
        saved = {}
        for aid, agent in stateful:
            try:
                saved[aid.key] = redact(dict(await agent.save_state()))
            except Exception as exc:  # noqa: BLE001 - reported in place of the state
                saved[aid.key] = {"_error": f"{type(exc).__name__}: {exc}"}
    if gate.isolation is not None and gate.isolation.saved_state:
        saved = {**(saved or {}), **{f"isolated:{k}": redact(v) for k, v in gate.isolation.saved_state.items()}}
    subs = [
        _subscription(s) for s in internals.subscriptions(b.runtime) if getattr(s, "agent_type", None) == agent_type
    ]
    message_types = set(gate.stats.message_types)
    for _, agent in instances:
        message_types.update(internals.handled_message_types(agent))
    deps = []
    for d in gate.stats.dependencies.values():
        ms = sorted(x * 1000.0 for x in d.durations)
        deps.append(DependencyCall(name=d.name, kind=d.kind, count=d.count, errors=d.errors,
                                   avg_ms=sum(ms) / len(ms) if ms else 0.0, p95_ms=percentile(ms, 95),
                                   last_error=d.last_error))
    now = time.time()
    graph = analyse(b.log, agent_type, now - b.stats_window_s)
    return AgentDetail(
        **_summary_fields(b, agent_type, gate),
        failure_origins=list(dict.fromkeys(c.path[-1] for c in graph.cascades)),
        subscriptions=subs,
        message_types=sorted(message_types),
        saved_state=saved,
        recent_errors=[error_out(e) for e in gate.recent_errors],
        dependency_calls=deps,
        errors_by_type=dict(sorted(gate.stats.errors_by_type.items())),
        failed_calls=[FailedCall(path=list(c.path), origin=c.path[-1], outcome="refused" if c.outcome == "refused"
                                 else "error", origin_error=c.origin_error, count=c.count,
                                 first_at=iso(c.first_at), last_at=iso(c.last_at)) for c in graph.cascades],
        callers=_peers(graph.callers),
        callees=_peers(graph.callees),
        message_graph=MessageGraphScope(
            messages=graph.hops_considered, since=iso(graph.since) if graph.since is not None else None,
            failures=graph.failures,
            unlinked=b.log.unlinked_since(now - b.stats_window_s)),
        tool_calls=_tool_calls(b, agent_type),
        model_calls=_model_calls(b, agent_type),
        team_runs=team_runs(b, agent_type),
        handoffs=[Handoff(target=t, count=n) for t, n in sorted(b.agentchat.handoffs.get(agent_type, {}).items(),
                                                                 key=lambda kv: (-kv[1], kv[0]))],
        error_groups=[ErrorGroupOut(signature=g.signature, exception_type=g.exception_type, message=g.message,
                                    count=g.count, first_at=iso(g.first_at), last_at=iso(g.last_at))
                      for g in gate.errors.by_count()],
    )


def _tool_calls(b: Bridge, agent_type: str) -> list[ToolCallStats]:
    out = []
    for t in b.agentchat.tool_stats(agent_type):
        ms = sorted(x * 1000.0 for x in t.durations)
        out.append(ToolCallStats(tool=t.tool, count=t.count, errors=t.errors, avg_ms=sum(ms) / len(ms) if ms else None,
                                 p95_ms=percentile(ms, 95) if ms else None, last_error=t.last_error))
    return out


def _model_calls(b: Bridge, agent_type: str) -> ModelCallStats | None:
    m = b.agentchat.model_stats(agent_type)
    if m is None:
        return None
    ms = sorted(x * 1000.0 for x in m.durations)
    return ModelCallStats(calls=m.calls, errors=m.errors, errors_by_type=dict(sorted(m.errors_by_type.items())),
                          error_rate=m.errors / m.calls if m.calls else 0.0, last_error=m.last_error,
                          prompt_tokens=m.prompt_tokens, completion_tokens=m.completion_tokens,
                          avg_ms=sum(ms) / len(ms) if ms else None, p95_ms=percentile(ms, 95) if ms else None)


def team_runs(b: Bridge, agent_type: str) -> TeamRunStats | None:
    """The runs of ``agent_type``'s team, as its manager counted them."""
    names = b.agent_names()
    me = names.get(agent_type)
    if me is None or me.team is None:
        return None
    manager = next((t for t, n in names.items() if n.role == "manager" and n.team is not None
                    and n.team.id == me.team.id), None)
    if manager is None:
        return None
    r = b.agentchat.team_runs.get(manager)
    if r is None:
        return TeamRunStats(team=me.team.name, kind=me.team.kind, manager=manager, started=0, finished=0, stopped=0,
                            max_turns_reached=0, failed=0, last_ended_by=None, last_ended_at=None,
                            last_stop_reason=None, last_error=None)
    ended_by = r.last_ended_by if r.last_ended_by in ("termination", "max_turns", "error") else None
    return TeamRunStats(team=me.team.name, kind=me.team.kind, manager=manager, started=r.started,
                        finished=r.stopped + r.failed, stopped=r.stopped, max_turns_reached=r.max_turns,
                        failed=r.failed, last_ended_by=ended_by,  # type: ignore[arg-type]
                        last_ended_at=iso(r.last_ended_at) if r.last_ended_at is not None else None,
                        last_stop_reason=r.last_stop_reason, last_error=r.last_error)


def _peers(peers: dict[str, PeerCounts]) -> list[Peer]:
    return [Peer(agent_type=t, count=p.count, errors=p.errors, refused=p.refused, last_at=iso(p.last_at))
            for t, p in sorted(peers.items(), key=lambda kv: -kv[1].count)]


def message_out(r: MessageRecord) -> MessageRecordOut:
    outcome = r.outcome if r.outcome in ("ok", "error", "refused", "pending", "held") else "pending"
    queued = (r.dispatched_at - r.started_at) * 1000.0 if r.dispatched_at else None
    handler = None
    if r.handler_started_at is not None and r.finished_at is not None:
        handler = (r.finished_at - r.handler_started_at) * 1000.0
    return MessageRecordOut(
        message_id=r.message_id, sender=r.sender, recipient=r.recipient, message_type=r.message_type,
        kind="publish" if r.kind == "publish" else "send", started_at=iso(r.started_at),
        finished_at=iso(r.finished_at) if r.finished_at else None, duration_ms=r.duration_ms,
        outcome=outcome,  # type: ignore[arg-type]
        error=r.error, parent_id=r.parent_id, trace_id=r.trace_id, queued_ms=queued, handler_ms=handler,
    )


LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING, "ERROR": logging.ERROR,
          "CRITICAL": logging.CRITICAL}


def parse_time(value: str, now: float, name: str) -> float:
    """ISO-8601, or a number of seconds before ``now``."""
    try:
        return now - float(value)
    except ValueError:
        pass
    try:
        return parse_iso(value)
    except ValueError:
        raise BridgeError("VALIDATION_FAILED", 422,
                          f"'{name}' must be an ISO-8601 time or a number of seconds ago, got {value!r}",
                          {"param": name}) from None


def logs(b: Bridge, *, since: str | None, until: str | None, level: str | None, agent: str | None,
         limit: int, now: float) -> LogList:
    start = parse_time(since, now, "since") if since is not None else None
    end = parse_time(until, now, "until") if until is not None else None
    if start is not None and end is not None and end < start:
        raise BridgeError("VALIDATION_FAILED", 422, "'until' is before 'since'", {"since": since, "until": until})
    if start is not None and (end if end is not None else now) - start > MAX_LOG_WINDOW_S:
        raise BridgeError("LIMIT_OUT_OF_RANGE", 422, "the time window may span at most 24 h",
                          {"max_window_s": MAX_LOG_WINDOW_S})
    min_level = LEVELS[level] if level else logging.DEBUG
    matched: list[CollectedRecord] = []
    for r in b.collector.records():
        if start is not None and r.ts < start:
            continue
        if end is not None and r.ts > end:
            continue
        if r.levelno < min_level:
            continue
        if agent is not None and agent not in r.related_types:
            continue
        matched.append(r)
    truncated = len(matched) > limit
    out = matched[-limit:]
    return LogList(  # redacted as it is served (api.py), with every other answer
        records=[LogRecordOut(ts=iso(r.ts), level=r.level, logger=r.logger, event=r.event,
                              message=r.message, agent_type=r.agent_type,
                              agent_key=r.agent_key, message_id=r.message_id, trace_id=r.trace_id,
                              exception_type=r.exception_type, traceback=r.traceback, count=r.count)
                 for r in out],
        truncated=truncated,
    )


def environment(b: Bridge) -> Environment:
    packages: dict[str, str] = {}
    for name in PACKAGES:
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    secrets = (b.token, b.read_token or "")
    env = {k: "***" if SECRET_NAME.search(k) else redact(v, secrets) for k, v in sorted(os.environ.items())}
    return Environment(python=sys.version.split()[0], platform=platform.platform(), packages=packages, env=env)


async def snapshot(b: Bridge) -> Snapshot:
    info = await runtime_info(b)
    details = [await agent_detail(b, t) for t in b.registered_types()]
    errors = sorted((e for d in details for e in d.recent_errors), key=lambda e: e.ts, reverse=True)[:50]
    secrets = (b.token, b.read_token or "")
    return Snapshot(
        taken_at=iso(time.time()),
        runtime=info,
        agents=details,
        recent_messages=[message_out(r) for r in b.log.recent(50)],
        recent_errors=errors,
        config=redact(b.config, secrets),
        environment=environment(b),
    )
