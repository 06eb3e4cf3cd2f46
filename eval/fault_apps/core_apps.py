"""Applications on bare autogen-core (``RoutedAgent`` + ``send_message``), one per shape of the fault matrix.

- ``orders-reraise`` / ``orders-wrap`` / ``orders-opaque``: OrderDesk asks PriceOracle and StockKeeper; the
  StockKeeper's database ("orders-db", a real loopback TCP port) refuses connections under ``db_refuses``.
  OrderDesk re-raises the ``ConnectionRefusedError`` as is, wraps it (``raise RuntimeError(...) from exc``),
  or replaces it with a generic error without cause or agent name. Without the fault: a healthy app.
- ``travel``: Concierge -> Itinerary -> FareFinder; FareFinder's fares API stops answering under
  ``fares_timeout`` and its call times out (``TimeoutError`` with an empty message, as ``wait_for`` raises it).
- ``slow``: Summarizer and Translator take requests directly; under ``slow`` Summarizer needs 3 s a message.
- ``leak``: Frontline hands each conversation to SessionStore; under ``leak`` its session cache stops
  evicting, so memory grows steadily.
- ``storm``: Dispatcher asks Notifier and Archiver; under ``storm`` every Notifier message fails (a template
  error) while Dispatcher tolerates it and answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass

from autogen_core import AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler
from autogen_ops_bridge import Bridge

from .common import Fault, FaultApp, FaultSwitch, Service

logger = logging.getLogger("fault_apps")


# --- orders: OrderDesk -> PriceOracle, StockKeeper -> orders-db -------------------------------------------

@dataclass
class OrderRequest:
    sku: str
    quantity: int


@dataclass
class OrderAnswer:
    text: str


@dataclass
class PriceQuery:
    sku: str


@dataclass
class Price:
    cents: int


@dataclass
class StockQuery:
    sku: str


@dataclass
class StockLevel:
    units: int


class PriceOracle(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("Prices an item")

    @message_handler
    async def on_price(self, message: PriceQuery, ctx: MessageContext) -> Price:
        return Price(cents=int(hashlib.sha256(message.sku.encode()).hexdigest()[:4], 16))


class StockKeeper(RoutedAgent):
    def __init__(self, db: Service) -> None:
        super().__init__("Looks up stock in the orders database")
        self._db = db

    @message_handler
    async def on_stock(self, message: StockQuery, ctx: MessageContext) -> StockLevel:
        answer = await self._db.call(f"SELECT units FROM stock WHERE sku = '{message.sku}'")
        return StockLevel(units=int(answer.split()[0]))


class OrderDesk(RoutedAgent):
    """The front agent; ``style`` is how it passes a downstream failure on to its caller."""

    def __init__(self, style: str) -> None:
        super().__init__("Answers order questions")
        self._style = style

    async def _ask(self, message: OrderRequest) -> OrderAnswer:
        price = await self.send_message(PriceQuery(message.sku), AgentId("PriceOracle", "default"))
        stock = await self.send_message(StockQuery(message.sku), AgentId("StockKeeper", "default"))
        return OrderAnswer(text=f"{message.sku}: {stock.units} in stock at {price.cents / 100:.2f}")

    @message_handler
    async def on_order(self, message: OrderRequest, ctx: MessageContext) -> OrderAnswer:
        if self._style == "wrap":
            try:
                return await self._ask(message)
            except Exception as exc:
                raise RuntimeError("could not answer order") from exc
        if self._style == "opaque":
            try:
                return await self._ask(message)
            except Exception:
                raise RuntimeError("request failed, please try again later") from None
        try:
            return await self._ask(message)
        except Exception:
            logger.debug("order %s failed", message.sku)
            raise


class OrdersApp(FaultApp):
    def __init__(self, style: str) -> None:
        super().__init__()
        self.style = style
        self.db = Service("orders-db")
        self.switch = FaultSwitch([Fault("db_refuses", "StockKeeper", self.db.refuse, self.db.start)])

    async def start_services(self) -> None:
        await self.db.start()

    async def register(self, runtime: SingleThreadedAgentRuntime) -> None:
        await OrderDesk.register(runtime, "OrderDesk", lambda: OrderDesk(self.style))
        await PriceOracle.register(runtime, "PriceOracle", PriceOracle)
        await StockKeeper.register(runtime, "StockKeeper", lambda: StockKeeper(self.db))

    def configure(self, bridge: Bridge) -> None:
        bridge.register_dependency("orders-db", "database", self.db.url)

    async def request(self, runtime: SingleThreadedAgentRuntime, seq: int) -> None:
        await runtime.send_message(OrderRequest(sku=f"SKU-{seq % 50}", quantity=1), AgentId("OrderDesk", "default"))

    async def stop_services(self) -> None:
        await self.db.close()


# --- travel: Concierge -> Itinerary -> FareFinder -> fares-api ------------------------------------------

@dataclass
class TripRequest:
    destination: str


@dataclass
class ItineraryRequest:
    destination: str


@dataclass
class FareQuery:
    destination: str


@dataclass
class Fare:
    euros: int


@dataclass
class TripAnswer:
    text: str


FARES_TIMEOUT_S = 0.5


class FareFinder(RoutedAgent):
    def __init__(self, api: Service) -> None:
        super().__init__("Finds fares")
        self._api = api

    @message_handler
    async def on_fare(self, message: FareQuery, ctx: MessageContext) -> Fare:
        answer = await self._api.call(f"GET /fares?to={message.destination}", timeout_s=FARES_TIMEOUT_S)
        return Fare(euros=int(answer.split()[0]))


class Itinerary(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("Plans an itinerary")

    @message_handler
    async def on_itinerary(self, message: ItineraryRequest, ctx: MessageContext) -> TripAnswer:
        try:
            fare = await self.send_message(FareQuery(message.destination), AgentId("FareFinder", "default"))
        except Exception:
            logger.debug("no fare for %s", message.destination)
            raise
        return TripAnswer(text=f"{message.destination} from {fare.euros} EUR")


class Concierge(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("Answers travellers")

    @message_handler
    async def on_trip(self, message: TripRequest, ctx: MessageContext) -> TripAnswer:
        answer = await self.send_message(ItineraryRequest(message.destination), AgentId("Itinerary", "default"))
        assert isinstance(answer, TripAnswer)
        return answer


class TravelApp(FaultApp):
    rate = 8.0

    def __init__(self) -> None:
        super().__init__()
        self.api = Service("fares-api")

        async def stall() -> None:
            self.api.stall()

        self.switch = FaultSwitch([Fault("fares_timeout", "FareFinder", stall, self.api.start)])

    async def start_services(self) -> None:
        await self.api.start()

    async def register(self, runtime: SingleThreadedAgentRuntime) -> None:
        await Concierge.register(runtime, "Concierge", Concierge)
        await Itinerary.register(runtime, "Itinerary", Itinerary)
        await FareFinder.register(runtime, "FareFinder", lambda: FareFinder(self.api))

    def configure(self, bridge: Bridge) -> None:
        bridge.register_dependency("fares-api", "external", self.api.url)

    async def request(self, runtime: SingleThreadedAgentRuntime, seq: int) -> None:
        destinations = ("Lisbon", "Oslo", "Kyoto", "Quito")
        await runtime.send_message(TripRequest(destinations[seq % len(destinations)]), AgentId("Concierge", "default"))

    async def stop_services(self) -> None:
        await self.api.close()


# --- slow: Summarizer and Translator, each called directly -----------------------------------------------

@dataclass
class TextJob:
    text: str


@dataclass
class TextResult:
    text: str


class Worker(RoutedAgent):
    """A handler whose work takes ``delay_s`` (a model or API call, in a real application)."""

    def __init__(self, description: str, delay: list[float]) -> None:
        super().__init__(description)
        self._delay = delay

    @message_handler
    async def on_job(self, message: TextJob, ctx: MessageContext) -> TextResult:
        await asyncio.sleep(self._delay[0])
        return TextResult(text=message.text[::-1])


class SlowApp(FaultApp):
    rate = 10.0
    NORMAL_S = 0.005
    SLOW_S = 3.0

    def __init__(self) -> None:
        super().__init__()
        self.summarizer_delay = [self.NORMAL_S]

        async def slow() -> None:
            self.summarizer_delay[0] = self.SLOW_S

        async def normal() -> None:
            self.summarizer_delay[0] = self.NORMAL_S

        self.switch = FaultSwitch([Fault("slow", "Summarizer", slow, normal)])

    async def register(self, runtime: SingleThreadedAgentRuntime) -> None:
        await Worker.register(runtime, "Summarizer", lambda: Worker("Summarizes", self.summarizer_delay))
        await Worker.register(runtime, "Translator", lambda: Worker("Translates", [self.NORMAL_S]))

    async def request(self, runtime: SingleThreadedAgentRuntime, seq: int) -> None:
        job = TextJob(text=f"report {seq}")
        await asyncio.gather(runtime.send_message(job, AgentId("Summarizer", "default")),
                             runtime.send_message(job, AgentId("Translator", "default")))


# --- leak: Frontline -> SessionStore, whose cache stops evicting ------------------------------------------

@dataclass
class Conversation:
    session: str
    transcript: str


@dataclass
class Remembered:
    sessions: int


SESSION_BYTES = 64 * 1024
MAX_SESSIONS = 100


class SessionStore(RoutedAgent):
    def __init__(self, evicting: list[bool]) -> None:
        super().__init__("Keeps conversation sessions")
        self._sessions: OrderedDict[str, bytes] = OrderedDict()
        self._evicting = evicting

    @message_handler
    async def on_conversation(self, message: Conversation, ctx: MessageContext) -> Remembered:
        # A session's context (history, embeddings) is tens of kilobytes in a real assistant.
        self._sessions[message.session] = message.transcript.encode() * (SESSION_BYTES // 64)
        while self._evicting[0] and len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return Remembered(sessions=len(self._sessions))


class Frontline(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("Talks to users")

    @message_handler
    async def on_conversation(self, message: Conversation, ctx: MessageContext) -> Remembered:
        result = await self.send_message(message, AgentId("SessionStore", "default"))
        assert isinstance(result, Remembered)
        return result


class LeakApp(FaultApp):
    rate = 20.0

    def __init__(self) -> None:
        super().__init__()
        self.evicting = [True]

        async def leak() -> None:
            self.evicting[0] = False

        async def evict() -> None:
            self.evicting[0] = True

        self.switch = FaultSwitch([Fault("leak", "SessionStore", leak, evict)])

    async def register(self, runtime: SingleThreadedAgentRuntime) -> None:
        await Frontline.register(runtime, "Frontline", Frontline)
        await SessionStore.register(runtime, "SessionStore", lambda: SessionStore(self.evicting))

    async def request(self, runtime: SingleThreadedAgentRuntime, seq: int) -> None:
        transcript = f"user {seq}: where is my parcel?".ljust(64, ".")[:64]
        await runtime.send_message(Conversation(session=f"s-{seq}", transcript=transcript),
                                   AgentId("Frontline", "default"))


# --- storm: Dispatcher -> Notifier (fails, tolerated), Archiver --------------------------------------------

@dataclass
class Shipment:
    order: str


@dataclass
class Notify:
    order: str
    template: str


@dataclass
class Archive:
    order: str


@dataclass
class Done:
    notified: bool


class TemplateError(ValueError):
    """A notification template cannot be rendered for this input."""


class Notifier(RoutedAgent):
    def __init__(self, broken: list[bool]) -> None:
        super().__init__("Sends shipment notifications")
        self._broken = broken

    @message_handler
    async def on_notify(self, message: Notify, ctx: MessageContext) -> Done:
        fields = {"order": message.order} if self._broken[0] else {"order": message.order, "tracking_url": "…"}
        if "tracking_url" not in fields:
            raise TemplateError(f"template '{message.template}' needs field 'tracking_url' for order {message.order}")
        return Done(notified=True)


class Archiver(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("Archives shipments")

    @message_handler
    async def on_archive(self, message: Archive, ctx: MessageContext) -> Done:
        return Done(notified=False)


class Dispatcher(RoutedAgent):
    """Notifications are best effort: a failed one is logged and the shipment goes on."""

    def __init__(self) -> None:
        super().__init__("Dispatches shipments")

    @message_handler
    async def on_shipment(self, message: Shipment, ctx: MessageContext) -> Done:
        await self.send_message(Archive(message.order), AgentId("Archiver", "default"))
        try:
            await self.send_message(Notify(message.order, "order_shipped"), AgentId("Notifier", "default"))
        except TemplateError:
            logger.debug("notification for %s skipped", message.order)
            return Done(notified=False)
        return Done(notified=True)


class StormApp(FaultApp):
    rate = 15.0

    def __init__(self) -> None:
        super().__init__()
        self.broken = [False]

        async def storm() -> None:
            self.broken[0] = True

        async def calm() -> None:
            self.broken[0] = False

        self.switch = FaultSwitch([Fault("storm", "Notifier", storm, calm)])

    async def register(self, runtime: SingleThreadedAgentRuntime) -> None:
        await Dispatcher.register(runtime, "Dispatcher", Dispatcher)
        await Notifier.register(runtime, "Notifier", lambda: Notifier(self.broken))
        await Archiver.register(runtime, "Archiver", Archiver)

    async def request(self, runtime: SingleThreadedAgentRuntime, seq: int) -> None:
        await runtime.send_message(Shipment(order=f"O-{seq}"), AgentId("Dispatcher", "default"))
