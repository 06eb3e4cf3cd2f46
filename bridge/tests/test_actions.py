"""Actions against real agents: isolate really stops delivery and release restores it, backpressure
really bounds in-flight, keep and revert, a replay acts once; the runtime stops cleanly after. What every
action shares (dry run, ttl_s, Idempotency-Key, unknown targets) is test_action_contract.py's."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from autogen_core import AgentId, TopicId
from conftest import FleetHandle, wait_for

from autogen_ops_bridge import AgentDegradedError, AgentIsolatedError, BackpressureTimeoutError
from autogen_ops_bridge.demo.messages import ConversationEvent, ToolRequest, ToolResult


async def tool_call(fleet: FleetHandle, text: str = "x") -> Any:
    return await fleet.fleet.runtime.send_message(ToolRequest(tool="search", argument=text),
                                                  AgentId("ToolAgent", "default"))


async def test_isolate_refuses_delivery_and_release_restores_it(fleet: FleetHandle) -> None:
    await tool_call(fleet)
    result = await fleet.post("/v1/actions/isolate", {"agent_type": "ToolAgent", "reason": "test"})
    assert result["applied"] and result["before"]["isolated"] is False and result["after"]["isolated"] is True
    assert result["after"]["saved_state_keys"] == ["default"]
    handled = (await fleet.agent("ToolAgent"))["handled_total"]
    try:
        await tool_call(fleet)
        raise AssertionError("an isolated agent must refuse")
    except AgentIsolatedError as exc:
        assert "isolated" in str(exc)
    detail = await fleet.agent("ToolAgent")
    assert detail["handled_total"] == handled and detail["refused_total"] == 1
    assert detail["subscriptions"] == [] and detail["isolated"] is True
    assert detail["errors_total"] == 0, "a refusal is not a handler error"
    # it left routing: a publish to its topic reaches nobody and does not fail
    await fleet.fleet.runtime.publish_message(ConversationEvent(user="u", text="t"), TopicId("conversation", "default"))
    # the chain keeps working without it (PlannerAgent treats ToolAgent as optional)
    assert all(not isinstance(r, Exception) for r in await fleet.ask_many(2))
    released = await fleet.post("/v1/actions/release", {"agent_type": "ToolAgent"})
    assert released["after"]["isolated"] is False and released["after"]["restored_state_keys"] == ["default"]
    assert isinstance(await tool_call(fleet), ToolResult)
    detail = await fleet.agent("ToolAgent")
    assert detail["handled_total"] == handled + 1
    assert {s["kind"] for s in detail["subscriptions"]} == {"type", "type_prefix"}
    messages = (await fleet.get("/v1/messages", params={"agent": "ToolAgent", "limit": 100}))["messages"]
    assert "refused" in {m["outcome"] for m in messages}
    await fleet.stop_cleanly()


async def test_isolate_hold_delivers_held_messages_on_release(fleet: FleetHandle) -> None:
    await fleet.post("/v1/actions/isolate", {"agent_type": "ToolAgent", "mode": "hold", "hold_timeout_s": 30})
    held = asyncio.ensure_future(tool_call(fleet, "held"))

    async def is_held() -> bool:
        return (await fleet.agent("ToolAgent"))["waiting"] == 1

    await wait_for(is_held, what="one held message")
    assert (await fleet.get("/v1/runtime"))["queue_depth"] >= 1
    assert not held.done()
    await fleet.post("/v1/actions/release", {"agent_type": "ToolAgent"})
    assert isinstance(await asyncio.wait_for(held, 5), ToolResult)
    await fleet.stop_cleanly()


async def test_held_message_is_refused_after_hold_timeout(fleet: FleetHandle) -> None:
    await fleet.post("/v1/actions/isolate", {"agent_type": "ToolAgent", "mode": "hold", "hold_timeout_s": 0.2})
    try:
        await asyncio.wait_for(tool_call(fleet), 5)
        raise AssertionError("expected AgentIsolatedError")
    except AgentIsolatedError as exc:
        assert "timeout" in str(exc)
    await fleet.stop_cleanly()


async def test_stop_when_idle_does_not_hang_on_held_messages(fleet: FleetHandle) -> None:
    await fleet.post("/v1/actions/isolate", {"agent_type": "ToolAgent", "mode": "hold", "hold_timeout_s": 3600})
    held = asyncio.ensure_future(tool_call(fleet))

    async def is_held() -> bool:
        return (await fleet.agent("ToolAgent"))["waiting"] == 1

    await wait_for(is_held, what="one held message")
    await fleet.stop_cleanly()
    assert isinstance(held.exception(), AgentIsolatedError)


async def test_restart_recreates_the_instance_and_restores_state(fleet: FleetHandle) -> None:
    await fleet.ask_many(3)
    runtime = fleet.fleet.runtime
    old = await runtime.try_get_underlying_agent_instance(AgentId("PlannerAgent", "default"))
    result = await fleet.post("/v1/actions/restart", {"agent_type": "PlannerAgent"})
    assert result["applied"] and result["after"]["state_restored"] is True
    assert result["target"] == "PlannerAgent/default" and result["before"]["instance_existed"] is True
    new = await runtime.try_get_underlying_agent_instance(AgentId("PlannerAgent", "default"))
    assert new is not old
    assert (await new.save_state())["handled"] == 3
    assert all(not isinstance(r, Exception) for r in await fleet.ask_many(1))
    assert (await new.save_state())["handled"] == 4, "the new instance is the one receiving messages"
    await fleet.stop_cleanly()


async def test_backpressure_bounds_inflight_and_does_not_stall_other_agents(fleet: FleetHandle) -> None:
    await fleet.post("/v1/faults", {"fault": "slow", "agent_type": "PlannerAgent", "params": {"delay_s": 0.3}})
    r = await fleet.post("/v1/actions/backpressure",
                         {"agent_type": "PlannerAgent", "max_inflight": 2, "max_wait_s": 30})
    assert r["before"]["max_inflight"] is None and r["after"]["max_inflight"] == 2 and r["after"]["backpressured"]
    batch = asyncio.ensure_future(fleet.ask_many(6))

    async def saturated() -> bool:
        return (await fleet.agent("PlannerAgent"))["waiting"] >= 1

    await wait_for(saturated, what="senders waiting for PlannerAgent")
    # another agent is not stalled by PlannerAgent's limit
    assert isinstance(await asyncio.wait_for(tool_call(fleet), 5), ToolResult)
    replies = await batch
    assert all(not isinstance(x, Exception) for x in replies)
    planner = await fleet.agent("PlannerAgent")
    assert planner["peak_inflight"] == 2 and planner["backpressured"] is True
    text = (await fleet.http.get("/metrics")).text
    assert 'autogen_agent_backpressured{agent_type="PlannerAgent"} 1.0' in text
    await fleet.stop_cleanly()


async def test_backpressure_wait_is_bounded(fleet: FleetHandle) -> None:
    await fleet.post("/v1/faults", {"fault": "slow", "agent_type": "ToolAgent", "params": {"delay_s": 0.5}})
    await fleet.post("/v1/actions/backpressure", {"agent_type": "ToolAgent", "max_inflight": 1, "max_wait_s": 0.1})
    results = await asyncio.gather(*(tool_call(fleet, str(i)) for i in range(3)), return_exceptions=True)
    timeouts = [r for r in results if isinstance(r, BackpressureTimeoutError)]
    assert len(timeouts) == 2 and "backpressure timeout" in str(timeouts[0])
    refused = (await fleet.agent("ToolAgent"))["refused_total"]
    assert refused == 2
    await fleet.stop_cleanly()


async def test_runtime_wide_backpressure_bounds_ingress(fleet: FleetHandle) -> None:
    await fleet.post("/v1/faults", {"fault": "slow", "agent_type": "ChatAgent", "params": {"delay_s": 0.2}})
    r = await fleet.post("/v1/actions/backpressure", {"agent_type": None, "max_inflight": 1, "max_wait_s": 30})
    assert r["target"] == "runtime" and r["after"]["max_inflight"] == 1
    replies = await fleet.ask_many(3)
    assert all(not isinstance(x, Exception) for x in replies)
    assert (await fleet.agent("ChatAgent"))["peak_inflight"] == 1
    assert (await fleet.get("/v1/runtime"))["max_inflight"] == 1
    await fleet.post("/v1/actions/backpressure", {"agent_type": None, "max_inflight": None})
    assert (await fleet.get("/v1/runtime"))["max_inflight"] is None
    await fleet.stop_cleanly()


async def test_degrade_switches_off_features_and_optional_agents_then_restore(fleet: FleetHandle) -> None:
    r = await fleet.post("/v1/actions/degrade", {"features": ["web_search"], "agent_types": ["RetrieverAgent"]})
    assert r["after"] == {"degraded": True, "degraded_features": ["web_search"],
                          "degraded_agent_types": ["RetrieverAgent"]}
    tool = await tool_call(fleet)
    assert "web_search disabled" in tool.output
    reply = (await fleet.ask_many(1))[0]
    assert not isinstance(reply, Exception) and "answer with 0 documents" in reply.steps
    try:
        await fleet.fleet.runtime.send_message(ToolRequest(tool="t", argument="a"),
                                               AgentId("RetrieverAgent", "default"))
        raise AssertionError("expected AgentDegradedError")
    except AgentDegradedError:
        pass
    text = (await fleet.http.get("/metrics")).text
    assert 'autogen_feature_enabled{feature="web_search"} 0.0' in text
    assert 'autogen_agent_degraded{agent_type="RetrieverAgent"} 1.0' in text
    assert "autogen_runtime_degraded 1.0" in text
    assert (await fleet.get("/v1/runtime"))["degraded"]["active"] is True
    r = await fleet.post("/v1/actions/restore", {})
    assert r["after"]["degraded"] is False
    assert "web_search disabled" not in (await tool_call(fleet)).output
    assert "autogen_runtime_degraded 0.0" in (await fleet.http.get("/metrics")).text
    await fleet.stop_cleanly()


async def test_a_ttl_revert_restores_delivery_and_is_logged(fleet: FleetHandle) -> None:
    await fleet.post("/v1/actions/isolate", {"agent_type": "ToolAgent", "ttl_s": 1})

    async def released() -> bool:
        return (await fleet.agent("ToolAgent"))["isolated"] is False

    await wait_for(released, what="the TTL to release ToolAgent")
    assert isinstance(await tool_call(fleet), ToolResult)
    logs = (await fleet.get("/v1/logs", params={"level": "INFO"}))["records"]
    assert any(rec["event"] == "ActionExpired" for rec in logs)
    await fleet.stop_cleanly()


async def test_keep_cancels_the_ttl_and_revert_undoes_now(fleet: FleetHandle) -> None:
    kept = await fleet.post("/v1/actions/backpressure", {"agent_type": "ChatAgent", "max_inflight": 3, "ttl_s": 1})
    k = await fleet.post(f"/v1/actions/{kept['action_id']}/keep")
    assert k["after"]["expires_at"] is None
    probe = await fleet.post("/v1/actions/isolate", {"agent_type": "ToolAgent", "ttl_s": 1})

    async def probe_expired() -> bool:
        return (await fleet.agent("ToolAgent"))["isolated"] is False

    await wait_for(probe_expired, what="a later TTL to fire")
    assert (await fleet.agent("ChatAgent"))["max_inflight"] == 3, "the kept action must not revert"
    assert probe["action_id"] not in {a["action_id"] for a in (await fleet.get("/v1/actions"))["actions"]}

    temp = await fleet.post("/v1/actions/degrade", {"features": ["reranking"], "ttl_s": 3600})
    reverted = await fleet.post(f"/v1/actions/{temp['action_id']}/revert")
    assert reverted["before"]["degraded_features"] == ["reranking"] and reverted["after"]["degraded_features"] == []
    r = await fleet.http.post(f"/v1/actions/{temp['action_id']}/revert")
    assert r.status_code == 404 and r.json()["error"]["code"] == "ACTION_NOT_FOUND"
    await fleet.stop_cleanly()


async def test_a_replay_does_not_act_again_after_a_release_and_concurrent_repeats_act_once(fleet: FleetHandle) -> None:
    body = {"agent_type": "ToolAgent"}
    first = await fleet.post("/v1/actions/isolate", body, headers={"Idempotency-Key": "op-1"})
    await fleet.post("/v1/actions/release", {"agent_type": "ToolAgent"})
    again = await fleet.post("/v1/actions/isolate", body, headers={"Idempotency-Key": "op-1"})
    assert again["replayed"] is True and again["action_id"] == first["action_id"]
    assert (await fleet.agent("ToolAgent"))["isolated"] is False, "a replay must not act again"
    concurrent = await asyncio.gather(*(
        fleet.http.post("/v1/actions/restart", json={"agent_type": "ToolAgent"}, headers={"Idempotency-Key": "op-2"})
        for _ in range(3)))
    ids = {c.json()["action_id"] for c in concurrent}
    assert len(ids) == 1 and sorted(c.json()["replayed"] for c in concurrent) == [False, True, True]
    await fleet.stop_cleanly()


async def test_clear_caches_calls_the_registered_hooks(fleet: FleetHandle) -> None:
    await fleet.ask_many(3)
    assert len(fleet.fleet.context.retrieval_cache) == 3
    r = await fleet.post("/v1/actions/clear-caches", {"names": ["retrieval_cache"]})
    assert r["after"]["cleared"] == {"retrieval_cache": {"entries_cleared": 3}}
    assert fleet.fleet.context.retrieval_cache == {}
    everything = await fleet.post("/v1/actions/clear-caches", {})
    assert set(everything["after"]["cleared"]) == {"retrieval_cache", "plan_cache"}
    await fleet.stop_cleanly()


async def test_collect_garbage_collects_cycles(fleet: FleetHandle) -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    gc.disable()  # the cycles below stay uncollected until the action runs
    try:
        for _ in range(500):
            Node()
        predicted = await fleet.post("/v1/actions/collect-garbage", {"dry_run": True})
        assert predicted["applied"] is False and predicted["after"]["collected"] is None
        done = await fleet.post("/v1/actions/collect-garbage", {"reason": "test"})
    finally:
        gc.enable()
    assert done["applied"] is True and done["target"] == "runtime"
    assert done["after"]["collected"] >= 500 and done["before"]["rss_bytes"] > 0
    await fleet.stop_cleanly()
