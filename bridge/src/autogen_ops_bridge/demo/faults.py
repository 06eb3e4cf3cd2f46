"""Fault injection for the demo fleet: the seed guide's failure scenarios on demand (T = agent_type).

- ``exception``: T's handler raises ``InjectedFaultError`` (PlannerAgent tolerates it from ToolAgent).
- ``cascade``: the deepest hard dependency of T (RetrieverAgent for Chat/Planner) times out and the
  error propagates up through every dependent agent to T. Params: ``origin``.
- ``slow``: T's handler waits first. Params: ``delay_s`` (3.0).
- ``memory``: memory held on T's behalf grows steadily (RSS, rss_history). Params: ``mb_per_s`` (8),
  ``max_mb`` (256).
- ``flood``: a producer sends T messages faster than its capacity: a queue backlog. Params: ``burst``
  (40), ``interval_s`` (0.1), ``work_s`` (0.1), ``max_backlog`` (400).
- ``dead_dependency``: the vector-db listener closes: "connection refused".
- ``missing_module``: constructing T raises ``ModuleNotFoundError: No module named '...'``. Params:
  ``module``.

Faults of the AgentChat team (demo/team.py; T = ``support`` or a member, ``support/triage``):

- ``tool_down``: the orders API closes: ``lookup_order`` results carry ``is_error`` (connection refused).
- ``model_429``: T's model client raises a rate-limit error (status 429); the team's run fails. T =
  ``support``: every member. Params: ``retry_after_s`` (20).
- ``model_slow``: T's model client answers after ``delay_s`` (3.0). T = ``support``: every member.
- ``no_termination``: the responder never says the stop word; only max turns ends a run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from autogen_core import SingleThreadedAgentRuntime, TopicId

from .. import runtime_internals as internals
from ..errors import BridgeError
from ..models import FaultInfo
from ..timefmt import iso
from .agents import HARD_DEPENDENCIES, InjectedFaultErrorBase
from .messages import FloodMessage
from .vector_db import VectorDb

logger = logging.getLogger("autogen_ops_bridge.demo.faults")

CORE_FAULTS = ("exception", "cascade", "slow", "memory", "flood", "dead_dependency", "missing_module")
TEAM_FAULTS = ("tool_down", "model_429", "model_slow", "no_termination")
KNOWN_FAULTS = CORE_FAULTS + TEAM_FAULTS
TEAM = "support"
"""The demo's AgentChat team (demo/team.py), its members, and the names its faults accept as targets."""
TEAM_MEMBERS = ("triage", "responder")
TEAM_TARGETS = (TEAM, *(f"{TEAM}/{member}" for member in TEAM_MEMBERS))
TEAM_FAULT_TARGETS = {"tool_down": f"{TEAM}/triage", "model_429": f"{TEAM}/triage",
                      "model_slow": f"{TEAM}/responder", "no_termination": TEAM}
"""The target each team fault names when none is given (the CLI's ``--fault model_429``)."""
DEFAULT_MODULES = {
    "ChatAgent": "chat_templates",
    "PlannerAgent": "planning_toolkit",
    "RetrieverAgent": "faiss",
    "ToolAgent": "web_search_client",
}


class InjectedFaultError(InjectedFaultErrorBase):
    """Raised by a handler under the ``exception`` fault."""


class Switchable(Protocol):
    """A loopback dependency a fault can close (the vector-db, the team's orders API)."""

    @property
    def url(self) -> str: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class _Active:
    fault: str
    agent_type: str
    params: dict[str, Any]
    since: float
    task: asyncio.Task[None] | None = None
    cleared: asyncio.Event = field(default_factory=asyncio.Event)

    def info(self) -> FaultInfo:
        return FaultInfo(fault=self.fault, agent_type=self.agent_type, params=self.params, since=iso(self.since))


def _number(params: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise BridgeError("VALIDATION_FAILED", 422, f"fault param '{name}' must be a number in {low}..{high}",
                          {"param": name, "value": repr(value)[:100]})
    return float(value)


class DemoFaults:
    """The demo's ``FaultController``; agents consult it on every message."""

    def __init__(self, runtime: SingleThreadedAgentRuntime, vector_db: VectorDb,
                 agent_types: Callable[[], Sequence[str]],
                 backlog: Callable[[str], int] = lambda agent_type: 0) -> None:
        """``backlog(agent_type)``: messages waiting for that type (bounds the flood's memory use)."""
        self._runtime = runtime
        self.backlog = backlog
        self._vector_db = vector_db
        self._agent_types = agent_types
        self._active: dict[tuple[str, str], _Active] = {}
        self.leaked: list[bytearray] = []
        self._orders_api: Switchable | None = None

    def attach_team(self, orders_api: Switchable) -> None:
        """Enable the AgentChat team's faults (the fleet runs the team; ``orders_api`` is its tool's backend)."""
        self._orders_api = orders_api

    @property
    def known_faults(self) -> Sequence[str]:
        return KNOWN_FAULTS if self._orders_api is not None else CORE_FAULTS

    def active(self) -> list[FaultInfo]:
        return [a.info() for a in sorted(self._active.values(), key=lambda a: a.since)]

    # --- consulted by agents -----------------------------------------------------------------
    async def apply(self, agent_type: str) -> None:
        if not self._active:
            return
        slow = self._active.get(("slow", agent_type))
        if slow is not None:
            try:
                await asyncio.wait_for(slow.cleared.wait(), slow.params["delay_s"])
            except asyncio.TimeoutError:
                pass
        if ("exception", agent_type) in self._active:
            raise InjectedFaultError(f"injected fault: {agent_type} handler raised an unexpected exception")
        for active in self._active.values():
            if active.fault == "cascade" and active.params["origin"] == agent_type:
                raise TimeoutError(
                    f"{agent_type}: upstream vector-db request timeout after 2.0s (cascade origin {agent_type})"
                )

    def team_fault(self, fault: str, member: str) -> dict[str, Any] | None:
        """The params of ``fault`` when it is active on ``member`` (``support/triage``) or its whole team."""
        active = self._team_active(fault, member)
        return active.params if active is not None else None

    async def team_delay(self, fault: str, member: str) -> None:
        """Wait out a delay fault (``delay_s``) on ``member``; returns early once the fault is cleared."""
        active = self._team_active(fault, member)
        if active is not None:
            try:
                await asyncio.wait_for(active.cleared.wait(), active.params["delay_s"])
            except asyncio.TimeoutError:
                pass

    def _team_active(self, fault: str, member: str) -> _Active | None:
        return self._active.get((fault, member)) or self._active.get((fault, member.partition("/")[0]))

    def flood_work_s(self, agent_type: str) -> float:
        active = self._active.get(("flood", agent_type))
        return float(active.params["work_s"]) if active is not None else 0.0

    def construction_error(self, agent_type: str) -> BaseException | None:
        active = self._active.get(("missing_module", agent_type))
        if active is None:
            return None
        module = str(active.params["module"])
        return ModuleNotFoundError(f"No module named '{module}'", name=module)

    # --- FaultController ---------------------------------------------------------------------
    async def inject(self, fault: str, agent_type: str, params: dict[str, Any]) -> FaultInfo:
        if fault not in KNOWN_FAULTS:
            raise BridgeError("UNKNOWN_FAULT", 422,
                              f"unknown fault '{fault}'; known faults: {', '.join(KNOWN_FAULTS)}",
                              {"fault": fault, "known": list(KNOWN_FAULTS)})
        if fault in TEAM_FAULTS:
            self._check_team_target(fault, agent_type)
        elif agent_type not in self._agent_types():
            raise BridgeError("AGENT_NOT_FOUND", 404, f"agent type '{agent_type}' is not registered",
                              {"agent_type": agent_type})
        params = self._params(fault, agent_type, dict(params))
        key = (fault, agent_type)
        if key in self._active:
            await self._stop(self._active.pop(key))
        active = self._active[key] = _Active(fault, agent_type, params, time.time())
        if fault == "memory":
            active.task = asyncio.get_running_loop().create_task(self._leak(active))
        elif fault == "flood":
            active.task = asyncio.get_running_loop().create_task(self._flood(active))
        elif fault == "dead_dependency":
            await self._vector_db.stop()
        elif fault == "tool_down" and self._orders_api is not None:
            await self._orders_api.stop()
        elif fault == "missing_module":
            for agent_id in [a for a in internals.instantiated_agents(self._runtime) if a.type == agent_type]:
                internals.forget_instance(self._runtime, agent_id)
        logger.warning("fault injected: %s on %s %s", fault, agent_type, params,
                       extra={"event": "FaultInjected", "agent_type": agent_type})
        return active.info()

    def _check_team_target(self, fault: str, target: str) -> None:
        if self._orders_api is None:
            raise BridgeError("VALIDATION_FAILED", 422,
                              f"fault '{fault}' needs the demo's AgentChat team (start the fleet with --team)",
                              {"fault": fault})
        if target not in TEAM_TARGETS:
            raise BridgeError("VALIDATION_FAILED", 422,
                              f"fault '{fault}' targets the AgentChat team: agent_type must be one of "
                              f"{', '.join(TEAM_TARGETS)}", {"param": "agent_type", "value": target[:100]})

    def _params(self, fault: str, agent_type: str, params: dict[str, Any]) -> dict[str, Any]:
        if fault == "model_slow":
            return {"delay_s": _number(params, "delay_s", 3.0, 0.0, 10.0)}
        if fault == "model_429":
            return {"retry_after_s": int(_number(params, "retry_after_s", 20, 0, 3600))}
        if fault == "tool_down" and self._orders_api is not None:
            return {"dependency": "orders-api", "url": self._orders_api.url}
        if fault == "slow":
            return {"delay_s": _number(params, "delay_s", 3.0, 0.0, 60.0)}
        if fault == "memory":
            return {"mb_per_s": _number(params, "mb_per_s", 8.0, 0.1, 256.0),
                    "max_mb": _number(params, "max_mb", 256.0, 1.0, 2048.0)}
        if fault == "flood":
            return {"burst": int(_number(params, "burst", 40, 1, 1000)),
                    "interval_s": _number(params, "interval_s", 0.1, 0.01, 10.0),
                    "work_s": _number(params, "work_s", 0.1, 0.0, 10.0),
                    "max_backlog": int(_number(params, "max_backlog", 400, 1, 10000))}
        if fault == "cascade":
            origin = params.get("origin") or _deepest(agent_type)
            if origin not in self._agent_types():
                raise BridgeError("AGENT_NOT_FOUND", 404, f"cascade origin '{origin}' is not registered",
                                  {"agent_type": origin})
            return {"origin": origin}
        if fault == "missing_module":
            module = params.get("module", DEFAULT_MODULES.get(agent_type, "agent_plugins"))
            if not isinstance(module, str) or not module.replace(".", "").replace("_", "").isalnum():
                raise BridgeError("VALIDATION_FAILED", 422, "fault param 'module' must be a module name",
                                  {"param": "module"})
            return {"module": module}
        if fault == "dead_dependency":
            return {"dependency": "vector-db", "url": self._vector_db.url}
        return {}

    async def clear(self, fault: str | None) -> list[FaultInfo]:
        if fault is not None and fault not in KNOWN_FAULTS:
            raise BridgeError("UNKNOWN_FAULT", 422,
                              f"unknown fault '{fault}'; known faults: {', '.join(KNOWN_FAULTS)}",
                              {"fault": fault, "known": list(KNOWN_FAULTS)})
        stopped: list[FaultInfo] = []
        for key in [k for k in self._active if fault is None or k[0] == fault]:
            active = self._active.pop(key)
            await self._stop(active)
            stopped.append(active.info())
            logger.warning("fault cleared: %s on %s", active.fault, active.agent_type,
                           extra={"event": "FaultCleared", "agent_type": active.agent_type})
        return stopped

    async def _stop(self, active: _Active) -> None:
        active.cleared.set()
        if active.task is not None:
            active.task.cancel()
            try:
                await active.task
            except asyncio.CancelledError:
                pass
        if active.fault == "memory" and not any(k[0] == "memory" for k in self._active):
            self.leaked.clear()
        if active.fault == "dead_dependency" and not any(k[0] == "dead_dependency" for k in self._active):
            await self._vector_db.start()
        if (active.fault == "tool_down" and self._orders_api is not None
                and not any(k[0] == "tool_down" for k in self._active)):
            await self._orders_api.start()

    # --- background effects ------------------------------------------------------------------
    async def _leak(self, active: _Active) -> None:
        step_s = 0.25
        chunk = int(active.params["mb_per_s"] * step_s * 1024 * 1024)
        limit = int(active.params["max_mb"] * 1024 * 1024)
        held = 0
        while held < limit:
            block = bytearray(chunk)
            block[::4096] = b"\x01" * len(block[::4096])  # touch every page so RSS really grows
            self.leaked.append(block)
            held += chunk
            await asyncio.sleep(step_s)

    async def _flood(self, active: _Active) -> None:
        p = active.params
        topic = TopicId(f"{active.agent_type}:flood", "default")
        seq = 0
        while True:
            if self.backlog(active.agent_type) < p["max_backlog"]:
                for _ in range(p["burst"]):
                    seq += 1
                    await self._runtime.publish_message(FloodMessage(seq=seq), topic)
            await asyncio.sleep(p["interval_s"])


def _deepest(agent_type: str) -> str:
    current = agent_type
    while HARD_DEPENDENCIES.get(current):
        current = HARD_DEPENDENCIES[current][0]
    return current
