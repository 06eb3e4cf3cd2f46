"""An error storm stays light: every count exact, one formatted traceback per signature, sampled records,
distinct signatures kept apart, chained causes in the stored traceback, buffers bounded by bytes, and the
API's error groups — on a real runtime with the bridge attached, and on the capture itself with the clock
passed in."""

from __future__ import annotations

import asyncio
import copy
import gc
import sys
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from autogen_core import (
    AgentId,
    DefaultTopicId,
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    default_subscription,
    message_handler,
)
from autogen_core.logging import MessageHandlerExceptionEvent
from conftest import FleetHandle, served

from autogen_ops_bridge import attach, error_capture
from autogen_ops_bridge.attach import Bridge
from autogen_ops_bridge.collector import EventCollector
from autogen_ops_bridge.error_capture import (
    EVICTED_NOTE,
    MAX_TRACEBACK_CHARS,
    SAMPLES_PER_GROUP,
    ErrorCapture,
    signature_key,
)
from autogen_ops_bridge.stats import LatencyRing

TOKEN = "storm-test-token-0123456789"


# --- a small application: Front wraps what Backend raises -------------------------------------------
@dataclass
class Work:
    n: int
    mode: str


class ServiceError(RuntimeError):
    """Front's error: wraps Backend's (``raise ... from exc``)."""


class Backend(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("fails in several ways")

    @message_handler
    async def on_work(self, message: Work, ctx: MessageContext) -> Work:
        if message.mode == "refused":
            raise ConnectionRefusedError(111, f"connect to db-{message.n % 7}:5432 refused")
        if message.mode == "timeout":
            raise TimeoutError(f"db query {message.n} timed out")
        if message.mode == "other_line":
            raise ConnectionRefusedError(111, "connect to cache:6379 refused")
        return message


class Front(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("calls Backend and wraps its failures")

    @message_handler
    async def on_work(self, message: Work, ctx: MessageContext) -> Work:
        try:
            result = await self.send_message(message, AgentId("Backend", "default"))
        except Exception as exc:
            raise ServiceError(f"request {message.n} failed: {type(exc).__name__}: {exc}") from exc
        assert isinstance(result, Work)
        return result


@dataclass
class App:
    runtime: SingleThreadedAgentRuntime
    bridge: Bridge
    http: httpx.AsyncClient

    async def send(self, mode: str, n: int) -> list[object]:
        """``n`` requests of one mode at once; the exceptions they raised (or replies)."""
        return await asyncio.gather(*(self.runtime.send_message(Work(i, mode), AgentId("Front", "default"))
                                      for i in range(n)), return_exceptions=True)

    async def get(self, path: str, **params: object) -> dict[str, object]:
        r = await self.http.get(path, params=params)
        assert r.status_code == 200, r.text
        body: dict[str, object] = r.json()
        return body


@pytest.fixture
async def app() -> AsyncIterator[App]:
    runtime = SingleThreadedAgentRuntime()
    await Backend.register(runtime, "Backend", Backend)
    await Front.register(runtime, "Front", Front)
    async with served(runtime, TOKEN) as (bridge, http):
        yield App(runtime, bridge, http)


# --- on a real runtime ----------------------------------------------------------------------------------
async def test_a_storm_is_counted_exactly_and_each_signature_formatted_once(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    formatted: list[str] = []
    real_format = traceback.format_exception

    def counting_format(*args: object, **kwargs: object) -> list[str]:
        formatted.append(str(args[0]))
        return real_format(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(error_capture.traceback, "format_exception", counting_format)
    n = 400
    replies = await app.send("refused", n)
    assert all(isinstance(r, ServiceError) for r in replies)

    # one traceback formatted per agent type's signature, not one per error
    assert sorted(f for f in formatted if f in (str(ServiceError), str(ConnectionRefusedError))) == sorted(
        [str(ServiceError), str(ConnectionRefusedError)])
    assert app.bridge.gate("Front").errors.formatted == 1 and app.bridge.gate("Backend").errors.formatted == 1

    for agent_type, exception_type in (("Front", "ServiceError"), ("Backend", "ConnectionRefusedError")):
        detail = await app.get(f"/v1/agents/{agent_type}")
        assert detail["errors_total"] == n, agent_type
        assert detail["errors_by_type"] == {exception_type: n}
        latency = detail["latency_ms"]
        assert isinstance(latency, dict) and latency["count"] == n  # every error is a window sample
        groups = detail["error_groups"]
        assert isinstance(groups, list) and len(groups) == 1
        assert groups[0]["count"] == n and groups[0]["exception_type"] == exception_type
        assert groups[0]["first_at"] <= groups[0]["last_at"] and len(groups[0]["signature"]) == 16
        recent = detail["recent_errors"]
        assert isinstance(recent, list) and 1 <= len(recent) <= SAMPLES_PER_GROUP + 1 < n  # sampled, not one per error
        assert [r["ts"] for r in recent] == sorted((r["ts"] for r in recent), reverse=True)
        last = detail["last_error"]
        assert isinstance(last, dict) and last["message"] == groups[0]["message"] == recent[0]["message"]
        logs = await app.get("/v1/logs", level="ERROR", agent=agent_type, limit=5000)
        records = logs["records"]
        # the log keeps a sample, and says how many errors each kept record stands for
        assert isinstance(records, list) and 1 <= len(records) < n and sum(r["count"] for r in records) == n
        assert all(r["exception_type"] == exception_type and r["traceback"] for r in records)
        for r in records:  # a kept error's message is linked: its trace can be read
            assert (await app.http.get(f"/v1/trace/{r['message_id']}")).status_code == 200, r
        scope = detail["message_graph"]
        assert isinstance(scope, dict) and scope["unlinked"] > 0  # 400 at once: past the traces linked per second
        if agent_type == "Front":  # its failures among the linked hops all come from the Backend's
            [cascade] = detail["failed_calls"]
            assert cascade["path"] == ["Front", "Backend"] and cascade["count"] == scope["failures"] > 0
    metrics = (await app.http.get("/metrics")).text
    assert f'autogen_agent_handler_errors_total{{agent_type="Front",exception_type="ServiceError"}} {n}.0' in metrics


async def test_a_send_a_gate_finishes_leaves_no_frame_of_the_bridge_and_other_sends_are_still_finished(
        app: App) -> None:
    await app.send("refused", 1)  # Front and Backend are constructed by their first message
    [failure] = await app.send("refused", 1)
    assert isinstance(failure, ServiceError) and isinstance(failure.__cause__, ConnectionRefusedError)
    files = [frame.filename for exc in (failure, failure.__cause__)
             for frame in traceback.extract_tb(exc.__traceback__)]
    # the runtime's own coroutine was awaited, and each gate handed its RPC straight to the handler
    assert not any(f.endswith(("attach.py", "gate.py")) for f in files)
    for agent_type in ("Front", "Backend"):  # and still counted both failures
        detail = await app.get(f"/v1/agents/{agent_type}")
        assert detail["errors_total"] == 2 and detail["inflight"] == 0, detail
    # a send no gate sees (an unknown agent type): the bridge waits for it and finishes its hop itself
    with pytest.raises(Exception, match="Recipient not found"):
        await app.runtime.send_message(Work(0, "ok"), AgentId("Nobody", "default"))
    hops = (await app.get("/v1/messages", limit=50))["messages"]
    assert isinstance(hops, list)
    nobody = [h for h in hops if h["recipient"] == "Nobody/default"]
    assert len(nobody) == 1 and nobody[0]["outcome"] == "error" and "Recipient not found" in nobody[0]["error"]
    assert sum(h["recipient"] == "Front/default" and h["outcome"] == "error" for h in hops) == 2


async def test_distinct_signatures_keep_their_own_groups_and_records(app: App) -> None:
    await app.send("timeout", 2)
    await app.send("other_line", 3)
    await app.send("refused", 300)  # a storm of one signature after the others
    front = await app.get("/v1/agents/Front")
    counts = {(g["exception_type"], g["count"]) for g in front["error_groups"]}  # type: ignore[union-attr]
    # same type and wrapping line, three causes (two types, two raise sites): three signatures
    assert counts == {("ServiceError", 300), ("ServiceError", 3), ("ServiceError", 2)}
    backend = await app.get("/v1/agents/Backend")
    assert {(g["exception_type"], g["count"]) for g in backend["error_groups"]} == {  # type: ignore[union-attr]
        ("ConnectionRefusedError", 300), ("ConnectionRefusedError", 3), ("TimeoutError", 2)}
    assert [g["count"] for g in backend["error_groups"]] == [300, 3, 2]  # type: ignore[union-attr]
    # the storm did not push the earlier signatures out of recent_errors
    messages = [r["message"] for r in front["recent_errors"]]  # type: ignore[union-attr]
    assert any("TimeoutError" in m for m in messages) and any("cache:6379" in m for m in messages)
    assert "refused" in messages[0]  # newest first


async def test_the_stored_traceback_keeps_the_chained_cause(app: App) -> None:
    await app.send("refused", 5)
    front = await app.get("/v1/agents/Front")
    text = front["recent_errors"][0]["traceback"]  # type: ignore[index]
    assert isinstance(text, str)
    assert "ConnectionRefusedError" in text and "connect to db-" in text
    assert "The above exception was the direct cause of the following exception" in text
    assert text.rstrip().splitlines()[-1].startswith("test_error_storm.ServiceError: request ")
    logs = await app.get("/v1/logs", level="ERROR", agent="Front")
    record = logs["records"][-1]  # type: ignore[index]
    assert record["traceback"] == text and record["trace_id"] and record["message_id"]


async def test_runtime_reports_the_bridges_own_buffer_bytes(app: App) -> None:
    before = (await app.get("/v1/runtime"))["bridge_buffer_bytes"]
    await app.send("refused", 300)
    after = (await app.get("/v1/runtime"))["bridge_buffer_bytes"]
    info = await app.get("/v1/runtime")
    assert isinstance(before, int) and isinstance(after, int) and isinstance(info["rss_bytes"], int)
    assert 0 < before < after < info["rss_bytes"]


async def test_errors_in_the_last_hour_stay_exact_beyond_the_latency_samples(app: App) -> None:
    samples = 50
    for gate in (app.bridge.gate("Front"), app.bridge.gate("Backend")):  # small sample buffers: cheap to outrun
        gate.stats.window = LatencyRing(samples)
    n = 3 * samples
    await app.send("refused", n)
    info = await app.get("/v1/runtime")
    assert info["errors_last_hour"] == 2 * n  # Front's and Backend's, every one: not capped at the samples


@dataclass
class Announcement:
    n: int


@default_subscription
class Listener(RoutedAgent):
    def __init__(self) -> None:
        super().__init__("fails on every announcement")

    @message_handler
    async def on_announcement(self, message: Announcement, ctx: MessageContext) -> None:
        raise KeyError(f"no template for announcement {message.n}")


async def test_published_failures_are_logged_once_each_with_one_formatted_traceback() -> None:
    runtime = SingleThreadedAgentRuntime(ignore_unhandled_exceptions=True)
    await Listener.register(runtime, "Listener", Listener)
    bridge = await attach(runtime, token=TOKEN, serve=False)
    runtime.start()
    n = 50
    for i in range(n):
        await runtime.publish_message(Announcement(i), DefaultTopicId())
    await runtime.stop_when_idle()
    assert bridge.gate("Listener").stats.errors_total == n
    # autogen-core logs each publish failure with its exception (exc_info): formatted once, not per record
    logged = [r for r in bridge.collector.records() if r.logger == "autogen_core" and r.level == "ERROR"]
    assert len(logged) == n and bridge.collector.tracebacks.formatted == 1
    assert all(r.traceback and "KeyError" in r.traceback for r in logged)
    await bridge.close()


async def test_construction_failures_are_grouped_and_counted(make_fleet: object) -> None:
    fleet: FleetHandle = await make_fleet()  # type: ignore[operator]
    await fleet.post("/v1/faults", {"fault": "missing_module", "agent_type": "PlannerAgent",
                                    "params": {"module": "planning_toolkit"}})
    replies = await fleet.ask_many(30)
    assert all(isinstance(r, Exception) for r in replies)
    planner = await fleet.agent("PlannerAgent")
    assert planner["construction_errors"] == 30
    group = planner["error_groups"][0]
    assert group["exception_type"] == "ModuleNotFoundError" and group["count"] == 30
    assert planner["last_error"]["phase"] == "construction"
    assert len(fleet.bridge.gate("PlannerAgent").stats.construction_error_times) == 30
    await fleet.http.delete("/v1/faults")
    await fleet.stop_cleanly()


# --- the capture itself (the clock passed in) -----------------------------------------------------------
def _raise(kind: type[Exception], text: str) -> Exception:
    try:
        raise kind(text)
    except Exception as exc:  # noqa: BLE001 - the caught exception is what is captured
        return exc


def _wrapped(cause: Exception) -> Exception:
    try:
        try:
            raise cause
        except Exception as exc:
            raise ServiceError("wrapped") from exc
    except ServiceError as outer:
        return outer


def test_sampling_takes_the_first_errors_then_a_few_per_second_and_counts_all() -> None:
    capture = ErrorCapture("T", samples_per_s=2.0)
    for i in range(1000):
        group = capture.capture(_raise(ValueError, f"bad value {i}"), 100.0, "handler", "k", f"m{i}", "Msg")
    assert group.count == 1000 and len(capture.groups) == 1 and capture.formatted == 1
    assert len(group.samples) == SAMPLES_PER_GROUP and group.samples[-1].message == f"bad value {SAMPLES_PER_GROUP - 1}"
    assert group.message == "bad value 999" and group.message_id == "m999"  # the latest is always kept
    recent = capture.recent(50)
    assert recent[0].message_id == "m999" and len(recent) == SAMPLES_PER_GROUP + 1
    capture.capture(_raise(ValueError, "later"), 100.4, "handler")  # within half a second: counted only
    capture.capture(_raise(ValueError, "a second later"), 101.0, "handler")
    assert group.count == 1002 and group.samples[-1].message == "a second later"
    assert capture.latest() is not None and capture.latest().message == "a second later"  # type: ignore[union-attr]


def test_same_site_is_one_signature_and_the_cause_makes_another() -> None:
    a, b = _raise(ValueError, "one"), _raise(ValueError, "two")
    assert signature_key(a) == signature_key(b)
    refused = _wrapped(_raise(ConnectionRefusedError, "refused"))
    timeout = _wrapped(_raise(TimeoutError, "timeout"))
    assert signature_key(refused) != signature_key(timeout)
    capture = ErrorCapture("T")
    capture.capture(refused, 1.0, "handler")
    capture.capture(timeout, 1.0, "handler")
    assert len(capture.groups) == 2 and capture.formatted == 2
    assert all("The above exception was the direct cause" in g.text for g in capture.groups.values())


def test_the_note_on_an_exception_is_its_signature() -> None:
    exc = _raise(ValueError, "x")
    key = signature_key(exc)
    assert getattr(exc, error_capture.SIGNATURE_ATTRIBUTE) == key
    assert signature_key(copy.copy(exc)) == key  # a copy is the same failure
    other = _raise(KeyError, "y")
    setattr(other, error_capture.SIGNATURE_ATTRIBUTE, "not a key")  # someone else's value: ignored
    assert signature_key(other) != key and isinstance(getattr(other, error_capture.SIGNATURE_ATTRIBUTE), int)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception groups are new in Python 3.11")
def test_exception_group_members_make_the_signature() -> None:
    def group_of(kind: type[Exception]) -> Exception:
        try:
            raise ExceptionGroup("tasks failed", [kind("inner")])  # noqa: F821 - builtin on 3.11+
        except Exception as exc:  # noqa: BLE001
            return exc

    assert signature_key(group_of(ValueError)) != signature_key(group_of(KeyError))


def test_reported_failures_group_by_type_and_keep_their_own_detail() -> None:
    capture = ErrorCapture("T")
    for i in range(20):
        capture.capture_reported("ToolError", f"tool lookup failed: {i}", f"detail {i}", 5.0, "handler", "k", f"m{i}")
    (group,) = capture.groups.values()
    assert group.count == 20 and group.message == "tool lookup failed: 19"
    assert [r.traceback for r in group.samples] == [f"detail {i}" for i in range(SAMPLES_PER_GROUP)]


def test_tracebacks_and_groups_are_bounded_by_bytes_and_count() -> None:
    capture = ErrorCapture("T", max_groups=10, max_text_bytes=200_000)
    huge = "x" * 500_000
    for i in range(40):  # distinct code objects: distinct signatures
        namespace: dict[str, object] = {}
        exec(compile(f"def fail_{i}(text):\n    raise ValueError(text)\n", f"<generated {i}>", "exec"), namespace)
        try:
            namespace[f"fail_{i}"](huge)  # type: ignore[operator]
        except ValueError as exc:
            capture.capture(exc, float(i), "handler")
    assert len(capture.groups) <= 10 and capture.evicted >= 30
    assert capture.text_bytes <= 200_000
    assert all(len(g.text) <= MAX_TRACEBACK_CHARS + 100 for g in capture.groups.values())
    assert capture.buffer_bytes() < 400_000  # the messages are cut too
    newest = next(reversed(capture.groups.values()))
    assert newest.count == 1 and "left out" in newest.text and "fail_39" in newest.text


def test_an_evicted_signature_keeps_no_text() -> None:
    capture = ErrorCapture("T", max_groups=1)
    first = capture.capture(_raise(ValueError, "a"), 1.0, "handler")
    capture.capture(_raise(KeyError, "b"), 2.0, "handler")
    assert first.text == EVICTED_NOTE.format(n=1) and not first.samples and len(capture.groups) == 1


def test_the_log_collector_is_bounded_by_bytes_and_cuts_huge_messages() -> None:
    collector = EventCollector(max_notable=1000, max_notable_bytes=2_000_000)
    payload = "p" * 1_000_000
    for i in range(50):
        event = MessageHandlerExceptionEvent(payload=payload, handling_agent=AgentId("T", "k"),
                                             exception=ValueError(f"failure {i}"))
        collector._capture_event(event)
    records = collector.records()
    assert 1 <= len(records) <= 2 and collector._notable_bytes <= 2_000_000
    assert records[-1].level == "ERROR" and "failure 49" in records[-1].message
    assert len(records[-1].message) < 10_000  # cut, head and tail kept
    assert collector.buffer_bytes() < 4_000_000


def test_kept_failures_cost_the_garbage_collector_nothing_once_seen() -> None:
    collector = EventCollector()
    for i in range(100):
        collector._capture_event(MessageHandlerExceptionEvent(
            payload='{"n": 1}', handling_agent=AgentId("T", "k"), exception=ValueError(f"failure {i}")))
    for _ in range(2):  # one pass per nesting level (the flat kwargs tuple, the entry)
        gc.collect()  # a kept failure holds only tuples, strings and numbers: the collector stops tracking it
    assert not any(gc.is_tracked(entry) for entry in collector._notable)
    assert [r.message for r in collector.records()][-1].endswith('"exception": "failure 99", "type": '
                                                               '"MessageHandlerException"}')


async def test_a_log_record_whose_group_was_forgotten_says_so(app: App) -> None:
    app.bridge.gate("Front").errors = ErrorCapture("Front", max_groups=1)  # remembers one signature only
    await app.send("refused", 2)
    await app.send("timeout", 1)  # a second signature: the first one's group is forgotten
    gc.collect()
    logs = await app.get("/v1/logs", level="ERROR", agent="Front")
    records = logs["records"]
    assert isinstance(records, list) and len(records) == 3
    assert all(r["exception_type"] == "ServiceError" for r in records)
    assert ["traceback dropped" in r["traceback"] for r in records] == [True, True, False]

