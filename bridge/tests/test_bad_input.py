"""Bad input gets a 4xx with a stable code and a message, in the one error shape; the runtime keeps
running afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FleetHandle


def assert_error(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/v1/agents/NoSuchAgent", {}, 404, "AGENT_NOT_FOUND"),
        ("GET", "/v1/trace/not-a-message", {}, 404, "MESSAGE_NOT_FOUND"),
        ("GET", "/v1/nothing-here", {}, 404, "NOT_FOUND"),
        ("DELETE", "/v1/agents", {}, 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/v1/actions/isolate", {"content": b"{not json", "headers": {"content-type": "application/json"}},
         422, "VALIDATION_FAILED"),
        ("POST", "/v1/actions/isolate", {"json": {}}, 422, "VALIDATION_FAILED"),
        ("POST", "/v1/actions/isolate", {"json": {"agent_type": "ToolAgent", "surprise": 1}}, 422,
         "VALIDATION_FAILED"),
        ("POST", "/v1/actions/isolate", {"json": {"agent_type": "ToolAgent", "mode": "vanish"}}, 422,
         "VALIDATION_FAILED"),
        ("POST", "/v1/actions/isolate", {"json": {"agent_type": "NoSuchAgent"}}, 404, "AGENT_NOT_FOUND"),
        ("POST", "/v1/actions/isolate", {"json": {"agent_type": "ToolAgent", "ttl_s": 0}}, 422,
         "LIMIT_OUT_OF_RANGE"),
        ("POST", "/v1/actions/isolate", {"json": {"agent_type": "ToolAgent", "ttl_s": 86401}}, 422,
         "LIMIT_OUT_OF_RANGE"),
        ("POST", "/v1/actions/backpressure", {"json": {"agent_type": "ToolAgent", "max_inflight": 0}}, 422,
         "LIMIT_OUT_OF_RANGE"),
        ("POST", "/v1/actions/backpressure", {"json": {"agent_type": "ToolAgent", "max_inflight": 10001}}, 422,
         "LIMIT_OUT_OF_RANGE"),
        ("POST", "/v1/actions/restart", {"json": {"agent_type": "ToolAgent", "ttl_s": 60}}, 422,
         "VALIDATION_FAILED"),
        ("POST", "/v1/actions/degrade", {"json": {}}, 422, "VALIDATION_FAILED"),
        ("POST", "/v1/actions/degrade", {"json": {"features": ["teleport"]}}, 404, "FEATURE_NOT_FOUND"),
        ("POST", "/v1/actions/isolate",
         {"json": {"agent_type": "ToolAgent"}, "headers": {"Idempotency-Key": "k" * 201}}, 422, "LIMIT_OUT_OF_RANGE"),
        ("GET", "/v1/logs", {"params": {"limit": 0}}, 422, "LIMIT_OUT_OF_RANGE"),
        ("GET", "/v1/logs", {"params": {"limit": 5001}}, 422, "LIMIT_OUT_OF_RANGE"),
        ("GET", "/v1/logs", {"params": {"since": str(25 * 3600)}}, 422, "LIMIT_OUT_OF_RANGE"),
        ("GET", "/v1/logs", {"params": {"since": "yesterday-ish"}}, 422, "VALIDATION_FAILED"),
        ("GET", "/v1/logs", {"params": {"level": "LOUD"}}, 422, "VALIDATION_FAILED"),
        ("GET", "/v1/logs", {"params": {"limit": "many"}}, 422, "VALIDATION_FAILED"),
        ("GET", "/v1/messages", {"params": {"limit": 100000}}, 422, "LIMIT_OUT_OF_RANGE"),
        ("POST", "/v1/actions/abc/keep", {}, 404, "ACTION_NOT_FOUND"),
        ("POST", "/v1/actions/isolate", {"content": b"{" + b" " * 70000 + b"}",
                                         "headers": {"content-type": "application/json"}}, 413, "PAYLOAD_TOO_LARGE"),
    ],
)
async def test_bad_request_gets_a_coded_4xx_and_the_runtime_keeps_running(
    fleet: FleetHandle, method: str, path: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    r = await fleet.http.request(method, path, **kwargs)
    assert_error(r, status, code)
    assert all(not isinstance(x, Exception) for x in await fleet.ask_many(1))
    assert (await fleet.get("/v1/runtime"))["isolated"] == []


async def test_chunked_oversized_body_is_rejected(fleet: FleetHandle) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b" " * 8192

    r = await fleet.http.post("/v1/actions/isolate", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer"])
async def test_missing_or_wrong_token_is_unauthorized(fleet: FleetHandle, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    for method, path in (("GET", "/v1/runtime"), ("GET", "/metrics"), ("POST", "/v1/actions/isolate")):
        r = await fleet.http.request(method, path, json={"agent_type": "ToolAgent"},
                                     headers=headers if header is not None else {"Authorization": ""})
        assert_error(r, 401, "UNAUTHORIZED")
    assert (await fleet.agent("ToolAgent"))["isolated"] is False


async def test_read_only_token_may_read_but_not_act(fleet: FleetHandle) -> None:
    fleet.bridge.read_token = "read-only-token-123"
    ro = {"Authorization": "Bearer read-only-token-123"}
    assert (await fleet.http.get("/v1/agents", headers=ro)).status_code == 200
    r = await fleet.http.post("/v1/actions/isolate", json={"agent_type": "ToolAgent"}, headers=ro)
    assert_error(r, 403, "FORBIDDEN")
    assert (await fleet.agent("ToolAgent"))["isolated"] is False
