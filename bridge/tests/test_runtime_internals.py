"""Fails loudly when a new autogen-core version moves the private attributes the bridge relies on."""

from __future__ import annotations

import pytest
from autogen_core import (
    AgentId,
    DefaultInterventionHandler,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from conftest import Echo, Ping, wait_for

from autogen_ops_bridge import runtime_internals as internals


async def test_every_private_attribute_is_where_the_bridge_expects_it() -> None:
    runtime = SingleThreadedAgentRuntime()
    internals.check_compatible(runtime)
    await Echo.register(runtime, "Echo", Echo)
    factories = internals.agent_factories(runtime)
    assert isinstance(factories, dict) and callable(factories["Echo"])
    runtime.start()
    assert internals.is_running(runtime)
    assert await runtime.send_message(Ping(1), AgentId("Echo", "default")) == Ping(2)
    instances = internals.instantiated_agents(runtime)
    agent = instances[AgentId("Echo", "default")]
    assert isinstance(agent, Echo)
    assert internals.handled_message_types(agent) == ["Ping"]
    assert internals.queue_size(runtime) == 0 and internals.unfinished_messages(runtime) == 0
    subs = internals.subscriptions(runtime)
    assert any(getattr(s, "agent_type", None) == "Echo" for s in subs)
    assert not internals.is_instance_registered(runtime, "Echo")
    await runtime.stop_when_idle()
    assert not internals.is_running(runtime)


async def test_queue_counts_unfinished_messages_while_a_handler_runs() -> None:
    import asyncio

    gate = asyncio.Event()

    class Slow(RoutedAgent):
        def __init__(self) -> None:
            super().__init__("slow")

        @message_handler
        async def on_ping(self, message: Ping, ctx: MessageContext) -> Ping:
            await gate.wait()
            return message

    runtime = SingleThreadedAgentRuntime()
    await Slow.register(runtime, "Slow", Slow)
    runtime.start()
    pending = asyncio.ensure_future(runtime.send_message(Ping(1), AgentId("Slow", "default")))

    async def queued() -> bool:
        return internals.unfinished_messages(runtime) > 0

    await wait_for(queued, what="the message to be queued")
    assert internals.unfinished_messages(runtime) == 1
    gate.set()
    await pending
    await runtime.stop_when_idle()


async def test_intervention_handler_can_be_added_to_a_running_runtime() -> None:
    seen: list[str] = []

    class Watch(DefaultInterventionHandler):
        async def on_send(self, message: object, *, message_context: MessageContext, recipient: AgentId) -> object:
            seen.append(message_context.message_id)
            return message

    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "Echo", Echo)
    runtime.start()
    handler = Watch()
    internals.add_intervention_handler(runtime, handler)
    await runtime.send_message(Ping(1), AgentId("Echo", "default"), message_id="m-1")
    internals.remove_intervention_handler(runtime, handler)
    await runtime.send_message(Ping(1), AgentId("Echo", "default"), message_id="m-2")
    assert seen == ["m-1"]
    await runtime.stop_when_idle()


async def test_on_message_can_be_shadowed_per_instance_and_instances_forgotten() -> None:
    runtime = SingleThreadedAgentRuntime()
    await Echo.register(runtime, "Echo", Echo)
    runtime.start()
    agent = await internals.get_or_create_agent(runtime, AgentId("Echo", "default"))
    original = internals.original_on_message(agent)
    calls: list[object] = []

    async def shadow(message: object, ctx: MessageContext) -> object:
        calls.append(message)
        return await original(message, ctx)

    internals.set_on_message(agent, shadow)
    assert await runtime.send_message(Ping(1), AgentId("Echo", "default")) == Ping(2)
    assert calls == [Ping(1)]
    assert internals.forget_instance(runtime, AgentId("Echo", "default")) is agent
    assert await runtime.send_message(Ping(5), AgentId("Echo", "default")) == Ping(6)
    assert calls == [Ping(1)], "a forgotten instance is recreated by its factory, unshadowed"
    await runtime.stop_when_idle()


def test_check_compatible_names_what_is_missing() -> None:
    class NotARuntime:
        _agent_factories: dict[str, object] = {}

    with pytest.raises(RuntimeError, match="_instantiated_agents"):
        internals.check_compatible(NotARuntime())  # type: ignore[arg-type]
