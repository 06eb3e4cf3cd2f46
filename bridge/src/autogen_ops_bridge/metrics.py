"""Prometheus exposition built at scrape time from the gates' counters (nothing on the hot path)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from .stats import LATENCY_BUCKETS_S

if TYPE_CHECKING:
    from .attach import Bridge


class BridgeCollector(Collector):
    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge

    def collect(self) -> Iterable[Metric]:
        b = self._bridge
        gates = b.gates_snapshot()
        messages = CounterMetricFamily(
            "autogen_agent_messages", "Messages handled per agent type", labels=["agent_type"]
        )
        errors = CounterMetricFamily(
            "autogen_agent_handler_errors", "Handler exceptions per agent type and exception type",
            labels=["agent_type", "exception_type"],
        )
        refused = CounterMetricFamily(
            "autogen_agent_messages_refused", "Messages refused by the bridge (isolated, degraded, "
            "backpressure)", labels=["agent_type", "reason"],
        )
        construction = CounterMetricFamily(
            "autogen_agent_construction_errors", "Agent construction failures", labels=["agent_type"]
        )
        latency = HistogramMetricFamily(
            "autogen_agent_handler_latency_seconds", "Handler latency", labels=["agent_type"], unit=""
        )
        inflight = GaugeMetricFamily("autogen_agent_inflight", "Handlers running", labels=["agent_type"])
        waiting = GaugeMetricFamily(
            "autogen_agent_waiting", "Messages waiting in the bridge gate (held or for a slot)",
            labels=["agent_type"],
        )
        instances = GaugeMetricFamily("autogen_agent_instances", "Instantiated agents", labels=["agent_type"])
        isolated = GaugeMetricFamily("autogen_agent_isolated", "1 if isolated", labels=["agent_type"])
        backpressured = GaugeMetricFamily(
            "autogen_agent_backpressured", "1 if a backpressure limit is set", labels=["agent_type"]
        )
        degraded = GaugeMetricFamily("autogen_agent_degraded", "1 if switched off by degrade",
                                     labels=["agent_type"])
        instance_counts = b.instance_counts()
        for t, g in gates:
            s = g.stats
            messages.add_metric([t], s.handled_total)
            for exc_type, n in sorted(s.errors_by_type.items()):
                errors.add_metric([t, exc_type], n)
            for reason, n in sorted(s.refused_by_reason.items()):
                refused.add_metric([t, reason], n)
            construction.add_metric([t], s.construction_errors)
            cumulative = 0
            buckets: list[tuple[str, float]] = []
            for bound, n in zip(LATENCY_BUCKETS_S, s.bucket_counts, strict=False):
                cumulative += n
                buckets.append((repr(bound), cumulative))
            cumulative += s.bucket_counts[-1]
            buckets.append(("+Inf", cumulative))
            latency.add_metric([t], buckets, s.latency_sum_s)
            inflight.add_metric([t], s.inflight)
            waiting.add_metric([t], g.waiting)
            instances.add_metric([t], instance_counts.get(t, 0))
            isolated.add_metric([t], 1 if g.isolation is not None else 0)
            backpressured.add_metric([t], 1 if g.backpressure is not None else 0)
            degraded.add_metric([t], 1 if g.degraded else 0)
        yield from (messages, errors, refused, construction, latency, inflight, waiting, instances,
                    isolated, backpressured, degraded)
        yield from _agentchat_metrics(b)

        features = GaugeMetricFamily("autogen_feature_enabled", "1 if the named feature is on",
                                     labels=["feature"])
        for name, on in sorted(b.features.items()):
            features.add_metric([name], 1 if on else 0)
        yield features
        yield GaugeMetricFamily("autogen_runtime_degraded", "1 if any feature or agent type is degraded",
                                value=1 if b.is_degraded() else 0)
        yield GaugeMetricFamily("autogen_runtime_queue_depth",
                                "Messages accepted but not yet being handled", value=b.queue_depth())
        yield GaugeMetricFamily("autogen_runtime_inflight", "Handlers running", value=b.inflight())
        yield GaugeMetricFamily("autogen_runtime_max_inflight", "Runtime-wide limit (0 = none)",
                                value=b.limits.limiter.limit or 0)
        yield GaugeMetricFamily("autogen_runtime_rss_bytes", "Resident set size",
                                value=b.process.rss_bytes())
        yield GaugeMetricFamily("autogen_runtime_cpu_percent", "CPU percent (last sample)",
                                value=b.process.cpu_percent())
        yield GaugeMetricFamily("autogen_runtime_uptime_seconds", "Seconds since attach", value=b.uptime_s())
        yield GaugeMetricFamily("autogen_runtime_errors_last_hour", "Handler and construction errors",
                                value=b.errors_last_hour())


def _agentchat_metrics(b: Bridge) -> Iterable[Metric]:
    """Tool calls seen in AgentChat participants' tool results, and team runs their managers ended."""
    calls = CounterMetricFamily("autogen_agent_tool_calls", "Tool calls made by an AgentChat agent",
                                labels=["agent_type", "tool"])
    failed = CounterMetricFamily("autogen_agent_tool_errors", "Tool calls whose result was an error",
                                 labels=["agent_type", "tool"])
    for agent_type, tools in sorted(b.agentchat.tools.items()):
        for tool, t in sorted(tools.items()):
            calls.add_metric([agent_type, tool], t.count)
            failed.add_metric([agent_type, tool], t.errors)
    runs = CounterMetricFamily("autogen_team_runs_ended", "AgentChat team runs ended, by the manager's agent "
                               "type; outcome: stopped (termination condition or max turns) or error",
                               labels=["agent_type", "outcome"])
    started = CounterMetricFamily("autogen_team_runs_started", "AgentChat team runs started, by the manager's "
                                  "agent type", labels=["agent_type"])
    max_turns = CounterMetricFamily("autogen_team_runs_max_turns", "AgentChat team runs stopped because max_turns "
                                    "was exhausted (also in runs_ended outcome=stopped)", labels=["agent_type"])
    for agent_type, r in sorted(b.agentchat.team_runs.items()):
        runs.add_metric([agent_type, "stopped"], r.stopped)
        runs.add_metric([agent_type, "error"], r.failed)
        started.add_metric([agent_type], r.started)
        max_turns.add_metric([agent_type], r.max_turns)
    model_calls = CounterMetricFamily("autogen_agent_model_calls", "Model calls made by an agent type (answered "
                                      "or failed)", labels=["agent_type"])
    model_errors = CounterMetricFamily("autogen_agent_model_call_errors", "Failed model calls by exception type",
                                       labels=["agent_type", "exception_type"])
    tokens = CounterMetricFamily("autogen_agent_model_tokens", "Tokens reported by model clients' LLM events",
                                 labels=["agent_type", "kind"])
    model_seconds = CounterMetricFamily("autogen_agent_model_call_seconds", "Sum of model-call latencies (each an "
                                        "upper bound: from the handler's previous step)",
                                        labels=["agent_type"])
    for agent_type, m in sorted(b.agentchat.model_calls.items()):
        model_calls.add_metric([agent_type], m.calls)
        for exc_type, n in sorted(m.errors_by_type.items()):
            model_errors.add_metric([agent_type, exc_type], n)
        tokens.add_metric([agent_type, "prompt"], m.prompt_tokens)
        tokens.add_metric([agent_type, "completion"], m.completion_tokens)
        model_seconds.add_metric([agent_type], m.seconds_total)
    handoffs = CounterMetricFamily("autogen_agent_handoffs", "Handoffs (Swarm) by the agent type that handed off "
                                   "and the target's name", labels=["agent_type", "target"])
    for agent_type, targets in sorted(b.agentchat.handoffs.items()):
        for target, n in sorted(targets.items()):
            handoffs.add_metric([agent_type, target], n)
    yield from (calls, failed, runs, started, max_turns, model_calls, model_errors, tokens, model_seconds, handoffs)


def make_registry(bridge: Bridge) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BridgeCollector(bridge))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
