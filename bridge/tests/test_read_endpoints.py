"""Read endpoints against a real runtime with real agents."""

from __future__ import annotations

from conftest import FleetHandle


async def test_healthz_needs_no_token_and_names_the_runtime(fleet: FleetHandle) -> None:
    r = await fleet.http.get("/healthz", headers={"Authorization": ""})
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["runtime"] == "test"


async def test_agents_lists_the_demo_types_with_counts_after_traffic(fleet: FleetHandle) -> None:
    replies = await fleet.ask_many(5)
    assert all(not isinstance(r, Exception) for r in replies)
    agents = {a["type"]: a for a in (await fleet.get("/v1/agents"))["agents"]}
    assert set(agents) == {"ChatAgent", "PlannerAgent", "RetrieverAgent", "ToolAgent"}
    assert agents["ChatAgent"]["handled_total"] == 5
    assert agents["RetrieverAgent"]["handled_total"] == 5
    assert agents["ChatAgent"]["errors_total"] == 0
    assert agents["ChatAgent"]["latency_ms"]["count"] == 5
    assert agents["ChatAgent"]["instances"] == ["default"]


async def test_agent_detail_has_subscriptions_types_state_and_latency(fleet: FleetHandle) -> None:
    await fleet.ask_many(2)
    tool = await fleet.agent("ToolAgent")
    assert tool["registered"] is True and tool["instances"] == ["default"]
    assert {"ToolRequest", "ConversationEvent", "FloodMessage"} <= set(tool["message_types"])
    assert {s["kind"] for s in tool["subscriptions"]} == {"type", "type_prefix"}
    assert tool["saved_state"]["default"]["handled"] == 2
    assert tool["handled_total"] == 4  # two tool calls and two conversation events
    assert tool["latency_ms"]["count"] == 4 and tool["latency_ms"]["max"] >= tool["latency_ms"]["p50"]
    assert tool["recent_errors"] == [] and tool["last_error"] is None
    retriever = await fleet.agent("RetrieverAgent")
    assert retriever["dependency_calls"][0]["name"] == "vector-db"
    assert retriever["dependency_calls"][0]["count"] == 2


async def test_runtime_info_reports_resources_dependencies_and_controls(fleet: FleetHandle) -> None:
    info = await fleet.get("/v1/runtime")
    assert info["name"] == "test" and info["autogen_core_version"].startswith("0.7")
    assert info["running"] is True and info["rss_bytes"] > 0 and info["rss_history"]
    assert info["agent_types"] == ["ChatAgent", "PlannerAgent", "RetrieverAgent", "ToolAgent"]
    assert info["dependencies"][0]["reachable"] is True
    assert info["features"] == {"reranking": True, "web_search": True}
    assert info["degraded"] == {"active": False, "features": [], "agent_types": []}
    assert info["isolated"] == [] and info["backpressure"] == {"runtime": None, "agents": {}}
    assert info["cache_hooks"] == ["plan_cache", "retrieval_cache"]
    assert info["stats_window_s"] == 300.0


async def test_metrics_expose_the_documented_names(fleet: FleetHandle) -> None:
    await fleet.ask_many(1)
    r = await fleet.http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    for name in (
        'autogen_agent_messages_total{agent_type="ChatAgent"} 1.0',
        'autogen_agent_handler_latency_seconds_count{agent_type="ChatAgent"} 1.0',
        'autogen_agent_inflight{agent_type="ChatAgent"} 0.0',
        'autogen_agent_isolated{agent_type="ChatAgent"} 0.0',
        'autogen_agent_backpressured{agent_type="ChatAgent"} 0.0',
        'autogen_agent_degraded{agent_type="ChatAgent"} 0.0',
        'autogen_feature_enabled{feature="web_search"} 1.0',
        "autogen_runtime_degraded 0.0",
        "autogen_runtime_queue_depth 0.0",
        "autogen_runtime_inflight 0.0",
        "autogen_runtime_rss_bytes ",
        "autogen_runtime_cpu_percent ",
        "autogen_runtime_uptime_seconds ",
    ):
        assert name in r.text, name


async def test_trace_follows_a_message_through_the_chain(fleet: FleetHandle) -> None:
    await fleet.ask_many(1)
    recent = (await fleet.get("/v1/messages", params={"agent": "ChatAgent"}))["messages"]
    root = next(m for m in recent if m["recipient"] == "ChatAgent/default" and m["sender"] is None)
    assert root["outcome"] == "ok" and root["duration_ms"] is not None and root["handler_ms"] is not None
    trace = await fleet.get(f"/v1/trace/{root['message_id']}")
    hops = [(h["sender"], h["recipient"], h["message_type"], h["kind"]) for h in trace["hops"]]
    assert hops[0] == (None, "ChatAgent/default", "ChatRequest", "send")
    assert ("ChatAgent/default", "PlannerAgent/default", "PlanRequest", "send") in hops
    assert ("PlannerAgent/default", "RetrieverAgent/default", "RetrieveRequest", "send") in hops
    assert ("PlannerAgent/default", "ToolAgent/default", "ToolRequest", "send") in hops
    assert ("ChatAgent/default", "conversation/default", "ConversationEvent", "publish") in hops
    assert ("ChatAgent/default", "ToolAgent/default", "ConversationEvent", "publish") in hops
    assert {h["trace_id"] for h in trace["hops"]} == {root["message_id"]}
    assert all(h["outcome"] == "ok" for h in trace["hops"])
    starts = [h["started_at"] for h in trace["hops"]]
    assert starts == sorted(starts)


async def test_logs_filter_by_level_agent_window_and_limit(fleet: FleetHandle) -> None:
    await fleet.ask_many(3)
    everything = await fleet.get("/v1/logs", params={"limit": 5000})
    assert everything["truncated"] is False and len(everything["records"]) > 10
    assert all(r["level"] == "INFO" for r in everything["records"] if r["event"] == "MessageEvent")
    two = await fleet.get("/v1/logs", params={"limit": 2})
    assert two["truncated"] is True and two["records"] == everything["records"][-2:]
    planner = await fleet.get("/v1/logs", params={"agent": "PlannerAgent", "limit": 5000})
    assert planner["records"] and len(planner["records"]) < len(everything["records"])
    assert (await fleet.get("/v1/logs", params={"level": "ERROR"}))["records"] == []
    assert (await fleet.get("/v1/logs", params={"since": "2000-01-01T00:00:00Z", "until": "2000-01-01T01:00:00Z"}))[
        "records"] == []
    recent = await fleet.get("/v1/logs", params={"since": "60", "limit": 5000})
    assert len(recent["records"]) == len(everything["records"])


async def test_snapshot_redacts_secrets(fleet: FleetHandle, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    await fleet.ask_many(1)
    snap = await fleet.get("/v1/snapshot")
    assert snap["runtime"]["name"] == "test" and len(snap["agents"]) == 4
    assert snap["recent_messages"] and "autogen-core" in snap["environment"]["packages"]
    assert snap["config"]["bridge_token"] == "***" and snap["config"]["openai_api_key"] == "***"
    assert snap["environment"]["env"]["SLACK_BOT_TOKEN"] == "***"
    text = str(snap)
    assert "xoxb-very-secret" not in text and "test-token-0123456789" not in text
