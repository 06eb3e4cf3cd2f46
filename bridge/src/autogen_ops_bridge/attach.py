"""``attach(runtime, ...)``: plug the bridge into a live ``SingleThreadedAgentRuntime``."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

import uvicorn
from autogen_core import (
    Agent,
    AgentId,
    DefaultInterventionHandler,
    MessageContext,
    SingleThreadedAgentRuntime,
    TopicId,
)

from . import runtime_internals as internals
from .actions import ActionService
from .agent_names import AgentName, layout
from .agentchat import AgentChatObserver
from .agentchat_control import AgentChatControl
from .collector import EventCollector
from .errors import agent_not_found
from .faults import FaultController
from .gate import ENTER, AgentGate, RuntimeShared
from .gc_tuning import freeze_startup_objects
from .message_log import CURRENT, MessageLog, MessageRecord
from .process_stats import ProcessStats

logger = logging.getLogger("autogen_ops_bridge")

CacheHook = Callable[[], Any]
"""Called by ``clear-caches``; may be async; its (JSON-able) return value is reported."""

Probe = Callable[[], Awaitable[None]]
"""Checks a dependency; raises when it is unreachable."""

DEFAULT_MAX_BODY_BYTES = 64 * 1024
_NO_DICT: dict[str, Any] = {}


@dataclass
class Dependency:
    name: str
    kind: str
    url: str | None
    probe: Probe | None


class _Observer(DefaultInterventionHandler):
    """Optional (``attach(observe_dispatch=True)``): stamps when each message left the runtime's queue
    (``queued_ms``). Observes only — never drops, never sleeps. Off by default because autogen-core wraps
    every intervention call in a tracing span, which costs more than the rest of the bridge per message."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge

    async def on_send(self, message: Any, *, message_context: MessageContext, recipient: AgentId) -> Any:
        self._bridge.sync()
        self._bridge.log.dispatched(message_context.message_id)
        return message

    async def on_publish(self, message: Any, *, message_context: MessageContext) -> Any:
        self._bridge.sync()
        self._bridge.log.dispatched(message_context.message_id)
        return message


SERVER_TICK_S = 1.0
"""How often the embedded HTTP server wakes on its own (uvicorn's loop wakes every 0.1 s)."""


def _wake_up(wake: asyncio.Future[None]) -> None:
    if not wake.done():
        wake.set_result(None)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside someone else's event loop: the application owns the process's signals, and the
    server wakes once a second, not ten times (uvicorn's ticks only refresh the ``Date`` header, once a
    second, and look for an exit request; :meth:`request_exit` wakes it at once). Every wake-up of an idle
    bridge is work the application's event loop does."""

    _wake: asyncio.Future[None] | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def main_loop(self) -> None:
        loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 10) % 864000  # uvicorn refreshes the Date header on multiples of 10
            wake = self._wake = loop.create_future()
            timer = loop.call_later(SERVER_TICK_S, _wake_up, wake)
            try:
                await wake
            finally:
                timer.cancel()
                self._wake = None
            should_exit = await self.on_tick(counter)

    def request_exit(self) -> None:
        self.should_exit = True
        if self._wake is not None:
            _wake_up(self._wake)


class Bridge:
    """A bridge attached to one runtime. Create it with :func:`attach`."""

    def __init__(
        self,
        runtime: SingleThreadedAgentRuntime,
        *,
        name: str,
        token: str,
        read_token: str | None,
        config: dict[str, Any] | None,
        stats_window_s: float,
        max_body_bytes: int,
        observe_dispatch: bool = False,
        recent_window_s: float = 60.0,
    ) -> None:
        internals.check_compatible(runtime)
        self.runtime = runtime
        self.name = name
        self.token = token
        self.read_token = read_token
        self.config = dict(config or {})
        self.stats_window_s = stats_window_s
        self.recent_window_s = min(recent_window_s, stats_window_s)
        self.max_body_bytes = max_body_bytes
        self.started_at = time.time()
        self._started_mono = time.monotonic()
        self.log = MessageLog()
        self.collector = EventCollector()
        self.limits = RuntimeShared()
        self.gates: dict[str, AgentGate] = {}
        self.features: dict[str, bool] = {}
        self.caches: dict[str, CacheHook] = {}
        self.dependencies: dict[str, Dependency] = {}
        self.team_names: dict[str, str] = {}
        self.faults: FaultController | None = None
        self.process = ProcessStats()
        self.actions = ActionService(self)
        self.url: str | None = None
        self._observer = _Observer(self) if observe_dispatch else None
        self.agentchat = AgentChatObserver(self.gate, on_install=self._agentchat_installed)
        self.teams = AgentChatControl(self)
        self.collector.llm_sink = self.agentchat.llm_event
        self._original_factories: dict[str, internals.AgentFactory] = {}
        self._seen = (-1, -1)
        self._factories = internals.agent_factories(runtime)
        self._instances = internals.instantiated_agents(runtime)
        self._server: _EmbeddedServer | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self._closed = False

    # --- application-facing registration ------------------------------------------------------
    def register_cache(self, name: str, hook: CacheHook) -> None:
        """Register a cache the ``clear-caches`` action can clear."""
        self.caches[name] = hook

    def register_feature(self, name: str, enabled: bool = True) -> None:
        """Declare a named feature the ``degrade`` action can switch off."""
        self.features.setdefault(name, enabled)

    def feature_enabled(self, name: str) -> bool:
        """Whether a feature is on (unknown features are on). Check it where the feature is used."""
        return self.features.get(name, True)

    def register_team(self, team: Any) -> None:
        """Name an AgentChat team (``RoundRobinGroupChat(..., name="support", runtime=runtime)``): its
        participants are then reported as ``support/<participant>``. Unregistered teams are named by their
        kind. Reads the team's id, which AgentChat keeps private."""
        team_id = getattr(team, "_team_id", None)
        if isinstance(team_id, str):
            self.team_names[team_id] = str(getattr(team, "name", None) or type(team).__name__)
            # Weakly: restart asks the team whether it is running (a dropped team is not kept alive).
            self.teams.teams[team_id] = weakref.ref(team)

    def agent_names(self) -> dict[str, AgentName]:
        """Stable names, teams and roles of the registered agent types (see ``agent_names.layout``)."""
        return layout(self.registered_types(), self.team_names)

    def register_dependency(self, name: str, kind: str = "external", url: str | None = None,
                            probe: Probe | None = None) -> None:
        """Declare an external dependency; ``tcp://host:port`` URLs are probed by a TCP connect."""
        self.dependencies[name] = Dependency(name, kind, url, probe)

    def record_dependency_call(self, agent_type: str, name: str, duration_s: float,
                               error: str | None = None) -> None:
        """Report one call an agent made to a dependency (feeds ``dependency_calls``)."""
        dep = self.dependencies.get(name)
        self.gate(agent_type).stats.dependency(name, dep.kind if dep else "external").record(duration_s, error)

    def set_capacity(self, agent_type: str, capacity: int | None) -> None:
        """Declare how many messages an agent type handles at once; more wait in its mailbox and count
        in ``queue_depth``."""
        self.gate(agent_type).set_capacity(capacity)

    def _agentchat_installed(self, observer: AgentChatObserver) -> None:
        self.collector.failure_sink = observer.handler_failed

    # --- wiring --------------------------------------------------------------------------------
    def _install(self) -> None:
        rt = self.runtime
        self.collector.install()
        self.limits.events_finish = self.collector.takes_events and internals.reports_handler_end(rt)
        if self._observer is not None:
            internals.add_intervention_handler(rt, self._observer)
        original_send = rt.send_message
        original_publish = rt.publish_message
        log = self.log
        sync = self.sync
        bridge = self
        watchers = self.agentchat.watchers  # filled in place once AgentChat is imported
        observer = self._observer
        delivers_unwatched = internals.delivers_unwatched

        def send_message(message: Any, recipient: AgentId, *, sender: AgentId | None = None,
                         cancellation_token: Any = None, message_id: str | None = None) -> Awaitable[Any]:
            """Records the hop of a linked message, then hands the runtime's own coroutine back when the
            recipient's gate is certain to finish the hop (a live, gated instance; a running runtime;
            nothing that may drop the message): no coroutine of the bridge's own then waits in between, and
            a failure's traceback has no frame of it. Otherwise the hop is finished here once the send ends
            (``_send_watched``). A message the log does not link is only counted: it has no hop until its
            delivery, which its gate makes and finishes. A cancellation token does not change this:
            autogen-core delivers a message whose token was cancelled all the same (only the sender stops
            waiting), so its gate finishes the hop."""
            if (len(bridge._factories), len(bridge._instances)) != bridge._seen:  # sync()'s test, inlined
                sync()
            watch = watchers.get(type(message))
            if watch is not None:
                watch(message)
            current = CURRENT.get()
            if current is not None and not current.linked:  # sent while handling an unlinked message
                log.unlinked += 1  # (log.sent's answer for it, without its call: an error storm runs this)
                return original_send(message, recipient, sender=sender, cancellation_token=cancellation_token,
                                     message_id=message_id)
            if message_id is None:
                message_id = str(uuid.uuid4())
            hop = log.sent(message_id, sender, str(recipient), message, "send")  # "type/key", one call
            if hop is not None and not (delivers_unwatched(rt, observer) and _gated(bridge._instances.get(recipient))):
                return _send_watched(hop, message, recipient, sender, cancellation_token, message_id)
            return original_send(message, recipient, sender=sender, cancellation_token=cancellation_token,
                                 message_id=message_id)

        def _gated(agent: Any) -> bool:
            handler = getattr(agent, "__dict__", _NO_DICT).get("on_message")
            return type(handler) is functools.partial and handler.func is ENTER

        async def _send_watched(hop: MessageRecord, message: Any, recipient: AgentId, sender: AgentId | None,
                                cancellation_token: Any, message_id: str) -> Any:
            try:
                result = await original_send(message, recipient, sender=sender,
                                             cancellation_token=cancellation_token, message_id=message_id)
            except BaseException as exc:
                if hop.finished_at is None:
                    hop.finish("error", f"{type(exc).__name__}: {exc}")
                raise
            if hop.finished_at is None:
                hop.finish("ok")
            return result

        async def publish_message(message: Any, topic_id: TopicId, *, sender: AgentId | None = None,
                                  cancellation_token: Any = None, message_id: str | None = None) -> None:
            if message_id is None:
                message_id = str(uuid.uuid4())
            if (len(bridge._factories), len(bridge._instances)) != bridge._seen:  # sync()'s test, inlined
                sync()
            hop = log.sent(message_id, sender, f"{topic_id.type}/{topic_id.source}", message, "publish")
            watch = watchers.get(type(message))
            if watch is not None:
                watch(message)
            if hop is None:  # not linked: counted, its deliveries get records of their own
                await original_publish(message, topic_id, sender=sender, cancellation_token=cancellation_token,
                                       message_id=message_id)
                return
            try:
                await original_publish(message, topic_id, sender=sender,
                                       cancellation_token=cancellation_token, message_id=message_id)
            except BaseException as exc:
                hop.finish("error", f"{type(exc).__name__}: {exc}")
                raise
            hop.finished_at = time.time()  # hop.finish("ok"), inlined: this runs for every publish
            hop.outcome = "ok"
            hop.error = None

        internals.patch_runtime_method(rt, "send_message", send_message)
        internals.patch_runtime_method(rt, "publish_message", publish_message)
        self.sync(force=True)

    def _uninstall(self) -> None:
        rt = self.runtime
        self.limits.events_finish = False
        internals.unpatch_runtime_method(rt, "send_message")
        internals.unpatch_runtime_method(rt, "publish_message")
        if self._observer is not None:
            internals.remove_intervention_handler(rt, self._observer)
        factories = internals.agent_factories(rt)
        for t, f in self._original_factories.items():
            if t in factories:
                factories[t] = f
        for agent in internals.instantiated_agents(rt).values():
            if "on_message" in getattr(agent, "__dict__", {}):
                delattr(agent, "on_message")
        self.collector.uninstall()

    def sync(self, force: bool = False) -> None:
        """Wrap agent types and instances that appeared since the last call (cheap when none did: called
        on every send and publish)."""
        if not force and (len(self._factories), len(self._instances)) == self._seen:
            return
        rt = self.runtime
        self.agentchat.install_if_imported()  # new agent types may be an AgentChat team's participants
        # Re-read the runtime's mappings on the slow path, in case a runtime replaced them.
        factories = self._factories = internals.agent_factories(rt)
        instances = self._instances = internals.instantiated_agents(rt)
        for t, factory in list(factories.items()):
            gate = self.gate(t)
            if getattr(factory, "__ops_bridge_wrapped__", False) or internals.is_instance_registered(rt, t):
                continue
            self._original_factories[t] = factory
            factories[t] = gate.wrap_factory(rt, factory)
        for agent_id, agent in list(instances.items()):
            if "on_message" not in getattr(agent, "__dict__", {}):
                self.gate(agent_id.type).wrap(agent)
        self._seen = (len(factories), len(instances))
        if self.teams.run_limits:
            self.teams.cover_limited_teams()  # a new team object of a limited team's name

    def gate(self, agent_type: str) -> AgentGate:
        gate = self.gates.get(agent_type)
        if gate is None:
            gate = self.gates[agent_type] = AgentGate(agent_type, self.log, self.limits)
        return gate

    def require_gate(self, agent_type: str) -> AgentGate:
        """The gate of a registered agent type, else ``AGENT_NOT_FOUND``."""
        self.sync()
        if agent_type not in internals.agent_factories(self.runtime):
            raise agent_not_found(agent_type)
        return self.gate(agent_type)

    # --- views used by metrics, the API and actions -------------------------------------------
    def registered_types(self) -> list[str]:
        return sorted(internals.agent_factories(self.runtime))

    def gates_snapshot(self) -> list[tuple[str, AgentGate]]:
        self.sync()
        return [(t, self.gate(t)) for t in self.registered_types()]

    def instances_of(self, agent_type: str) -> list[tuple[AgentId, Agent]]:
        return sorted(
            ((aid, a) for aid, a in internals.instantiated_agents(self.runtime).items() if aid.type == agent_type),
            key=lambda item: item[0].key,
        )

    def inflight(self) -> int:
        """Handlers running now, across the runtime."""
        return sum(gate.stats.inflight for gate in list(self.gates.values()))

    def instance_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for aid in internals.instantiated_agents(self.runtime):
            counts[aid.type] = counts.get(aid.type, 0) + 1
        return counts

    def queue_depth(self) -> int:
        """Messages accepted but not being handled yet: in the runtime's queue plus those waiting in
        a bridge gate (held by isolation, or for an in-flight slot)."""
        return internals.queue_size(self.runtime) + sum(g.waiting for g in self.gates.values())

    def uptime_s(self) -> float:
        return time.monotonic() - self._started_mono

    def errors_last_hour(self) -> int:
        """Handler errors (exact: the per-second counters) and construction failures of the last hour."""
        now = time.time()
        cutoff = now - 3600
        total = 0
        for g in self.gates.values():
            total += g.stats.per_second.over(3600, now).errors
            total += sum(1 for t in g.stats.construction_error_times if t >= cutoff)
        return total

    def is_degraded(self) -> bool:
        return any(not on for on in self.features.values()) or any(g.degraded for g in self.gates.values())

    def degrade_state(self) -> dict[str, Any]:
        features = sorted(f for f, on in self.features.items() if not on)
        types = sorted(t for t, g in self.gates.items() if g.degraded)
        return {"degraded": bool(features or types), "degraded_features": features,
                "degraded_agent_types": types}

    def control_state(self, target: str | None) -> dict[str, Any]:
        """Control state of an agent type (or of the runtime for ``None``/``"runtime"``)."""
        if target is None or target not in self.gates:
            return {"max_inflight": self.limits.limiter.limit, "max_wait_s": self.limits.limiter.max_wait_s,
                    **self.degrade_state()}
        g = self.gates[target]
        return {
            "isolated": g.isolation is not None,
            "isolation_mode": g.isolation.mode if g.isolation else None,
            "in_routing": g.isolation is None or g.isolation.mode != "refuse" or g.stand_in is not None,
            "max_inflight": g.backpressure,
            "max_wait_s": g.backpressure_wait_s if g.backpressure is not None else None,
            "backpressured": g.backpressure is not None,
            "degraded": g.degraded,
            "degraded_features": sorted(f for f, on in self.features.items() if not on),
            "degraded_agent_types": sorted(t for t, x in self.gates.items() if x.degraded),
            "instances": [aid.key for aid, _ in self.instances_of(target)],
        }

    # --- lifecycle -----------------------------------------------------------------------------
    async def _serve(self, host: str, port: int, ssl_certfile: str | None = None,
                     ssl_keyfile: str | None = None) -> None:
        from .api import create_app

        app = create_app(self)
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        bound_port = sock.getsockname()[1]
        display_host = f"[{host}]" if ":" in host else host
        scheme = "https" if ssl_certfile else "http"
        self.url = f"{scheme}://{display_host}:{bound_port}"
        # TLS is uvicorn's own (ssl_certfile / ssl_keyfile); the socket stays ours
        config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False,
                                timeout_graceful_shutdown=2, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
        self._server = _EmbeddedServer(config)
        self._server_task = asyncio.get_running_loop().create_task(
            self._server.serve(sockets=[sock]), name="ops-bridge-http"
        )
        while not self._server.started:
            if self._server_task.done():
                self._server_task.result()
                raise RuntimeError("bridge HTTP server stopped during start-up")
            await asyncio.sleep(0.01)

    async def prepare_stop(self) -> None:
        """Let nothing wait on the bridge: held messages are refused, slot waiters admitted, TTL
        timers cancelled. Call before ``runtime.stop_when_idle()``."""
        self.actions.cancel_all_timers()
        for g in self.gates.values():
            if g.isolation is not None:
                g.isolation.released.set()
            g.limiter.fail_waiters()
        self.limits.limiter.fail_waiters()

    async def close(self) -> None:
        """Stop the HTTP server and detach from the runtime (the runtime keeps running)."""
        if self._closed:
            return
        self._closed = True
        await self.prepare_stop()
        if self._server is not None and self._server_task is not None:
            self._server.request_exit()
            try:
                await asyncio.wait_for(self._server_task, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._server_task.cancel()
        if self._socket is not None:
            self._socket.close()
        await self.process.stop()
        self._uninstall()


async def attach(
    runtime: SingleThreadedAgentRuntime,
    *,
    token: str,
    host: str = "127.0.0.1",
    port: int = 0,
    name: str = "autogen",
    read_token: str | None = None,
    config: dict[str, Any] | None = None,
    faults: FaultController | None = None,
    serve: bool = True,
    stats_window_s: float = 300.0,
    recent_window_s: float = 60.0,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    observe_dispatch: bool = False,
    freeze_gc: bool = False,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> Bridge:
    """Attach the bridge to ``runtime`` and (unless ``serve=False``) serve its HTTP API.

    Must be awaited inside the event loop the runtime runs in. ``token`` is required on every endpoint
    but ``/healthz`` (``read_token``, if given, may only read). ``port=0`` picks a free port; the
    address is ``bridge.url``. ``config`` is shown (secrets redacted) in ``/v1/snapshot``.
    ``observe_dispatch=True`` also installs an observing intervention handler (adds ``queued_ms`` to
    message records, at a per-message cost). ``freeze_gc=True`` calls :func:`freeze_startup_objects` once
    the bridge is serving (process-wide, see there): later full garbage collections skip everything alive
    at that point, which shortens their pauses. Use it when attaching is the last start-up step; otherwise
    call ``freeze_startup_objects()`` yourself when start-up is done. ``stats_window_s`` is the long window
    of latency and error-rate figures; ``recent_window_s`` the short one (``recent``), which shows a change
    within a minute. ``ssl_certfile`` + ``ssl_keyfile`` (PEM paths, both or neither) serve the API over TLS
    (uvicorn's own); ``bridge.url`` then starts with ``https://``.
    """
    if not token:
        raise ValueError("attach() needs a non-empty token")
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise ValueError("attach() needs both ssl_certfile and ssl_keyfile for TLS, or neither")
    bridge = Bridge(runtime, name=name, token=token, read_token=read_token, config=config,
                    stats_window_s=stats_window_s, max_body_bytes=max_body_bytes,
                    observe_dispatch=observe_dispatch, recent_window_s=recent_window_s)
    bridge.faults = faults
    bridge._install()
    bridge.process.start()
    if serve:
        await bridge._serve(host, port, ssl_certfile, ssl_keyfile)
    if freeze_gc:
        freeze_startup_objects()
    logger.info("bridge attached to runtime %s at %s", name, bridge.url,
                extra={"event": "BridgeAttached"})
    return bridge

