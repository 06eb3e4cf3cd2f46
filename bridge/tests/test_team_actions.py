"""Control actions on real AgentChat teams (autogen-agentchat 0.7, replayed model clients, a real runtime and
the bridge's HTTP API): isolate, degrade, backpressure and restart of a participant or a whole team, each
leaving ``team.run()`` terminating (every run is bounded by ``asyncio.wait_for`` and its result asserted)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.conditions import MaxMessageTermination, TextMentionTermination
from autogen_agentchat.messages import HandoffMessage, TextMessage, ToolCallExecutionEvent
from autogen_agentchat.teams import RoundRobinGroupChat, Swarm
from autogen_core import FunctionCall, SingleThreadedAgentRuntime
from autogen_core.models import CreateResult
from autogen_ext.models.replay import ReplayChatCompletionClient
from test_agentchat import TOOL_MODEL, USAGE, assistant, refused_port, tool_calls

from autogen_ops_bridge import attach
from autogen_ops_bridge.agentchat_control import MAX_REFUSALS_IN_A_ROW, REFUSAL_PREFIX
from autogen_ops_bridge.attach import Bridge
from autogen_ops_bridge.errors import AgentIsolatedError, BackpressureTimeoutError

TOKEN = "team-actions-token"
RUN_TIMEOUT_S = 20.0


class Env:
    def __init__(self, runtime: SingleThreadedAgentRuntime, bridge: Bridge, http: httpx.AsyncClient) -> None:
        self.runtime, self.bridge, self.http = runtime, bridge, http

    def type_of(self, name: str, team: Any) -> str:
        return f"{name}_{team._team_id}"

    def manager_of(self, team: Any) -> str:
        [t] = [t for t, n in self.bridge.agent_names().items()
               if n.role == "manager" and n.team is not None and n.team.id == team._team_id]
        return t

    async def act(self, action: str, body: dict[str, Any], status: int = 200) -> Any:
        r = await self.http.post(f"/v1/actions/{action}", json=body)
        assert r.status_code == status, r.text
        return r.json()

    async def agent(self, agent_type: str) -> Any:
        r = await self.http.get(f"/v1/agents/{agent_type}")
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    runtime = SingleThreadedAgentRuntime()
    bridge = await attach(runtime, token=TOKEN, host="127.0.0.1", port=0, name="team-actions")
    assert bridge.url is not None
    runtime.start()
    async with httpx.AsyncClient(base_url=bridge.url, headers={"Authorization": f"Bearer {TOKEN}"},
                                 timeout=10) as http:
        yield Env(runtime, bridge, http)
    await bridge.prepare_stop()
    await asyncio.wait_for(runtime.stop_when_idle(), 15)
    await bridge.close()


def never_called(name: str) -> AssistantAgent:
    """A participant whose model must not be called: its script is empty, so a call fails the run."""
    return AssistantAgent(name, model_client=ReplayChatCompletionClient([], model_info=TOOL_MODEL))


async def bounded(team: Any, task: str = "What is the weather in Paris?") -> TaskResult:
    result: TaskResult = await asyncio.wait_for(team.run(task=task), RUN_TIMEOUT_S)
    return result


async def ready(team: Any, bridge: Bridge) -> None:
    """Register the team's agent types (as its first run would) and name it."""
    bridge.register_team(team)
    await asyncio.wait_for(team.reset(), RUN_TIMEOUT_S)


def said(result: TaskResult, source: str) -> list[str]:
    return [m.content for m in result.messages if isinstance(m, TextMessage | HandoffMessage) and m.source == source]


async def test_an_isolated_participant_answers_every_turn_with_a_refusal_and_the_run_ends(env: Env) -> None:
    weather = assistant("weather", ["Sunny in Paris.", "Still sunny."])
    writer = never_called("writer")
    team = RoundRobinGroupChat([weather, writer], name="forecast", max_turns=4, runtime=env.runtime)
    await ready(team, env.bridge)
    writer_type = env.type_of("writer", team)

    preview = await env.act("isolate", {"agent_type": writer_type, "dry_run": True})
    assert preview["applied"] is False and preview["after"]["isolated"] is True
    assert preview["team_effect"] == ("forecast/writer will answer every turn with a refusal instead of calling its "
                                      "model; the team keeps running; 1 other participant (weather) unaffected")
    assert env.bridge.gates[writer_type].isolation is None  # a dry run changes nothing

    done = await env.act("isolate", {"agent_type": writer_type})
    assert done["applied"] is True and done["after"]["in_routing"] is True
    result = await bounded(team)
    assert result.stop_reason == "Maximum number of turns 4 reached."
    assert said(result, "weather") == ["Sunny in Paris.", "Still sunny."]
    refusals = said(result, "writer")
    assert len(refusals) == 2 and all(r.startswith(f"{REFUSAL_PREFIX} writer is isolated") for r in refusals)
    detail = await env.agent(writer_type)
    assert detail["errors_total"] == 0  # a refusal is not the participant's failure
    assert detail["refused_total"] == 2  # each refused turn is counted as refused

    released = await env.act("release", {"agent_type": writer_type})
    assert released["team_effect"] == ("forecast/writer takes its turns again (calls its model); "
                                       "the team is unaffected otherwise")


async def test_a_sole_isolated_participant_ends_the_run_instead_of_looping_and_the_next_run_works(env: Env) -> None:
    solo = AssistantAgent("solo", model_client=ReplayChatCompletionClient(["Done. TERMINATE"], model_info=TOOL_MODEL))
    team = RoundRobinGroupChat([solo], name="lonely", runtime=env.runtime,
                               termination_condition=TextMentionTermination("TERMINATE"))
    await ready(team, env.bridge)
    solo_type = env.type_of("solo", team)
    preview = await env.act("isolate", {"agent_type": solo_type, "dry_run": True})
    assert "only participant" in preview["team_effect"]
    await env.act("isolate", {"agent_type": solo_type})
    with pytest.raises(RuntimeError, match="AgentIsolatedError") as failed:
        await bounded(team)
    assert f"asked for {MAX_REFUSALS_IN_A_ROW + 1} turns" in str(failed.value)

    await env.act("release", {"agent_type": solo_type})
    await asyncio.wait_for(team.reset(), RUN_TIMEOUT_S)
    result = await bounded(team)  # the manager does not wait for the ended run's speaker
    assert said(result, "solo") == ["Done. TERMINATE"]


async def test_in_a_swarm_an_isolated_participant_hands_the_turn_back(env: Env) -> None:
    handoff = CreateResult(finish_reason="function_calls", usage=USAGE, cached=False,
                           content=[FunctionCall(id="h1", name="transfer_to_bob", arguments="{}")])
    alice = AssistantAgent("alice", handoffs=["bob"], model_client=ReplayChatCompletionClient(
        [handoff, "Bob is away; I will answer myself. TERMINATE"], model_info=TOOL_MODEL))
    bob = AssistantAgent("bob", handoffs=["alice"],
                         model_client=ReplayChatCompletionClient([], model_info=TOOL_MODEL))
    team = Swarm([alice, bob], name="desk", runtime=env.runtime,
                 termination_condition=TextMentionTermination("TERMINATE") | MaxMessageTermination(10))
    await ready(team, env.bridge)
    bob_type = env.type_of("bob", team)
    done = await env.act("isolate", {"agent_type": bob_type})
    assert "hands the turn back to whoever handed it over" in done["team_effect"]
    result = await bounded(team)
    [back] = [m for m in result.messages if isinstance(m, HandoffMessage) and m.source == "bob"]
    assert back.target == "alice" and back.content.startswith(f"{REFUSAL_PREFIX} bob is isolated")
    assert said(result, "alice")[-1] == "Bob is away; I will answer myself. TERMINATE"


async def test_a_held_turn_is_answered_with_a_refusal_when_the_hold_times_out(env: Env) -> None:
    weather = assistant("weather", ["Sunny."])
    writer = never_called("writer")
    team = RoundRobinGroupChat([weather, writer], name="forecast", max_turns=2, runtime=env.runtime)
    await ready(team, env.bridge)
    done = await env.act("isolate", {"agent_type": env.type_of("writer", team), "mode": "hold",
                                     "hold_timeout_s": 0.2})
    assert done["team_effect"].startswith("forecast/writer's turns wait up to 0.2s for release")
    result = await bounded(team)
    assert result.stop_reason == "Maximum number of turns 2 reached."
    assert said(result, "writer")[0].startswith(f"{REFUSAL_PREFIX} writer is isolated")


async def test_an_isolated_team_refuses_new_runs_at_once_and_runs_again_after_release(env: Env) -> None:
    team = RoundRobinGroupChat([assistant("weather", ["Sunny."])], name="forecast", max_turns=1,
                               runtime=env.runtime)
    await ready(team, env.bridge)
    manager = env.manager_of(team)
    preview = await env.act("isolate", {"agent_type": manager, "dry_run": True})
    assert preview["team_effect"] == ("team forecast (RoundRobinGroupChat): a new team.run() raises AgentIsolatedError "
                                      "at once; a run in progress finishes; its 1 participant (weather) are otherwise "
                                      "unaffected")
    await env.act("isolate", {"agent_type": manager})
    with pytest.raises(AgentIsolatedError, match="team 'forecast' is isolated by the operator"):
        await bounded(team)
    await env.act("release", {"agent_type": manager})
    result = await bounded(team)
    assert said(result, "weather") == ["Sunny."]


async def test_a_degraded_tool_answers_switched_off_without_running_and_is_no_error(env: Env) -> None:
    weather = assistant("weather", [tool_calls(("call-1", "Paris")), "No forecast today."], port=refused_port())
    team = RoundRobinGroupChat([weather], name="forecast", max_turns=1, runtime=env.runtime)
    await ready(team, env.bridge)
    weather_type = env.type_of("weather", team)

    unknown = await env.act("degrade", {"tools": [{"agent_type": weather_type, "tool": "nope"}]}, status=404)
    assert unknown["error"]["code"] == "TOOL_NOT_FOUND" and unknown["error"]["details"]["known"] == ["fetch_weather"]
    preview = await env.act("degrade", {"tools": [{"agent_type": weather_type, "tool": "fetch_weather"}],
                                        "dry_run": True})
    assert preview["after"]["disabled_tools"] == [f"{weather_type}:fetch_weather"]
    assert preview["team_effect"] == ("forecast/weather's tool fetch_weather answer 'switched off by AutoGen Ops' "
                                      "instead of running; forecast/weather keeps calling its model and the team "
                                      "keeps running")
    await env.act("degrade", {"tools": [{"agent_type": weather_type, "tool": "fetch_weather"}]})
    result = await bounded(team)
    [executed] = [m for m in result.messages if isinstance(m, ToolCallExecutionEvent)]
    [answer] = executed.content
    assert answer.is_error is False and "'fetch_weather' is switched off by the operator" in answer.content
    assert (await env.agent(weather_type))["errors_total"] == 0  # the refused backend was never called

    restored = await env.act("restore", {"tools": [{"agent_type": weather_type, "tool": "fetch_weather"}]})
    assert restored["after"]["disabled_tools"] == []


async def test_a_degraded_participant_answers_like_an_isolated_one(env: Env) -> None:
    weather = assistant("weather", ["Sunny."])
    writer = never_called("writer")
    team = RoundRobinGroupChat([weather, writer], name="forecast", max_turns=2, runtime=env.runtime)
    await ready(team, env.bridge)
    done = await env.act("degrade", {"agent_types": [env.type_of("writer", team)]})
    assert done["team_effect"].startswith("forecast/writer is switched off: it answers every turn with a refusal")
    result = await bounded(team)
    assert said(result, "writer")[0].startswith(f"{REFUSAL_PREFIX} writer is switched off by the operator (degrade)")


class GatedClient(ReplayChatCompletionClient):
    """Answers only once ``gate`` is set: keeps a run in progress as long as a test needs."""

    def __init__(self, answers: list[str | CreateResult], gate: asyncio.Event) -> None:
        super().__init__(answers, model_info=TOOL_MODEL)
        self.gate = gate
        self.called = asyncio.Event()

    async def create(self, *args: Any, **kwargs: Any) -> CreateResult:
        self.called.set()
        await self.gate.wait()
        return await super().create(*args, **kwargs)


async def test_backpressure_on_a_team_limits_concurrent_runs_of_teams_of_that_name(env: Env) -> None:
    gate = asyncio.Event()
    slow = GatedClient(["Slow answer."], gate)
    first = RoundRobinGroupChat([AssistantAgent("agent", model_client=slow)], name="support", max_turns=1,
                                runtime=env.runtime)
    second = RoundRobinGroupChat([assistant("agent", ["Quick answer."])], name="support", max_turns=1,
                                 runtime=env.runtime)
    await ready(first, env.bridge)
    participant = env.type_of("agent", first)
    done = await env.act("backpressure", {"agent_type": participant, "max_inflight": 1, "max_wait_s": 0.3})
    assert done["after"]["max_concurrent_runs"] == 1
    assert done["team_effect"].startswith("at most 1 run(s) of team support at once")

    running = asyncio.ensure_future(bounded(first))
    await asyncio.wait_for(slow.called.wait(), RUN_TIMEOUT_S)
    await ready(second, env.bridge)  # built after the limit was set: limited too
    with pytest.raises(BackpressureTimeoutError, match="team 'support'"):
        await bounded(second)
    assert env.bridge.teams.run_limit_state("support")["runs_in_progress"] == 1

    # Restarting a participant of a running team is refused with the reason.
    conflict = await env.act("restart", {"agent_type": participant}, status=409)
    assert "a run is in progress" in conflict["error"]["message"]

    gate.set()
    assert said(await running, "agent") == ["Slow answer."]
    assert env.bridge.teams.run_limit_state("support")["runs_in_progress"] == 0  # the ended run freed its slot
    result = await bounded(second)
    assert said(result, "agent") == ["Quick answer."]


async def test_restart_resets_a_participant_or_the_whole_team_between_runs(env: Env) -> None:
    weather = assistant("weather", ["Sunny.", "Rainy."])
    team = RoundRobinGroupChat([weather], name="forecast", max_turns=1, runtime=env.runtime)
    await ready(team, env.bridge)
    await bounded(team)
    assert len(await weather.model_context.get_messages()) > 0

    preview = await env.act("restart", {"agent_type": env.type_of("weather", team), "dry_run": True})
    assert preview["before"]["run_in_progress"] is False and "conversation is cleared" in preview["team_effect"]
    done = await env.act("restart", {"agent_type": env.type_of("weather", team)})
    assert done["after"]["reset"] == ["forecast/weather"]
    assert await weather.model_context.get_messages() == []

    whole = await env.act("restart", {"agent_type": env.manager_of(team)})
    assert whole["after"]["reset"] == ["forecast/weather", "forecast (group chat manager)"]
    result = await bounded(team)
    assert said(result, "weather") == ["Rainy."]
