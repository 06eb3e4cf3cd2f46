"""The demo fleet: a runtime with the four demo agents, steady traffic, the vector-db dependency,
optional fault injection, optionally an AgentChat team (demo/team.py) on the same runtime, and (normally)
the bridge attached."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from autogen_core import AgentId, SingleThreadedAgentRuntime

from .. import runtime_internals as internals
from ..attach import Bridge, attach
from ..gc_tuning import freeze_startup_objects
from .agents import AGENT_CLASSES, ChatAgent, DemoAgent, PlannerAgent, RetrieverAgent, ToolAgent
from .faults import KNOWN_FAULTS, TEAM_FAULT_TARGETS, TEAM_FAULTS, TEAM_TARGETS, DemoFaults
from .messages import ChatRequest
from .vector_db import VectorDb

if TYPE_CHECKING:
    from .team import SupportTeam

logger = logging.getLogger("autogen_ops_bridge.demo")

FEATURES = ("web_search", "reranking")
MAX_OUTSTANDING_TRAFFIC = 200
TOPICS = ("refund policy", "order status", "password reset", "shipping delay", "invoice copy",
          "account upgrade", "api quota", "data export")


class Hooks(Protocol):
    def feature_enabled(self, name: str) -> bool: ...

    def record_dependency_call(self, agent_type: str, name: str, duration_s: float,
                               error: str | None = None) -> None: ...


class NoBridgeHooks:
    """Used when the fleet runs without the bridge (the overhead benchmark's baseline)."""

    def feature_enabled(self, name: str) -> bool:
        return True

    def record_dependency_call(self, agent_type: str, name: str, duration_s: float,
                               error: str | None = None) -> None:
        return None


@dataclass
class FleetContext:
    """What the agents share: faults, hooks into the bridge, the dependency, caches."""

    faults: DemoFaults
    hooks: Hooks
    vector_db: VectorDb
    retrieval_cache: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class FleetOptions:
    host: str = "127.0.0.1"
    port: int = 0
    token: str = "demo-token"
    name: str = "demo"
    enable_faults: bool = False
    faults: list[tuple[str, str]] = field(default_factory=list)
    instances: int = 1
    rate: float = 5.0
    """Chat requests per second sent by the traffic generator (0 = no traffic)."""
    capacity: int | None = 16
    """Messages each agent type handles at once; more wait in its mailbox (queue_depth)."""
    attach_bridge: bool = True
    serve: bool = True
    freeze_gc: bool = False
    """Call ``freeze_startup_objects()`` (process-wide) once started, bridge or not; the CLI turns it on."""
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    """PEM certificate and key: the bridge serves HTTPS (both or neither)."""
    team: bool = False
    """Also run the AgentChat team ``support`` (needs autogen-agentchat and autogen-ext); the CLI turns it on.
    With ``rate`` > 0 it runs a task every few seconds."""
    recent_window_s: float = 60.0
    """The bridge's short window (``attach(recent_window_s=...)``): what the monitor judges agents over."""


def chat_keys(instances: int) -> list[str]:
    return ["default"] + [f"user-{i}" for i in range(1, max(1, instances))]


class Fleet:
    def __init__(self, options: FleetOptions) -> None:
        self.options = options
        self.runtime = SingleThreadedAgentRuntime()
        self.vector_db = VectorDb(options.host if options.host not in ("0.0.0.0", "::") else "127.0.0.1")
        self.bridge: Bridge | None = None
        self.faults = DemoFaults(self.runtime, self.vector_db, lambda: sorted(AGENT_CLASSES), self._backlog)
        self.context = FleetContext(faults=self.faults, hooks=NoBridgeHooks(), vector_db=self.vector_db)
        self.keys = chat_keys(options.instances)
        self.sent = 0
        self.succeeded = 0
        self.failed = 0
        self._outstanding: set[asyncio.Task[Any]] = set()
        self._traffic: asyncio.Task[None] | None = None
        self.team: SupportTeam | None = None
        self._team_traffic: asyncio.Task[None] | None = None

    def _backlog(self, agent_type: str) -> int:
        if self.bridge is None:
            return internals.queue_size(self.runtime)
        return self.bridge.gate(agent_type).waiting + internals.queue_size(self.runtime)

    async def start(self) -> None:
        opts = self.options
        await self.vector_db.start()
        for agent_type, cls in AGENT_CLASSES.items():
            await cls.register(self.runtime, agent_type, self._factory(agent_type, cls))
        if opts.attach_bridge:
            self.bridge = await attach(
                self.runtime, token=opts.token, host=opts.host, port=opts.port, name=opts.name,
                faults=self.faults if opts.enable_faults else None, serve=opts.serve,
                ssl_certfile=opts.ssl_certfile, ssl_keyfile=opts.ssl_keyfile, recent_window_s=opts.recent_window_s,
                config={"fleet": {"instances": opts.instances, "rate": opts.rate, "capacity": opts.capacity,
                                  "enable_faults": opts.enable_faults, "team": opts.team},
                        "vector_db_url": self.vector_db.url, "bridge_token": opts.token,
                        "openai_api_key": "sk-demo-not-a-real-key"},
            )
            self.context.hooks = self.bridge
            for name in FEATURES:
                self.bridge.register_feature(name)
            self.bridge.register_dependency("vector-db", "database", self.vector_db.url)
            self.bridge.register_cache("retrieval_cache", self._clear_retrieval_cache)
            self.bridge.register_cache("plan_cache", lambda: {"entries_cleared": 0})
            if opts.capacity is not None:
                for agent_type in AGENT_CLASSES:
                    self.bridge.set_capacity(agent_type, opts.capacity)
        self.runtime.start()
        for key in self.keys:
            await self.runtime.get("ChatAgent", key, lazy=False)
        if opts.team:
            from .team import SupportTeam  # AgentChat is needed only with the team

            self.team = SupportTeam(self.runtime, self.faults, lambda: self.context.hooks, self.vector_db.host)
            await self.team.start(self.bridge)
        for fault, agent_type in opts.faults:
            await self.faults.inject(fault, agent_type, {})
        if opts.freeze_gc:
            freeze_startup_objects()
        if opts.rate > 0:
            self._traffic = asyncio.get_running_loop().create_task(self._generate(), name="demo-traffic")
            if self.team is not None:
                self._team_traffic = asyncio.get_running_loop().create_task(self.team.generate(opts.rate),
                                                                            name="demo-team-traffic")

    def _clear_retrieval_cache(self) -> dict[str, int]:
        n = len(self.context.retrieval_cache)
        self.context.retrieval_cache.clear()
        return {"entries_cleared": n}

    def _factory(
        self, agent_type: str, cls: type[ChatAgent] | type[PlannerAgent] | type[RetrieverAgent] | type[ToolAgent]
    ) -> Any:
        def make() -> DemoAgent:
            error = self.faults.construction_error(agent_type)
            if error is not None:
                raise error
            return cls(self.context)

        return make

    async def ask(self, text: str, key: str = "default") -> Any:
        """Send one chat request and return the reply (raises what the chain raised)."""
        return await self.runtime.send_message(ChatRequest(text=text), AgentId(ChatAgent.__name__, key))

    async def _generate(self) -> None:
        interval = 1.0 / self.options.rate
        keys = itertools.cycle(self.keys)
        next_at = time.monotonic()
        for seq in itertools.count(1):
            next_at += interval
            if len(self._outstanding) < MAX_OUTSTANDING_TRAFFIC:
                text = f"question {seq} about {TOPICS[seq % len(TOPICS)]}"
                task = asyncio.get_running_loop().create_task(self._one(text, next(keys)))
                self._outstanding.add(task)
                task.add_done_callback(self._outstanding.discard)
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _one(self, text: str, key: str) -> None:
        self.sent += 1
        try:
            await self.ask(text, key)
            self.succeeded += 1
        except Exception:  # noqa: BLE001 - failures are the point of the faults; the bridge records them
            self.failed += 1

    async def stop(self, idle_timeout_s: float = 5.0) -> None:
        """Stop traffic and faults, then the runtime (``stop_when_idle`` when it can drain in time)."""
        for traffic in (self._traffic, self._team_traffic):
            if traffic is not None:
                traffic.cancel()
                try:
                    await traffic
                except asyncio.CancelledError:
                    pass
        self._traffic = self._team_traffic = None
        await self.faults.clear(None)
        if self.bridge is not None:
            await self.bridge.prepare_stop()
        deadline = time.monotonic() + idle_timeout_s
        # autogen-core offers no "idle" event: poll, bounded by the deadline.
        while internals.unfinished_messages(self.runtime) > 0 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if internals.is_running(self.runtime):
            if internals.unfinished_messages(self.runtime) == 0:
                await self.runtime.stop_when_idle()
            else:
                logger.warning("runtime not idle after %.1fs: stopping without draining", idle_timeout_s)
                await self.runtime.stop()
        for task in list(self._outstanding):
            task.cancel()
        if self._outstanding:
            await asyncio.gather(*self._outstanding, return_exceptions=True)
        if self.bridge is not None:
            await self.bridge.close()
        await self.vector_db.close()
        if self.team is not None:
            await self.team.close()


def parse_fault(text: str) -> tuple[str, str]:
    """``cascade:ChatAgent`` -> ``("cascade", "ChatAgent")``; the agent type defaults to ChatAgent (for the
    team's faults, to their usual target: ``model_429`` -> ``support/triage``)."""
    fault, _, agent_type = text.partition(":")
    if fault not in KNOWN_FAULTS:
        raise ValueError(f"unknown fault '{fault}'; known: {', '.join(KNOWN_FAULTS)}")
    if fault in TEAM_FAULTS:
        agent_type = agent_type or TEAM_FAULT_TARGETS[fault]
        if agent_type not in TEAM_TARGETS:
            raise ValueError(f"fault '{fault}' targets the AgentChat team; known: {', '.join(TEAM_TARGETS)}")
        return fault, agent_type
    agent_type = agent_type or "ChatAgent"
    if agent_type not in AGENT_CLASSES:
        raise ValueError(f"unknown agent type '{agent_type}'; known: {', '.join(AGENT_CLASSES)}")
    return fault, agent_type
