"""``chain``: five agents in a row on bare autogen-core — Gateway -> Router -> Planner -> Retriever -> Store —
where Store reads a database ("chain-db", a real loopback TCP port). Under ``db_refuses`` the database
refuses connections: Store fails, and every agent above it fails with it (each re-raises what it got), a
five-agent cascade. Used by the alert tests of cascade grouping (one incident for the five)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from autogen_core import AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler
from autogen_ops_bridge import Bridge

from .common import Fault, FaultApp, FaultSwitch, Service

CHAIN = ("Gateway", "Router", "Planner", "Retriever", "Store")


@dataclass
class Ask:
    text: str


@dataclass
class Answer:
    text: str


class Hop(RoutedAgent):
    """Passes the question to the next agent of the chain and returns its answer."""

    def __init__(self, next_type: str) -> None:
        super().__init__(f"Asks {next_type}")
        self._next = next_type

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> Answer:
        answer = await self.send_message(message, AgentId(self._next, "default"))
        assert isinstance(answer, Answer)
        return answer


class Store(RoutedAgent):
    def __init__(self, db: Service) -> None:
        super().__init__("Reads the database")
        self._db = db

    @message_handler
    async def on_ask(self, message: Ask, ctx: MessageContext) -> Answer:
        return Answer(text=await self._db.call(f"GET {message.text}", timeout_s=1.0))


class ChainApp(FaultApp):
    rate = 6.0

    def __init__(self) -> None:
        super().__init__()
        self.db = Service("chain-db")
        self.switch = FaultSwitch([Fault("db_refuses", "Store", self.db.refuse, self.db.start)])

    async def start_services(self) -> None:
        await self.db.start()

    async def register(self, runtime: SingleThreadedAgentRuntime) -> None:
        def hop_to(next_type: str) -> Callable[[], Hop]:
            return lambda: Hop(next_type)

        for agent, nxt in zip(CHAIN, CHAIN[1:], strict=False):
            await Hop.register(runtime, agent, hop_to(nxt))
        await Store.register(runtime, "Store", lambda: Store(self.db))

    def configure(self, bridge: Bridge) -> None:
        bridge.register_dependency("chain-db", "database", self.db.url)

    async def request(self, runtime: SingleThreadedAgentRuntime, seq: int) -> None:
        await runtime.send_message(Ask(f"q{seq}"), AgentId(CHAIN[0], "default"))

    async def stop_services(self) -> None:
        await self.db.close()
