"""Every control action in ``ENDPOINTS`` keeps the one contract, checked with its ``example`` against the real
demo fleet (a real autogen-core runtime, the bridge serving HTTP): a new action is checked here without
editing this file.

For each action: an unknown target is refused with its documented 404 and changes nothing; the dry run
answers a valid ActionResult, changes nothing and predicts ``after`` (the real call reports every value it
predicts, and whatever the real call changes it announced); the real call is applied; ``ttl_s`` is refused
when the action is not reversible, and reverted by itself (state back as it was) when it is; the same
``Idempotency-Key`` twice acts once, with another body it is a conflict. An example that does nothing on the
demo fleet as it starts (``release`` needs something isolated) gets its state from :data:`SETUPS`; the test
fails when an example needs a set-up and has none, or has one it does not need."""

from __future__ import annotations

import gc
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import FleetHandle, wait_for
from pydantic import ValidationError

from autogen_ops_bridge import runtime_internals as internals
from autogen_ops_bridge.actions import ENDPOINTS, Endpoint
from autogen_ops_bridge.models import ActionResult, ErrorResponse

MakeFleet = Callable[..., Awaitable[FleetHandle]]
Setup = Callable[[FleetHandle, dict[str, Any]], Awaitable[None]]

DOCUMENT = json.loads((Path(__file__).resolve().parents[1] / "openapi.json").read_text())
ERROR_CODES = (Path(__file__).resolve().parents[2] / "docs" / "bridge-api.md").read_text()
UNKNOWN = "NoSuchTarget"
TTL_S = 2
"""Long enough that the action is still listed when the test looks; the revert is waited for (bounded)."""
ADDED_BY_TEST = {"dry_run", "ttl_s", "reason"}


# --- set-ups: the state an example acts on, when the fleet as it starts has nothing for it ------------
async def isolate_first(fleet: FleetHandle, body: dict[str, Any]) -> None:
    await fleet.post("/v1/actions/isolate", {"agent_type": body["agent_type"]})


async def degrade_first(fleet: FleetHandle, body: dict[str, Any]) -> None:
    await fleet.post("/v1/actions/degrade", {k: body[k] for k in ("features", "agent_types", "tools") if k in body})


SETUPS: dict[str, Setup] = {"release": isolate_first, "restore": degrade_first}


# --- what the runtime shows ------------------------------------------------------------------------
@pytest.fixture
def automatic_gc_off() -> Iterator[None]:
    """Only a forced collection moves the process's collection counts while the test runs."""
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


async def observe(fleet: FleetHandle) -> dict[str, Any]:
    """Everything an action may change, as the runtime and the bridge hold it (agents by identity)."""
    b, runtime = fleet.bridge, fleet.fleet.runtime
    return {
        "agents": {t: b.control_state(t) for t in b.registered_types()},
        "runtime": b.control_state(None),
        "features": dict(b.features),
        "instances": {str(aid): agent for aid, agent in internals.instantiated_agents(runtime).items()},
        "subscriptions": sorted(s.id for s in internals.subscriptions(runtime)),
        "active_actions": [a["action_id"] for a in (await fleet.get("/v1/actions"))["actions"]],
        "cached_entries": len(fleet.fleet.context.retrieval_cache),
        "collections": [s["collections"] for s in gc.get_stats()],
    }


async def action_logs(fleet: FleetHandle) -> int:
    """Records of the action service (one per applied action)."""
    records = (await fleet.get("/v1/logs", params={"level": "INFO", "limit": 5000}))["records"]
    return sum(1 for r in records if r["logger"] == "autogen_ops_bridge.actions")


# --- answers ---------------------------------------------------------------------------------------
def operation(endpoint: Endpoint) -> dict[str, Any]:
    op: dict[str, Any] = DOCUMENT["paths"][f"/v1/actions/{endpoint.name}"]["post"]
    return op


def schema_of(ref_holder: dict[str, Any]) -> dict[str, Any]:
    ref = ref_holder["content"]["application/json"]["schema"]["$ref"]
    schema: dict[str, Any] = DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "boolean": bool, "object": dict, "array": list, "null": type(None),
    "integer": int, "number": (int, float),
}


def conforms(value: Any, schema: dict[str, Any]) -> bool:
    if "anyOf" in schema:
        return any(conforms(value, s) for s in schema["anyOf"])
    kind = schema.get("type")
    if kind is None:
        return True
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, JSON_TYPES[kind])


def result_of(endpoint: Endpoint, r: httpx.Response, what: str) -> dict[str, Any]:
    """The answer as the committed ``openapi.json`` and the ActionResult model describe it."""
    assert r.status_code == 200, f"{endpoint.name} {what}: {r.status_code} {r.text}"
    body: dict[str, Any] = r.json()
    schema = schema_of(operation(endpoint)["responses"]["200"])
    assert set(schema["required"]) <= set(body) <= set(schema["properties"]), (what, sorted(body))
    bad = [k for k, v in body.items() if not conforms(v, schema["properties"][k])]
    assert bad == [], f"{endpoint.name} {what}: {bad} break the schema"
    ActionResult.model_validate(body, strict=True)
    assert body["action"] == endpoint.name and body["replayed"] is False, (what, body)
    return body


def error_of(endpoint: Endpoint, r: httpx.Response, status: int, what: str) -> dict[str, Any]:
    """A documented error: its status in the operation, its code in docs/bridge-api.md, the one error shape."""
    assert r.status_code == status, f"{endpoint.name} {what}: {r.status_code} {r.text}"
    assert str(status) in operation(endpoint)["responses"], (endpoint.name, status)
    try:
        error = ErrorResponse.model_validate(r.json()).error
    except ValidationError as exc:
        raise AssertionError(f"{endpoint.name} {what}: not the error shape: {r.text}") from exc
    assert f"`{error.code}` ({status}" in ERROR_CODES, f"{error.code} ({status}) is not in docs/bridge-api.md"
    answer: dict[str, Any] = r.json()["error"]
    return answer


def predicted(dry: dict[str, Any]) -> dict[str, Any]:
    """What the dry run says would change: values it gives differently from ``before``, and values it adds."""
    return {k: v for k, v in dry["after"].items() if k not in dry["before"] or dry["before"][k] != v}


def agrees(prediction: Any, actual: Any, *, added: bool) -> bool:
    """A predicted value is the real one. In a value the action adds (not in ``before``: a result such as
    ``collected``), null stands for what only the run can know, and an object names the same keys."""
    if added and prediction is None:
        return True
    if added and isinstance(prediction, dict) and isinstance(actual, dict):
        return prediction.keys() == actual.keys() and all(
            agrees(v, actual[k], added=True) for k, v in prediction.items())
    return bool(prediction == actual)


def with_unknown_names(value: Any, known: set[str]) -> Iterator[tuple[str, Any]]:
    """The example with one name of the fleet (agent type, feature, cache hook) replaced by an unknown one."""
    if isinstance(value, str) and value in known:
        yield value, UNKNOWN
    elif isinstance(value, dict):
        for key, item in value.items():
            for name, changed in with_unknown_names(item, known):
                yield name, {**value, key: changed}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for name, changed in with_unknown_names(item, known):
                yield name, [*value[:i], changed, *value[i + 1:]]


# --- the contract ----------------------------------------------------------------------------------
def test_every_endpoint_has_an_example_its_request_accepts() -> None:
    for endpoint in ENDPOINTS:
        example = dict(endpoint.example)
        assert not ADDED_BY_TEST & set(example), f"{endpoint.name}: the test adds {sorted(ADDED_BY_TEST)} itself"
        endpoint.request.model_validate(example)
        assert endpoint.reversible is operation(endpoint)["x-temporary"], endpoint.name
    assert set(SETUPS) <= {e.name for e in ENDPOINTS}, "a set-up for an action that does not exist"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
async def test_the_action_keeps_the_contract(endpoint: Endpoint, make_fleet: MakeFleet,
                                            automatic_gc_off: None) -> None:
    fleet = await make_fleet()
    await fleet.ask_many(2)  # the agents and the demo's cache hold something to act on
    path = f"/v1/actions/{endpoint.name}"
    body = dict(endpoint.example)
    setup = SETUPS.get(endpoint.name)
    if setup is not None:
        state = await observe(fleet)
        bare = await fleet.http.post(path, json=body)
        assert bare.status_code >= 400 or bare.json()["applied"] is False, (
            f"{endpoint.name}'s example acts on the fleet as it starts: remove its entry in SETUPS")
        assert await observe(fleet) == state
        await setup(fleet, body)
    start = await observe(fleet)
    logged = await action_logs(fleet)

    # An unknown target is refused and changes nothing.
    b = fleet.bridge
    known = {*b.registered_types(), *b.features, *b.caches}
    for name, unknown in with_unknown_names(body, known):
        error = error_of(endpoint, await fleet.http.post(path, json=unknown), 404, f"with {name} unknown")
        assert error["code"].endswith("_NOT_FOUND") and UNKNOWN in error["message"], error
    assert await observe(fleet) == start

    # The dry run changes nothing and says what would change.
    r = await fleet.http.post(path, json={**body, "dry_run": True})
    if r.status_code != 200 and setup is None:
        raise AssertionError(f"{endpoint.name}'s example is refused on the demo fleet ({r.text}): fix it, or give "
                             "it the state it needs in SETUPS")
    dry = result_of(endpoint, r, "dry run")
    assert dry["dry_run"] is True and dry["applied"] is False and dry["expires_at"] is None, dry
    assert await observe(fleet) == start, "a dry run must change nothing"

    def check_real(real: dict[str, Any], what: str) -> None:
        if real["applied"] is not True and setup is None:
            raise AssertionError(f"{endpoint.name}'s example does nothing on the demo fleet as it starts "
                                 f"({real['message']}): give it the state it acts on in SETUPS")
        assert real["applied"] is True and real["dry_run"] is False and real["reason"] == "contract", (what, real)
        assert real["target"] == dry["target"] and real["before"].keys() == dry["before"].keys(), (what, real, dry)
        for key, value in predicted(dry).items():
            assert key in real["after"], f"{endpoint.name} {what}: the dry run predicts {key}, the call omits it"
            assert agrees(value, real["after"][key], added=key not in dry["before"]), (
                f"{endpoint.name} {what}: {key} predicted {value!r}, was {real['after'][key]!r}")

    async def check_changes(what: str) -> dict[str, Any]:
        state = await observe(fleet)
        assert state == start or predicted(dry), f"{endpoint.name} {what} changed the runtime; its dry run said nothing"
        return state

    if endpoint.reversible:
        # A temporary call is listed, then reverted by itself: the runtime is as it was.
        temporary = result_of(endpoint, await fleet.http.post(path, json={**body, "ttl_s": TTL_S,
                                                                          "reason": "contract"}), "with ttl_s")
        check_real(temporary, "with ttl_s")
        assert temporary["expires_at"] is not None, temporary
        changed = await check_changes("with ttl_s")
        assert temporary["action_id"] in changed["active_actions"]

        async def reverted() -> bool:
            return await observe(fleet) == start

        await wait_for(reverted, timeout_s=TTL_S + 10, what=f"the TTL to revert {endpoint.name}")
    else:
        refused = error_of(endpoint, await fleet.http.post(path, json={**body, "ttl_s": 60}), 422, "with ttl_s")
        assert refused["code"] == "VALIDATION_FAILED" and refused["details"] == {"field": "ttl_s"}, refused
        assert await observe(fleet) == start and await action_logs(fleet) == logged

    # The same Idempotency-Key twice acts once; with another body it is a conflict.
    key = {"Idempotency-Key": f"contract-{endpoint.name}"}
    sent = {**body, "reason": "contract"}
    logged = await action_logs(fleet)
    real = result_of(endpoint, await fleet.http.post(path, json=sent, headers=key), "real call")
    check_real(real, "real call")
    assert real["expires_at"] is None, real
    after = await check_changes("real call")
    assert await action_logs(fleet) == logged + 1, "an applied action is logged once"
    again = await fleet.http.post(path, json=sent, headers=key)
    assert again.status_code == 200, again.text
    assert again.json() == {**real, "replayed": True}
    conflict = error_of(endpoint, await fleet.http.post(path, json={**sent, "reason": "another"}, headers=key), 409,
                        "another body, same key")
    assert conflict["code"] == "CONFLICT", conflict
    assert await observe(fleet) == after and await action_logs(fleet) == logged + 1, "a replay must not act again"
    await fleet.stop_cleanly()
