"""The demo's AgentChat team ``support``: a ``RoundRobinGroupChat`` of two ``AssistantAgent``s on the fleet's
runtime, the kind of AutoGen application most teams run.

``triage`` looks the customer's order up with its tool ``lookup_order`` (a loopback TCP "orders API");
``responder`` answers and ends the run with the stop word. Model answers are scripted (no network): each call
replays the one answer derived from the conversation, so a long-running fleet never exhausts a script. The
fleet's fault injection drives the team's failures (``tool_down``, ``model_429``, ``model_slow``,
``no_termination``; see demo/faults.py)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core import AgentId, CancellationToken, FunctionCall, SingleThreadedAgentRuntime
from autogen_core.models import CreateResult, LLMMessage, ModelFamily, ModelInfo, RequestUsage, UserMessage
from autogen_core.tools import Tool, ToolSchema
from autogen_ext.models.replay import ReplayChatCompletionClient
from pydantic import BaseModel

from .. import runtime_internals as internals
from ..agent_names import layout
from .faults import TEAM, TEAM_MEMBERS, DemoFaults

if TYPE_CHECKING:
    from ..attach import Bridge
    from .fleet import Hooks

logger = logging.getLogger("autogen_ops_bridge.demo.team")

STOP_WORD = "TERMINATE"
MAX_TURNS = 6
"""Ends a run that never says the stop word (the ``no_termination`` fault)."""
RUN_TIMEOUT_S = 90.0
"""Longer than MAX_TURNS model calls at the longest ``model_slow`` delay: only a stuck run reaches it."""
RESET_TIMEOUT_S = 10.0
MIN_INTERVAL_S = 2.0
"""Team runs are sequential, one every ``max(MIN_INTERVAL_S, 1 / rate)`` seconds."""
ORDERS_TIMEOUT_S = 2.0
MODEL_INFO = ModelInfo(vision=False, function_calling=True, json_output=False, family=ModelFamily.UNKNOWN,
                       structured_output=False)
NO_ARGS: Mapping[str, Any] = MappingProxyType({})
TASKS = ("Where is my order {n}? It was due last week.", "Can you check order {n} for me?",
         "Has order {n} shipped yet?", "I need the delivery date of order {n}.")
STATUSES = ("shipped, arriving Thursday", "packed, leaving the warehouse today", "delivered on Monday",
            "delayed at customs, new estimate next week")
ORDER = re.compile(r"\border (\d+)\b")
ORDER_STATUS = re.compile(r"^order \d+: ")


class OrdersApi:
    """A tiny line-based "orders API" on a loopback TCP port: ``<order id>\\n`` → ``order <id>: <status>\\n``.

    Stopping it makes new connections fail with a genuine ``ConnectionRefusedError`` (the ``tool_down``
    fault); it restarts on the same port."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    async def start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, self.host, self.port, reuse_address=True)
            self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            order_id = (await reader.readline()).decode().strip()
            status = STATUSES[int(hashlib.sha1(order_id.encode()).hexdigest(), 16) % len(STATUSES)]
            writer.write(f"order {order_id}: {status}\n".encode())
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def query_orders(host: str, port: int, order_id: str) -> str:
    # Connection errors propagate as they are, as a real tool's would: AssistantAgent turns them into an
    # error result carrying only their text (``[Errno 111] Connect call failed ...``).
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), ORDERS_TIMEOUT_S)
    try:
        writer.write(order_id.replace("\n", " ").encode() + b"\n")
        await writer.drain()
        return (await asyncio.wait_for(reader.readline(), ORDERS_TIMEOUT_S)).decode().strip()
    finally:
        writer.close()


class RateLimitError(Exception):
    """Shaped like a model provider SDK's rate-limit error (HTTP 429)."""

    status_code = 429


Script = Callable[[Sequence[LLMMessage]], str | CreateResult]


class ScriptedModelClient(ReplayChatCompletionClient):
    """A replay client that never runs out: each call replays the one answer ``script`` derives from the
    conversation, after ``before_call`` (where the team's model faults act)."""

    def __init__(self, script: Script, before_call: Callable[[], Awaitable[None]]) -> None:
        super().__init__([], model_info=MODEL_INFO)
        self._script = script
        self._before_call = before_call

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = NO_ARGS,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        await self._before_call()
        self.chat_completions = [self._script(messages)]
        self.reset()
        # The replay client only counts the prompt's tokens, and logs a warning for every message whose content
        # is not text (tool calls and results): give it the text ones.
        text_only = [m for m in messages if isinstance(m.content, str)]
        try:
            return await super().create(text_only, tools=tools, tool_choice=tool_choice, json_output=json_output,
                                        extra_create_args=extra_create_args, cancellation_token=cancellation_token)
        finally:
            self.create_calls.clear()  # the replay client keeps every call's arguments: bounded here


def _texts(messages: Sequence[LLMMessage], source: str | None = None) -> list[str]:
    return [m.content for m in messages
            if isinstance(m, UserMessage) and isinstance(m.content, str) and source in (None, m.source)]


def triage_script(messages: Sequence[LLMMessage]) -> str | CreateResult:
    """Look up the order the customer names (the latest message that names one)."""
    for text in reversed(_texts(messages)):
        found = ORDER.search(text)
        if found is not None:
            call = FunctionCall(id=f"call-{time.monotonic_ns():x}", name="lookup_order",
                                arguments=json.dumps({"order_id": found.group(1)}))
            return CreateResult(finish_reason="function_calls", content=[call], cached=False,
                                usage=RequestUsage(prompt_tokens=0, completion_tokens=12))
    return "Which order do you mean? Please give me its number."


def responder_script(never_stop: Callable[[], bool]) -> Script:
    """Answer from what triage found; say the stop word unless the ``no_termination`` fault is on."""

    def answer(messages: Sequence[LLMMessage]) -> str:
        found = _texts(messages, "triage")
        if found and ORDER_STATUS.match(found[-1]):
            reply = f"Good news: {found[-1]}. Anything else I can do?"
        else:
            reply = "Sorry, I cannot see your order right now; we will email you an update today."
        return reply if never_stop() else f"{reply} {STOP_WORD}"

    return answer


@dataclass(frozen=True)
class TeamRun:
    outcome: Literal["stopped", "failed", "timeout"]
    detail: str | None
    """The stop reason, or the error."""


class SupportTeam:
    """Builds the ``support`` team on the fleet's runtime, runs one task at a time, and recovers the team after
    a failed run so the next one works."""

    def __init__(self, runtime: SingleThreadedAgentRuntime, faults: DemoFaults, hooks: Callable[[], Hooks],
                 host: str = "127.0.0.1") -> None:
        self.runtime = runtime
        self.faults = faults
        self.orders_api = OrdersApi(host)
        self.runs: dict[str, int] = {"stopped": 0, "failed": 0, "timeout": 0}
        self.last_run: TeamRun | None = None
        self._hooks = hooks
        self._bridge: Bridge | None = None
        self._team: RoundRobinGroupChat | None = None
        self._manager: AgentId | None = None
        self.member_types: dict[str, str] = {}
        """Registered agent type per member (``triage`` → ``triage_<team id>``); changes when rebuilt."""
        self._lock = asyncio.Lock()
        self._orders = itertools.count(1001)

    async def start(self, bridge: Bridge | None) -> None:
        """Start the orders API and build the team (the runtime must be running)."""
        self._bridge = bridge
        await self.orders_api.start()
        self.faults.attach_team(self.orders_api)
        if bridge is not None:
            bridge.register_dependency("orders-api", "service", self.orders_api.url)
        await self._build()

    async def close(self) -> None:
        await self.orders_api.stop()

    # --- runs ------------------------------------------------------------------------------------------
    async def run_once(self, task: str | None = None) -> TeamRun:
        """Run one task to its end (bounded), then make the team ready for the next."""
        async with self._lock:
            assert self._team is not None, "start() first"
            n = next(self._orders)
            task = task or TASKS[n % len(TASKS)].format(n=n)
            try:
                result = await asyncio.wait_for(self._team.run(task=task), RUN_TIMEOUT_S)
                run = TeamRun("stopped", result.stop_reason)
            except asyncio.TimeoutError:
                run = TeamRun("timeout", f"no answer within {RUN_TIMEOUT_S:.0f}s")
            except Exception as exc:  # noqa: BLE001 - a failed run is an outcome (the bridge records why)
                run = TeamRun("failed", f"{type(exc).__name__}: {exc}")
            self.runs[run.outcome] += 1
            self.last_run = run
            await self._recover(run)
            return run

    async def _recover(self, run: TeamRun) -> None:
        if run.outcome == "timeout":
            # The stuck run's messages may still arrive: a fresh team (new agent types) never sees them.
            logger.warning("support team run timed out; building a new team")
            await self._build()
            return
        if run.outcome == "failed" and self._manager is not None:
            # AgentChat 0.7 keeps the failed speaker as the manager's active speaker through reset(), so the
            # next run would wait for it forever: a fresh manager instance (same type) starts clean.
            internals.forget_instance(self.runtime, self._manager)
        try:
            # Every run is a new ticket: reset() also clears the conversation each agent keeps.
            assert self._team is not None
            await asyncio.wait_for(self._team.reset(), RESET_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - the team could not be reset: replace it
            logger.warning("support team reset failed; building a new team", exc_info=True)
            await self._build()

    async def generate(self, rate: float) -> None:
        """Run tasks back to back, one every ``max(MIN_INTERVAL_S, 1 / rate)`` seconds, until cancelled."""
        interval = max(MIN_INTERVAL_S, 1.0 / rate)
        while True:
            started = time.monotonic()
            await self.run_once()
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

    # --- construction ----------------------------------------------------------------------------------
    async def _build(self) -> None:
        triage = AssistantAgent(
            "triage", description="Finds the customer's order and its status.",
            system_message="Find the order the customer asks about with lookup_order.",
            model_client=ScriptedModelClient(triage_script, self._model_faults("triage")),
            tools=[self._lookup_order_tool()],
        )
        responder = AssistantAgent(
            "responder", description="Answers the customer.",
            system_message=f"Answer the customer from what triage found, then say {STOP_WORD}.",
            model_client=ScriptedModelClient(responder_script(self._never_stop), self._model_faults("responder")),
        )
        assert (triage.name, responder.name) == TEAM_MEMBERS
        team = RoundRobinGroupChat([triage, responder], name=TEAM, max_turns=MAX_TURNS, runtime=self.runtime,
                                   termination_condition=TextMentionTermination(STOP_WORD))
        if self._bridge is not None:
            self._bridge.register_team(team)
        before = set(internals.agent_factories(self.runtime))
        await asyncio.wait_for(team.reset(), RESET_TIMEOUT_S)  # registers the team's agent types
        self._team = team
        self.member_types = {}
        for agent_type, name in layout(set(internals.agent_factories(self.runtime)) - before).items():
            if name.team is not None and name.role == "manager":
                self._manager = AgentId(agent_type, name.team.id)
            elif name.team is not None:
                self.member_types[name.name] = agent_type

    def _model_faults(self, member: str) -> Callable[[], Awaitable[None]]:
        target = f"{TEAM}/{member}"

        async def before_call() -> None:
            await self.faults.team_delay("model_slow", target)
            limited = self.faults.team_fault("model_429", target)
            if limited is not None:
                raise RateLimitError(
                    f"Error code: 429 - Rate limit reached for requests. Please try again in "
                    f"{limited['retry_after_s']}s. (type: requests, code: rate_limit_exceeded)"
                )

        return before_call

    def _never_stop(self) -> bool:
        return any(self.faults.team_fault("no_termination", f"{TEAM}/{m}") is not None for m in TEAM_MEMBERS)

    def _lookup_order_tool(self) -> Callable[[str], Awaitable[str]]:
        api = self.orders_api

        async def lookup_order(order_id: str) -> str:
            """The status and delivery date of a customer's order, from the orders API."""
            started = time.perf_counter()
            agent_type = self.member_types.get("triage", "triage")
            try:
                answer = await query_orders(api.host, api.port, order_id)
            except ConnectionRefusedError:
                self._hooks().record_dependency_call(agent_type, "orders-api", time.perf_counter() - started,
                                                     "connection refused")
                raise
            except (OSError, asyncio.TimeoutError) as exc:
                self._hooks().record_dependency_call(agent_type, "orders-api", time.perf_counter() - started,
                                                     type(exc).__name__)
                raise
            self._hooks().record_dependency_call(agent_type, "orders-api", time.perf_counter() - started)
            return answer

        return lookup_order
