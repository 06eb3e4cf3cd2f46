"""The demo agents: ChatAgent -> PlannerAgent -> RetrieverAgent (hard dependency) and ToolAgent.

No LLM: each handler does a little real work (a TCP query, hashing) so latency, errors and
dependencies behave like a small production fleet."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from autogen_core import (
    AgentId,
    MessageContext,
    RoutedAgent,
    TopicId,
    event,
    message_handler,
    type_subscription,
)

from ..errors import AgentDegradedError, AgentIsolatedError
from . import vector_db
from .messages import (
    ChatReply,
    ChatRequest,
    ConversationEvent,
    FloodMessage,
    Plan,
    PlanRequest,
    RetrieveRequest,
    RetrieveResult,
    ToolRequest,
    ToolResult,
)

if TYPE_CHECKING:
    from .fleet import FleetContext

CONVERSATION_TOPIC = "conversation"
HARD_DEPENDENCIES: dict[str, list[str]] = {
    "ChatAgent": ["PlannerAgent"],
    "PlannerAgent": ["RetrieverAgent"],
    "RetrieverAgent": [],
    "ToolAgent": [],
}
"""Who fails when a dependency fails (the cascade path). PlannerAgent -> ToolAgent is soft."""

MAX_CACHE_ENTRIES = 500


class DependencyError(RuntimeError):
    """An agent's hard dependency failed; the message keeps the root cause's text."""


class DependencyUnavailableError(ConnectionError):
    """An external dependency refused or dropped the connection."""


class DemoAgent(RoutedAgent):
    """Common state (handled count, recent requests: saved/restored) and flood handling."""

    def __init__(self, description: str, fleet: FleetContext) -> None:
        super().__init__(description)
        self._fleet = fleet
        self._handled = 0
        self._recent: list[str] = []

    async def _enter(self, text: str) -> None:
        self._handled += 1
        self._recent = [*self._recent[-4:], text[:80]]
        await self._fleet.faults.apply(self.id.type)

    async def save_state(self) -> Mapping[str, Any]:
        return {"handled": self._handled, "recent": list(self._recent)}

    async def load_state(self, state: Mapping[str, Any]) -> None:
        self._handled = int(state.get("handled", 0))
        self._recent = [str(x) for x in state.get("recent", [])]

    @event
    async def on_flood(self, message: FloodMessage, ctx: MessageContext) -> None:
        await asyncio.sleep(self._fleet.faults.flood_work_s(self.id.type))


class ChatAgent(DemoAgent):
    def __init__(self, fleet: FleetContext) -> None:
        super().__init__("Front door: answers a user's chat request with a plan", fleet)

    @message_handler
    async def on_chat(self, message: ChatRequest, ctx: MessageContext) -> ChatReply:
        await self._enter(message.text)
        try:
            plan = await self.send_message(PlanRequest(goal=message.text), AgentId("PlannerAgent", "default"))
        except Exception as exc:
            raise DependencyError(
                f"ChatAgent: dependency PlannerAgent failed: {type(exc).__name__}: {exc}"
            ) from exc
        await self.publish_message(ConversationEvent(user=message.user, text=message.text),
                                   TopicId(CONVERSATION_TOPIC, "default"))
        return ChatReply(text=f"planned {len(plan.steps)} steps", steps=plan.steps)


class PlannerAgent(DemoAgent):
    def __init__(self, fleet: FleetContext) -> None:
        super().__init__("Plans steps using retrieved context and tools", fleet)

    @message_handler
    async def on_plan(self, message: PlanRequest, ctx: MessageContext) -> Plan:
        await self._enter(message.goal)
        context: list[str] = []
        try:
            result = await self.send_message(RetrieveRequest(query=message.goal),
                                             AgentId("RetrieverAgent", "default"))
            context = result.documents
        except (AgentDegradedError, AgentIsolatedError):
            context = []  # optional agent shed by the operator: plan without retrieved context
        except Exception as exc:
            raise DependencyError(
                f"PlannerAgent: dependency RetrieverAgent failed: {type(exc).__name__}: {exc}"
            ) from exc
        steps = [f"understand: {message.goal[:40]}"]
        try:
            tool = await self.send_message(ToolRequest(tool="search", argument=message.goal),
                                           AgentId("ToolAgent", "default"))
            steps.append(f"tool: {tool.output}")
        except (AgentDegradedError, AgentIsolatedError, InjectedFaultErrorBase):
            steps.append("tool: skipped (ToolAgent unavailable)")
        except Exception as exc:
            raise DependencyError(
                f"PlannerAgent: dependency ToolAgent failed: {type(exc).__name__}: {exc}"
            ) from exc
        steps.append(f"answer with {len(context)} documents")
        return Plan(steps=steps, context=context)


class RetrieverAgent(DemoAgent):
    def __init__(self, fleet: FleetContext) -> None:
        super().__init__("Retrieves documents from the vector database", fleet)

    @message_handler
    async def on_retrieve(self, message: RetrieveRequest, ctx: MessageContext) -> RetrieveResult:
        await self._enter(message.query)
        cache = self._fleet.retrieval_cache
        if message.query in cache:
            return RetrieveResult(documents=cache[message.query], cached=True)
        db = self._fleet.vector_db
        started = time.perf_counter()
        try:
            documents = await vector_db.query(db.host, db.port, message.query)
        except ConnectionRefusedError as exc:
            error = f"vector-db {db.url}: connection refused ({exc})"
            self._fleet.hooks.record_dependency_call("RetrieverAgent", "vector-db",
                                                     time.perf_counter() - started, "connection refused")
            raise DependencyUnavailableError(error) from exc
        except (asyncio.TimeoutError, TimeoutError) as exc:
            self._fleet.hooks.record_dependency_call("RetrieverAgent", "vector-db",
                                                     time.perf_counter() - started, "timeout")
            raise TimeoutError(f"vector-db {db.url}: query timeout") from exc
        self._fleet.hooks.record_dependency_call("RetrieverAgent", "vector-db", time.perf_counter() - started)
        if self._fleet.hooks.feature_enabled("reranking"):
            documents = sorted(documents, key=lambda d: hashlib.sha1((d + message.query).encode()).hexdigest())
        cache[message.query] = documents
        while len(cache) > MAX_CACHE_ENTRIES:
            cache.pop(next(iter(cache)))
        return RetrieveResult(documents=documents)


@type_subscription(topic_type=CONVERSATION_TOPIC)
class ToolAgent(DemoAgent):
    def __init__(self, fleet: FleetContext) -> None:
        super().__init__("Runs tools (web search) and keeps conversation statistics", fleet)
        self._conversations = 0

    @message_handler
    async def on_tool(self, message: ToolRequest, ctx: MessageContext) -> ToolResult:
        await self._enter(message.argument)
        if not self._fleet.hooks.feature_enabled("web_search"):
            return ToolResult(output="web_search disabled (degraded): answered from local knowledge")
        digest = hashlib.sha256(message.argument.encode()).hexdigest()[:12]
        return ToolResult(output=f"{message.tool}:{digest}")

    @event
    async def on_conversation(self, message: ConversationEvent, ctx: MessageContext) -> None:
        self._conversations += 1


class InjectedFaultErrorBase(RuntimeError):
    """Base of injected handler exceptions; PlannerAgent tolerates them from its soft dependency."""


AGENT_CLASSES: dict[str, type[ChatAgent] | type[PlannerAgent] | type[RetrieverAgent] | type[ToolAgent]] = {
    "ChatAgent": ChatAgent,
    "PlannerAgent": PlannerAgent,
    "RetrieverAgent": RetrieverAgent,
    "ToolAgent": ToolAgent,
}
