"""What the control actions mean for an AgentChat team, and how they act without leaving ``team.run()`` waiting.

A team's group chat manager asks one participant at a time for its turn (``GroupChatRequestPublish``) and waits
for its answer (``GroupChatAgentResponse``). A participant that raised, or never answered, would leave the run
waiting forever, so an action on a participant never refuses that request: the participant **answers** it.

* **isolate a participant** (``refuse``): every turn is answered with a refusal text instead of a model call; the
  run goes on with the other participants. In a ``Swarm`` the refusal hands the turn back to the participant that
  handed it over (else to the first other participant). ``hold``: a turn waits for release up to
  ``hold_timeout_s``, then is answered with the refusal. Messages that only feed the participant's conversation
  (the task, the others' answers, ``reset``) reach it as usual, so after release it knows what it missed.
  A participant asked :data:`MAX_REFUSALS_IN_A_ROW` times with nobody else speaking in between (a one-member
  team, a Swarm whose others are all isolated, a selector that keeps choosing it) ends the run with an
  ``AgentIsolatedError`` instead of looping: ``team.run()`` raises.
* **degrade a participant** (``agent_types``): the same answer, worded as switched off. **degrade one tool**
  (``tools``): the tool answers "switched off by AutoGen Ops" (a normal tool result, not an error: the model
  goes on without it) instead of running; the participant keeps calling its model.
* **isolate or degrade a team** (its group chat manager's type): new runs are refused at once (``team.run()``
  raises ``AgentIsolatedError``/``AgentDegradedError``); a run in progress finishes.
* **backpressure a team** (or one of its participants, which means its team): at most ``max_inflight`` runs of
  teams of that name at once (an application that builds a team per request has many); a further run waits up
  to ``max_wait_s`` for a slot, then ``team.run()`` raises ``BackpressureTimeoutError``.
* **restart a participant**: its conversation is cleared (AgentChat's reset of that participant); **restart a
  team**: a fresh group chat manager and every participant reset. Both are refused (409) while a run is active:
  a reset in the middle of a run would lose the turn the manager waits for.

The AgentChat classes are imported only when an action acts on a team (the application has imported AgentChat
by then). The private attributes read here (a container's topics and agent, a manager's active speakers, a
team's running flag, an ``AssistantAgent``'s workbenches) are read in this module only, each with a fallback.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autogen_core import AgentId, MessageContext, TopicId

from . import runtime_internals as internals
from .agent_names import AgentName
from .errors import AgentDegradedError, AgentIsolatedError, BridgeError
from .limiter import InflightLimiter
from .message_log import CURRENT, MessageRecord

if TYPE_CHECKING:
    from .attach import Bridge
    from .gate import AgentGate, Isolation

MAX_REFUSALS_IN_A_ROW = 3
"""Turns an isolated participant answers with nobody else speaking in between before the run is ended."""
REFUSAL_PREFIX = "[AutoGen Ops]"


def refusal_text(name: str, why: str) -> str:
    return (f"{REFUSAL_PREFIX} {name} is {why} and does not answer right now; "
            "continue without it.")


async def wait_while_held(isolation: Isolation, hop: MessageRecord) -> None:
    """A ``hold`` isolation: the turn waits for the release, at most ``hold_timeout_s`` (the hop reads "held"
    meanwhile); the caller then looks at the isolation again."""
    hop.outcome = "held"
    try:
        await asyncio.wait_for(isolation.released.wait(), isolation.hold_timeout_s)
    except asyncio.TimeoutError:
        pass
    if hop.outcome == "held":
        hop.outcome = "pending"


def tool_off_text(tool: str) -> str:
    return f"{REFUSAL_PREFIX} tool '{tool}' is switched off by the operator (degrade); continue without it."


@dataclass
class _Events:
    """The AgentChat classes the stand-in needs (imported lazily)."""

    request: type
    start: type
    agent_response: type
    team_response: type
    reset: type
    error: type
    serializable: type
    chat_message: type
    termination: type
    response: type
    text: type
    handoff: Any


def _events() -> _Events:
    from autogen_agentchat.base import Response
    from autogen_agentchat.messages import HandoffMessage, TextMessage
    from autogen_agentchat.teams._group_chat._events import (
        GroupChatAgentResponse,
        GroupChatError,
        GroupChatMessage,
        GroupChatRequestPublish,
        GroupChatReset,
        GroupChatStart,
        GroupChatTeamResponse,
        GroupChatTermination,
        SerializableException,
    )

    return _Events(GroupChatRequestPublish, GroupChatStart, GroupChatAgentResponse, GroupChatTeamResponse,
                   GroupChatReset, GroupChatError, SerializableException, GroupChatMessage, GroupChatTermination,
                   Response, TextMessage, HandoffMessage)


@dataclass
class StandIn:
    """Consulted by an AgentChat type's gate for every message while the type is under an action.

    :meth:`before` returns ``None`` to let the message be handled as usual, a refusal reason when it answered
    the message itself, or raises to refuse it (the gate's refusal)."""

    control: AgentChatControl
    agent_type: str
    member: AgentName
    handed_by: str | None = None
    refusals_in_a_row: int = 0
    refused_turns: int = 0

    async def before(self, gate: AgentGate, agent_id: AgentId, message: Any, ctx: MessageContext,
                     hop: MessageRecord) -> str | None:
        ev = self.control.events
        if self.member.role == "manager":
            if type(message) is ev.start:
                await self.control.admit_run(self, gate, hop)
            return None
        if type(message) is ev.request:
            why = self._why(gate)
            if why is None:
                return None
            isolation = gate.isolation
            if isolation is not None and isolation.mode == "hold" and not gate.degraded:
                await wait_while_held(isolation, hop)
                why = self._why(gate)
                if why is None:
                    return None
            await self.control.answer_turn(self, agent_id, why)
            return "isolated" if gate.isolation is not None else "degraded"
        if type(message) is ev.start:
            self.refusals_in_a_row = 0
        elif type(message) in (ev.agent_response, ev.team_response):
            if message.name != self.member.name:
                self.refusals_in_a_row = 0
                chat: Any = getattr(getattr(message, "response", None), "chat_message", None)
                if isinstance(chat, ev.handoff) and chat.target == self.member.name:
                    self.handed_by = chat.source
        return None

    @staticmethod
    def _why(gate: AgentGate) -> str | None:
        if gate.isolation is not None:
            return "isolated by the operator"
        if gate.degraded:
            return "switched off by the operator (degrade)"
        return None


@dataclass
class _RunLimit:
    limiter: InflightLimiter
    holders: set[str] = field(default_factory=set)
    """Manager types holding a slot (one per team object: a team runs one task at a time)."""


class AgentChatControl:
    """AgentChat-aware parts of the actions (see the module's docstring). One per bridge."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self._events: _Events | None = None
        self.run_limits: dict[str, _RunLimit] = {}
        """Team name → its run limit (backpressure on a team)."""
        self.disabled_tools: dict[str, set[str]] = {}
        """Agent type → tools switched off by degrade."""
        self.teams: dict[str, weakref.ReferenceType[Any]] = {}
        """Team id → the team object, for teams the application registered (``Bridge.register_team``)."""
        self._termination_watched = False

    @property
    def events(self) -> _Events:
        if self._events is None:
            self._events = _events()
        return self._events

    # --- layout --------------------------------------------------------------------------------------
    def member(self, agent_type: str) -> AgentName | None:
        """The team member an agent type is (participant or manager), else ``None``."""
        name = self._bridge.agent_names().get(agent_type)
        return name if name is not None and name.team is not None else None

    def teammates(self, member: AgentName) -> dict[str, AgentName]:
        """Agent type → member, for every member of ``member``'s team (itself included)."""
        assert member.team is not None
        return {t: n for t, n in self._bridge.agent_names().items() if n.team == member.team}

    def manager_type(self, member: AgentName) -> str | None:
        return next((t for t, n in self.teammates(member).items() if n.role == "manager"), None)

    def participants(self, member: AgentName) -> dict[str, str]:
        """Participant name → agent type, in the team's registration order (sorted by type)."""
        return {n.name: t for t, n in sorted(self.teammates(member).items()) if n.role == "participant"}

    def ensure_stand_in(self, agent_type: str) -> StandIn | None:
        member = self.member(agent_type)
        if member is None:
            return None
        gate = self._bridge.gate(agent_type)
        if gate.stand_in is None:
            gate.stand_in = StandIn(self, agent_type, member)
        return gate.stand_in

    # --- answering a turn ----------------------------------------------------------------------------
    async def answer_turn(self, stand_in: StandIn, agent_id: AgentId, why: str) -> None:
        """Publish the refusal as the participant's answer (what its container would publish after a model
        call), or end the run when the participant is asked again and again with nobody else speaking."""
        ev = self.events
        container: Any = internals.instantiated_agents(self._bridge.runtime).get(agent_id)
        parent = getattr(container, "_parent_topic_type", None)
        output = getattr(container, "_output_topic_type", None)
        if container is None or not isinstance(parent, str) or not isinstance(output, str):
            raise AgentIsolatedError(f"{stand_in.member.qualified()} is {why}, and this AgentChat version's "
                                     "participant container is not one the bridge can answer for")
        name = stand_in.member.name
        stand_in.refusals_in_a_row += 1
        stand_in.refused_turns += 1
        token = CURRENT.set(None)  # what the bridge publishes here is not the participant's own failure
        try:
            if stand_in.refusals_in_a_row > MAX_REFUSALS_IN_A_ROW:
                stand_in.refusals_in_a_row = 0
                error = ev.serializable(
                    error_type="AgentIsolatedError",
                    error_message=(f"{stand_in.member.qualified()} is {why} and was asked for "
                                   f"{MAX_REFUSALS_IN_A_ROW + 1} turns with nobody else speaking; AutoGen Ops ended "
                                   "the run instead of letting it loop"),
                )
                self._forget_active_speaker(stand_in.member, agent_id.key, name)
                await container.publish_message(ev.error(error=error), TopicId(parent, agent_id.key))
                return
            text = refusal_text(name, why)
            chat: Any = ev.text(content=text, source=name)
            if stand_in.member.team is not None and stand_in.member.team.kind == "Swarm":
                target = self._handback_target(stand_in)
                if target is not None:
                    chat = ev.handoff(content=text, source=name, target=target)
            await container.publish_message(ev.chat_message(message=chat), TopicId(output, agent_id.key))
            await container.publish_message(ev.agent_response(response=ev.response(chat_message=chat), name=name),
                                            TopicId(parent, agent_id.key))
        finally:
            CURRENT.reset(token)

    def _handback_target(self, stand_in: StandIn) -> str | None:
        """In a Swarm, whoever handed the turn over, else the first other participant not shut off."""
        others = {n: t for n, t in self.participants(stand_in.member).items() if n != stand_in.member.name}
        if stand_in.handed_by in others:
            return stand_in.handed_by
        for name, agent_type in others.items():
            gate = self._bridge.gates.get(agent_type)
            if gate is None or (gate.isolation is None and not gate.degraded):
                return name
        return None

    def _forget_active_speaker(self, member: AgentName, key: str, name: str) -> None:
        # AgentChat 0.7 keeps a failed speaker among the manager's active speakers (even through reset), and
        # the team's next run would wait for it forever: the speaker is forgotten as the run is ended.
        manager = self.manager_type(member)
        instance = internals.instantiated_agents(self._bridge.runtime).get(AgentId(manager, key)) if manager else None
        speakers = getattr(instance, "_active_speakers", None)
        if isinstance(speakers, list) and name in speakers:
            speakers.remove(name)

    # --- team runs: refusal and backpressure ---------------------------------------------------------
    async def admit_run(self, stand_in: StandIn, gate: AgentGate, hop: MessageRecord) -> None:
        """A new run (``GroupChatStart`` to the manager): refused while the team is isolated or degraded,
        else it takes a run slot of its team's name when that is limited."""
        team = stand_in.member.team
        assert team is not None
        isolation = gate.isolation
        if isolation is not None and isolation.mode == "hold":
            await wait_while_held(isolation, hop)
            isolation = gate.isolation
        if isolation is not None:
            gate.refuse(hop, "isolated", AgentIsolatedError(
                f"team '{team.name}' is isolated by the operator: new runs are refused; retry after release"))
        if gate.degraded:
            gate.refuse(hop, "degraded", AgentDegradedError(
                f"team '{team.name}' is switched off by degrade: new runs are refused; retry after restore"))
        limit = self.run_limits.get(team.name)
        if limit is None or stand_in.agent_type in limit.holders:
            return  # a team object that holds a slot keeps it (its previous run was abandoned unfinished)
        try:
            await limit.limiter.acquire(f"a run of team '{team.name}'")
        except BaseException as exc:
            gate.refuse(hop, "backpressure", exc)
        limit.holders.add(stand_in.agent_type)

    def run_ended(self, manager_type: str) -> None:
        """The manager ended its run (termination published) or could not start it: its slot is free."""
        member = self.member(manager_type)
        limit = self.run_limits.get(member.team.name) if member is not None and member.team is not None else None
        if limit is not None and manager_type in limit.holders:
            limit.holders.discard(manager_type)
            limit.limiter.release()

    def cover_limited_teams(self) -> None:
        """Give every manager of a team whose name has a run limit its stand-in (teams built later too)."""
        for agent_type, name in self._bridge.agent_names().items():
            if (name.role == "manager" and name.team is not None and name.team.name in self.run_limits
                    and self._bridge.gate(agent_type).stand_in is None):
                self.ensure_stand_in(agent_type)

    def set_run_limit(self, team_name: str, max_inflight: int | None, max_wait_s: float) -> None:
        self._watch_termination()
        limit = self.run_limits.get(team_name)
        if limit is None:
            if max_inflight is None:
                return
            limit = self.run_limits[team_name] = _RunLimit(InflightLimiter())
        limit.limiter.set_limit(max_inflight, max_wait_s if max_inflight is not None else None)
        self.cover_limited_teams()

    def run_limit_state(self, team_name: str) -> dict[str, Any]:
        limit = self.run_limits.get(team_name)
        return {"team": team_name,
                "max_concurrent_runs": limit.limiter.limit if limit else None,
                "max_wait_s": limit.limiter.max_wait_s if limit else None,
                "runs_in_progress": len(limit.holders) if limit else None,
                "runs_waiting": limit.limiter.waiting if limit else 0}

    def _watch_termination(self) -> None:
        if self._termination_watched:
            return
        self._termination_watched = True
        b = self._bridge
        b.agentchat.install_if_imported()
        termination = self.events.termination
        previous = b.agentchat.watchers.get(termination)

        def watch(message: Any) -> None:
            if previous is not None:
                previous(message)
            hop = CURRENT.get()
            if hop is not None:
                self.run_ended(hop.agent_type)

        b.agentchat.watchers[termination] = watch

    def start_failed(self, agent_type: str, message: Any) -> None:
        """Called by the gate when a manager's handler raised: a ``GroupChatStart`` that failed frees its slot."""
        if self._events is not None and type(message) is self._events.start:
            self.run_ended(agent_type)

    # --- degrade one tool ----------------------------------------------------------------------------
    async def tool_names(self, agent_type: str) -> list[str]:
        return sorted({t for wb in await self._workbenches(agent_type) for t in await _listed(wb)})

    async def _workbenches(self, agent_type: str) -> list[Any]:
        member = self.member(agent_type)
        if member is None or member.role != "participant":
            raise BridgeError("VALIDATION_FAILED", 422,
                              f"'{agent_type}' is not an AgentChat participant: only a participant's tools can be "
                              "switched off", {"agent_type": agent_type})
        assert member.team is not None
        container = await internals.get_or_create_agent(self._bridge.runtime, AgentId(agent_type, member.team.id))
        workbenches = getattr(getattr(container, "_agent", None), "_workbench", None)
        return list(workbenches) if isinstance(workbenches, list) else []

    async def check_tool(self, agent_type: str, tool: str) -> None:
        known = await self.tool_names(agent_type)
        if tool not in known:
            raise BridgeError("TOOL_NOT_FOUND", 404,
                              f"{self._label(agent_type)} has no tool '{tool}'; "
                              f"its tools: {', '.join(known) or 'none'}",
                              {"agent_type": agent_type, "tool": tool, "known": known})

    async def set_tool_enabled(self, agent_type: str, tool: str, enabled: bool) -> None:
        disabled = self.disabled_tools.setdefault(agent_type, set())
        if enabled:
            disabled.discard(tool)
            if not disabled:
                del self.disabled_tools[agent_type]
            return
        disabled.add(tool)

        def is_off(name: str) -> bool:
            return name in self.disabled_tools.get(agent_type, ())

        for wb in await self._workbenches(agent_type):
            if tool in await _listed(wb) and not getattr(wb, "__ops_tool_switch__", False):
                _patch_workbench(wb, is_off)

    def disabled_tool_list(self) -> list[str]:
        return sorted(f"{t}:{tool}" for t, tools in self.disabled_tools.items() for tool in tools)

    # --- restart -------------------------------------------------------------------------------------
    def run_active(self, member: AgentName) -> bool | None:
        """Whether the member's team is running a task: the team's own flag when the application registered
        the team, else whether its manager awaits a speaker; ``None`` when neither can be read."""
        assert member.team is not None
        ref = self.teams.get(member.team.id)
        team = ref() if ref is not None else None
        running = getattr(team, "_is_running", None)
        if isinstance(running, bool):
            return running
        manager = self.manager_type(member)
        instance = internals.instantiated_agents(self._bridge.runtime).get(AgentId(manager, member.team.id)) \
            if manager else None
        if instance is None:
            return False  # no manager instance yet: the team never ran
        speakers = getattr(instance, "_active_speakers", None)
        return bool(speakers) if isinstance(speakers, list) else None

    async def reset(self, member: AgentName, agent_type: str) -> list[str]:
        """Reset a participant, or the whole team for its manager. Returns what was reset."""
        assert member.team is not None
        ev = self.events
        runtime = self._bridge.runtime
        key = member.team.id
        if member.role == "participant":
            await runtime.send_message(ev.reset(), AgentId(agent_type, key))
            return [member.qualified()]
        internals.forget_instance(runtime, AgentId(agent_type, key))  # a fresh manager: no stale speaker
        done: list[str] = []
        for name, t in self.participants(member).items():
            await runtime.send_message(ev.reset(), AgentId(t, key))
            done.append(f"{member.team.name}/{name}")
        await runtime.send_message(ev.reset(), AgentId(agent_type, key))
        return [*done, f"{member.team.name} (group chat manager)"]

    # --- what an action does to a team (dry-run preview and result) ----------------------------------
    def _label(self, agent_type: str) -> str:
        member = self.member(agent_type)
        return member.qualified() if member is not None else agent_type

    def effect(self, action: str, agent_type: str, **params: Any) -> str | None:
        """One sentence on what ``action`` does to the team of ``agent_type``; ``None`` outside a team."""
        member = self.member(agent_type)
        if member is None or member.team is None:
            return None
        team = member.team
        names = list(self.participants(member))
        if member.role == "manager":
            n = len(names)
            who = f"its {n} participant{'s' if n != 1 else ''} ({', '.join(names)})"
            if action == "isolate":
                wait = (f"a new team.run() waits up to {params.get('hold_timeout_s')}s for release, then raises "
                        "AgentIsolatedError" if params.get("mode") == "hold"
                        else "a new team.run() raises AgentIsolatedError at once")
                return (f"team {team.name} ({team.kind}): {wait}; a run in progress finishes; "
                        f"{who} are otherwise unaffected")
            if action == "degrade":
                return (f"team {team.name} ({team.kind}) is switched off: a new team.run() raises AgentDegradedError; "
                        f"a run in progress finishes; {who} are otherwise unaffected")
            if action == "release":
                return f"team {team.name} ({team.kind}) accepts new runs again"
            if action == "restart":
                return (f"team {team.name} ({team.kind}) is reset: a fresh group chat manager and {who} reset "
                        "(conversations cleared); refused while a run is in progress")
            if action == "backpressure":
                return self._backpressure_effect(team.name, params)
            return None
        others = [n for n in names if n != member.name]
        rest = (f"{len(others)} other participant{'s' if len(others) != 1 else ''} ({', '.join(others)}) unaffected"
                if others else "it is the team's only participant: the run ends after "
                f"{MAX_REFUSALS_IN_A_ROW + 1} refused turns instead of looping")
        hand = " and hands the turn back to whoever handed it over" if team.kind == "Swarm" else ""
        label = member.qualified()
        if action == "isolate":
            if params.get("mode") == "hold":
                return (f"{label}'s turns wait up to {params.get('hold_timeout_s')}s for release, then it answers "
                        f"with a refusal{hand}; the team keeps running; {rest}")
            return (f"{label} will answer every turn with a refusal instead of calling its model{hand}; the team "
                    f"keeps running; {rest}")
        if action == "degrade":
            tools = params.get("tools")
            if tools:
                return (f"{label}'s tool{'s' if len(tools) > 1 else ''} {', '.join(tools)} answer 'switched off by "
                        f"AutoGen Ops' instead of running; {label} keeps calling its model and the team keeps running")
            return (f"{label} is switched off: it answers every turn with a refusal instead of calling its "
                    f"model{hand}; the team keeps running; {rest}")
        if action == "release":
            return f"{label} takes its turns again (calls its model); the team is unaffected otherwise"
        if action == "restart":
            return (f"{label}'s conversation is cleared (AgentChat reset of this participant); refused while team "
                    f"{team.name} is running; {rest}")
        if action == "backpressure":
            return self._backpressure_effect(team.name, params) + f" ({label} takes one turn at a time anyway)"
        return None

    @staticmethod
    def _backpressure_effect(team: str, params: dict[str, Any]) -> str:
        if params.get("max_inflight") is None:
            return f"runs of team {team} are no longer limited"
        return (f"at most {params['max_inflight']} run(s) of team {team} at once; a further team.run() waits up to "
                f"{params.get('max_wait_s')}s for a slot, then raises BackpressureTimeoutError; runs already "
                "started are unaffected")


async def _listed(wb: Any) -> list[str]:
    try:
        return [str(t["name"]) for t in await wb.list_tools()]
    except Exception:  # noqa: BLE001 - a workbench that cannot list its tools offers none here
        return []


def _patch_workbench(wb: Any, is_off: Callable[[str], bool]) -> None:
    """Route the workbench's calls of switched-off tools to the "switched off" answer (instance attributes:
    the class, shared by other agents, is untouched)."""
    from autogen_core.tools import TextResultContent, ToolResult

    call_tool = wb.call_tool
    call_tool_stream = getattr(wb, "call_tool_stream", None)

    def off(name: str) -> Any:
        return ToolResult(name=name, result=[TextResultContent(content=tool_off_text(name))], is_error=False)

    async def switched_call_tool(name: str, arguments: Any = None, cancellation_token: Any = None,
                                 call_id: str | None = None) -> Any:
        if is_off(name):
            return off(name)
        return await call_tool(name, arguments, cancellation_token, call_id)

    wb.call_tool = switched_call_tool
    if call_tool_stream is not None:
        async def switched_stream(name: str, arguments: Any = None, cancellation_token: Any = None,
                                  call_id: str | None = None) -> AsyncGenerator[Any, None]:
            if is_off(name):
                yield off(name)
                return
            async for item in call_tool_stream(name, arguments, cancellation_token, call_id):
                yield item

        wb.call_tool_stream = switched_stream
    wb.__ops_tool_switch__ = True

