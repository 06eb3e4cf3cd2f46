"""AgentChat applications of the other team kinds of autogen-agentchat 0.7, each on the application's own
runtime (``runtime=``) with scripted model clients (no network model) and the team registered with the bridge
(``bridge.register_team``), as bridge/README.md says:

- ``selector-tool``: a ``SelectorGroupChat`` whose selector model (replayed) picks ``ledger``; ``ledger``'s tool
  ``lookup_order`` reads a loopback "orders-db" (declared as a database) that refuses connections under
  ``tool_backend_refuses``; ``clerk`` then answers the customer.
- ``swarm-model``: a ``Swarm``: ``triage`` hands off to ``booker`` (``transfer_to_booker``), whose model endpoint
  answers every call with HTTP 429 under ``rate_limit``.
- ``graph-tool``: a ``GraphFlow`` built with ``DiGraphBuilder`` (``fetcher`` → ``writer``); ``fetcher``'s tool
  ``fetch_rates`` calls a loopback "rates-api" that stops answering under ``tool_backend_stalls``, so the tool
  times out (its budget is half a second).
- ``team-endless``: a ``RoundRobinGroupChat`` (``drafter``, ``reviewer``) that ends when the reviewer says
  APPROVED, ``max_turns`` as its guard; under ``never_approves`` the reviewer's model never says it again, so
  every run is stopped by max turns.

Each participant is registered as ``<name>_<team id>``; the bridge reports it as ``<team>/<name>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import ChatAgent, Team
from autogen_agentchat.conditions import TextMentionTermination
from autogen_agentchat.teams import DiGraphBuilder, GraphFlow, SelectorGroupChat, Swarm
from autogen_core import CancellationToken, FunctionCall, SingleThreadedAgentRuntime
from autogen_core.models import CreateResult, LLMMessage
from autogen_core.tools import FunctionTool, Tool, ToolSchema
from autogen_ops_bridge import Bridge
from pydantic import BaseModel

from .common import Fault, FaultApp, FaultSwitch, Service
from .team_apps import MODEL_INFO, USAGE, RecoveringRoundRobin, ScriptedModel, ThrottledModel

TOOL_TIMEOUT_S = 0.5
"""The budget of ``fetch_rates``'s call to its API."""


def recovering(make: Callable[[], Any]) -> Callable[[], Any]:
    """A group chat manager factory whose managers forget their active speakers on ``reset()``: AgentChat
    0.7.5 keeps a failed speaker "active" through it, so a long-lived team would wait for it forever on its
    next task (see ``RecoveringRoundRobin``)."""

    def factory() -> Any:
        manager = make()
        reset = manager.reset

        async def reset_all() -> None:
            manager._active_speakers.clear()
            await reset()

        manager.reset = reset_all
        return manager

    return factory


class RecoveringSelector(SelectorGroupChat):
    def _create_group_chat_manager_factory(self, *args: Any, **kwargs: Any) -> Callable[[], Any]:
        return recovering(super()._create_group_chat_manager_factory(*args, **kwargs))


class RecoveringSwarm(Swarm):
    def _create_group_chat_manager_factory(self, *args: Any, **kwargs: Any) -> Callable[[], Any]:
        return recovering(super()._create_group_chat_manager_factory(*args, **kwargs))


class RecoveringGraphFlow(GraphFlow):
    def _create_group_chat_manager_factory(self, *args: Any, **kwargs: Any) -> Callable[[], Any]:
        return recovering(super()._create_group_chat_manager_factory(*args, **kwargs))


def calls_tool(call_id: str, tool: str, arguments: str) -> CreateResult:
    """A scripted model turn that calls one tool (or hands off: a handoff is a ``transfer_to_…`` tool)."""
    return CreateResult(finish_reason="function_calls", usage=USAGE, cached=False,
                        content=[FunctionCall(id=call_id, name=tool, arguments=arguments)])


class DriftingModel(ScriptedModel):
    """A model that may drift off its script: once ``drifted``, it answers ``drift`` to every call."""

    def __init__(self, script: Sequence[str | CreateResult], drift: str) -> None:
        super().__init__(list(script), model_info=MODEL_INFO)
        self.drift = drift
        self.drifted = False

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
        if self.drifted:
            return CreateResult(finish_reason="stop", content=self.drift, usage=USAGE, cached=False)
        return await super().create(messages, tools=tools, tool_choice=tool_choice, json_output=json_output,
                                    extra_create_args=extra_create_args, cancellation_token=cancellation_token)


class KindApp(FaultApp):
    """One team, one task at a time (a team runs one task at once), registered with the bridge by name. Two
    tasks a second: enough for every case, and light enough that four teams beside the other applications
    leave the CPU to their dependency probes."""

    rate = 2.0
    max_outstanding = 1

    def __init__(self) -> None:
        super().__init__()
        self.team: Team | None = None

    def build(self, runtime: SingleThreadedAgentRuntime) -> Team:
        raise NotImplementedError

    async def register(self, runtime: SingleThreadedAgentRuntime) -> None:
        # The team registers its participants on the runtime when it runs its first task.
        self.team = self.build(runtime)

    def configure(self, bridge: Bridge) -> None:
        bridge.register_team(self.team)

    async def request(self, runtime: SingleThreadedAgentRuntime, seq: int) -> None:
        assert self.team is not None
        try:
            await self.team.run(task=f"Customer {seq} asks about order ORD-{seq % 20}.")
        finally:
            await self.team.reset()


class SelectorToolApp(KindApp):
    def __init__(self) -> None:
        super().__init__()
        self.db = Service("orders-db")
        self.switch = FaultSwitch([Fault("tool_backend_refuses", "ledger", self.db.refuse, self.db.start)])

    async def start_services(self) -> None:
        await self.db.start()

    def build(self, runtime: SingleThreadedAgentRuntime) -> Team:
        db = self.db

        async def lookup_order(order_id: str) -> str:
            """An order's status, from the orders database."""
            return await db.call(f"SELECT status FROM orders WHERE id = '{order_id}'")

        ledger = AssistantAgent("ledger", tools=[FunctionTool(lookup_order, description="An order's status")],
                                model_client=ScriptedModel([calls_tool("call-1", "lookup_order",
                                                                       '{"order_id": "ORD-1"}')],
                                                           model_info=MODEL_INFO))
        clerk = AssistantAgent("clerk", model_client=ScriptedModel(
            ["Your order is on its way. DONE"], model_info=MODEL_INFO))
        # With two participants and no repeated speaker, the selector's model picks the first speaker only.
        selector = ScriptedModel(["ledger"], model_info=MODEL_INFO)
        return RecoveringSelector([ledger, clerk], model_client=selector, name="orders_desk", max_turns=2,
                                  termination_condition=TextMentionTermination("DONE"), runtime=runtime)

    def configure(self, bridge: Bridge) -> None:
        super().configure(bridge)
        bridge.register_dependency("orders-db", "database", self.db.url)

    async def stop_services(self) -> None:
        await self.db.close()


class SwarmModelApp(KindApp):
    def __init__(self) -> None:
        super().__init__()
        self.booker_model = ThrottledModel(["Booked: table for two at 8 pm. BOOKED"], model_info=MODEL_INFO)

        async def limit() -> None:
            self.booker_model.limited = True

        async def unlimit() -> None:
            self.booker_model.limited = False

        self.switch = FaultSwitch([Fault("rate_limit", "booker", limit, unlimit)])

    def build(self, runtime: SingleThreadedAgentRuntime) -> Team:
        triage = AssistantAgent("triage", handoffs=["booker"], model_client=ScriptedModel(
            [calls_tool("handoff-1", "transfer_to_booker", "{}")], model_info=MODEL_INFO))
        booker = AssistantAgent("booker", model_client=self.booker_model)
        return RecoveringSwarm([triage, booker], name="reservations", max_turns=3,
                               termination_condition=TextMentionTermination("BOOKED"), runtime=runtime)


class GraphToolApp(KindApp):
    def __init__(self) -> None:
        super().__init__()
        self.api = Service("rates-api")

        async def stall() -> None:
            self.api.stall()

        self.switch = FaultSwitch([Fault("tool_backend_stalls", "fetcher", stall, self.api.start)])

    async def start_services(self) -> None:
        await self.api.start()

    def build(self, runtime: SingleThreadedAgentRuntime) -> Team:
        api = self.api

        async def fetch_rates(currency: str) -> str:
            """Today's exchange rate of a currency, from the rates API."""
            return await api.call(f"GET /rates/{currency}", timeout_s=TOOL_TIMEOUT_S)

        fetcher = AssistantAgent("fetcher", tools=[FunctionTool(fetch_rates, description="Today's rate")],
                                 model_client=ScriptedModel([calls_tool("call-1", "fetch_rates",
                                                                        '{"currency": "EUR"}')],
                                                            model_info=MODEL_INFO))
        writer = AssistantAgent("writer", model_client=ScriptedModel(
            ["The invoice is converted at today's rate."], model_info=MODEL_INFO))
        builder = DiGraphBuilder()
        builder.add_node(fetcher).add_node(writer).add_edge(fetcher, writer)
        participants: list[ChatAgent] = list(builder.get_participants())
        return RecoveringGraphFlow(participants, graph=builder.build(), name="invoicing", runtime=runtime)

    def configure(self, bridge: Bridge) -> None:
        super().configure(bridge)
        bridge.register_dependency("rates-api", "external", self.api.url)

    async def stop_services(self) -> None:
        await self.api.close()


class EndlessTeamApp(KindApp):
    MAX_TURNS = 4

    def __init__(self) -> None:
        super().__init__()
        self.reviewer_model = DriftingModel(["Looks good. APPROVED"], drift="One more pass on the wording, please.")

        async def drift() -> None:
            self.reviewer_model.drifted = True

        async def back() -> None:
            self.reviewer_model.drifted = False

        self.switch = FaultSwitch([Fault("never_approves", "reviewer", drift, back)])

    def build(self, runtime: SingleThreadedAgentRuntime) -> Team:
        drafter = AssistantAgent("drafter", model_client=ScriptedModel(
            ["Draft: your order ships on Monday."], model_info=MODEL_INFO))
        reviewer = AssistantAgent("reviewer", model_client=self.reviewer_model)
        return RecoveringRoundRobin([drafter, reviewer], name="copy_desk", max_turns=self.MAX_TURNS,
                                    termination_condition=TextMentionTermination("APPROVED"), runtime=runtime)
