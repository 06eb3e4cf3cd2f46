"""Recent message deliveries and their causal links (which message was sent while handling which).

Under load the log links a sample of whole traces: the first ``TRACES_PER_S`` messages per second entering
each agent type from outside any handler start a linked trace, and everything sent while handling a linked
message is linked too; the other messages are counted (``unlinked_since``) and get a record that lives only
while they are handled (the gate and the collector need one), never stored. So every linked trace is whole
— who called whom, which call failed first — and a storm no longer writes a long-lived entry per message.
"""

from __future__ import annotations

import sys
import time
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from .sampling import Budget

MAX_MESSAGES = 1_000
"""Message ids remembered for ``/v1/messages`` and ``/v1/trace``; the oldest are forgotten first."""
TRACES_PER_S = 50
"""Traces linked per second and per agent type they enter (see the module docstring)."""
MAX_UNLINKED_PENDING = 4_096
"""Unlinked messages sent and not yet delivered that the log can still match to their delivery."""


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
    """False for a message of a trace the log does not link (sampled out under load): never stored."""

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
        self._max = max_messages
        self._traces = Budget(TRACES_PER_S if traces_per_s is None else traces_per_s)
        self._pending: OrderedDict[str, MessageRecord] = OrderedDict()
        """Unlinked messages by id, until their delivery (an RPC) or until pushed out (a publish)."""
        self.unlinked = 0
        """Messages counted and not linked since start."""

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
    ) -> MessageRecord:
        """Record a send/publish made through the runtime (called in the sender's task)."""
        current = CURRENT.get()
        now = time.time()
        if current is None:
            linked = self._traces.admit(recipient.partition("/")[0], now) > 0
            parent_id = None
        else:
            linked = current.linked
            parent_id = current.message_id
        if not linked:
            return self._unlinked(message_id, sender, recipient, message, kind, now, current)
        entry = self._entry(message_id, parent_id)
        # positional arguments: a dataclass __init__ takes them faster, and this runs for every message
        record = MessageRecord(
            message_id, None if sender is None else str(sender),  # agent_str, inlined
            recipient, type(message).__name__, kind, now, parent_id, entry.trace_id,
        )
        entry.hops.append(record)
        return record

    def _unlinked(self, message_id: str, sender: Any, recipient: str, message: Any, kind: str, now: float,
                  current: MessageRecord | None) -> MessageRecord:
        record = MessageRecord(
            message_id, None if sender is None else str(sender), recipient, type(message).__name__, kind, now,
            None if current is None else current.message_id,
            message_id if current is None else current.trace_id,
        )
        record.linked = False
        pending = self._pending
        pending[message_id] = record
        if len(pending) > MAX_UNLINKED_PENDING:
            pending.popitem(last=False)
        self.unlinked += 1
        return record

    def dispatched(self, message_id: str) -> None:
        entry = self._entries.get(message_id)
        if entry is not None and entry.hops and entry.hops[0].dispatched_at is None:
            entry.hops[0].dispatched_at = time.time()

    def delivery(
        self, message_id: str, sender: Any, recipient: str, message: Any, is_rpc: bool
    ) -> MessageRecord:
        """The hop for one delivery to one agent (created for publishes and unseen sends)."""
        entry = self._entries.get(message_id)  # the sender's wrapper has made it, as a rule
        if entry is None:
            sent = self._pending.get(message_id)
            if sent is not None:  # a message of an unlinked trace
                if is_rpc and sent.recipient == recipient and sent.kind == "send":
                    del self._pending[message_id]
                    return sent
                record = MessageRecord(  # one delivery of an unlinked publish
                    message_id, None if sender is None else str(sender), recipient, type(message).__name__,
                    "send" if is_rpc else "publish", time.time(), sent.parent_id, sent.trace_id,
                )
                record.linked = False
                return record
            entry = self._entry(message_id)
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
