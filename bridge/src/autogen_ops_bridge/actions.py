"""Control actions: isolate/release, restart, backpressure, degrade/restore, clear caches.

Each action is a request body (below), a method of :class:`ActionService` and an entry of
:data:`ENDPOINTS`, from which the HTTP API serves ``POST /v1/actions/<name>``. Each goes through
:meth:`ActionService.run`, which handles the ``Idempotency-Key`` (a repeat returns the first result and
acts once), ``dry_run`` and ``ttl_s`` (an asyncio timer that reverts the action unless it is kept or
reverted first)."""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from autogen_core import AgentId, BaseAgent
from pydantic import BaseModel, ConfigDict, Field

from . import runtime_internals as internals
from .agent_names import AgentName
from .errors import BridgeError
from .gate import Isolation
from .models import ActionBase, ActionResult, ActiveAction
from .timefmt import iso

if TYPE_CHECKING:
    from .attach import Bridge

logger = logging.getLogger("autogen_ops_bridge.actions")

MAX_IDEMPOTENCY_KEYS = 1000
"""Idempotency keys remembered (oldest forgotten first)."""

Revert = Callable[[], Awaitable[None]]


# --- request bodies (every one also takes ActionBase's dry_run, ttl_s and reason) ---------------
AgentTypeName = Field(min_length=1, max_length=200)


class IsolateRequest(ActionBase):
    agent_type: str = AgentTypeName
    mode: Literal["refuse", "hold"] = "refuse"
    hold_timeout_s: float = Field(30.0, ge=0.1, le=3600)


class ReleaseRequest(ActionBase):
    agent_type: str = AgentTypeName


class RestartRequest(ActionBase):
    agent_type: str = AgentTypeName
    agent_key: str = Field("default", min_length=1, max_length=200)


class BackpressureRequest(ActionBase):
    agent_type: str | None = Field(None, min_length=1, max_length=200)
    max_inflight: int | None = Field(..., ge=1, le=10000)
    max_wait_s: float = Field(30.0, ge=0, le=3600)


class ToolRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent_type: str = Field(min_length=1, max_length=200, description="An AgentChat participant's agent type")
    tool: str = Field(min_length=1, max_length=200, description="The name of one of its tools")


class DegradeRequest(ActionBase):
    features: list[str] = Field(default_factory=list, max_length=100)
    agent_types: list[str] = Field(default_factory=list, max_length=100)
    tools: list[ToolRef] = Field(
        default_factory=list, max_length=100,
        description="AgentChat participants' tools to switch off: each answers 'switched off by AutoGen Ops' "
                    "instead of running, the participant keeps calling its model",
    )


class ClearCachesRequest(ActionBase):
    names: list[str] = Field(default_factory=list, max_length=100)


class CollectGarbageRequest(ActionBase):
    generation: int = Field(2, ge=0, le=2, description="Collect generations 0..generation (2: a full collection)")


@dataclass
class Outcome:
    """What an action implementation reports back to :meth:`ActionService.run`."""

    target: str | None
    before: dict[str, Any]
    after: dict[str, Any]
    applied: bool
    message: str
    revert: Revert | None = None
    team_effect: str | None = None


@dataclass
class _Temporary:
    action_id: str
    action: str
    target: str | None
    created_at: float
    expires_at: float | None
    reason: str | None
    revert: Revert
    timer: asyncio.TimerHandle | None


def supports_state(agent: Any) -> bool:
    """Whether the agent overrides ``save_state`` (``BaseAgent``'s default only warns)."""
    if isinstance(agent, BaseAgent):
        return type(agent).save_state is not BaseAgent.save_state
    return callable(getattr(agent, "save_state", None))


class ActionService:
    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self._idempotency: OrderedDict[str, tuple[str, asyncio.Future[ActionResult]]] = OrderedDict()
        self._temporary: dict[str, _Temporary] = {}

    # --- the common path ---------------------------------------------------------------------
    async def run(
        self,
        action: str,
        body: ActionBase,
        idempotency_key: str | None,
        impl: Callable[[], Awaitable[Outcome]],
        reversible: bool = True,
    ) -> ActionResult:
        if body.ttl_s is not None and not reversible:
            temporary = ", ".join(e.name for e in ENDPOINTS if e.reversible)
            raise BridgeError(
                "VALIDATION_FAILED", 422,
                f"'{action}' cannot be temporary: ttl_s must be null (only {temporary} revert by themselves)",
                {"field": "ttl_s"},
            )
        if idempotency_key is None:
            return await self._execute(action, body, impl)
        if len(idempotency_key) > 200 or not idempotency_key.strip():
            raise BridgeError("VALIDATION_FAILED", 422, "Idempotency-Key must be 1..200 characters",
                              {"header": "Idempotency-Key"})
        fingerprint = action + ":" + json.dumps(body.model_dump(mode="json"), sort_keys=True)
        existing = self._idempotency.get(idempotency_key)
        if existing is not None:
            if existing[0] != fingerprint:
                raise BridgeError(
                    "CONFLICT", 409,
                    "this Idempotency-Key was already used with a different action or body; use a new key",
                    {"idempotency_key": idempotency_key},
                )
            first = await asyncio.shield(existing[1])
            return first.model_copy(update={"replayed": True})
        future: asyncio.Future[ActionResult] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda f: None if f.cancelled() else f.exception())
        self._idempotency[idempotency_key] = (fingerprint, future)
        while len(self._idempotency) > MAX_IDEMPOTENCY_KEYS:
            self._idempotency.popitem(last=False)
        try:
            result = await self._execute(action, body, impl)
        except BaseException as exc:
            # A failed attempt is not remembered: the client may retry with the same key.
            self._idempotency.pop(idempotency_key, None)
            future.set_exception(exc)
            raise
        future.set_result(result)
        return result

    async def _execute(
        self, action: str, body: ActionBase, impl: Callable[[], Awaitable[Outcome]]
    ) -> ActionResult:
        action_id = "act_" + uuid.uuid4().hex[:20]
        outcome = await impl()
        expires_at: float | None = None
        if not body.dry_run and outcome.applied and outcome.revert is not None and body.ttl_s is not None:
            expires_at = time.time() + body.ttl_s
            self._schedule(action_id, action, outcome, body, expires_at)
        if not body.dry_run and outcome.applied:
            logger.info(
                "action %s on %s: %s", action, outcome.target, outcome.message,
                extra={"event": "Action" + action.title().replace("-", ""),
                       "agent_type": outcome.target if outcome.target in self._bridge.gates else None},
            )
        return ActionResult(
            action_id=action_id, action=action, target=outcome.target, dry_run=body.dry_run,
            applied=outcome.applied and not body.dry_run, replayed=False, before=outcome.before,
            after=outcome.after, expires_at=iso(expires_at) if expires_at else None,
            message=outcome.message, reason=body.reason, team_effect=outcome.team_effect,
        )

    def _schedule(self, action_id: str, action: str, outcome: Outcome, body: ActionBase, at: float) -> None:
        assert outcome.revert is not None and body.ttl_s is not None
        loop = asyncio.get_running_loop()
        timer = loop.call_later(body.ttl_s, lambda: loop.create_task(self._expire(action_id)))
        self._temporary[action_id] = _Temporary(
            action_id, action, outcome.target, time.time(), at, body.reason, outcome.revert, timer
        )

    async def _expire(self, action_id: str) -> None:
        temp = self._temporary.pop(action_id, None)
        if temp is None:
            return
        try:
            await temp.revert()
            logger.info("action %s on %s expired and was reverted", temp.action, temp.target,
                        extra={"event": "ActionExpired", "action_id": action_id})
        except Exception:
            logger.exception("reverting expired action %s failed", action_id,
                             extra={"event": "ActionRevertFailed", "action_id": action_id})

    def active(self) -> list[ActiveAction]:
        return [
            ActiveAction(action_id=t.action_id, action=t.action, target=t.target, created_at=iso(t.created_at),
                         expires_at=iso(t.expires_at) if t.expires_at else None, reason=t.reason)
            for t in self._temporary.values()
        ]

    def _pop_temporary(self, action_id: str) -> _Temporary:
        temp = self._temporary.pop(action_id, None)
        if temp is None:
            raise BridgeError(
                "ACTION_NOT_FOUND", 404,
                f"no temporary action '{action_id}' is active (it may have expired, been kept or reverted); "
                "list them with GET /v1/actions", {"action_id": action_id},
            )
        if temp.timer is not None:
            temp.timer.cancel()
        return temp

    def keep(self, action_id: str) -> ActionResult:
        temp = self._pop_temporary(action_id)
        state = self._bridge.control_state(temp.target)
        return ActionResult(
            action_id=action_id, action="keep", target=temp.target, dry_run=False, applied=True,
            replayed=False, before={**state, "expires_at": iso(temp.expires_at) if temp.expires_at else None},
            after={**state, "expires_at": None}, expires_at=None,
            message=f"{temp.action} on {temp.target} is now permanent (TTL cancelled)",
        )

    async def revert(self, action_id: str) -> ActionResult:
        temp = self._pop_temporary(action_id)
        before = self._bridge.control_state(temp.target)
        await temp.revert()
        return ActionResult(
            action_id=action_id, action="revert", target=temp.target, dry_run=False, applied=True,
            replayed=False, before=before, after=self._bridge.control_state(temp.target), expires_at=None,
            message=f"{temp.action} on {temp.target} reverted",
        )

    def cancel_all_timers(self) -> None:
        for temp in self._temporary.values():
            if temp.timer is not None:
                temp.timer.cancel()
        self._temporary.clear()

    # --- isolate / release -------------------------------------------------------------------
    async def isolate(self, req: IsolateRequest) -> Outcome:
        b = self._bridge
        gate = b.require_gate(req.agent_type)
        before = b.control_state(req.agent_type)
        effect = b.teams.effect("isolate", req.agent_type, mode=req.mode, hold_timeout_s=req.hold_timeout_s)
        if gate.isolation is not None:
            return Outcome(req.agent_type, before, before, False,
                           f"{req.agent_type} is already isolated (mode {gate.isolation.mode})", team_effect=effect)
        team_member = b.teams.member(req.agent_type) is not None
        # A team member stays in routing: it answers (a participant) or refuses new runs (a manager).
        after = {**before, "isolated": True, "isolation_mode": req.mode,
                 "in_routing": req.mode != "refuse" or team_member}
        if req.dry_run:
            return Outcome(req.agent_type, before, after, True,
                           f"would isolate {req.agent_type} ({req.mode}); nothing changed", team_effect=effect)
        isolation = Isolation(mode=req.mode, hold_timeout_s=req.hold_timeout_s, since=time.time(),
                              reason=req.reason)
        if team_member:
            b.teams.ensure_stand_in(req.agent_type)
            gate.isolation = isolation
            agent_type = req.agent_type

            async def revert_member() -> None:
                await self._release(agent_type)

            return Outcome(req.agent_type, before, b.control_state(req.agent_type), True,
                           f"{req.agent_type} isolated ({req.mode}): {effect}", revert_member, team_effect=effect)
        gate.isolation = isolation
        for agent_id, agent in b.instances_of(req.agent_type):
            if supports_state(agent):
                try:
                    isolation.saved_state[agent_id.key] = dict(await agent.save_state())
                except Exception as exc:  # noqa: BLE001 - reported, isolation still holds
                    isolation.saved_state[agent_id.key] = {"_save_error": f"{type(exc).__name__}: {exc}"}
        if req.mode == "refuse":
            for sub in list(internals.subscriptions(b.runtime)):
                if getattr(sub, "agent_type", None) == req.agent_type:
                    await b.runtime.remove_subscription(sub.id)
                    isolation.removed_subscriptions.append(sub)
        agent_type = req.agent_type

        async def revert() -> None:
            await self._release(agent_type)

        return Outcome(
            req.agent_type, before, {**b.control_state(req.agent_type),
                                     "saved_state_keys": sorted(isolation.saved_state)},
            True,
            f"{req.agent_type} isolated ({req.mode}): "
            + ("messages to it are refused with AgentIsolatedError, its subscriptions left routing"
               if req.mode == "refuse" else f"messages to it are held up to {req.hold_timeout_s}s"),
            revert,
        )

    async def _release(self, agent_type: str) -> bool:
        b = self._bridge
        gate = b.require_gate(agent_type)
        isolation = gate.isolation
        if isolation is None:
            return False
        for sub in isolation.removed_subscriptions:
            try:
                await b.runtime.add_subscription(sub)
            except ValueError:
                pass  # already re-added by the application
        for agent_id, agent in b.instances_of(agent_type):
            state = isolation.saved_state.get(agent_id.key)
            if state is not None and "_save_error" not in state:
                try:
                    await agent.load_state(state)
                except Exception:
                    logger.exception("restoring state of %s failed", agent_id)
        gate.isolation = None
        isolation.released.set()
        return True

    async def release(self, req: ReleaseRequest) -> Outcome:
        b = self._bridge
        gate = b.require_gate(req.agent_type)
        before = b.control_state(req.agent_type)
        if gate.isolation is None:
            return Outcome(req.agent_type, before, before, False, f"{req.agent_type} is not isolated")
        if req.dry_run:
            return Outcome(req.agent_type, before, {**before, "isolated": False, "isolation_mode": None,
                                                    "in_routing": True}, True,
                           f"would release {req.agent_type}; nothing changed",
                           team_effect=b.teams.effect("release", req.agent_type))
        restored = sorted(gate.isolation.saved_state)
        await self._release(req.agent_type)
        for temp_id, temp in list(self._temporary.items()):
            if temp.action == "isolate" and temp.target == req.agent_type:
                self._pop_temporary(temp_id)
        effect = b.teams.effect("release", req.agent_type)
        return Outcome(req.agent_type, before, {**b.control_state(req.agent_type), "restored_state_keys": restored},
                       True, f"{req.agent_type} released: " + (effect or "back in routing, saved state restored"),
                       team_effect=effect)

    # --- restart -----------------------------------------------------------------------------
    async def restart(self, req: RestartRequest) -> Outcome:
        b = self._bridge
        b.require_gate(req.agent_type)
        member = b.teams.member(req.agent_type)
        if member is not None:
            return await self._restart_member(req, member)
        agent_id = AgentId(req.agent_type, req.agent_key)
        old = internals.instantiated_agents(b.runtime).get(agent_id)
        before = {**b.control_state(req.agent_type), "instance_existed": old is not None,
                  "state_supported": old is not None and supports_state(old)}
        if req.dry_run:
            predicted = {**before, "instance_existed": True, "state_restored": before["state_supported"]}
            return Outcome(str(agent_id), before, predicted, True,
                           f"would close and recreate {agent_id}; nothing changed")
        state: dict[str, Any] | None = None
        notes: list[str] = []
        if old is not None:
            if supports_state(old):
                try:
                    state = dict(await old.save_state())
                except Exception as exc:  # noqa: BLE001
                    notes.append(f"state not saved: {type(exc).__name__}: {exc}")
            internals.forget_instance(b.runtime, agent_id)
            try:
                await old.close()
            except Exception as exc:  # noqa: BLE001
                notes.append(f"close failed: {type(exc).__name__}: {exc}")
        try:
            new = await internals.get_or_create_agent(b.runtime, agent_id)
        except Exception as exc:  # noqa: BLE001 - construction failures are the answer here
            error = f"{type(exc).__name__}: {exc}"
            return Outcome(str(agent_id), before, {**b.control_state(req.agent_type), "error": error}, False,
                           f"{agent_id} was closed but could not be recreated: {error}")
        if state is not None:
            try:
                await new.load_state(state)
            except Exception as exc:  # noqa: BLE001
                notes.append(f"state not restored: {type(exc).__name__}: {exc}")
                state = None
        after = {**b.control_state(req.agent_type), "state_restored": state is not None, "notes": notes}
        return Outcome(str(agent_id), before, after, True,
                       f"{agent_id} restarted" + (" with its saved state" if state is not None else ""))

    async def _restart_member(self, req: RestartRequest, member: AgentName) -> Outcome:
        """An AgentChat participant or team (its manager): reset between runs, refused during one."""
        b = self._bridge
        assert member.team is not None
        effect = b.teams.effect("restart", req.agent_type)
        running = b.teams.run_active(member)
        before = {**b.control_state(req.agent_type), "team": member.team.name, "run_in_progress": running}
        if running is not False:
            why = ("a run is in progress" if running else
                   "the bridge cannot tell whether a run is in progress (register the team with "
                   "bridge.register_team(team))")
            raise BridgeError(
                "CONFLICT", 409,
                f"not restarting {member.qualified()}: {why}; resetting it mid-run would lose the turn team "
                f"{member.team.name} waits for. Retry when the run has ended, or isolate it instead",
                {"agent_type": req.agent_type, "team": member.team.name, "run_in_progress": running},
            )
        if req.dry_run:
            return Outcome(req.agent_type, before, {**before, "reset": True}, True,
                           f"would reset {member.qualified()}; nothing changed", team_effect=effect)
        reset = await b.teams.reset(member, req.agent_type)
        return Outcome(req.agent_type, before, {**b.control_state(req.agent_type), "reset": reset}, True,
                       f"reset {', '.join(reset)}", team_effect=effect)

    # --- backpressure ------------------------------------------------------------------------
    async def backpressure(self, req: BackpressureRequest) -> Outcome:
        b = self._bridge
        member = b.teams.member(req.agent_type) if req.agent_type is not None else None
        if member is not None and req.agent_type is not None:
            return self._backpressure_team(req, req.agent_type, member)
        if req.agent_type is None:
            limiter = b.limits.limiter
            prev_limit, prev_wait = limiter.limit, limiter.max_wait_s
            before = {"max_inflight": prev_limit, "max_wait_s": prev_wait, "inflight": b.inflight()}
            after = {**before, "max_inflight": req.max_inflight,
                     "max_wait_s": req.max_wait_s if req.max_inflight is not None else None}
            if req.dry_run:
                return Outcome("runtime", before, after, True, "would set the runtime-wide limit; nothing changed")
            limiter.set_limit(req.max_inflight, req.max_wait_s if req.max_inflight is not None else None)

            async def revert_runtime() -> None:
                limiter.set_limit(prev_limit, prev_wait)

            return Outcome("runtime", before, {**after, "inflight": b.inflight()}, True,
                           f"runtime-wide max_inflight set to {req.max_inflight}", revert_runtime)
        gate = b.require_gate(req.agent_type)
        prev = (gate.backpressure, gate.backpressure_wait_s)
        before = b.control_state(req.agent_type)
        after = {**before, "max_inflight": req.max_inflight, "max_wait_s": req.max_wait_s,
                 "backpressured": req.max_inflight is not None}
        if req.dry_run:
            return Outcome(req.agent_type, before, after, True,
                           f"would set max_inflight={req.max_inflight} on {req.agent_type}; nothing changed")
        gate.set_backpressure(req.max_inflight, req.max_wait_s)

        async def revert() -> None:
            gate.set_backpressure(*prev)

        return Outcome(
            req.agent_type, before, b.control_state(req.agent_type), True,
            f"{req.agent_type}: max_inflight={req.max_inflight}, senders wait up to {req.max_wait_s}s"
            if req.max_inflight is not None else f"{req.agent_type}: backpressure removed",
            revert,
        )

    def _backpressure_team(self, req: BackpressureRequest, agent_type: str, member: AgentName) -> Outcome:
        """Limit concurrent runs of the member's team (by its name, across team objects of that name)."""
        b = self._bridge
        assert member.team is not None
        team = member.team.name
        effect = b.teams.effect("backpressure", agent_type, max_inflight=req.max_inflight, max_wait_s=req.max_wait_s)
        before = b.teams.run_limit_state(team)
        after = {**before, "max_concurrent_runs": req.max_inflight,
                 "max_wait_s": req.max_wait_s if req.max_inflight is not None else None}
        if req.dry_run:
            return Outcome(agent_type, before, after, True,
                           f"would limit runs of team {team}; nothing changed", team_effect=effect)
        prev = (before["max_concurrent_runs"], before["max_wait_s"] or 30.0)
        manager = b.teams.manager_type(member)
        if manager is not None:
            b.teams.ensure_stand_in(manager)
        b.teams.set_run_limit(team, req.max_inflight, req.max_wait_s)

        async def revert() -> None:
            b.teams.set_run_limit(team, *prev)

        return Outcome(agent_type, before, b.teams.run_limit_state(team), True,
                       f"team {team}: {effect}", revert, team_effect=effect)

    # --- degrade / restore -------------------------------------------------------------------
    def _check_degrade_targets(self, req: DegradeRequest) -> None:
        b = self._bridge
        unknown_features = [f for f in req.features if f not in b.features]
        if unknown_features:
            raise BridgeError(
                "FEATURE_NOT_FOUND", 404,
                f"unknown feature(s) {', '.join(unknown_features)}; known: {', '.join(sorted(b.features)) or 'none'}",
                {"features": unknown_features, "known": sorted(b.features)},
            )
        for t in req.agent_types:
            b.require_gate(t)
        for ref in req.tools:
            b.require_gate(ref.agent_type)

    def _set_degraded(self, features: list[str], types: list[str], *, degraded: bool) -> None:
        b = self._bridge
        for f in features:
            b.features[f] = not degraded
        for t in types:
            if degraded:
                b.teams.ensure_stand_in(t)  # an AgentChat member answers instead of refusing
            b.gates[t].degraded = degraded

    async def degrade(self, req: DegradeRequest) -> Outcome:
        b = self._bridge
        if not req.features and not req.agent_types and not req.tools:
            raise BridgeError("VALIDATION_FAILED", 422, "name at least one feature, agent type or tool to degrade",
                              {"fields": ["features", "agent_types", "tools"]})
        self._check_degrade_targets(req)
        for ref in req.tools:
            await b.teams.check_tool(ref.agent_type, ref.tool)
        before = self._degrade_view(req)
        features = [f for f in req.features if b.features[f]]
        types = [t for t in req.agent_types if not b.gates[t].degraded]
        tools = [(r.agent_type, r.tool) for r in req.tools
                 if r.tool not in b.teams.disabled_tools.get(r.agent_type, ())]
        after = _predicted_degrade(before, features, types, degraded=True)
        if tools or "disabled_tools" in before:
            after["disabled_tools"] = sorted({*before.get("disabled_tools", []), *(f"{t}:{x}" for t, x in tools)})
        target = ",".join([*req.features, *req.agent_types, *(f"{r.agent_type}:{r.tool}" for r in req.tools)])
        effect = self._degrade_effect(req)
        if req.dry_run:
            return Outcome(target, before, after, True, "would degrade; nothing changed", team_effect=effect)
        if not features and not types and not tools:
            return Outcome(target, before, before, False, "already degraded", team_effect=effect)
        self._set_degraded(features, types, degraded=True)
        for t, x in tools:
            await b.teams.set_tool_enabled(t, x, False)

        async def revert() -> None:
            self._set_degraded(features, types, degraded=False)
            for t, x in tools:
                await b.teams.set_tool_enabled(t, x, True)

        return Outcome(target, before, self._degrade_view(req), True,
                       f"switched off features {features}, agent types {types} and tools "
                       f"{[f'{t}:{x}' for t, x in tools]}", revert, team_effect=effect)

    def _degrade_view(self, req: DegradeRequest) -> dict[str, Any]:
        """The degrade state; with the switched-off tools when any is, or the request names tools."""
        b = self._bridge
        state = b.degrade_state()
        tools = b.teams.disabled_tool_list()
        return {**state, "disabled_tools": tools} if tools or req.tools else state

    def _degrade_effect(self, req: DegradeRequest) -> str | None:
        teams = self._bridge.teams
        by_type: dict[str, list[str]] = {}
        for ref in req.tools:
            by_type.setdefault(ref.agent_type, []).append(ref.tool)
        effects = [teams.effect("degrade", t) for t in req.agent_types]
        effects += [teams.effect("degrade", t, tools=tools) for t, tools in by_type.items()]
        found = [e for e in effects if e]
        return "; ".join(found) if found else None

    async def restore(self, req: DegradeRequest) -> Outcome:
        b = self._bridge
        self._check_degrade_targets(req)
        before = self._degrade_view(req)
        everything = not req.features and not req.agent_types and not req.tools
        tools = ([(t, x) for t, xs in b.teams.disabled_tools.items() for x in xs] if everything else
                 [(r.agent_type, r.tool) for r in req.tools if r.tool in b.teams.disabled_tools.get(r.agent_type, ())])
        features = [f for f, on in b.features.items() if not on] if everything else [
            f for f in req.features if not b.features[f]]
        types = [t for t, g in b.gates.items() if g.degraded] if everything else [
            t for t in req.agent_types if b.gates[t].degraded]
        target = "all" if everything else ",".join([*req.features, *req.agent_types,
                                                    *(f"{r.agent_type}:{r.tool}" for r in req.tools)])
        after = _predicted_degrade(before, features, types, degraded=False)
        if "disabled_tools" in before:
            after["disabled_tools"] = sorted(set(before["disabled_tools"]) - {f"{t}:{x}" for t, x in tools})
        if req.dry_run:
            return Outcome(target, before, after, True, "would restore; nothing changed")
        if not features and not types and not tools:
            return Outcome(target, before, before, False, "nothing is degraded")
        self._set_degraded(features, types, degraded=False)
        for t, x in tools:
            await b.teams.set_tool_enabled(t, x, True)
        for temp_id, temp in list(self._temporary.items()):
            if temp.action == "degrade" and everything:
                self._pop_temporary(temp_id)
        return Outcome(target, before, self._degrade_view(req), True,
                       f"restored features {features}, agent types {types} and tools "
                       f"{[f'{t}:{x}' for t, x in tools]}")

    # --- caches ------------------------------------------------------------------------------
    async def clear_caches(self, req: ClearCachesRequest) -> Outcome:
        b = self._bridge
        unknown = [n for n in req.names if n not in b.caches]
        if unknown:
            raise BridgeError(
                "CACHE_NOT_FOUND", 404,
                f"no cache hook named {', '.join(unknown)}; registered: {', '.join(sorted(b.caches)) or 'none'}",
                {"names": unknown, "known": sorted(b.caches)},
            )
        names = req.names or sorted(b.caches)
        before = {"cache_hooks": sorted(b.caches), "selected": names}
        if req.dry_run:
            return Outcome("caches", before, {**before, "cleared": dict.fromkeys(names)}, True,
                           f"would clear {len(names)} cache(s); nothing changed")
        cleared: dict[str, Any] = {}
        for name in names:
            try:
                result = b.caches[name]()
                if inspect.isawaitable(result):
                    result = await result
                cleared[name] = _jsonable(result)
            except Exception as exc:  # noqa: BLE001 - one failing hook must not stop the others
                cleared[name] = {"error": f"{type(exc).__name__}: {exc}"}
        return Outcome("caches", before, {**before, "cleared": cleared}, True,
                       f"cleared {len(names)} cache(s)")



    # --- garbage -----------------------------------------------------------------------------
    async def collect_garbage(self, req: CollectGarbageRequest) -> Outcome:
        """The guide's first answer to memory exhaustion: a forced collection (the event loop pauses while
        it runs; objects frozen by ``freeze_startup_objects`` are not walked)."""
        process = self._bridge.process
        before = {"rss_bytes": process.rss_bytes(), "gc_counts": list(gc.get_count())}
        if req.dry_run:
            return Outcome("runtime", before, {**before, "collected": None}, True,
                           f"would run a generation-{req.generation} collection; nothing changed")
        started = time.perf_counter()
        collected = gc.collect(req.generation)
        pause_ms = round((time.perf_counter() - started) * 1000, 1)
        after = {"rss_bytes": process.rss_bytes(), "gc_counts": list(gc.get_count()), "collected": collected,
                 "pause_ms": pause_ms}
        return Outcome("runtime", before, after, True,
                       f"collected {collected} unreachable object(s) in {pause_ms} ms")

@dataclass(frozen=True)
class Endpoint:
    """One control action as the HTTP API serves it: ``POST /v1/actions/<name>`` with a ``request`` body."""

    name: str
    """The path's last part and the answer's ``action`` (the bot's table of actions names this path)."""
    request: type[ActionBase]
    run: Callable[[ActionService, Any], Awaitable[Outcome]]
    """The implementation, called with the parsed ``request``."""
    reversible: bool = True
    """It accepts ``ttl_s``: a temporary action, reverted by itself (its :class:`Outcome` gives the revert)."""
    example: Mapping[str, Any] = field(kw_only=True)
    """A body that acts on the demo fleet (``autogen_ops_bridge.demo``): tests/test_action_contract.py checks the
    action's contract with it."""


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("isolate", IsolateRequest, ActionService.isolate, example={"agent_type": "ToolAgent", "mode": "refuse"}),
    Endpoint("release", ReleaseRequest, ActionService.release, reversible=False, example={"agent_type": "ToolAgent"}),
    Endpoint("restart", RestartRequest, ActionService.restart, reversible=False,
             example={"agent_type": "ChatAgent", "agent_key": "default"}),
    Endpoint("backpressure", BackpressureRequest, ActionService.backpressure,
             example={"agent_type": "ToolAgent", "max_inflight": 2, "max_wait_s": 30}),
    Endpoint("degrade", DegradeRequest, ActionService.degrade,
             example={"features": ["web_search"], "agent_types": ["RetrieverAgent"]}),
    Endpoint("restore", DegradeRequest, ActionService.restore, reversible=False,
             example={"features": ["web_search"], "agent_types": ["RetrieverAgent"]}),
    Endpoint("clear-caches", ClearCachesRequest, ActionService.clear_caches, reversible=False,
             example={"names": ["retrieval_cache"]}),
    Endpoint("collect-garbage", CollectGarbageRequest, ActionService.collect_garbage, reversible=False,
             example={"generation": 2}),
)
"""Every control action the API serves (test_openapi_contract keeps ``openapi.json`` in step)."""


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


def _predicted_degrade(before: dict[str, Any], features: list[str], types: list[str], *,
                       degraded: bool) -> dict[str, Any]:
    """The degrade state after switching ``features``/``types`` off (``degraded``) or back on."""
    def apply(current: list[str], changed: list[str]) -> list[str]:
        return sorted(set(current) | set(changed) if degraded else set(current) - set(changed))

    after: dict[str, Any] = {
        "degraded_features": apply(before["degraded_features"], features),
        "degraded_agent_types": apply(before["degraded_agent_types"], types),
    }
    after["degraded"] = bool(after["degraded_features"] or after["degraded_agent_types"])
    return after
