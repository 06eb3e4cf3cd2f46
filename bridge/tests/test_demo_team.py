"""The demo fleet's AgentChat team ``support`` (RoundRobinGroupChat of AssistantAgents with scripted model
clients, a real tool calling a loopback orders API) on the fleet's runtime: its faults show as the bridge
reports them, a failed run never wedges the team, and the runtime still stops when idle."""

from __future__ import annotations

import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from conftest import FleetHandle, wait_for
from test_demo_cli import TOKEN as CLI_TOKEN
from test_demo_cli import demo, wait_until
from test_faults import inject, metric

from autogen_ops_bridge import runtime_internals as internals
from autogen_ops_bridge.demo import team as team_module
from autogen_ops_bridge.demo.team import MAX_TURNS, STOP_WORD, SupportTeam, TeamRun

MakeFleet = Callable[..., Awaitable[FleetHandle]]


def team_of(fleet: FleetHandle) -> SupportTeam:
    assert fleet.fleet.team is not None
    return fleet.fleet.team


async def member(fleet: FleetHandle, name: str) -> Any:
    """A team member's detail, found by the name people use (``support/triage``), not its registered type."""
    agents = (await fleet.get("/v1/agents"))["agents"]
    [summary] = [a for a in agents if a["name"] == name and (a["team"] or {}).get("name") == "support"]
    return await fleet.agent(summary["type"])


async def run(fleet: FleetHandle) -> TeamRun:
    return await team_of(fleet).run_once()


async def test_a_healthy_team_answers_every_task_without_errors(make_fleet: MakeFleet) -> None:
    fleet = await make_fleet(team=True)
    runs = [await run(fleet) for _ in range(3)]
    assert runs == [TeamRun("stopped", f"Text '{STOP_WORD}' mentioned")] * 3

    agents = (await fleet.get("/v1/agents"))["agents"]
    team = {a["name"]: a for a in agents if a["team"] is not None}
    assert set(team) == {"triage", "responder", "RoundRobinGroupChatManager"}
    assert {a["team"]["name"] for a in team.values()} == {"support"}
    assert [(name, a["errors_total"], a["error_rate"]) for name, a in sorted(team.items())] == [
        (name, 0, 0.0) for name in sorted(team)]
    assert all(a["handled_total"] > 0 for a in team.values())
    triage = await member(fleet, "triage")
    assert [(t["tool"], t["count"], t["errors"]) for t in triage["tool_calls"]] == [("lookup_order", 3, 0)]
    assert [(d["name"], d["count"], d["errors"]) for d in triage["dependency_calls"]] == [("orders-api", 3, 0)]
    dependencies = {d["name"]: d for d in (await fleet.get("/v1/runtime"))["dependencies"]}
    assert dependencies["orders-api"]["reachable"] is True
    assert (await fleet.get("/v1/logs", params={"level": "ERROR"}))["records"] == []
    await fleet.stop_cleanly()


async def test_tool_down_is_a_tool_error_of_triage_naming_the_tool_and_the_refused_connection(
    make_fleet: MakeFleet,
) -> None:
    fleet = await make_fleet(team=True)
    await inject(fleet, "tool_down", "support/triage")
    outcome = await run(fleet)
    assert outcome.outcome == "stopped"  # AgentChat swallows the tool's exception: the team carries on

    triage = await member(fleet, "triage")
    assert triage["errors_total"] > 0 and triage["errors_by_type"] == {"ToolError": triage["errors_total"]}
    error = triage["last_error"]
    assert error["exception_type"] == "ToolError"
    assert "lookup_order" in error["message"] and "ConnectionRefusedError" in error["message"]
    [tool] = triage["tool_calls"]
    assert (tool["tool"], tool["errors"]) == ("lookup_order", 1) and "ConnectionRefusedError" in tool["last_error"]
    [orders] = triage["dependency_calls"]
    assert (orders["name"], orders["errors"], orders["last_error"]) == ("orders-api", 1, "connection refused")
    dependencies = {d["name"]: d for d in (await fleet.get("/v1/runtime"))["dependencies"]}
    assert dependencies["orders-api"]["reachable"] is False
    assert (await member(fleet, "responder"))["errors_total"] == 0

    await fleet.http.delete("/v1/faults/tool_down")
    assert (await run(fleet)).outcome == "stopped"
    assert (await member(fleet, "triage"))["errors_total"] == triage["errors_total"]  # the API is back
    await fleet.stop_cleanly()


async def test_model_429_fails_the_run_as_a_rate_limit_error_and_the_next_run_works(make_fleet: MakeFleet) -> None:
    fleet = await make_fleet(team=True)
    await inject(fleet, "model_429", "support/triage")
    failed = await run(fleet)
    assert failed.outcome == "failed" and failed.detail is not None and "RateLimitError" in failed.detail

    triage = await member(fleet, "triage")
    assert triage["errors_by_type"].get("RateLimitError") == 1
    assert triage["last_error"]["exception_type"] == "RateLimitError" and "429" in triage["last_error"]["message"]
    types_before = dict(team_of(fleet).member_types)
    metrics = (await fleet.http.get("/metrics")).text
    [manager_type] = [a["type"] for a in (await fleet.get("/v1/agents"))["agents"] if a["role"] == "manager"]
    assert metric(metrics, "autogen_team_runs_ended_total", agent_type=manager_type, outcome="error") == 1

    # AgentChat 0.7 leaves a team whose run failed waiting forever on its next run unless recovered.
    await fleet.http.delete("/v1/faults")
    assert (await run(fleet)).outcome == "stopped"
    assert team_of(fleet).member_types == types_before  # the same team recovered, not a new one
    assert (await member(fleet, "triage"))["errors_by_type"] == {"RateLimitError": 1}
    await fleet.stop_cleanly()


async def test_model_slow_delays_only_the_named_member(make_fleet: MakeFleet) -> None:
    fleet = await make_fleet(team=True)
    await inject(fleet, "model_slow", "support/responder", delay_s=0.3)
    assert (await run(fleet)).outcome == "stopped"
    responder, triage = await member(fleet, "responder"), await member(fleet, "triage")
    # A lower bound the injected delay guarantees (not a speed measurement): the responder's turn waited it out.
    assert responder["latency_ms"]["max"] >= 300
    assert responder["errors_total"] == triage["errors_total"] == 0
    await fleet.stop_cleanly()


async def test_no_termination_runs_until_max_turns(make_fleet: MakeFleet) -> None:
    fleet = await make_fleet(team=True)
    await inject(fleet, "no_termination", "support")
    stopped = await run(fleet)
    assert stopped == TeamRun("stopped", f"Maximum number of turns {MAX_TURNS} reached.")
    triage = await member(fleet, "triage")
    assert [(t["tool"], t["count"]) for t in triage["tool_calls"]] == [("lookup_order", MAX_TURNS // 2)]
    manager = (await member(fleet, "RoundRobinGroupChatManager"))["type"]
    stops = [r["message"] for r in (await fleet.get("/v1/logs", params={"agent": manager}))["records"]
             if r["event"] == "TeamRunStopped"]
    assert stops == [f"team run stopped: Maximum number of turns {MAX_TURNS} reached."]
    await fleet.stop_cleanly()


async def test_a_run_that_never_ends_is_abandoned_and_a_new_team_takes_over(
    make_fleet: MakeFleet, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fleet = await make_fleet(team=True)
    team = team_of(fleet)
    monkeypatch.setattr(team_module, "RUN_TIMEOUT_S", 0.2)
    await inject(fleet, "model_slow", "support/responder", delay_s=10.0)
    old_types = dict(team.member_types)
    assert (await run(fleet)).outcome == "timeout"
    assert set(team.member_types) == set(old_types) and team.member_types != old_types  # a new team id

    await fleet.http.delete("/v1/faults")  # the abandoned run ends on the old team's agents
    monkeypatch.setattr(team_module, "RUN_TIMEOUT_S", 30.0)
    assert (await run(fleet)).outcome == "stopped"
    for name, agent_type in team.member_types.items():
        assert (await fleet.agent(agent_type))["errors_total"] == 0, name
    await fleet.stop_cleanly()


async def test_team_faults_need_the_team_and_a_team_target(make_fleet: MakeFleet) -> None:
    plain = await make_fleet()
    assert "tool_down" not in (await plain.get("/v1/faults"))["known_faults"]
    r = await plain.http.post("/v1/faults", json={"fault": "tool_down", "agent_type": "support/triage"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
    assert "--team" in r.json()["error"]["message"]

    fleet = await make_fleet(team=True)
    assert {"tool_down", "model_429", "model_slow", "no_termination", "cascade"} <= set(
        (await fleet.get("/v1/faults"))["known_faults"])
    r = await fleet.http.post("/v1/faults", json={"fault": "model_429", "agent_type": "ChatAgent"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "VALIDATION_FAILED")
    assert "support/triage" in r.json()["error"]["message"]
    r = await fleet.http.post("/v1/faults", json={"fault": "model_slow", "agent_type": "support",
                                                  "params": {"delay_s": 600}})
    assert (r.status_code, r.json()["error"]["details"]["param"]) == (422, "delay_s")
    await plain.stop_cleanly()
    await fleet.stop_cleanly()


async def test_stop_when_idle_finishes_while_a_team_run_waits_on_its_model(
    make_fleet: MakeFleet, caplog: pytest.LogCaptureFixture,
) -> None:
    fleet = await make_fleet(team=True, rate=20.0)
    await inject(fleet, "model_slow", "support/responder", delay_s=10.0)

    async def responder_waits() -> bool:
        return bool((await member(fleet, "responder"))["inflight"])

    await wait_for(responder_waits, 20, "a team run waiting on the slow model")
    with caplog.at_level(logging.WARNING, logger="autogen_ops_bridge.demo"):
        await fleet.stop_cleanly()
    assert not internals.is_running(fleet.fleet.runtime)
    assert "runtime not idle" not in caplog.text  # stopped by stop_when_idle, not the forced stop
    assert internals.unfinished_messages(fleet.fleet.runtime) == 0


def test_the_cli_runs_the_team_by_default_and_not_with_no_team() -> None:
    with demo("--rate", "5") as (proc, ready):
        client = httpx.Client(base_url=ready["url"], headers={"Authorization": f"Bearer {CLI_TOKEN}"})

        def team_answered() -> bool:
            agents = client.get("/v1/agents").json()["agents"]
            return any(a["name"] == "responder" and a["handled_total"] > 0 for a in agents)

        wait_until(team_answered, 20)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
        assert proc.returncode == 0
    with demo("--rate", "0", "--no-team") as (proc, ready):
        client = httpx.Client(base_url=ready["url"], headers={"Authorization": f"Bearer {CLI_TOKEN}"})
        assert client.get("/v1/runtime").json()["agent_types"] == ["ChatAgent", "PlannerAgent", "RetrieverAgent",
                                                                    "ToolAgent"]
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
        assert proc.returncode == 0
