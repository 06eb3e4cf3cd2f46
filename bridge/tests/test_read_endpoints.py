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
