"""The gate's two ways of finishing a hop give the same counts: an RPC handed straight to the handler and
finished from autogen-core's events (the usual case, also under a runtime whose ``_process_send`` override
calls autogen-core's), and the coroutine around the handler (events the bridge does not take itself, a
direct call of ``on_message``, a publish, a control in force) —
on a real runtime, with an application that succeeds, fails and wraps, and with controls changed while
messages are in flight."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from autogen_core import (
    AgentId,
    CancellationToken,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    message_handler,
)
from conftest import wait_for

from autogen_ops_bridge import _accel, attach, collector, message_log
from autogen_ops_bridge.attach import Bridge
from autogen_ops_bridge.error_capture import SAMPLES_PER_GROUP

TOKEN = "gate-paths-token-0123456789"


@dataclass
class Job:
    n: int
    mode: str


class StoreError(RuntimeError):
    pass


class Store(RoutedAgent):
    """Answers, fails (a refused connection) or waits for the test's release."""

    release: asyncio.Event
    peeked: list[message_log.MessageRecord | None] = []

    def __init__(self) -> None:
        super().__init__("a store")

    @message_handler
    async def on_job(self, message: Job, ctx: MessageContext) -> Job:
        if message.mode == "peek":  # what the bridge's context holds for this hop, while it is handled
            Store.peeked.append(message_log.CURRENT.get())
        if message.mode == "fail":
            raise ConnectionRefusedError(111, f"connect to store-{message.n}:5432 refused")
        if message.mode == "hold":
            await Store.release.wait()
        return message


class Api(RoutedAgent):
    """Calls Store and wraps its failures (``raise ... from``)."""

    def __init__(self) -> None:
        super().__init__("an API")

    @message_handler
    async def on_job(self, message: Job, ctx: MessageContext) -> Job:
        try:
            answer = await self.send_message(message, AgentId("Store", "default"))
        except ConnectionRefusedError as exc:
            raise StoreError(f"job {message.n}: the store is down") from exc
        assert isinstance(answer, Job)
        return answer


class OverridingRuntime(SingleThreadedAgentRuntime):
    """An application's runtime that overrides how a send is processed and calls autogen-core's own: the
    handler is still called, and its end still reported, by that code (a direct call is not: see
    ``test_a_handler_called_directly_is_still_counted_and_finished``)."""

    async def _process_send(self, message_envelope: Any) -> None:
        await super()._process_send(message_envelope)


@dataclass
class App:
    runtime: SingleThreadedAgentRuntime
    bridge: Bridge
    http: httpx.AsyncClient

    async def send(self, mode: str, n: int, first: int = 0) -> list[object]:
        return await asyncio.gather(*(self.runtime.send_message(Job(i, mode), AgentId("Api", "default"))
                                      for i in range(first, first + n)), return_exceptions=True)

    async def agent(self, agent_type: str) -> dict[str, Any]:
        r = await self.http.get(f"/v1/agents/{agent_type}")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


SETUPS = ("events taken by the bridge", "events logged at INFO by the application", "runtime overrides _process_send")


@contextlib.asynccontextmanager
async def _running(setup: str) -> AsyncIterator[App]:
    events = logging.getLogger("autogen_core.events")
    level = events.level
    if setup == SETUPS[1]:
        events.setLevel(logging.INFO)  # the application listens: the bridge adds a handler beside its own
    runtime = OverridingRuntime() if setup == SETUPS[2] else SingleThreadedAgentRuntime()
    await Store.register(runtime, "Store", Store)
    await Api.register(runtime, "Api", Api)
    Store.release = asyncio.Event()
    bridge = await attach(runtime, token=TOKEN)
    assert bridge.limits.events_finish is (setup != SETUPS[1])
    runtime.start()
    assert bridge.url is not None
    try:
        async with httpx.AsyncClient(base_url=bridge.url, headers={"Authorization": f"Bearer {TOKEN}"},
                                     timeout=10) as http:
            yield App(runtime, bridge, http)
    finally:
        Store.release.set()
        await bridge.prepare_stop()
        await runtime.stop_when_idle()
        await bridge.close()
        events.setLevel(level)


@pytest.fixture(params=SETUPS)
async def app(request: pytest.FixtureRequest) -> AsyncIterator[App]:
    async with _running(request.param) as running:
        yield running


@pytest.mark.parametrize("setup", SETUPS)
async def test_counts_outcomes_and_signatures_are_the_same_whichever_way_a_hop_ends(
        setup: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # every message linked (12 a second is past the default budget): this is about how hops end, not sampling
    monkeypatch.setattr(message_log, "TRACES_PER_S", 100)
    async with _running(setup) as app:
        oks = await app.send("ok", 5)
        failures = await app.send("fail", 7, first=5)
        assert all(isinstance(r, Job) for r in oks)
        assert all(isinstance(f, StoreError) and isinstance(f.__cause__, ConnectionRefusedError) for f in failures)
        for agent_type, exception_type, text in (("Api", "StoreError", "the store is down"),
                                                 ("Store", "ConnectionRefusedError", ":5432 refused")):
            detail = await app.agent(agent_type)
            assert (detail["handled_total"], detail["errors_total"], detail["inflight"]) == (12, 7, 0), detail
            assert detail["latency_ms"]["count"] == 12
            groups = [(g["exception_type"], g["count"]) for g in detail["error_groups"]]
            assert groups == [(exception_type, 7)]  # one signature: the bridge's own frames never split it
            assert text in detail["last_error"]["message"]
        r = await app.http.get("/v1/messages", params={"limit": 100})
        hops = [h for h in r.json()["messages"] if h["recipient"] in ("Api/default", "Store/default")]
        assert len(hops) == 24 and not [h for h in hops if h["outcome"] not in ("ok", "error")]
        assert sum(h["outcome"] == "error" for h in hops) == 14
        assert all(h["finished_at"] and h["duration_ms"] is not None for h in hops)
        assert all(("refused" if h["recipient"] == "Store/default" else "the store is down") in h["error"]
                   for h in hops if h["outcome"] == "error")
        # the gate's frame is in a failure's traceback only where the gate waited on the handler
        frames = [f.filename for f in traceback.extract_tb(failures[0].__traceback__)]  # type: ignore[union-attr]
        assert any(f.endswith("gate.py") for f in frames) is (not app.bridge.limits.events_finish)
        errors = (await app.http.get("/v1/logs", params={"level": "ERROR", "agent": "Store", "limit": 100})).json()
        # a signature's first errors are kept, later ones a few per second: every error is counted by a kept one
        assert SAMPLES_PER_GROUP <= len(errors["records"]) <= 7 and sum(r["count"] for r in errors["records"]) == 7
        assert all(r["exception_type"] == "ConnectionRefusedError" for r in errors["records"])


@pytest.mark.parametrize("setup", SETUPS)
async def test_past_the_trace_budget_every_hop_is_still_counted_and_finished(
        setup: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # no message linked (the steady state of a storm): each delivery's record is made by the gate's entry
    # (in C where it is built) and lives while it is handled
    monkeypatch.setattr(message_log, "TRACES_PER_S", 0)
    monkeypatch.setattr(collector, "ROUTINE_PER_S", 0)
    async with _running(setup) as app:
        oks = await app.send("ok", 5)
        failures = await app.send("fail", 7, first=5)
        assert all(isinstance(r, Job) for r in oks) and all(isinstance(f, StoreError) for f in failures)
        for agent_type, exception_type in (("Api", "StoreError"), ("Store", "ConnectionRefusedError")):
            detail = await app.agent(agent_type)
            assert (detail["handled_total"], detail["errors_total"], detail["inflight"]) == (12, 7, 0), detail
            assert detail["latency_ms"]["count"] == 12 and detail["message_types"] == ["Job"]
            assert [(g["exception_type"], g["count"]) for g in detail["error_groups"]] == [(exception_type, 7)]
            gate = app.bridge.gates[agent_type]
            assert gate.limiter.inflight == 0 and gate.stats.peak_inflight >= 1
        r = await app.http.get("/v1/messages", params={"limit": 100})
        assert r.json()["messages"] == []  # counted, not linked: no record kept


@pytest.mark.parametrize("setup", SETUPS)
async def test_a_storm_of_one_signature_is_counted_error_by_error_and_sampled_by_its_first_errors(
        setup: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # the steady state of a storm: nothing linked, one signature per agent type; the same group state on every
    # set-up and on both paths (C and Python)
    monkeypatch.setattr(message_log, "TRACES_PER_S", 0)
    monkeypatch.setattr(collector, "ROUTINE_PER_S", 0)
    n = 40
    async with _running(setup) as app:
        failures = await app.send("fail", n)
        assert all(isinstance(f, StoreError) for f in failures)
        for agent_type, exception_type in (("Api", "StoreError"), ("Store", "ConnectionRefusedError")):
            [group] = app.bridge.gates[agent_type].errors.groups.values()
            assert (group.exception_type, group.count, group.first_left) == (exception_type, n, 0)
            # the signature's first errors sampled, later ones only counted (a message not linked is not)
            assert len(group.samples) == SAMPLES_PER_GROUP and not group.last_sampled and not group.outline_only
            assert group.agent_key == "default" and group.message_type == "Job" and group.message_id
            assert group.last_at >= group.samples[-1].ts
        store = app.bridge.gates["Store"].errors.latest()
        assert store is not None and re.fullmatch(r"\[Errno 111\] connect to store-\d+:5432 refused", store.message)
        detail = await app.agent("Store")
        assert [(g["exception_type"], g["count"]) for g in detail["error_groups"]] == [("ConnectionRefusedError", n)]
        assert detail["last_error"]["message"] == store.message
        # every send counted once as not linked: the test's to Api, and Api's to Store from an unlinked hop
        assert app.bridge.log.unlinked == 2 * n


@pytest.mark.parametrize("setup", SETUPS)
async def test_an_unlinked_hop_s_record_made_in_c_stays_out_of_the_garbage_collector(
        setup: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # the C entry's record of an unlinked hop holds strings, numbers and its gate (nothing leads back to it):
    # it is freed by reference counting, and young collections under a storm need not walk it
    monkeypatch.setattr(message_log, "TRACES_PER_S", 0)
    Store.peeked = []
    async with _running(setup) as app:
        assert all(isinstance(r, Job) for r in await app.send("peek", 3))
        in_c = _accel.speedups is not None and app.bridge.limits.events_finish
        assert len(Store.peeked) == 3
        for record in Store.peeked:
            assert record is not None and not record.linked and record.recipient == "Store/default"
            assert gc.is_tracked(record) is (not in_c)
            assert record.gate is None and record.outcome == "ok"  # finished: no reference to its gate left


async def test_a_limit_set_while_messages_are_in_flight_is_honoured_and_released(app: App) -> None:
    held = asyncio.gather(*(app.runtime.send_message(Job(i, "hold"), AgentId("Store", "default"))
                            for i in range(2)))
    store = app.bridge.gates["Store"]
    await wait_for(lambda: _now(store.stats.inflight == 2))
    store.set_backpressure(1, 30.0)  # both in flight went in before the limit
    late = asyncio.ensure_future(app.runtime.send_message(Job(2, "ok"), AgentId("Store", "default")))
    await wait_for(lambda: _now(store.limiter.waiting == 1))  # the third waits for a slot
    Store.release.set()
    assert [j.n for j in await held] == [0, 1]
    assert (await late).n == 2
    detail = await app.agent("Store")
    assert (detail["handled_total"], detail["errors_total"], detail["inflight"]) == (3, 0, 0)
    assert store.limiter.inflight == 0 and not store.limiter.waiters


async def test_isolation_set_while_a_message_is_in_flight_refuses_only_the_next_one(app: App) -> None:
    held = asyncio.ensure_future(app.runtime.send_message(Job(0, "hold"), AgentId("Store", "default")))
    await wait_for(lambda: _now("Store" in app.bridge.gates and app.bridge.gates["Store"].stats.inflight == 1))
    r = await app.http.post("/v1/actions/isolate", json={"agent_type": "Store", "reason": "test"})
    assert r.status_code == 200, r.text
    with pytest.raises(Exception, match="is isolated"):
        await app.runtime.send_message(Job(1, "ok"), AgentId("Store", "default"))
    Store.release.set()
    assert (await held).n == 0  # the one already in flight finished as it would have
    detail = await app.agent("Store")
    assert (detail["inflight"], detail["handled_total"], detail["errors_total"]) == (0, 1, 0), detail
    assert detail["refused_total"] == 1


async def _now(value: bool) -> bool:
    return value


async def test_a_handler_called_directly_is_still_counted_and_finished(app: App) -> None:
    await app.send("ok", 1)  # Store exists
    store = await app.runtime.try_get_underlying_agent_instance(AgentId("Store", "default"), Store)
    ctx = MessageContext(sender=None, topic_id=None, is_rpc=True, cancellation_token=CancellationToken(),
                         message_id="direct-1")
    answer = await store.on_message(Job(7, "ok"), ctx)  # no runtime in between: no event will report its end
    assert isinstance(answer, Job) and answer.n == 7
    with pytest.raises(ConnectionRefusedError):
        await store.on_message(Job(8, "fail"), MessageContext(sender=None, topic_id=None, is_rpc=True,
                                                            cancellation_token=CancellationToken(),
                                                            message_id="direct-2"))
    detail = await app.agent("Store")
    assert (detail["handled_total"], detail["errors_total"], detail["inflight"]) == (3, 1, 0), detail
    assert app.bridge.gates["Store"].limiter.inflight == 0



async def test_a_fault_in_settling_a_hop_never_costs_the_sender_its_answer(
        app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for gate in app.bridge.gates.values():  # a bug in the bridge: every way of ending a hop (in Python or C) fails
        monkeypatch.setattr(gate.stats, "ended", None)
    with caplog.at_level(logging.ERROR, logger="autogen_ops_bridge"):
        async with asyncio.timeout(10):  # a lost answer never comes
            [ok] = await app.send("ok", 1)
            [failed] = await app.send("fail", 1, first=1)
    assert isinstance(ok, Job) and isinstance(failed, StoreError)  # both answers arrived, as without the bridge
    unsettled = [r for r in caplog.records if "could not settle the end of message" in r.getMessage()]
    assert len(unsettled) >= 2 and all(r.exc_info for r in unsettled)  # each hop's failure, with what went wrong
