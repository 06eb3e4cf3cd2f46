# ruff: noqa: F811 - the `attached` fixture is imported from test_agentchat and used by name
"""Every kind of AgentChat team in autogen-agentchat 0.7 (RoundRobinGroupChat, SelectorGroupChat with a replayed
selector, Swarm with handoffs, GraphFlow built with DiGraphBuilder) on a real SingleThreadedAgentRuntime with the
bridge attached, each with a tool whose backend refuses connections: the bridge must see the failing
participant by its name, its team, the tool's error, the team's runs and how they ended; model calls from
autogen-core's LLM events (tokens) and model failures (a 429 from a participant's or a selector's model)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import ChatAgent, Team
from autogen_agentchat.messages import HandoffMessage, ToolCallExecutionEvent
from autogen_agentchat.teams import DiGraphBuilder, GraphFlow, RoundRobinGroupChat, SelectorGroupChat, Swarm
from autogen_core import (
    EVENT_LOGGER_NAME,
    AgentId,
    CancellationToken,
    FunctionCall,
    MessageContext,
    RoutedAgent,
    message_handler,
)
from autogen_core.logging import LLMCallEvent
from autogen_core.models import CreateResult, LLMMessage
from autogen_core.tools import Tool, ToolSchema
from autogen_ext.models.replay import ReplayChatCompletionClient
from pydantic import BaseModel
from test_agentchat import (  # noqa: F401 - `attached` is a fixture used by name
    RUN_TIMEOUT_S,
    TOOL_MODEL,
    USAGE,
    Attached,
    RateLimitError,
    attached,
    refused_port,
    tool_calls,
    weather_tool,
)

event_log = logging.getLogger(EVENT_LOGGER_NAME)


class LoggingReplayClient(ReplayChatCompletionClient):
    """A replayed model client that logs each answer as autogen-ext's real clients do (``LLMCallEvent`` on
    autogen-core's event logger, with the call's token counts)."""

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
        result = await super().create(messages, tools=tools, tool_choice=tool_choice, json_output=json_output,
                                      extra_create_args=extra_create_args, cancellation_token=cancellation_token)
        event_log.info(LLMCallEvent(messages=[{"role": "user", "content": "…"}], response={"content": "…"},
                                    prompt_tokens=result.usage.prompt_tokens,
                                    completion_tokens=result.usage.completion_tokens))
        return result


class RateLimitedSelector(ReplayChatCompletionClient):
    async def create(self, *args: Any, **kwargs: Any) -> CreateResult:
        raise RateLimitError("Error code: 429 - Rate limit reached for requests")


def model(script: Sequence[str | CreateResult]) -> LoggingReplayClient:
    return LoggingReplayClient(list(script), model_info=TOOL_MODEL)


def weather_agent(port: int, **kwargs: Any) -> AssistantAgent:
    return AssistantAgent("weather", model_client=model([tool_calls(("call-1", "Paris"))]),
                          tools=[weather_tool(port)], **kwargs)


async def run(attached: Attached, team: Team, name: str) -> Any:
    attached.bridge.register_team(team)
    return await asyncio.wait_for(team.run(task="What is the weather in Paris?"), RUN_TIMEOUT_S)


async def agents_by_name(attached: Attached) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in (await attached.get("/v1/agents"))["agents"]}


async def assert_tool_failure_seen(attached: Attached, team: str, kind: str) -> dict[str, Any]:
    """The failing participant, by its name, in its team, with the tool's error as its own."""
    agents = await agents_by_name(attached)
    weather = agents["weather"]
    assert weather["team"]["name"] == team and weather["team"]["kind"] == kind
    assert weather["role"] == "participant" and weather["type"].startswith("weather_")
    assert weather["errors_total"] == 1 and weather["error_rate"] > 0
    detail: dict[str, Any] = await attached.get(f"/v1/agents/{weather['type']}")
    assert detail["errors_by_type"] == {"ToolError": 1}
    assert detail["last_error"]["message"].startswith("tool fetch_weather failed: ConnectionRefusedError")
    [tool] = detail["tool_calls"]
    assert (tool["tool"], tool["count"], tool["errors"]) == ("fetch_weather", 1, 1)
    assert detail["model_calls"]["calls"] == 1 and detail["model_calls"]["errors"] == 0
    assert detail["model_calls"]["prompt_tokens"] == USAGE.prompt_tokens
    assert detail["model_calls"]["avg_ms"] is not None
    assert detail["team_runs"]["team"] == team and detail["team_runs"]["kind"] == kind
    assert (detail["team_runs"]["started"], detail["team_runs"]["finished"]) == (1, 1)
    for other in agents.values():
        if other["name"] != "weather":
            assert other["errors_total"] == 0, other
    return detail


async def test_round_robin_group_chat_stopped_by_max_turns(attached: Attached) -> None:
    writer = AssistantAgent("writer", model_client=model(["The weather service is down."]))
    team = RoundRobinGroupChat([weather_agent(refused_port()), writer], max_turns=2, runtime=attached.runtime,
                               name="forecast")
    result = await run(attached, team, "forecast")
    assert "Maximum number of turns 2" in str(result.stop_reason)
    detail = await assert_tool_failure_seen(attached, "forecast", "RoundRobinGroupChat")
    runs = detail["team_runs"]
    assert (runs["stopped"], runs["max_turns_reached"], runs["failed"], runs["last_ended_by"]) == (1, 1, 0, "max_turns")
    assert runs["last_stop_reason"] == "Maximum number of turns 2 reached."
    manager = runs["manager"]
    metrics = await attached.get("/metrics")
    assert f'autogen_team_runs_started_total{{agent_type="{manager}"}} 1.0' in metrics
    assert f'autogen_team_runs_max_turns_total{{agent_type="{manager}"}} 1.0' in metrics
    assert f'autogen_agent_model_calls_total{{agent_type="{detail["type"]}"}} 1.0' in metrics
    assert (f'autogen_agent_model_tokens_total{{agent_type="{detail["type"]}",kind="prompt"}} '
            f'{float(USAGE.prompt_tokens)}') in metrics


async def test_selector_group_chat_with_a_replayed_selector(attached: Attached) -> None:
    writer = AssistantAgent("writer", model_client=model(["The weather service is down."]))
    # The selector's model is asked for the first speaker only: after it, one candidate is left.
    team = SelectorGroupChat([weather_agent(refused_port()), writer], model_client=model(["weather"]), max_turns=2,
                             runtime=attached.runtime, name="desk")
    await run(attached, team, "desk")
    detail = await assert_tool_failure_seen(attached, "desk", "SelectorGroupChat")
    assert detail["team_runs"]["last_ended_by"] == "max_turns"
    manager = await attached.get(f"/v1/agents/{detail['team_runs']['manager']}")
    assert manager["name"] == "SelectorGroupChatManager" and manager["role"] == "manager"
    assert manager["model_calls"]["calls"] == 1 and manager["model_calls"]["errors"] == 0


async def test_a_rate_limited_selector_ends_the_run_and_is_a_failed_model_call_of_the_manager(
    attached: Attached,
) -> None:
    writer = AssistantAgent("writer", model_client=model(["never asked"]))
    weather = AssistantAgent("weather", model_client=model(["never asked"]))
    team = SelectorGroupChat([weather, writer], model_client=RateLimitedSelector(["unused"], model_info=TOOL_MODEL),
                             max_turns=2, runtime=attached.runtime, name="desk")
    with pytest.raises(RateLimitError, match="429"):  # raised by the manager's handler, to the caller
        await run(attached, team, "desk")
    agents = await agents_by_name(attached)
    manager = await attached.get(f"/v1/agents/{agents['SelectorGroupChatManager']['type']}")
    assert manager["model_calls"]["errors_by_type"] == {"RateLimitError": 1}
    assert "429" in manager["model_calls"]["last_error"]
    assert manager["errors_total"] == 1 and manager["errors_by_type"] == {"RateLimitError": 1}
    runs = manager["team_runs"]
    assert (runs["started"], runs["failed"], runs["last_ended_by"]) == (1, 1, "error")
    assert "RateLimitError" in runs["last_error"]
    for name in ("weather", "writer"):
        assert agents[name]["errors_total"] == 0


async def test_a_rate_limited_participant_is_a_failed_model_call_counted_once(attached: Attached) -> None:
    writer = AssistantAgent("writer", model_client=RateLimitedSelector(["unused"], model_info=TOOL_MODEL))
    team = RoundRobinGroupChat([writer], max_turns=1, runtime=attached.runtime)
    with pytest.raises(Exception, match="RateLimitError"):
        await run(attached, team, "RoundRobinGroupChat")
    agents = await agents_by_name(attached)
    writer_detail = await attached.get(f"/v1/agents/{agents['writer']['type']}")
    calls = writer_detail["model_calls"]
    assert (calls["calls"], calls["errors"], calls["errors_by_type"]) == (1, 1, {"RateLimitError": 1})
    assert calls["error_rate"] == 1.0
    manager = await attached.get(f"/v1/agents/{agents['RoundRobinGroupChatManager']['type']}")
    assert manager["model_calls"] is None  # the participant's failure relayed by the manager is not the manager's
    assert manager["team_runs"]["failed"] == 1
    metrics = await attached.get("/metrics")
    assert (f'autogen_agent_model_call_errors_total{{agent_type="{agents["writer"]["type"]}",'
            f'exception_type="RateLimitError"}} 1.0') in metrics


async def test_swarm_hands_off_to_a_participant_whose_tool_fails(attached: Attached) -> None:
    triage = AssistantAgent("triage", handoffs=["weather"], model_client=model([CreateResult(
        finish_reason="function_calls", usage=USAGE, cached=False,
        content=[FunctionCall(id="h-1", name="transfer_to_weather", arguments="{}")])]))
    team = Swarm([triage, weather_agent(refused_port())], max_turns=2, runtime=attached.runtime, name="helpdesk")
    result = await run(attached, team, "helpdesk")
    assert any(isinstance(m, HandoffMessage) for m in result.messages)
    executed = [r for m in result.messages if isinstance(m, ToolCallExecutionEvent) for r in m.content]
    assert [(r.name, r.is_error) for r in executed] == [("transfer_to_weather", False), ("fetch_weather", True)]
    detail = await assert_tool_failure_seen(attached, "helpdesk", "Swarm")
    assert detail["handoffs"] == []
    triage_detail = await attached.get(f"/v1/agents/{(await agents_by_name(attached))['triage']['type']}")
    assert triage_detail["handoffs"] == [{"target": "weather", "count": 1}]
    assert triage_detail["errors_total"] == 0
    metrics = await attached.get("/metrics")
    assert f'autogen_agent_handoffs_total{{agent_type="{triage_detail["type"]}",target="weather"}} 1.0' in metrics


async def test_graph_flow_built_with_digraph_builder(attached: Attached) -> None:
    weather = weather_agent(refused_port())
    writer = AssistantAgent("writer", model_client=model(["The weather service is down."]))
    builder = DiGraphBuilder()
    builder.add_node(weather).add_node(writer).add_edge(weather, writer)
    participants: list[ChatAgent] = list(builder.get_participants())
    team = GraphFlow(participants, graph=builder.build(), runtime=attached.runtime, name="pipeline")
    await run(attached, team, "pipeline")
    detail = await assert_tool_failure_seen(attached, "pipeline", "GraphFlow")
    runs = detail["team_runs"]
    assert (runs["stopped"], runs["max_turns_reached"], runs["last_ended_by"]) == (1, 0, "termination")
    assert runs["last_stop_reason"] == "Digraph execution is complete"
    agents = await agents_by_name(attached)
    assert agents["GraphManager"]["role"] == "manager"


@dataclass
class Ping:
    text: str


class Echo(RoutedAgent):
    @message_handler
    async def on_ping(self, message: Ping, ctx: MessageContext) -> Ping:
        return message


async def test_a_plain_agent_has_no_team_data(attached: Attached) -> None:
    writer = AssistantAgent("writer", model_client=model(["Hello."]))
    await run(attached, RoundRobinGroupChat([writer], max_turns=1, runtime=attached.runtime), "RoundRobinGroupChat")
    await Echo.register(attached.runtime, "Echo", lambda: Echo("echo"))
    assert await attached.runtime.send_message(Ping("hi"), AgentId("Echo", "default")) == Ping("hi")
    detail = await attached.get("/v1/agents/Echo")
    assert (detail["model_calls"], detail["team_runs"], detail["handoffs"]) == (None, None, [])
    assert detail["tool_calls"] == []
