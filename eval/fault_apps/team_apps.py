"""AgentChat applications: a ``RoundRobinGroupChat`` of two ``AssistantAgent``s on the application's own
runtime (``runtime=``), with scripted model clients (``ReplayChatCompletionClient``, no network model).

- ``team-tool``: ``researcher`` answers in text; ``stock_checker`` calls the tool ``check_inventory``, whose
  backend (a loopback TCP "inventory-api") refuses connections under ``tool_backend_refuses``. AgentChat
  turns the tool's exception into an error result, so no handler raises: the team just stops working.
- ``team-model``: ``writer``'s model endpoint answers every call with HTTP 429 under ``rate_limit``.

The runtime registers each participant as ``<name>_<team id>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import ChatAgent, Team
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core import CancellationToken, FunctionCall, SingleThreadedAgentRuntime
from autogen_core.models import CreateResult, LLMMessage, ModelFamily, ModelInfo, RequestUsage
from autogen_core.tools import FunctionTool, Tool, ToolSchema
from autogen_ext.models.replay import ReplayChatCompletionClient
from pydantic import BaseModel

from .common import Fault, FaultApp, FaultSwitch, Service

MODEL_INFO = ModelInfo(vision=False, function_calling=True, json_output=False, family=ModelFamily.UNKNOWN,
                       structured_output=False)
USAGE = RequestUsage(prompt_tokens=40, completion_tokens=12)


class ScriptedModel(ReplayChatCompletionClient):
    """Replays its script in a loop, and forgets the calls it saw (the replay client keeps every call's
    messages, which would grow without bound under steady traffic)."""

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        if self._current_index >= len(self.chat_completions):
            self.reset()
        self.create_calls.clear()
        return await super().create(messages, tools=tools, tool_choice=tool_choice, json_output=json_output,
                                    extra_create_args=extra_create_args, cancellation_token=cancellation_token)


class RateLimitError(Exception):
    """What an OpenAI-compatible SDK raises on HTTP 429 (same class name and message)."""

    status_code = 429


RATE_LIMIT_TEXT = ("Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o in organization "
                   "org-eval on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in "
                   "120ms.', 'type': 'requests', 'param': None, 'code': 'rate_limit_exceeded'}}")


class ThrottledModel(ScriptedModel):
    """A model endpoint that may start answering 429."""

    limited = False

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        if self.limited:
            raise RateLimitError(RATE_LIMIT_TEXT)
        return await super().create(messages, tools=tools, tool_choice=tool_choice, json_output=json_output,
                                    extra_create_args=extra_create_args, cancellation_token=cancellation_token)


class RecoveringRoundRobin(RoundRobinGroupChat):
    """A long-lived team that can run again after a participant failed: AgentChat 0.7.5 keeps the failed
    speaker "active" through ``reset()``, so the manager waits for it forever on the next task."""

    def _create_group_chat_manager_factory(self, *args: Any, **kwargs: Any) -> Callable[[], Any]:
        make = super()._create_group_chat_manager_factory(*args, **kwargs)

        def factory() -> Any:
            manager = make()
            reset = manager.reset

            async def reset_all() -> None:
                manager._active_speakers.clear()
                await reset()

            manager.reset = reset_all  # type: ignore[method-assign]
            return manager

        return factory


class TeamApp(FaultApp):
    """A two-member round-robin team; one task at a time (a team runs one task at once)."""

    rate = 5.0
    max_outstanding = 1

    def __init__(self) -> None:
        super().__init__()
        self.team: RecoveringRoundRobin | None = None

    def participants(self) -> list[ChatAgent | Team]:
        raise NotImplementedError

    async def register(self, runtime: SingleThreadedAgentRuntime) -> None:
        # The team registers its participants on the runtime when it runs its first task.
        self.team = RecoveringRoundRobin(self.participants(), max_turns=2, runtime=runtime)

    async def request(self, runtime: SingleThreadedAgentRuntime, seq: int) -> None:
        assert self.team is not None
        try:
            await self.team.run(task=f"Customer {seq} asks whether SKU-{seq % 20} can ship today.")
        finally:
            await self.team.reset()


class ToolTeamApp(TeamApp):
    def __init__(self) -> None:
        super().__init__()
        self.inventory = Service("inventory-api")
        self.switch = FaultSwitch([Fault("tool_backend_refuses", "stock_checker", self.inventory.refuse,
                                         self.inventory.start)])

    async def start_services(self) -> None:
        await self.inventory.start()

    def participants(self) -> list[ChatAgent | Team]:
        inventory = self.inventory

        async def check_inventory(sku: str) -> str:
            """Units in stock for a SKU, from the inventory service."""
            return await inventory.call(f"stock {sku}")

        tool = FunctionTool(check_inventory, description="Units in stock for a SKU")
        researcher = AssistantAgent("researcher", model_client=ScriptedModel(
            ["The customer wants to know about stock; let me hand over to the stock checker."],
            model_info=MODEL_INFO))
        call = CreateResult(finish_reason="function_calls", usage=USAGE, cached=False,
                            content=[FunctionCall(id="call-1", name="check_inventory", arguments='{"sku": "SKU-1"}')])
        stock_checker = AssistantAgent("stock_checker", tools=[tool],
                                       model_client=ScriptedModel([call], model_info=MODEL_INFO))
        return [researcher, stock_checker]

    async def stop_services(self) -> None:
        await self.inventory.close()


class ModelTeamApp(TeamApp):
    def __init__(self) -> None:
        super().__init__()
        self.writer_model = ThrottledModel(["Yes: it ships today from the Lyon warehouse."], model_info=MODEL_INFO)

        async def limit() -> None:
            self.writer_model.limited = True

        async def unlimit() -> None:
            self.writer_model.limited = False

        self.switch = FaultSwitch([Fault("rate_limit", "writer", limit, unlimit)])

    def participants(self) -> list[ChatAgent | Team]:
        researcher = AssistantAgent("researcher", model_client=ScriptedModel(
            ["Stock is fine; the writer will answer the customer."], model_info=MODEL_INFO))
        writer = AssistantAgent("writer", model_client=self.writer_model)
        return [researcher, writer]
