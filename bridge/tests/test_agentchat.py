"""Real AgentChat teams (RoundRobinGroupChat of AssistantAgents, replayed model clients, real tools calling a
loopback backend) on a real SingleThreadedAgentRuntime with the bridge attached: failures AgentChat turns into
tool results or GroupChatError must read like handler errors of the participant's agent type."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.messages import ToolCallExecutionEvent
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_agentchat.teams._group_chat._events import GroupChatError, SerializableException
from autogen_core import (
    AgentId,
    DefaultTopicId,
    FunctionCall,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from autogen_core.models import CreateResult, ModelInfo, RequestUsage
from autogen_ext.models.replay import ReplayChatCompletionClient

from autogen_ops_bridge import attach, collector, message_log
from autogen_ops_bridge.attach import Bridge

TOKEN = "agentchat-test-token"
RUN_TIMEOUT_S = 30.0
TOOL_MODEL = ModelInfo(vision=False, function_calling=True, json_output=False, family="unknown",
                       structured_output=False)
USAGE = RequestUsage(prompt_tokens=10, completion_tokens=5)


def tool_calls(*calls: tuple[str, str]) -> CreateResult:
    """A scripted model turn that calls tools: ``(call_id, city)`` per ``fetch_weather`` call."""
    return CreateResult(finish_reason="function_calls", usage=USAGE, cached=False, content=[
        FunctionCall(id=call_id, name="fetch_weather", arguments=f'{{"city": "{city}"}}') for call_id, city in calls
    ])


def weather_tool(port: int) -> Callable[[str], Awaitable[str]]:
    async def fetch_weather(city: str) -> str:
        """Current weather for a city, from the weather service."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(city.encode() + b"\n")
        await writer.drain()
        answer = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return answer.decode().strip()

    return fetch_weather


def refused_port() -> int:
    """A loopback port nobody listens on: every connection is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
async def weather_service() -> AsyncIterator[int]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        city = (await reader.readline()).decode().strip()
        writer.write(f"sunny in {city}\n".encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


class RateLimitError(Exception):
    """Shaped like a model provider SDK's rate-limit error (HTTP 429)."""

    status_code = 429


class RateLimitedClient(ReplayChatCompletionClient):
    """A model client whose every call is refused by the provider's rate limit."""

    async def create(self, *args: Any, **kwargs: Any) -> CreateResult:
        raise RateLimitError("Error code: 429 - Rate limit reached for requests; retry after 20s")


@dataclass
class Attached:
    runtime: SingleThreadedAgentRuntime
    bridge: Bridge
    http: httpx.AsyncClient

    def agent_type(self, prefix: str) -> str:
        """The registered type of a participant (``<name>_<team id>``) or manager."""
        matches = [t for t in self.bridge.registered_types() if t.startswith(prefix + "_")]
        assert len(matches) == 1, (prefix, self.bridge.registered_types())
        return matches[0]

    async def get(self, path: str, **params: Any) -> Any:
        r = await self.http.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json() if r.headers["content-type"].startswith("application/json") else r.text

    async def run(self, participants: Sequence[AssistantAgent], max_turns: int) -> TaskResult:
        team = RoundRobinGroupChat(list(participants), max_turns=max_turns, runtime=self.runtime)
        # Bounded: a run the bridge left waiting would fail here instead of hanging the suite.
        return await asyncio.wait_for(team.run(task="What is the weather in Paris?"), RUN_TIMEOUT_S)


@asynccontextmanager
async def _attached() -> AsyncIterator[Attached]:
    runtime = SingleThreadedAgentRuntime()
    bridge = await attach(runtime, token=TOKEN, host="127.0.0.1", port=0, name="agentchat-test")
    assert bridge.url is not None
    runtime.start()
    async with httpx.AsyncClient(base_url=bridge.url, headers={"Authorization": f"Bearer {TOKEN}"},
                                 timeout=10) as http:
        yield Attached(runtime, bridge, http)
    await bridge.prepare_stop()
    await asyncio.wait_for(runtime.stop_when_idle(), 15)
    await bridge.close()


@pytest.fixture
async def attached() -> AsyncIterator[Attached]:
    async with _attached() as a:
        yield a


@pytest.fixture
async def attached_past_budgets(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Attached]:
    """As ``attached``, with the bridge's record budgets at zero: every message of a run is past them, as in
    a busy application (no trace linked, routine events counted and not kept)."""
    monkeypatch.setattr(message_log, "TRACES_PER_S", 0)
    monkeypatch.setattr(collector, "ROUTINE_PER_S", 0)
    async with _attached() as a:
        yield a


def assistant(name: str, script: list[str | CreateResult], port: int | None = None) -> AssistantAgent:
    return AssistantAgent(name, model_client=ReplayChatCompletionClient(script, model_info=TOOL_MODEL),
                          tools=[weather_tool(port)] if port is not None else None)


async def test_a_tool_whose_backend_refuses_connections_is_an_error_of_the_participant(
    attached: Attached,
) -> None:
    weather = assistant("weather", [tool_calls(("call-1", "Paris"))], port=refused_port())
    writer = assistant("writer", ["The weather service is unreachable; no forecast today."])
    result = await attached.run([weather, writer], max_turns=2)
    executed = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    assert [r.is_error for m in executed for r in m.content] == [True]  # the scenario: AgentChat swallowed it

    weather_type, writer_type = attached.agent_type("weather"), attached.agent_type("writer")
    detail = await attached.get(f"/v1/agents/{weather_type}")
    assert detail["errors_total"] == 1
    assert detail["errors_by_type"] == {"ToolError": 1}
    assert detail["error_rate"] > 0
    assert detail["recent"]["errors"] == 1
    error = detail["recent_errors"][0]
    assert error["exception_type"] == "ToolError"
    assert error["message"].startswith("tool fetch_weather failed: ConnectionRefusedError: [Errno 111]")
    assert error["message_type"] == "GroupChatRequestPublish" and error["message_id"]
    assert "is_error=True" in error["traceback"]
    assert detail["last_error"] == error
    [tool] = detail["tool_calls"]
    assert (tool["tool"], tool["count"], tool["errors"]) == ("fetch_weather", 1, 1)
    assert tool["avg_ms"] is not None and "ConnectionRefusedError" in tool["last_error"]

    for healthy in (writer_type, attached.agent_type("RoundRobinGroupChatManager")):
        other = await attached.get(f"/v1/agents/{healthy}")
        assert (other["errors_total"], other["recent_errors"], other["tool_calls"]) == (0, [], [])

    # The failing call in the message graph, and the error in the log, both on the participant's message.
    messages = (await attached.get("/v1/messages", agent=weather_type, limit=200))["messages"]
    [hop] = [m for m in messages if m["message_id"] == error["message_id"] and m["handler_ms"] is not None]
    assert hop["recipient"].startswith(weather_type + "/")
    assert hop["outcome"] == "error" and "fetch_weather" in hop["error"]
    logs = (await attached.get("/v1/logs", level="ERROR", agent=weather_type))["records"]
    assert any(r["exception_type"] == "ToolError" and r["message_id"] == error["message_id"]
               and "fetch_weather" in r["message"] for r in logs), logs

    metrics = await attached.get("/metrics")
    assert f'autogen_agent_tool_calls_total{{agent_type="{weather_type}",tool="fetch_weather"}} 1.0' in metrics
    assert f'autogen_agent_tool_errors_total{{agent_type="{weather_type}",tool="fetch_weather"}} 1.0' in metrics
    assert (f'autogen_agent_handler_errors_total{{agent_type="{weather_type}",exception_type="ToolError"}} 1.0'
            in metrics)


async def test_past_the_record_budgets_a_failing_tool_is_still_counted_exactly_and_the_run_ends(
    attached_past_budgets: Attached,
) -> None:
    attached = attached_past_budgets
    runs = 3
    for _ in range(runs):
        weather = assistant("weather", [tool_calls(("call-1", "Paris"))], port=refused_port())
        writer = assistant("writer", ["The weather service is unreachable; no forecast today."])
        result = await attached.run([weather, writer], max_turns=2)
        assert result.stop_reason is not None and "Maximum number of turns" in result.stop_reason

    # each run is a team of its own (its own agent types); a team publishes to its participants: none of it
    # is linked, all of it is counted
    types = attached.bridge.registered_types()
    weather_types = [t for t in types if t.startswith("weather_")]
    managers = [t for t in types if t.startswith("RoundRobinGroupChatManager_")]
    assert len(weather_types) == len(managers) == runs
    metrics = await attached.get("/metrics")
    for weather_type, manager in zip(weather_types, managers, strict=True):
        detail = await attached.get(f"/v1/agents/{weather_type}")
        assert (detail["errors_total"], detail["errors_by_type"]) == (1, {"ToolError": 1})
        assert [(t["tool"], t["count"], t["errors"]) for t in detail["tool_calls"]] == [("fetch_weather", 1, 1)]
        assert detail["message_graph"]["messages"] == 0 and detail["message_graph"]["unlinked"] > 0
        errors = (await attached.get("/v1/logs", level="ERROR", agent=weather_type))["records"]
        assert sum(r["count"] for r in errors if r["exception_type"] == "ToolError") == 1
        assert [r["trace_id"] for r in errors] == [None] * len(errors)  # no trace was linked: none is named
        routine = [r for r in (await attached.get("/v1/logs", agent=weather_type, limit=1000))["records"]
                   if r["event"] == "MessageEvent"]
        assert routine == []  # counted, not kept
        assert f'autogen_team_runs_ended_total{{agent_type="{manager}",outcome="stopped"}} 1.0' in metrics
    assert (await attached.get("/v1/messages", limit=200))["messages"] == []


async def test_several_failed_calls_in_one_turn_are_one_handler_error_and_each_a_failed_tool_call(
    attached: Attached,
) -> None:
    weather = assistant("weather", [tool_calls(("a", "Paris"), ("b", "Lyon"))], port=refused_port())
    await attached.run([weather], max_turns=1)
    detail = await attached.get(f"/v1/agents/{attached.agent_type('weather')}")
    assert detail["errors_by_type"] == {"ToolError": 1}
    assert "and 1 more reported failure in this handler" in detail["recent_errors"][0]["message"]
    assert [(t["tool"], t["count"], t["errors"]) for t in detail["tool_calls"]] == [("fetch_weather", 2, 2)]


async def test_a_rate_limited_model_client_is_an_error_of_the_participant_counted_once(attached: Attached) -> None:
    weather = AssistantAgent("weather", model_client=RateLimitedClient(["unused"], model_info=TOOL_MODEL))
    writer = assistant("writer", ["never asked"])
    # The container publishes a GroupChatError and re-raises; the team's run ends with the error.
    with pytest.raises(RuntimeError, match="RateLimitError"):
        await attached.run([weather, writer], max_turns=2)
    weather_type = attached.agent_type("weather")
    detail = await attached.get(f"/v1/agents/{weather_type}")
    assert detail["errors_by_type"] == {"RateLimitError": 1}  # the report and the exception: one failure
    assert detail["error_rate"] > 0
    error = detail["recent_errors"][0]
    assert error["exception_type"] == "RateLimitError" and "429" in error["message"]
    assert len(detail["recent_errors"]) == 1
    hops = (await attached.get("/v1/messages", agent=weather_type, limit=200))["messages"]
    assert any(h["recipient"].startswith(weather_type) and h["outcome"] == "error" and "RateLimitError" in h["error"]
               for h in hops)
    metrics = await attached.get("/metrics")
    manager = attached.agent_type("RoundRobinGroupChatManager")
    assert f'autogen_team_runs_ended_total{{agent_type="{manager}",outcome="error"}} 1.0' in metrics


@dataclass
class Turn:
    task: str


class ReportsInsteadOfRaising(RoutedAgent):
    """A participant container shaped differently from AgentChat 0.7's: it reports its model call's failure
    to the group chat as a GroupChatError and returns normally."""

    def __init__(self) -> None:
        super().__init__("reports failures to the group chat")

    @message_handler
    async def on_turn(self, message: Turn, ctx: MessageContext) -> None:
        try:
            raise TimeoutError("model call timed out after 30 s")
        except TimeoutError as exc:
            await self.publish_message(GroupChatError(error=SerializableException.from_exception(exc)),
                                       DefaultTopicId(type="group_topic_test"))


async def test_a_group_chat_error_reported_by_a_handler_that_returns_is_its_error(attached: Attached) -> None:
    await ReportsInsteadOfRaising.register(attached.runtime, "Reporter", ReportsInsteadOfRaising)
    await asyncio.wait_for(attached.runtime.send_message(Turn("go"), AgentId("Reporter", "default")), RUN_TIMEOUT_S)
    detail = await attached.get("/v1/agents/Reporter")
    assert detail["errors_by_type"] == {"TimeoutError": 1}
    error = detail["recent_errors"][0]
    assert error["message"] == "model call timed out after 30 s"
    assert "Traceback" in error["traceback"] and "on_turn" in error["traceback"]


async def test_a_healthy_team_has_no_errors_and_its_stop_by_max_turns_is_recorded(
    attached: Attached, weather_service: int,
) -> None:
    weather = assistant("weather", [tool_calls(("call-1", "Paris"))], port=weather_service)
    writer = assistant("writer", ["Sunny in Paris: take sunglasses."])
    result = await attached.run([weather, writer], max_turns=2)
    assert result.stop_reason is not None and "Maximum number of turns" in result.stop_reason

    agents = (await attached.get("/v1/agents"))["agents"]
    assert len(agents) == 3 and all(a["handled_total"] > 0 for a in agents)
    assert [(a["type"], a["errors_total"], a["error_rate"]) for a in agents] == [
        (a["type"], 0, 0.0) for a in agents]
    detail = await attached.get(f"/v1/agents/{attached.agent_type('weather')}")
    assert [(t["tool"], t["count"], t["errors"], t["last_error"]) for t in detail["tool_calls"]] == [
        ("fetch_weather", 1, 0, None)]
    assert (await attached.get("/v1/logs", level="ERROR"))["records"] == []

    manager = attached.agent_type("RoundRobinGroupChatManager")
    stops = [r for r in (await attached.get("/v1/logs", agent=manager))["records"] if r["event"] == "TeamRunStopped"]
    assert [r["message"] for r in stops] == [f"team run stopped: {result.stop_reason}"]
    metrics = await attached.get("/metrics")
    assert f'autogen_team_runs_ended_total{{agent_type="{manager}",outcome="stopped"}} 1.0' in metrics


async def test_a_failing_reader_never_breaks_the_run(attached: Attached, caplog: pytest.LogCaptureFixture) -> None:
    def broken(event: Any, hop: Any) -> None:
        raise RuntimeError("reader bug")

    observer = attached.bridge.agentchat
    observer.install_if_imported()
    observer._inner = {t: broken for t in observer._inner}
    weather = assistant("weather", [tool_calls(("call-1", "Paris"))], port=refused_port())
    result = await attached.run([weather], max_turns=1)
    assert result.stop_reason is not None and "Maximum number of turns" in result.stop_reason
    assert "could not read AgentChat message GroupChatMessage" in caplog.text


async def test_participants_are_reported_by_the_names_people_use_with_their_team(
    attached: Attached, weather_service: int,
) -> None:
    weather = assistant("weather", [tool_calls(("call-1", "Paris"))], port=weather_service)
    writer = assistant("writer", ["Sunny."])
    team = RoundRobinGroupChat([weather, writer], max_turns=2, runtime=attached.runtime, name="forecast")
    attached.bridge.register_team(team)
    await asyncio.wait_for(team.run(task="Weather in Paris?"), RUN_TIMEOUT_S)
    agents = {a["name"]: a for a in (await attached.get("/v1/agents"))["agents"]}
    assert set(agents) == {"weather", "writer", "RoundRobinGroupChatManager"}
    assert agents["weather"]["role"] == "participant" and agents["weather"]["type"].startswith("weather_")
    assert agents["weather"]["team"] == {"name": "forecast", "kind": "RoundRobinGroupChat",
                                         "id": agents["weather"]["type"].removeprefix("weather_")}
    assert agents["RoundRobinGroupChatManager"]["role"] == "manager"


async def test_a_participant_failure_echoed_to_its_teammates_is_not_their_error(attached: Attached) -> None:
    writer = AssistantAgent("writer", model_client=RateLimitedClient(["unused"], model_info=TOOL_MODEL))
    researcher = assistant("researcher", ["Here are the facts."])
    team = RoundRobinGroupChat([researcher, writer], max_turns=3, runtime=attached.runtime)
    with pytest.raises(Exception):  # noqa: B017 - the run ends with the writer's failure, whatever AgentChat wraps it in
        await asyncio.wait_for(team.run(task="Write it up."), RUN_TIMEOUT_S)
    agents = {a["name"]: a for a in (await attached.get("/v1/agents"))["agents"]}
    assert agents["writer"]["errors_total"] == 1
    assert agents["researcher"]["errors_total"] == 0
    assert agents["researcher"]["handled_total"] > 0
    # the echo's hop reads as what it is: refused (not handled), not "ok"
    hops = (await attached.get(f"/v1/messages?agent={agents['researcher']['type']}&limit=200"))["messages"]
    echoes = [h for h in hops if h["recipient"].startswith(agents["researcher"]["type"] + "/")
              and (h["error"] or "").startswith("ValueError")]
    assert echoes and all(h["outcome"] == "refused" for h in echoes)
