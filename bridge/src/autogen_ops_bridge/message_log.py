"""Recent message deliveries and their causal links (which message was sent while handling which).

Under load the log links a sample of whole traces: the first ``TRACES_PER_S`` messages per second entering
each agent type from outside any handler start a linked trace, and everything sent while handling a linked
message is linked too; the other messages are only counted (``unlinked_since``). An unlinked message gets no
record when it is sent, and its delivery a record that lives only while it is handled (the gate and the
collector need one), with no trace id: it is never stored, so no trace of it can be read. So every linked
trace is whole — who called whom, which call failed first — and a storm writes no long-lived entry per
message.
"""

from __future__ import annotations

import sys
import time
from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .sampling import Budget

MAX_MESSAGES = 1_000
"""Message ids remembered for ``/v1/messages`` and ``/v1/trace``; the oldest are forgotten first."""
TRACES_PER_S = 10
"""Traces linked per second and per agent type they enter (see the module docstring). Ten: at a storm's
rates the log's ``MAX_MESSAGES`` then hold the last ~20 s of whole traces (at 50 a second, ~4 s), and each
linked trace is long-lived memory written while the application runs (docs/benchmarks.md, fourteenth
session)."""


CURRENT: ContextVar[MessageRecord | None] = ContextVar("autogen_ops_bridge_current", default=None)
"""The hop the current asyncio task is handling (its message id, trace id and recipient agent), set by
the gate for the handler's task and left set, so that autogen-core's exception event logged in the same
task after the handler returns can be attributed to the message. The hop record itself serves: no
context object is built per delivery."""

LAST_ERROR: ContextVar[tuple[str, str] | None] = ContextVar("autogen_ops_bridge_last_error", default=None)
"""``(exception_type, traceback)`` of the handler failure in this task, for the log collector."""


@dataclass(slots=True)
class MessageRecord:
    message_id: str
    sender: str | None
    """None for a message from outside any agent, and on an unlinked delivery's record (not read: never
    stored)."""
    recipient: str
    message_type: str
    kind: str
    started_at: float
    parent_id: str | None = None
    trace_id: str | None = None
    dispatched_at: float | None = None
    handler_started_at: float | None = None
    finished_at: float | None = None
    outcome: str = "pending"
    error: str | None = None
    gate: Any = None
    """The ``AgentGate`` that will finish this hop when autogen-core reports its handler's end (an RPC the
    gate handed straight to the handler), until it does; None otherwise."""
    perf_started: float = 0.0
    """``time.perf_counter()`` when the handler started (set with ``gate``: the hop's duration)."""
    linked: bool = True
    """False for the delivery of a message the log does not link (sampled out under load, or sent before
    the bridge was attached): never stored, and without parent or trace id."""

    @property
    def agent_type(self) -> str:
        """The recipient's agent type (for a delivery hop: the handling agent)."""
        return self.recipient.partition("/")[0]

    @property
    def agent_key(self) -> str:
        return self.recipient.partition("/")[2]

    @property
    def duration_ms(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at) * 1000.0

    def finish(self, outcome: str, error: str | None = None, at: float | None = None) -> None:
        """``at``: the end time (``time.time()``) when the caller has just read the clock."""
        self.finished_at = time.time() if at is None else at
        self.outcome = outcome
        self.error = error


@dataclass(slots=True)
class _Entry:
    parent_id: str | None
    trace_id: str
    hops: list[MessageRecord] = field(default_factory=list)
    children: list[str] | None = None
    unlinked_before: int = 0
    """Messages the log had counted and not linked when this one was linked."""


def agent_str(agent_id: Any) -> str | None:
    # str(AgentId) is "type/key": one call, where reading .type and .key are two (both are properties)
    return None if agent_id is None else str(agent_id)


class MessageLog:
    """Bounded store of recent messages keyed by message id. Single event loop, no locking."""

    def __init__(self, max_messages: int = MAX_MESSAGES, traces_per_s: int | None = None) -> None:
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self.linked_ids: Mapping[str, object] = self._entries
        """The ids of the linked messages remembered (read-only: the gate's test for an unlinked delivery)."""
        self._max = max_messages
        self._traces = Budget(TRACES_PER_S if traces_per_s is None else traces_per_s)
        self.unlinked = 0
        """Messages counted and not linked since start (a send wrapper that knows it adds to it itself)."""

    def _entry(self, message_id: str, parent_id: str | None = None) -> _Entry:
        entry = self._entries.get(message_id)
        if entry is None:
            trace_id = message_id
            if parent_id is not None:
                parent = self._entries.get(parent_id)
                if parent is not None:
                    trace_id = parent.trace_id
                    if parent.children is None:
                        parent.children = [message_id]
                    else:
                        parent.children.append(message_id)
            entry = self._entries[message_id] = _Entry(parent_id, trace_id, [], None, self.unlinked)
            if len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return entry

    def sent(
        self, message_id: str, sender: Any, recipient: str, message: Any, kind: str
    ) -> MessageRecord | None:
        """Record a send/publish made through the runtime (called in the sender's task): its hop, or None
        for a message the log does not link (counted only)."""
        current = CURRENT.get()
        now = time.time()
        if current is None:
            if not self._traces.admit(recipient.partition("/")[0], now):
                self.unlinked += 1
                return None
            parent_id = None
        elif not current.linked:
            self.unlinked += 1
            return None
        else:
            parent_id = current.message_id
        entry = self._entry(message_id, parent_id)
        # positional arguments: a dataclass __init__ takes them faster, and this runs for every message
        record = MessageRecord(
            message_id, None if sender is None else str(sender),  # agent_str, inlined
            recipient, type(message).__name__, kind, now, parent_id, entry.trace_id,
        )
        entry.hops.append(record)
        return record

    def dispatched(self, message_id: str) -> None:
        entry = self._entries.get(message_id)
        if entry is not None and entry.hops and entry.hops[0].dispatched_at is None:
            entry.hops[0].dispatched_at = time.time()

    def delivery(
        self, message_id: str, sender: Any, recipient: str, message: Any, is_rpc: bool
    ) -> MessageRecord:
        """The hop for one delivery to one agent (created for publishes; for a message the log does not
        link, a record of its own that is never stored)."""
        entry = self._entries.get(message_id)  # the sender's wrapper has made it for a linked message
        if entry is None:
            record = MessageRecord(
                message_id, None if sender is None else str(sender), recipient, type(message).__name__,
                "send" if is_rpc else "publish", time.time(),
            )
            record.linked = False
            return record
        if is_rpc:
            for hop in entry.hops:
                if hop.recipient == recipient and hop.kind == "send":
                    return hop
        record = MessageRecord(
            message_id, None if sender is None else str(sender),  # agent_str, inlined
            recipient, type(message).__name__, "send" if is_rpc else "publish", time.time(), entry.parent_id,
            entry.trace_id,
        )
        entry.hops.append(record)
        return record

    def recent(self, limit: int, agent_type: str | None = None) -> list[MessageRecord]:
        out: list[MessageRecord] = []
        for entry in reversed(self._entries.values()):
            for hop in entry.hops:
                if agent_type is None or _involves(hop, agent_type):
                    out.append(hop)
            if len(out) >= limit:
                break
        out.sort(key=lambda r: r.started_at)
        return out[-limit:]

    def trace(self, message_id: str) -> list[MessageRecord] | None:
        """The message's hops and, recursively, those of messages sent while handling it."""
        if message_id not in self._entries:
            return None
        hops: list[MessageRecord] = []
        stack = [message_id]
        seen: set[str] = set()
        while stack:
            mid = stack.pop()
            if mid in seen:
                continue
            seen.add(mid)
            entry = self._entries.get(mid)
            if entry is None:
                continue
            hops.extend(entry.hops)
            stack.extend(entry.children or ())
        hops.sort(key=lambda r: r.started_at)
        return hops

    def unlinked_since(self, since: float) -> int:
        """Messages counted and not linked since the first remembered message that started at or after
        ``since`` (all of them since start when none did)."""
        for entry in list(self._entries.values()):
            if entry.hops and entry.hops[0].started_at >= since:
                return self.unlinked - entry.unlinked_before
        return self.unlinked - (self._entries[next(reversed(self._entries))].unlinked_before
                                if self._entries else 0)

    def hops_since(self, since: float) -> list[MessageRecord]:
        """Every remembered hop that started at or after ``since``, oldest message first."""
        return [hop for entry in list(self._entries.values()) for hop in entry.hops if hop.started_at >= since]

    def children_of(self, message_id: str) -> list[MessageRecord]:
        """The hops of the messages sent while ``message_id`` was being handled (by any recipient)."""
        entry = self._entries.get(message_id)
        if entry is None or not entry.children:
            return []
        out: list[MessageRecord] = []
        for child in entry.children:
            child_entry = self._entries.get(child)
            if child_entry is not None:
                out.extend(child_entry.hops)
        return out

    def entries(self) -> list[_Entry]:
        """A snapshot of the remembered messages, oldest first (for the footprint estimate)."""
        return list(self._entries.values())

    def index_bytes(self) -> int:
        """The size of the log's index itself (not of its entries)."""
        return sys.getsizeof(self._entries)

    def trace_id(self, message_id: str) -> str | None:
        entry = self._entries.get(message_id)
        return None if entry is None else entry.trace_id


def _involves(hop: MessageRecord, agent_type: str) -> bool:
    prefix = agent_type + "/"
    return hop.recipient.startswith(prefix) or (hop.sender is not None and hop.sender.startswith(prefix))
