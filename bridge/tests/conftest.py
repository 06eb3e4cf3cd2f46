"""Shared fixtures: a real demo fleet (real autogen-core runtime, real agents, the bridge serving HTTP on
a loopback port) in the test's event loop, and an HTTP client for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from autogen_core import MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler

from autogen_ops_bridge import attach
from autogen_ops_bridge.attach import Bridge
from autogen_ops_bridge.demo.fleet import Fleet, FleetOptions

TOKEN = "test-token-0123456789"


# A minimal agent for tests that need a runtime without the demo fleet.
@dataclass
class Ping:
    n: int


class Echo(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("echo")

    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Ping:
        return Ping(message.n + 1)


@asynccontextmanager
async def served(runtime: SingleThreadedAgentRuntime, token: str,
                 **attach_options: Any) -> AsyncIterator[tuple[Bridge, httpx.AsyncClient]]:
    """The bridge attached to ``runtime`` (its agents registered), the runtime started, and an HTTP client
    for the bridge; stopped in order afterwards (the bridge's server, the runtime once idle, the bridge)."""
    bridge = await attach(runtime, token=token, **attach_options)
    runtime.start()
    assert bridge.url is not None
    try:
        async with httpx.AsyncClient(base_url=bridge.url, headers={"Authorization": f"Bearer {token}"},
                                     timeout=10) as http:
            yield bridge, http
    finally:
        await bridge.prepare_stop()
        await runtime.stop_when_idle()
        await bridge.close()


async def wait_for(condition: Callable[[], Awaitable[bool]], timeout_s: float = 10.0, what: str = "") -> None:
    """Poll ``condition`` until it is true; fail after ``timeout_s`` (no fixed sleeps in tests)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if await condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what or condition}")
        await asyncio.sleep(0.02)


class FleetHandle:
    def __init__(self, fleet: Fleet, client: httpx.AsyncClient) -> None:
        self.fleet = fleet
        self.http = client
        self._asked = 0

    @property
    def bridge(self) -> Any:
        assert self.fleet.bridge is not None
        return self.fleet.bridge

    async def get(self, path: str, **kw: Any) -> Any:
        r = await self.http.get(path, **kw)
        assert r.status_code == 200, r.text
        return r.json()

    async def post(self, path: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
        r = await self.http.post(path, json=body or {}, **kw)
        assert r.status_code == 200, r.text
        return r.json()

    async def agent(self, agent_type: str) -> Any:
        return await self.get(f"/v1/agents/{agent_type}")

    async def ask_many(self, n: int, key: str = "default") -> list[Any]:
        """Send ``n`` distinct chat requests concurrently; return replies or the exceptions raised."""
        texts = [f"question {self._asked + i}" for i in range(n)]
        self._asked += n
        return await asyncio.gather(*(self.fleet.ask(t, key) for t in texts), return_exceptions=True)

    async def stop_cleanly(self) -> None:
        """Stop traffic and faults, then ``stop_when_idle``: must finish (bounded) with nothing pending."""
        await asyncio.wait_for(self.fleet.stop(idle_timeout_s=5.0), 15)


def options(**overrides: Any) -> FleetOptions:
    base: dict[str, Any] = dict(token=TOKEN, enable_faults=True, rate=0.0, name="test")
    base.update(overrides)
    return FleetOptions(**base)


@pytest.fixture
async def make_fleet() -> AsyncIterator[Callable[..., Awaitable[FleetHandle]]]:
    handles: list[FleetHandle] = []

    async def make(**overrides: Any) -> FleetHandle:
        fleet = Fleet(options(**overrides))
        await fleet.start()
        assert fleet.bridge is not None and fleet.bridge.url is not None
        client = httpx.AsyncClient(base_url=fleet.bridge.url, headers={"Authorization": f"Bearer {TOKEN}"},
                                   timeout=10)
        handle = FleetHandle(fleet, client)
        handles.append(handle)
        return handle

    yield make
    for h in handles:
        await h.http.aclose()
        if h.fleet.bridge is not None and not h.fleet.bridge._closed:
            await h.stop_cleanly()


@pytest.fixture
async def fleet(make_fleet: Callable[..., Awaitable[FleetHandle]]) -> FleetHandle:
    return await make_fleet()
