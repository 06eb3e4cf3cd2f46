"""What every fault-matrix application shares: a loopback TCP service that can refuse or stall, the fault
switch behind the bridge's ``/v1/faults`` hook, steady traffic, and the process life cycle (one JSON ready
line on stdout, SIGTERM stops cleanly)."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from inspect import signature
from typing import Any

from autogen_core import SingleThreadedAgentRuntime
from autogen_ops_bridge import Bridge, BridgeError, attach
from autogen_ops_bridge.models import FaultInfo
from autogen_ops_bridge.runtime_internals import unfinished_messages

logger = logging.getLogger("fault_apps")

IDLE_TIMEOUT_S = 5.0


class Service:
    """A line-based service on a loopback TCP port, standing in for a database or an API the agents call.

    ``refuse()`` closes the listener, so new connections fail with a genuine ``ConnectionRefusedError``;
    ``stall()`` keeps accepting but never answers, so callers time out."""

    def __init__(self, name: str, host: str = "127.0.0.1") -> None:
        self.name = name
        self.host = host
        self.port = 0
        self._server: asyncio.Server | None = None
        self._answering = True

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    async def start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._serve, self.host, self.port, reuse_address=True)
            self.port = self._server.sockets[0].getsockname()[1]
        self._answering = True

    async def refuse(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    def stall(self) -> None:
        self._answering = False

    async def close(self) -> None:
        await self.refuse()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            if not self._answering:
                await reader.read()  # never answer: hold the connection until the caller gives up
                return
            writer.write(f"{sum(line) % 97} {self.name}\n".encode())
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def call(self, text: str, timeout_s: float = 2.0) -> str:
        """One request: connect, send a line, read the answer line (raises what the network raises)."""
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(text.replace("\n", " ").encode() + b"\n")
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), timeout_s)
            return line.decode().strip()
        finally:
            writer.close()


@dataclass
class Fault:
    """One fault an application can turn on: which agent type it hits and how it starts and stops."""

    name: str
    agent_type: str
    start: Callable[[], Awaitable[None]]
    stop: Callable[[], Awaitable[None]]


class FaultSwitch:
    """The application's ``FaultController`` (the bridge's hook for ``/v1/faults``)."""

    def __init__(self, faults: Sequence[Fault] = ()) -> None:
        self._faults = {f.name: f for f in faults}
        self._active: dict[str, FaultInfo] = {}

    @property
    def known_faults(self) -> Sequence[str]:
        return sorted(self._faults)

    def active(self) -> list[FaultInfo]:
        return list(self._active.values())

    async def inject(self, fault: str, agent_type: str, params: dict[str, Any]) -> FaultInfo:
        spec = self._faults.get(fault)
        if spec is None:
            raise BridgeError("UNKNOWN_FAULT", 422, f"unknown fault '{fault}'; known: {', '.join(self.known_faults)}",
                              {"fault": fault, "known": list(self.known_faults)})
        if agent_type != spec.agent_type:
            raise BridgeError("AGENT_NOT_FOUND", 404, f"fault '{fault}' hits {spec.agent_type}, not {agent_type}",
                              {"agent_type": agent_type})
        if fault not in self._active:
            await spec.start()
            since = datetime.now(timezone.utc).isoformat()
            self._active[fault] = FaultInfo(fault=fault, agent_type=agent_type, params=params, since=since)
            logger.warning("fault on: %s (%s)", fault, agent_type)
        return self._active[fault]

    async def clear(self, fault: str | None) -> list[FaultInfo]:
        names = [n for n in self._active if fault is None or n == fault]
        stopped = []
        for name in names:
            await self._faults[name].stop()
            stopped.append(self._active.pop(name))
        return stopped


class FaultApp:
    """One application: its agents, its services, its faults and one unit of its traffic."""

    rate: float = 10.0
    """Units of traffic started per second."""
    max_outstanding: int = 200
    """Units in progress at once (1 for a team, which runs one task at a time)."""

    def __init__(self) -> None:
        self.switch = FaultSwitch()

    async def start_services(self) -> None:
        """Start what the agents depend on (before the agents are registered)."""

    async def register(self, runtime: SingleThreadedAgentRuntime) -> None:
        """Register the agent types (or build the team on this runtime)."""
        raise NotImplementedError

    def configure(self, bridge: Bridge) -> None:
        """Declare dependencies, features, caches on the bridge (optional, as in a real application)."""

    async def request(self, runtime: SingleThreadedAgentRuntime, seq: int) -> None:
        """One unit of traffic; raising is fine (the caller sees a failure, the bridge records it)."""
        raise NotImplementedError

    async def stop_services(self) -> None:
        """Stop what ``start_services`` started."""


@dataclass
class RunOptions:
    host: str
    port: int
    token: str
    name: str
    rate: float | None
    recent_window_s: float


class _Traffic:
    def __init__(self, app: FaultApp, runtime: SingleThreadedAgentRuntime, rate: float) -> None:
        self._app = app
        self._runtime = runtime
        self._rate = rate
        self.outstanding: set[asyncio.Task[None]] = set()
        self.failed = 0

    async def run(self) -> None:
        interval = 1.0 / self._rate
        next_at = time.monotonic()
        for seq in itertools.count(1):
            # A client that fell behind (the process was not scheduled) does not burst to catch up.
            next_at = max(next_at + interval, time.monotonic())
            if len(self.outstanding) < self._app.max_outstanding:
                task = asyncio.get_running_loop().create_task(self._one(seq))
                self.outstanding.add(task)
                task.add_done_callback(self.outstanding.discard)
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def _one(self, seq: int) -> None:
        try:
            await self._app.request(self._runtime, seq)
        except Exception:  # noqa: BLE001 - the application's client sees a failure; the bridge records it
            self.failed += 1


async def _stop_runtime(runtime: SingleThreadedAgentRuntime) -> None:
    deadline = time.monotonic() + IDLE_TIMEOUT_S
    # autogen-core offers no idle event; stop_when_idle() would wait on stalled calls forever.
    while unfinished_messages(runtime) > 0 and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    if unfinished_messages(runtime) == 0:
        await runtime.stop_when_idle()
    else:
        await runtime.stop()


async def serve(app: FaultApp, options: RunOptions) -> int:
    runtime = SingleThreadedAgentRuntime()
    await app.start_services()
    await app.register(runtime)
    # A bridge without the short window (before it existed) still runs the apps, for a baseline score.
    windows: dict[str, Any] = {}
    if "recent_window_s" in signature(attach).parameters:
        windows["recent_window_s"] = options.recent_window_s
    bridge = await attach(runtime, token=options.token, host=options.host, port=options.port, name=options.name,
                          faults=app.switch, **windows)
    app.configure(bridge)
    runtime.start()
    traffic = _Traffic(app, runtime, options.rate if options.rate is not None else app.rate)
    traffic_task = asyncio.get_running_loop().create_task(traffic.run(), name="traffic")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(json.dumps({"ready": True, "url": bridge.url, "pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    await stop.wait()
    traffic_task.cancel()
    await asyncio.gather(traffic_task, return_exceptions=True)
    await app.switch.clear(None)
    await bridge.prepare_stop()
    for task in list(traffic.outstanding):
        task.cancel()
    await asyncio.gather(*traffic.outstanding, return_exceptions=True)
    await _stop_runtime(runtime)
    await bridge.close()
    await app.stop_services()
    return 0
