"""Under load the bridge keeps a sample of its records and counts the rest: whole traces are linked for the
first messages of each second, log records past a budget are counted by the kept record before them, and
every figure a reader adds up from the kept records is still the exact count."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from autogen_core import AgentId, MessageContext, RoutedAgent, SingleThreadedAgentRuntime, message_handler
from conftest import served

from autogen_ops_bridge import collector, message_log
from autogen_ops_bridge.attach import Bridge
from autogen_ops_bridge.error_capture import SAMPLES_PER_GROUP
from autogen_ops_bridge.message_log import CURRENT, MessageLog
from autogen_ops_bridge.sampling import Budget, ReceiverBudget, stands_for

TOKEN = "sampling-test-token-0123456789"
T0 = 1_700_000_000.0


# --- the budget and what a kept record stands for ----------------------------------------------------------
def test_a_budget_keeps_the_first_events_of_each_key_in_each_second_and_counts_them_all() -> None:
    budget = Budget(2)
    kept = [budget.admit(key, T0 + 0.1 * i) for i, key in enumerate("aaaab")]
    assert kept == [1, 2, 0, 0, 1]  # ordinals of the kept ones; "b" has a budget of its own
    assert budget.admit("a", T0 + 1.0) == 5  # a new second opens the budget again; the count ran on
    assert budget.totals == {"a": 5, "b": 1}


def test_a_receiver_budget_is_per_agent_type_and_counts_a_spent_type_by_receiver_exactly() -> None:
    budget = ReceiverBudget(2)
    receivers = ["A/1", "A/2", "A/1", "A/1", "B/1", "A/3"]
    admitted = [budget.admit(r, T0 + 0.1 * i) for i, r in enumerate(receivers)]
    # A's third event closes A/1 for the second; its fourth takes the cheap path (counted by receiver)
    assert admitted == [("A", 1), ("A", 2), ("A", 0), ("", 0), ("B", 1), ("A", 0)]
    assert budget.pending == {"A/1": 1} and budget.totals() == {"A": 5, "B": 1} and not budget.pending
    assert budget.admit("A/1", T0 + 1.0) == ("A", 6)  # a new second opens the budget again; the count ran on


@pytest.mark.parametrize(("kept", "totals", "counts"), [
    ([("a", 1), ("a", 2), ("a", 5)], {"a": 9}, [1, 3, 5]),  # 2 stands for 3, 4; 5 for 6..9
    ([("a", 1), ("b", 1), ("a", 4)], {"a": 4, "b": 3}, [3, 3, 1]),  # keys interleave
    ([("a", 0), ("a", 3)], {"a": 3}, [1, 1]),  # no ordinal: stands for itself
    ([("gone", 7)], {}, [1]),  # its total is no longer known: itself
    ([], {"a": 3}, []),
])
def test_each_kept_record_stands_for_itself_and_the_unkept_ones_after_it(
        kept: list[tuple[str, int]], totals: dict[str, int], counts: list[int]) -> None:
    assert stands_for(kept, totals) == counts


# --- the message log, without a runtime ---------------------------------------------------------------------
def test_messages_past_the_budget_are_counted_not_stored_and_their_children_follow_their_root() -> None:
    log = MessageLog(traces_per_s=1)
    linked = log.sent("m1", None, "Front/default", object(), "send")
    assert linked is not None and linked.linked
    assert log.sent("m2", None, "Front/default", object(), "send") is None  # past the budget: counted only
    # its delivery is a record of its own, never stored, with no trace to point to
    root = log.delivery("m2", None, "Front/default", object(), True)
    assert not root.linked and (root.parent_id, root.trace_id) == (None, None)
    token = CURRENT.set(root)
    try:  # what it sends is not linked either
        assert log.sent("m3", "Front/default", "Back/default", object(), "send") is None
        assert log.sent("m4", "Front/default", "events/default", object(), "publish") is None
    finally:
        CURRENT.reset(token)
    child = log.delivery("m3", "Front/default", "Back/default", object(), True)
    deliveries = [log.delivery("m4", "Front/default", f"{t}/default", object(), False) for t in ("A", "B")]
    assert [d.linked for d in (child, *deliveries)] == [False] * 3 and deliveries[0] is not deliveries[1]
    assert child.trace_id is None and child.sender == "Front/default"
    assert [h.message_id for h in log.recent(10)] == ["m1"] and log.trace("m2") is None
    assert log.unlinked_since(0.0) == 3


# --- on a real runtime ----------------------------------------------------------------------------------------
@dataclass
class Order:
    n: int


class Front(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("front")

    @message_handler
    async def on_order(self, message: Order, ctx: MessageContext) -> Order:
        try:
            return await self.send_message(message, AgentId("Stock", "default"))  # type: ignore[no-any-return]
        except ConnectionError as exc:
            raise RuntimeError("could not place the order") from exc


class Stock(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("stock")

    @message_handler
    async def on_order(self, message: Order, ctx: MessageContext) -> Order:
        raise ConnectionRefusedError(111, f"stock db refused order {message.n}")


@dataclass
class App:
    runtime: SingleThreadedAgentRuntime
    bridge: Bridge
    http: httpx.AsyncClient

    async def get(self, path: str, **params: Any) -> Any:
        r = await self.http.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
async def app(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    monkeypatch.setattr(message_log, "TRACES_PER_S", SAMPLES_PER_GROUP + 3)  # a signature's first errors: linked
    monkeypatch.setattr(collector, "ROUTINE_PER_S", 4)
    runtime = SingleThreadedAgentRuntime(ignore_unhandled_exceptions=True)
    await Front.register(runtime, "Front", Front)
    await Stock.register(runtime, "Stock", Stock)
    async with served(runtime, TOKEN, name="sampled") as (bridge, http):
        yield App(runtime, bridge, http)


async def test_a_storm_keeps_whole_traces_for_a_sample_and_exact_counts_for_all(app: App) -> None:
    n = 40
    replies = await asyncio.gather(*(app.runtime.send_message(Order(i), AgentId("Front", "default"))
                                     for i in range(n)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) and isinstance(r.__cause__, ConnectionRefusedError) for r in replies)

    front, stock = await app.get("/v1/agents/Front"), await app.get("/v1/agents/Stock")
    assert (front["errors_total"], stock["errors_total"]) == (n, n)  # counters: every message
    scope = front["message_graph"]
    linked = [h for h in (await app.get("/v1/messages", limit=1000))["messages"]]
    roots = [h for h in linked if h["recipient"] == "Front/default"]
    # a linked trace is whole: each linked failure of Front has its failed call to Stock beneath it
    assert SAMPLES_PER_GROUP + 3 <= len(roots) < n and len(linked) == 2 * len(roots) == scope["messages"]
    assert scope["unlinked"] == 2 * (n - len(roots))  # the rest counted: the sample says what it is out of
    [cascade] = front["failed_calls"]
    assert cascade["path"] == ["Front", "Stock"] and cascade["count"] == scope["failures"] == len(roots)

    # the log: a sample of records, each saying how many errors it stands for; every one traceable
    for agent_type in ("Front", "Stock"):
        records = (await app.get("/v1/logs", level="ERROR", agent=agent_type, limit=1000))["records"]
        assert len(records) < n and sum(r["count"] for r in records) == n, agent_type
        for r in records:  # (sampled: a signature's first errors, then a few per second of linked ones)
            trace = await app.get(f"/v1/trace/{r['trace_id']}")
            assert {h["recipient"] for h in trace["hops"]} == {"Front/default", "Stock/default"}
    deliveries = [r for r in (await app.get("/v1/logs", agent="Stock", limit=1000))["records"]
                  if r["event"] == "MessageEvent" and r["agent_type"] == "Stock"]
    assert len(deliveries) < n and sum(r["count"] for r in deliveries) == n  # routine events: the same
