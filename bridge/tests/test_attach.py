"""attach() on an application's own runtime: it must not change a healthy runtime's behaviour, it
picks up agents registered later, and close() detaches completely."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
from autogen_core import (
    AgentId,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    default_subscription,
    message_handler,
)
from conftest import wait_for

from autogen_ops_bridge import AgentIsolatedError, attach


@dataclass
class Ask:
    text: str


@dataclass
class Note:
    text: str


notes: list[str] = []


@default_subscription
class Upper(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("uppercases")

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> Ask:
        return Ask(message.text.upper())

    @message_handler
    async def on_note(self, message: Note, ctx: MessageContext) -> None:
        notes.append(message.text)


async def scenario(runtime: SingleThreadedAgentRuntime) -> list[object]:
    out: list[object] = [await runtime.send_message(Ask("a"), AgentId("Upper", "default"))]
    await runtime.publish_message(Note("n"), DefaultTopicId())
    try:
        await runtime.send_message(Ask("a"), AgentId("Missing", "default"))
    except Exception as exc:  # noqa: BLE001 - comparing behaviour, including errors
        out.append(f"{type(exc).__name__}: {exc}")
    return out


async def test_bridge_does_not_change_a_healthy_runtime() -> None:
    notes.clear()
    plain = SingleThreadedAgentRuntime()
    await Upper.register(plain, "Upper", Upper)
    plain.start()
    without = await scenario(plain)
    await plain.stop_when_idle()

    bridged = SingleThreadedAgentRuntime()
    bridge = await attach(bridged, token="attach-test-token", serve=False)
    await Upper.register(bridged, "Upper", Upper)  # registered after attach: still gated
    bridged.start()
    with_bridge = await scenario(bridged)
    await bridged.stop_when_idle()
    assert with_bridge == without
    assert notes == ["n", "n"]
    assert bridge.gate("Upper").stats.handled_total == 2
    await bridge.close()


async def test_close_detaches_completely() -> None:
    events = logging.getLogger("autogen_core.events")
    level, propagate = events.level, events.propagate
    runtime = SingleThreadedAgentRuntime()
    await Upper.register(runtime, "Upper", Upper)
    runtime.start()
    bridge = await attach(runtime, token="attach-test-token", port=0)
    assert bridge.url is not None
    async with httpx.AsyncClient(base_url=bridge.url) as client:
        assert (await client.get("/healthz")).status_code == 200
    await runtime.send_message(Ask("x"), AgentId("Upper", "default"))
    await bridge.close()
    agent = await runtime.try_get_underlying_agent_instance(AgentId("Upper", "default"))
    assert "on_message" not in vars(agent)
    assert "send_message" not in vars(runtime) and "publish_message" not in vars(runtime)
    assert (events.level, events.propagate) == (level, propagate)
    assert await runtime.send_message(Ask("y"), AgentId("Upper", "default")) == Ask("Y")
    await runtime.stop_when_idle()


async def test_agent_instances_registered_directly_are_gated_and_can_be_isolated() -> None:
    runtime = SingleThreadedAgentRuntime()
    bridge = await attach(runtime, token="attach-test-token", serve=False)
    await Upper().register_instance(runtime, AgentId("Solo", "a"))
    await Upper().register_instance(runtime, AgentId("Solo", "b"))  # autogen-core checks the factory: untouched
    runtime.start()
    assert await runtime.send_message(Ask("q"), AgentId("Solo", "a")) == Ask("Q")
    from autogen_ops_bridge.actions import IsolateRequest

    await bridge.actions.isolate(IsolateRequest(agent_type="Solo"))
    try:
        await runtime.send_message(Ask("q"), AgentId("Solo", "b"))
        raise AssertionError("expected AgentIsolatedError")
    except AgentIsolatedError:
        pass
    await bridge.prepare_stop()
    await runtime.stop_when_idle()
    assert bridge.gate("Solo").stats.handled_total == 1
    await bridge.close()


class Holder(RoutedAgent):
    """Answers at once, except ``Ask("hold")``, which waits until the test lets it go."""

    def __init__(self, release: asyncio.Event) -> None:
        super().__init__("holds one message")
        self._release = release

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> Ask:
        if message.text == "hold":
            await self._release.wait()
        return Ask(message.text.upper())


async def test_backpressure_switched_on_while_a_handler_runs_still_admits_the_next_message() -> None:
    # The gate skips the limiter when no limit is set; the handler already running when a limit arrives
    # must still hand its slot on when it ends, or the waiting message would time out.
    release = asyncio.Event()
    runtime = SingleThreadedAgentRuntime()
    bridge = await attach(runtime, token="attach-test-token", serve=False)
    await Holder.register(runtime, "Holder", lambda: Holder(release))
    runtime.start()
    gate = bridge.gate("Holder")
    held = asyncio.ensure_future(runtime.send_message(Ask("hold"), AgentId("Holder", "default")))
    await wait_for(lambda: _true(gate.stats.inflight == 1), what="the held message in its handler")
    gate.set_backpressure(1, max_wait_s=5.0)
    nxt = asyncio.ensure_future(runtime.send_message(Ask("next"), AgentId("Holder", "default")))
    await wait_for(lambda: _true(gate.waiting == 1), what="the next message waiting for the slot")
    release.set()
    assert await held == Ask("HOLD")
    assert await nxt == Ask("NEXT")
    assert gate.stats.refused_by_reason == {}
    await runtime.stop_when_idle()
    await bridge.close()


async def _true(value: bool) -> bool:
    return value
