"""Each demo fault produces the symptoms the bot diagnoses, in /metrics, /v1/agents/{type} and /v1/logs,
and the runtime still stops cleanly afterwards."""

from __future__ import annotations

import re

import pytest
from conftest import FleetHandle, wait_for


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one Prometheus sample (0.0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = ",".join(sorted((m.group(2) or "{}")[1:-1].split(","))) if m.group(2) else ""
        if got == want:
            return float(m.group(3))
    return 0.0


async def inject(fleet: FleetHandle, fault: str, agent_type: str, **params: object) -> None:
    await fleet.post("/v1/faults", {"fault": fault, "agent_type": agent_type, "params": params})


async def test_exception_fault_shows_in_metrics_agent_detail_and_logs(fleet: FleetHandle) -> None:
    await inject(fleet, "exception", "ToolAgent")
    replies = await fleet.ask_many(3)
    assert all(not isinstance(r, Exception) for r in replies), "PlannerAgent tolerates ToolAgent failures"
    tool = await fleet.agent("ToolAgent")
    assert tool["errors_total"] == 3 and tool["error_rate"] > 0
    assert tool["last_error"]["exception_type"] == "InjectedFaultError"
    assert "Traceback" in tool["last_error"]["traceback"] and tool["last_error"]["message_id"]
    assert (await fleet.agent("ChatAgent"))["errors_total"] == 0
    text = (await fleet.http.get("/metrics")).text
    assert metric(text, "autogen_agent_handler_errors_total", agent_type="ToolAgent",
                  exception_type="InjectedFaultError") == 3
    logs = await fleet.get("/v1/logs", params={"level": "ERROR", "agent": "ToolAgent"})
    assert len(logs["records"]) == 3
    record = logs["records"][-1]
    assert record["event"] == "MessageHandlerExceptionEvent" and record["agent_type"] == "ToolAgent"
    assert record["exception_type"] == "InjectedFaultError" and record["message_id"] and record["trace_id"]
    await fleet.stop_cleanly()


async def test_cascade_fails_every_dependent_agent_with_the_root_cause_text(fleet: FleetHandle) -> None:
    await inject(fleet, "cascade", "ChatAgent")
    replies = await fleet.ask_many(2)
    assert all(isinstance(r, Exception) and "timeout" in str(r) for r in replies)
    for agent_type in ("ChatAgent", "PlannerAgent", "RetrieverAgent"):
        detail = await fleet.agent(agent_type)
        assert detail["errors_total"] == 2, agent_type
        assert "timeout" in detail["last_error"]["message"]
    assert (await fleet.agent("ToolAgent"))["errors_total"] == 0
    errors = (await fleet.get("/v1/logs", params={"level": "ERROR"}))["records"]
    chat_error = next(r for r in errors if r["agent_type"] == "ChatAgent")
    same_trace = {r["agent_type"] for r in errors if r["trace_id"] == chat_error["trace_id"]}
    assert same_trace == {"ChatAgent", "PlannerAgent", "RetrieverAgent"}
    faults = await fleet.get("/v1/faults")
    assert faults["faults"][0]["params"]["origin"] == "RetrieverAgent"
    await fleet.stop_cleanly()


async def test_slow_fault_raises_handler_latency(fleet: FleetHandle) -> None:
    await inject(fleet, "slow", "PlannerAgent", delay_s=0.3)
    await fleet.ask_many(2)
    planner = await fleet.agent("PlannerAgent")
    assert planner["latency_ms"]["p50"] >= 300.0
    text = (await fleet.http.get("/metrics")).text
    assert metric(text, "autogen_agent_handler_latency_seconds_bucket", agent_type="PlannerAgent", le="0.25") == 0
    assert metric(text, "autogen_agent_handler_latency_seconds_count", agent_type="PlannerAgent") == 2
    await fleet.stop_cleanly()


async def test_memory_fault_grows_rss(fleet: FleetHandle) -> None:
    start = (await fleet.get("/v1/runtime"))["rss_bytes"]
    await inject(fleet, "memory", "ToolAgent", mb_per_s=100, max_mb=48)

    async def grown() -> bool:
        return (await fleet.get("/v1/runtime"))["rss_bytes"] - start > 40 * 1024 * 1024

    await wait_for(grown, what="RSS to grow by 40 MB")
    fleet.bridge.process.sample()
    info = await fleet.get("/v1/runtime")
    assert info["rss_history"][-1]["rss_bytes"] - start > 40 * 1024 * 1024
    assert info["active_faults"][0]["fault"] == "memory"
    await fleet.stop_cleanly()


async def test_flood_fault_backs_up_the_queue(fleet: FleetHandle) -> None:
    await inject(fleet, "flood", "ToolAgent", burst=50, interval_s=0.05, work_s=0.2, max_backlog=200)

    # one observation of the three views together: between two reads a slot may free and refill, so each
    # view is read until all agree that the flood holds the agent at its capacity with a backlog behind it
    async def backlog() -> bool:
        text = (await fleet.http.get("/metrics")).text
        return (
            (await fleet.get("/v1/runtime"))["queue_depth"] > 10
            and metric(text, "autogen_runtime_queue_depth") > 10
            and metric(text, "autogen_agent_waiting", agent_type="ToolAgent") > 10
            and (await fleet.agent("ToolAgent"))["inflight"] == 16  # the demo's declared capacity
        )

    await wait_for(backlog, what="a backlog > 10 behind ToolAgent at its capacity of 16, in /v1 and /metrics")
    await fleet.stop_cleanly()


async def test_dead_dependency_reports_connection_refused(fleet: FleetHandle) -> None:
    await fleet.ask_many(1)
    await inject(fleet, "dead_dependency", "RetrieverAgent")
    replies = await fleet.ask_many(2)
    assert all(isinstance(r, Exception) and "connection refused" in str(r) for r in replies)
    info = await fleet.get("/v1/runtime")
    dep = info["dependencies"][0]
    assert dep["name"] == "vector-db" and dep["reachable"] is False and dep["error"] == "connection refused"
    retriever = await fleet.agent("RetrieverAgent")
    assert "connection refused" in retriever["last_error"]["message"]
    calls = retriever["dependency_calls"][0]
    assert calls["name"] == "vector-db" and calls["errors"] == 2 and calls["count"] == 3
    assert calls["last_error"] == "connection refused"
    await fleet.http.delete("/v1/faults/dead_dependency")
    assert (await fleet.get("/v1/runtime"))["dependencies"][0]["reachable"] is True
    assert all(not isinstance(r, Exception) for r in await fleet.ask_many(1))
    await fleet.stop_cleanly()


async def test_missing_module_fails_construction(fleet: FleetHandle) -> None:
    await inject(fleet, "missing_module", "PlannerAgent", module="planning_toolkit")
    replies = await fleet.ask_many(2)
    assert all(isinstance(r, Exception) and "No module named 'planning_toolkit'" in str(r) for r in replies)
    planner = await fleet.agent("PlannerAgent")
    assert planner["instances"] == [] and planner["construction_errors"] == 2
    assert planner["last_error"]["phase"] == "construction"
    assert planner["last_error"]["exception_type"] == "ModuleNotFoundError"
    logs = await fleet.get("/v1/logs", params={"level": "ERROR", "agent": "PlannerAgent"})
    assert any(r["event"] == "AgentConstructionExceptionEvent" for r in logs["records"])
    text = (await fleet.http.get("/metrics")).text
    assert metric(text, "autogen_agent_construction_errors_total", agent_type="PlannerAgent") == 2
    await fleet.http.delete("/v1/faults")
    assert all(not isinstance(r, Exception) for r in await fleet.ask_many(1))
    await fleet.stop_cleanly()


async def test_fault_list_and_clear(fleet: FleetHandle) -> None:
    await inject(fleet, "slow", "ToolAgent", delay_s=0.01)
    await inject(fleet, "exception", "ChatAgent")
    listed = await fleet.get("/v1/faults")
    assert {f["fault"] for f in listed["faults"]} == {"slow", "exception"}
    assert "flood" in listed["known_faults"]
    cleared = (await fleet.http.delete("/v1/faults/slow")).json()
    assert [f["fault"] for f in cleared["faults"]] == ["slow"]
    assert [f["fault"] for f in (await fleet.get("/v1/faults"))["faults"]] == ["exception"]
    await fleet.http.delete("/v1/faults")
    assert (await fleet.get("/v1/faults"))["faults"] == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"fault": "meteor", "agent_type": "ChatAgent"}, 422, "UNKNOWN_FAULT"),
        ({"fault": "slow", "agent_type": "NoSuchAgent"}, 404, "AGENT_NOT_FOUND"),
        ({"fault": "slow", "agent_type": "ChatAgent", "params": {"delay_s": -1}}, 422, "VALIDATION_FAILED"),
        ({"fault": "slow", "agent_type": "ChatAgent", "params": {"delay_s": "x"}}, 422, "VALIDATION_FAILED"),
        ({"agent_type": "ChatAgent"}, 422, "VALIDATION_FAILED"),
    ],
)
async def test_bad_fault_requests_are_rejected_with_a_code(
    fleet: FleetHandle, body: dict[str, object], status: int, code: str
) -> None:
    r = await fleet.http.post("/v1/faults", json=body)
    assert r.status_code == status and r.json()["error"]["code"] == code
    assert (await fleet.get("/v1/faults"))["faults"] == []
    assert all(not isinstance(r, Exception) for r in await fleet.ask_many(1))


async def test_faults_are_off_unless_enabled(make_fleet) -> None:  # type: ignore[no-untyped-def]
    fleet = await make_fleet(enable_faults=False)
    for method, path in (("GET", "/v1/faults"), ("POST", "/v1/faults"), ("DELETE", "/v1/faults")):
        r = await fleet.http.request(method, path, json={"fault": "slow", "agent_type": "ChatAgent"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "FAULTS_DISABLED"
    r = await fleet.http.post("/v1/faults", json={"fault": "slow"}, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert (await fleet.get("/v1/runtime"))["fault_injection_enabled"] is False
