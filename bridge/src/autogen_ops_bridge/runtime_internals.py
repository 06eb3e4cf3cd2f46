"""The one place that touches private attributes of autogen-core's ``SingleThreadedAgentRuntime``.

autogen-core 0.7 has no public API to list agent factories, instantiated agents, subscriptions or
the message queue's unfinished count, nor to add an intervention handler after construction. Every
access lives here so that ``tests/test_runtime_internals.py`` fails loudly when a new autogen-core
version moves one of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, cast

from autogen_core import Agent, AgentId, InterventionHandler, SingleThreadedAgentRuntime, Subscription

try:
    _CORE_VERSION = version("autogen-core")
except PackageNotFoundError:  # not installed as a distribution (a source checkout): assume nothing
    _CORE_VERSION = ""

AgentFactory = Callable[..., Any]
"""A factory as stored by the runtime: zero-argument (or legacy two-argument) callable."""

REQUIRED_ATTRIBUTES = (
    "_agent_factories",
    "_instantiated_agents",
    "_message_queue",
    "_subscription_manager",
    "_intervention_handlers",
    "_get_agent",
    "_run_context",
)


def check_compatible(runtime: SingleThreadedAgentRuntime) -> None:
    """Raise ``RuntimeError`` naming every private attribute this module relies on that is missing."""
    missing = [name for name in REQUIRED_ATTRIBUTES if not hasattr(runtime, name)]
    queue = getattr(runtime, "_message_queue", None)
    if queue is not None and not hasattr(queue, "_unfinished_tasks"):
        missing.append("_message_queue._unfinished_tasks")
    manager = getattr(runtime, "_subscription_manager", None)
    if manager is not None and not hasattr(manager, "subscriptions"):
        missing.append("_subscription_manager.subscriptions")
    if missing:
        raise RuntimeError(
            "autogen_ops_bridge does not support this autogen-core version: "
            f"SingleThreadedAgentRuntime lacks {', '.join(missing)}"
        )


def agent_factories(runtime: SingleThreadedAgentRuntime) -> dict[str, AgentFactory]:
    """The runtime's ``agent type -> factory`` mapping (the live dict, mutations take effect)."""
    return cast(dict[str, AgentFactory], runtime._agent_factories)


def instantiated_agents(runtime: SingleThreadedAgentRuntime) -> dict[AgentId, Agent]:
    """The runtime's ``AgentId -> Agent`` mapping of already constructed agents (the live dict)."""
    return runtime._instantiated_agents


def queue_size(runtime: SingleThreadedAgentRuntime) -> int:
    """Envelopes waiting in the runtime's queue, not yet dispatched (public property)."""
    return runtime.unprocessed_messages_count


def unfinished_messages(runtime: SingleThreadedAgentRuntime) -> int:
    """Envelopes put on the queue whose ``task_done`` has not run yet (queued or being handled)."""
    return int(getattr(runtime._message_queue, "_unfinished_tasks", 0))


def is_running(runtime: SingleThreadedAgentRuntime) -> bool:
    """Whether ``start()`` was called and no stop has completed."""
    return runtime._run_context is not None


def subscriptions(runtime: SingleThreadedAgentRuntime) -> Sequence[Subscription]:
    """All subscriptions currently registered with the runtime."""
    return runtime._subscription_manager.subscriptions


def add_intervention_handler(runtime: SingleThreadedAgentRuntime, handler: InterventionHandler) -> None:
    """Append an intervention handler to a runtime that may already be running."""
    handlers = runtime._intervention_handlers
    if handlers is None:
        runtime._intervention_handlers = [handler]
    else:
        handlers.append(handler)


def remove_intervention_handler(runtime: SingleThreadedAgentRuntime, handler: InterventionHandler) -> None:
    handlers = runtime._intervention_handlers
    if handlers is not None and handler in handlers:
        handlers.remove(handler)


async def get_or_create_agent(runtime: SingleThreadedAgentRuntime, agent_id: AgentId) -> Agent:
    """Return the instance for ``agent_id``, constructing it through its factory if needed."""
    getter = cast(Callable[[AgentId], Awaitable[Agent]], runtime._get_agent)
    return await getter(agent_id)


def delivers_unwatched(runtime: SingleThreadedAgentRuntime, observer: object) -> bool:
    """Whether a message sent now is certain to reach its recipient's handler (if the instance exists):
    the runtime is running and no intervention handler other than ``observer`` (which never drops) sits
    between the queue and the handler."""
    if runtime._run_context is None:
        return False
    handlers = runtime._intervention_handlers
    return not handlers or (len(handlers) == 1 and handlers[0] is observer)


PROCESS_SEND_CODE = SingleThreadedAgentRuntime._process_send.__code__
"""The code of the runtime's send processing: a handler called from it has its end reported by an event."""


def reports_handler_end(runtime: SingleThreadedAgentRuntime) -> bool:
    """Whether the runtime's ``_process_send`` (``PROCESS_SEND_CODE``) reports the end of each RPC handler it
    calls by an event logged in the handler's task: ``MessageHandlerExceptionEvent`` inside the ``except``
    that caught what the handler raised, else the response's ``MessageEvent`` (kind RESPOND, stage SEND)
    once it returned — autogen-core 0.7's. A subclass may override ``_process_send``: the gate checks that
    its caller is that code before relying on it. ``tests/test_gate_paths.py`` checks it on the installed
    version."""
    return isinstance(runtime, SingleThreadedAgentRuntime) and _CORE_VERSION.startswith("0.7.")


def forget_instance(runtime: SingleThreadedAgentRuntime, agent_id: AgentId) -> Agent | None:
    """Remove an instance so the next message constructs it anew. Returns the removed instance."""
    return instantiated_agents(runtime).pop(agent_id, None)


def set_on_message(agent: Agent, handler: Callable[[Any, Any], Awaitable[Any]]) -> None:
    """Shadow ``agent.on_message`` with ``handler`` on this instance only (the class is untouched)."""
    object.__setattr__(agent, "on_message", handler)


def original_on_message(agent: Agent) -> Callable[[Any, Any], Awaitable[Any]]:
    """The class-level ``on_message`` bound to ``agent`` (ignores an instance-level override)."""
    method = type(agent).on_message
    return cast(Callable[[Any, Any], Awaitable[Any]], method.__get__(agent, type(agent)))


def is_instance_registered(runtime: SingleThreadedAgentRuntime, agent_type: str) -> bool:
    """Whether the type was registered with ``register_agent_instance`` (its factory must stay as is:
    autogen-core compares the factory's code object when a second instance is registered)."""
    return agent_type in getattr(runtime, "_agent_instance_types", {})


def handled_message_types(agent: Agent) -> list[str]:
    """Names of message types a ``RoutedAgent`` instance has handlers for (empty for other agents)."""
    handlers = getattr(agent, "_handlers", None)
    if not isinstance(handlers, dict):
        return []
    return sorted(t.__name__ for t in handlers)


def patch_runtime_method(runtime: SingleThreadedAgentRuntime, name: str, replacement: Callable[..., Any]) -> None:
    """Shadow a public runtime method on this instance (restored by :func:`unpatch_runtime_method`)."""
    object.__setattr__(runtime, name, replacement)


def unpatch_runtime_method(runtime: SingleThreadedAgentRuntime, name: str) -> None:
    if name in vars(runtime):
        delattr(runtime, name)
