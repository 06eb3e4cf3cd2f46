"""Cascades read from the message graph, on applications shaped unlike the demo fleet: a front agent that
re-raises, wraps (``raise … from``), or replaces the downstream error with one that names nobody; a three-hop
chain; a callee refusing because it is isolated. The text of the errors is never what proves the cascade."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from autogen_core import AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler

from autogen_ops_bridge import attach
from autogen_ops_bridge.attach import Bridge

TOKEN = "graph-test-token-0123456789"


@dataclass
class Order:
    n: int


class Storefront(RoutedAgent):
    """Calls ``callee`` and fails in the way ``style`` says when it fails."""

    def __init__(self, callee: str, style: str) -> None:
        super().__init__("front")
        self._callee = callee
        self._style = style

    @message_handler
    async def on_order(self, message: Order, ctx: MessageContext) -> Order:
        try:
            return await self.send_message(message, AgentId(self._callee, "default"))  # type: ignore[no-any-return]
        except Exception as exc:
            if self._style == "reraise":
                raise
            if self._style == "wrap":
                raise RuntimeError("could not place the order") from exc
            raise ValueError("order failed, please try again") from None


class Relay(RoutedAgent):
    def __init__(self, callee: str) -> None:
        super().__init__("relay")
        self._callee = callee

    @message_handler
    async def on_order(self, message: Order, ctx: MessageContext) -> Order:
        return await self.send_message(message, AgentId(self._callee, "default"))  # type: ignore[no-any-return]


class Database(RoutedAgent):
    def __init__(self, exc: Callable[[], BaseException] | None) -> None:
        super().__init__("db")
        self._exc = exc

    @message_handler
    async def on_order(self, message: Order, ctx: MessageContext) -> Order:
        if self._exc is not None:
            raise self._exc()
        return Order(message.n + 1)


def refused() -> BaseException:
    return ConnectionRefusedError(111, "Connection refused")


@dataclass
class App:
    runtime: SingleThreadedAgentRuntime
    bridge: Bridge
    http: httpx.AsyncClient

    async def order(self, n: int) -> list[Any]:
        return await asyncio.gather(*(self.runtime.send_message(Order(i), AgentId("Storefront", "default"))
                                      for i in range(n)), return_exceptions=True)

    async def detail(self, agent_type: str) -> Any:
        r = await self.http.get(f"/v1/agents/{agent_type}")
        assert r.status_code == 200, r.text
        return r.json()


Build = Callable[[dict[str, Callable[[], RoutedAgent]]], Awaitable[App]]


@pytest.fixture
async def build() -> AsyncIterator[Build]:
    apps: list[App] = []

    async def make(agents: dict[str, Callable[[], RoutedAgent]]) -> App:
        runtime = SingleThreadedAgentRuntime(ignore_unhandled_exceptions=True)
        for name, factory in agents.items():
            await _register(runtime, name, factory)
        bridge = await attach(runtime, token=TOKEN, name="shop")
        runtime.start()
        assert bridge.url is not None
        app = App(runtime, bridge, httpx.AsyncClient(base_url=bridge.url, timeout=10,
                                                     headers={"Authorization": f"Bearer {TOKEN}"}))
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.http.aclose()
        await app.runtime.stop_when_idle()
        await app.bridge.close()


async def _register(runtime: SingleThreadedAgentRuntime, name: str, factory: Callable[[], RoutedAgent]) -> None:
    await type(factory()).register(runtime, name, factory)


@pytest.mark.parametrize("style", ["reraise", "wrap", "generic"])
async def test_a_downstream_failure_is_a_cascade_however_the_front_reports_it(build: Build, style: str) -> None:
    app = await build({
        "Storefront": lambda: Storefront("Inventory", style),
        "Inventory": lambda: Database(refused),
    })
    results = await app.order(6)
    assert all(isinstance(r, Exception) for r in results)
    front = await app.detail("Storefront")
    assert len(front["failed_calls"]) == 1
    call = front["failed_calls"][0]
    assert call["path"] == ["Storefront", "Inventory"] and call["origin"] == "Inventory"
    assert call["outcome"] == "error" and call["count"] == 6
    assert "Connection refused" in call["origin_error"]
    assert front["callees"] == [{**front["callees"][0], "agent_type": "Inventory", "count": 6, "errors": 6,
                                 "refused": 0}]
    assert front["failure_origins"] == ["Inventory"]
    r = await app.http.get("/v1/agents")
    summaries = {a["type"]: a for a in r.json()["agents"]}
    assert summaries["Storefront"]["failure_origins"] == ["Inventory"]
    assert summaries["Inventory"]["failure_origins"] == []
    inventory = await app.detail("Inventory")
    assert inventory["failed_calls"] == []  # it failed on its own: it is the origin
    assert [(c["agent_type"], c["count"], c["errors"]) for c in inventory["callers"]] == [("Storefront", 6, 6)]


async def test_three_hops_lead_to_the_deepest_failing_agent(build: Build) -> None:
    app = await build({
        "Storefront": lambda: Storefront("Checkout", "wrap"),
        "Checkout": lambda: Relay("Ledger"),
        "Ledger": lambda: Database(lambda: TimeoutError("ledger write timed out")),
    })
    await app.order(3)
    front = await app.detail("Storefront")
    assert [c["path"] for c in front["failed_calls"]] == [["Storefront", "Checkout", "Ledger"]]
    assert front["failed_calls"][0]["origin_error"].startswith("TimeoutError")
    middle = await app.detail("Checkout")
    assert [c["path"] for c in middle["failed_calls"]] == [["Checkout", "Ledger"]]


async def test_a_front_failing_on_its_own_has_no_cascade(build: Build) -> None:
    app = await build({
        "Storefront": lambda: Database(lambda: KeyError("sku")),
    })
    await app.order(2)
    front = await app.detail("Storefront")
    assert front["failed_calls"] == [] and front["errors_total"] == 2 and front["window_errors"] == 2


async def test_an_isolated_callee_shows_as_refused_and_counts_stay_exact(build: Build) -> None:
    app = await build({
        "Storefront": lambda: Storefront("Inventory", "reraise"),
        "Inventory": lambda: Database(None),
    })
    assert all(not isinstance(r, Exception) for r in await app.order(4))
    r = await app.http.post("/v1/actions/isolate", json={"agent_type": "Inventory"})
    assert r.status_code == 200, r.text
    await app.order(5)
    front = await app.detail("Storefront")
    assert front["failed_calls"][0]["path"] == ["Storefront", "Inventory"]
    assert front["failed_calls"][0]["outcome"] == "refused" and front["failed_calls"][0]["count"] == 5
    assert front["recent"]["count"] == 9 and front["recent"]["errors"] == 5
    assert front["recent"]["error_rate"] == pytest.approx(5 / 9)
    inventory = await app.detail("Inventory")
    # refusals are counted as refusals, not as the isolated agent's own errors
    assert inventory["recent"]["refused"] == 5 and inventory["recent"]["errors"] == 0
    assert inventory["errors_total"] == 0 and inventory["refused_total"] == 5
