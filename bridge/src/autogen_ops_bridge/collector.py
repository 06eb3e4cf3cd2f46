"""Event collector: a ``logging.Handler`` on ``autogen_core.events`` (and the bridge's own logger)
keeping recent records in two bounded ring buffers: routine message events (4 per message, kept as flat
tuples of strings, which the garbage collector can ignore) and notable records (errors, warnings,
bridge actions), so a burst of traffic cannot push the errors out.

Notable records are bounded by bytes as well as by count, and hold no traceback text of their own: a
handler error's record points at the gate's error group (its traceback formatted once per signature),
and a log record's exception is formatted once per signature here.

Under load both keep a sample and count the rest (see ``sampling``): routine events past
``ROUTINE_PER_S`` per second and receiving agent type, and the handler failures the gate did not sample
(a signature's first errors, then a few per second). Each kept record says how many events it stands for
(``CollectedRecord.count``), so counts read from the log stay exact."""

from __future__ import annotations

import functools
import heapq
import json
import logging
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any, NamedTuple, Protocol

from autogen_core.logging import (
    AgentConstructionExceptionEvent,
    DeliveryStage,
    LLMCallEvent,
    LLMStreamEndEvent,
    LLMStreamStartEvent,
    MessageEvent,
    MessageHandlerExceptionEvent,
    MessageKind,
)

from ._accel import speedups
from .error_capture import LAST_CAPTURE, LIVE_GROUPS, MAX_TRACEBACK_CHARS, ErrorCapture, ErrorGroup, clip
from .gate import AgentGate
from .message_log import CURRENT, LAST_ERROR, MessageRecord
from .sampling import ReceiverBudget, stands_for
from .stats import ENDED_RECORD, FLUSH_AT

EVENTS_LOGGER = "autogen_core.events"
CORE_LOGGER = "autogen_core"
BRIDGE_LOGGER = "autogen_ops_bridge"
MAX_ROUTINE = 5_000
"""Routine message events kept (oldest dropped first)."""
MAX_NOTABLE = 5_000
"""Errors, warnings and bridge records kept (oldest dropped first)."""
MAX_NOTABLE_BYTES = 8 * 1024 * 1024
"""Estimated bytes of the notable records kept (oldest dropped first): messages can be large."""
MAX_MESSAGE_CHARS = 8 * 1024
"""A notable record's message text is cut beyond this (head and tail kept)."""
LOG_TRACEBACK_GROUPS = 64
"""Signatures of exceptions attached to log records whose formatted text is kept."""
ROUTINE_PER_S = 20
"""Routine message events kept per second and receiving agent type; the others are counted. Twenty: with
four busy agent types the ``MAX_ROUTINE`` ring then spans about a minute of a storm (the monitor's recent
window) instead of ~12 s at 100 a second."""

_DELIVER = str(DeliveryStage.DELIVER)
_RESPOND = str(MessageKind.RESPOND)
_ERROR_EVENTS = {"MessageHandlerExceptionEvent", "AgentConstructionExceptionEvent"}
_FAILURE_EVENTS = (MessageHandlerExceptionEvent, AgentConstructionExceptionEvent)
_WARNING_EVENTS = {"MessageDroppedEvent"}
_LLM_EVENTS = (LLMCallEvent, LLMStreamStartEvent, LLMStreamEndEvent)
"""Model calls: counted per agent type (``llm_sink``), not kept as records (they carry whole prompts)."""


@dataclass(slots=True)
class CollectedRecord:
    ts: float
    level: str
    levelno: int
    logger: str
    event: str | None
    message: str
    agent_type: str | None
    agent_key: str | None
    message_id: str | None
    trace_id: str | None
    exception_type: str | None
    tb: ErrorGroup | str | None
    """The traceback: an error group's (formatted once per signature), or a short text of its own."""
    related_types: frozenset[str]
    nbytes: int = 0
    """Estimated bytes this record holds on its own (shared traceback text not included)."""
    serial: int = 0
    """A handler failure's error group (``LIVE_GROUPS``), else 0."""
    ordinal: int = 0
    """That group's count when this failure was kept (0: not sampled, stands for itself)."""
    count: int = 1
    """Events this record stands for: itself and the unkept ones of its kind after it (set when read)."""

    @property
    def traceback(self) -> str | None:
        tb = self.tb
        return tb.text if isinstance(tb, ErrorGroup) else tb

    def iso_ts(self) -> str:
        return datetime.fromtimestamp(self.ts, tz=timezone.utc).isoformat()


class _Hop(Protocol):
    """What a record takes from the hop being handled (a ``MessageRecord``, or ``_HopIds``)."""

    @property
    def agent_type(self) -> str: ...

    @property
    def agent_key(self) -> str: ...

    @property
    def message_id(self) -> str: ...

    @property
    def trace_id(self) -> str | None: ...


class _HopIds(NamedTuple):
    """A hop's ids, kept instead of the hop (strings only: nothing for the garbage collector to walk)."""

    recipient: str
    message_id: str
    trace_id: str | None

    @property
    def agent_type(self) -> str:
        return self.recipient.partition("/")[0]

    @property
    def agent_key(self) -> str:
        return self.recipient.partition("/")[2]


_Raw = tuple[
    logging.LogRecord | None, float, int, str, Any, _Hop | None, tuple[str, str] | None, ErrorGroup | str | None,
]
"""``(record or None, ts, levelno, logger name, msg, hop being handled, last refusal, last handler error's
group, or a note when that group is gone)``."""

_Routine = tuple[float, str | None, Any, Any, Any, Any, Any, str, int]
"""A delivered ``MessageEvent``: ``(ts, trace_id, sender, receiver, kind, delivery_stage, payload, receiving
agent type, its ordinal in the routine budget)``."""

_Unparsed = tuple[
    logging.LogRecord | None, float, int, str, str, tuple[Any, ...], str | None, str | None, str | None,
    tuple[str, str] | None, int, str | None, int, int,
]
"""A handler or construction failure event kept as it came: ``(record or None, ts, levelno, logger name, event
class name, event kwargs flat (its keys, then its values: one tuple, see ``_flat``), hop recipient, message
id, trace id, last refusal, the gate's group serial (0: none), its exception type, the group's count when kept
(0: none), estimated bytes)``. Parsed when the log is read, so an error storm pays no JSON encoding per error.
Only tuples, strings and numbers (the kwargs of autogen-core's failure events hold strings; a dict would keep
the tuple tracked): once the garbage collector has seen such a tuple it stops tracking it, so a full buffer
costs later collections nothing, and no hop is kept alive past the message log. The kwargs are one flat tuple,
not a tuple of pairs: two objects per kept failure for the young collection to look at instead of six."""


class EventCollector(logging.Handler):
    """Bounded, append-only capture of log records; safe to attach to several loggers."""

    def __init__(self, max_routine: int = MAX_ROUTINE, max_notable: int = MAX_NOTABLE,
                 max_notable_bytes: int = MAX_NOTABLE_BYTES) -> None:
        super().__init__(level=logging.DEBUG)
        self._routine: deque[_Routine] = deque(maxlen=max_routine)
        self._notable: deque[CollectedRecord | _Unparsed] = deque()
        self._max_notable = max_notable
        self._max_notable_bytes = max_notable_bytes
        self._notable_bytes = 0
        self._routine_budget = ReceiverBudget(ROUTINE_PER_S)
        self.tracebacks = ErrorCapture("(log records)", max_groups=LOG_TRACEBACK_GROUPS)
        """Formatted exceptions of log records (``logger.exception``), once per signature."""
        self._attached: list[tuple[logging.Logger, int, logging.Handler]] = []
        self._fast_events: logging.Logger | None = None
        """The ``autogen_core.events`` logger whose ``info`` this collector stands in for, if it does."""
        self.llm_sink: Callable[[Any], None] | None = None
        """Where model-call events go (the AgentChat observer's ``llm_event``)."""
        self.failure_sink: Callable[[Any, ErrorGroup], None] | None = None
        """Told of each handler failure the gate captured (hop, error group); set once AgentChat is imported."""
        self._hook: Callable[..., None] = (self._capture_event if speedups is None
                                           else functools.partial(speedups.event_hook, self))
        """What stands in for the events logger's ``info`` (``install``): ``_capture_event``, or its C twin."""

    def emit(self, record: logging.LogRecord) -> None:
        self._capture(record, record.created, record.levelno, record.name, record.msg)

    def _capture_event(self, msg: object, *args: object, **kwargs: object) -> None:
        """Stands in for ``autogen_core.events``'s ``info`` when nobody else listens at INFO: keeps the
        event without building a ``LogRecord`` (autogen-core logs ~4 events per message, so the routine
        case is inlined here)."""
        kind_of_event = type(msg)
        if kind_of_event is MessageEvent:  # (its constructor sets each key read here)
            kw: dict[str, Any] = msg.kwargs  # type: ignore[attr-defined]  # (a MessageEvent: tested above)
            if kw["delivery_stage"] != _DELIVER:
                if kw["kind"] == _RESPOND:  # sent by autogen-core right after an RPC handler returned, in its task
                    hop = CURRENT.get()
                    if hop is not None and hop.gate is not None:
                        _finish(hop, None)
                return
            if kw["kind"] != _RESPOND:  # one delivery event per message
                receiver = kw["receiver"]
                ts = time.time()
                budget = self._routine_budget
                if receiver in budget.closed and int(ts) == budget.second:  # budget.admit()'s cheap path, inlined
                    pending = budget.pending
                    pending[receiver] = pending.get(receiver, 0) + 1
                else:
                    self._admit_routine(ts, kw)
            return
        if kind_of_event in _FAILURE_EVENTS:  # one per handler error: an error storm's share of the collector
            ctx = CURRENT.get()
            if ctx is not None and ctx.gate is not None:
                # autogen-core logs this inside its ``except`` for the handler's exception: the exception
                # being handled is the handler's (the event holds only its text)
                _finish(ctx, sys.exc_info()[1])
            captured = LAST_CAPTURE.group
            if ctx is not None and captured is not None and LAST_CAPTURE.hop is ctx:
                # the gate has just captured this failure
                if self.failure_sink is not None:
                    self.failure_sink(ctx, captured)
                if not captured.last_sampled:  # counted by its group; a kept record stands for it
                    return
            else:
                captured = None
            self._keep_failure_event(msg, ctx, captured)
            return
        self._other_event(msg)

    def _keep_failure_event(self, msg: Any, ctx: MessageRecord | None, captured: ErrorGroup | None) -> None:
        """Keeps a failure event (``_keep_failure``'s record, from the hook): ``captured`` is the gate's group
        for it, if the gate has just captured it (and sampled it)."""
        kw = msg.kwargs
        payload, exception = kw.get("payload"), kw.get("exception")
        nbytes = _UNPARSED_BYTES + (len(payload) if type(payload) is str else 0) + (
            len(exception) if type(exception) is str else 0)
        event, pairs = type(msg).__name__, (*kw, *kw.values())  # _flat(), inlined
        notable = self._notable
        if ctx is None:
            notable.append((None, time.time(), _INFO, EVENTS_LOGGER, event, pairs, None, None, None,
                            LAST_ERROR.get(), 0, None, 0, nbytes))
        elif captured is not None:
            notable.append((None, captured.last_at, _INFO, EVENTS_LOGGER, event, pairs, ctx.recipient,
                            ctx.message_id, ctx.trace_id, None, captured.serial, captured.exception_type,
                            captured.count, nbytes))
        else:
            notable.append((None, time.time(), _INFO, EVENTS_LOGGER, event, pairs, ctx.recipient,
                            ctx.message_id, ctx.trace_id, LAST_ERROR.get(), 0, None, 0, nbytes))
        self._notable_bytes += nbytes
        if len(notable) > self._max_notable:  # full: the oldest goes (the one step a full buffer needs)
            old = notable.popleft()
            self._notable_bytes -= old.nbytes if isinstance(old, CollectedRecord) else old[-1]
        if self._notable_bytes > self._max_notable_bytes:
            self._trim()

    def _other_event(self, msg: Any) -> None:
        """An event of autogen-core's other than a message's or a failure's, from the hook."""
        if type(msg) in _LLM_EVENTS:
            if self.llm_sink is not None:
                self.llm_sink(msg)
            return
        self._capture(None, time.time(), logging.INFO, EVENTS_LOGGER, msg)

    def _admit_routine(self, ts: float, kw: dict[str, Any]) -> None:
        """A delivery event: counted by the routine budget, kept if it admits it."""
        key, ordinal = self._routine_budget.admit(kw.get("receiver"), ts)
        if ordinal:
            self._keep_routine(ts, kw, key, ordinal)

    def _keep_routine(self, ts: float, kw: dict[str, Any], key: str, ordinal: int) -> None:
        ctx = CURRENT.get()
        self._routine.append((ts, ctx.trace_id if ctx is not None else None, kw.get("sender"), kw.get("receiver"),
                              kw.get("kind"), _DELIVER, kw.get("payload"), key, ordinal))

    def _capture(self, record: logging.LogRecord | None, ts: float, levelno: int, name: str, msg: Any) -> None:
        if type(msg).__name__ == "MessageEvent" and levelno <= logging.INFO:
            kw = msg.kwargs
            stage = kw.get("delivery_stage")
            # Keep one event per delivery (the runtime also logs the send and both legs of a response;
            # the bridge's message log has those, with ids and timings).
            if stage != _DELIVER or kw.get("kind") == _RESPOND:
                return
            self._admit_routine(ts, kw)
            return
        if type(msg) in _LLM_EVENTS:
            if self.llm_sink is not None:
                self.llm_sink(msg)
            return
        kwargs = getattr(msg, "kwargs", None)
        if type(msg) in _FAILURE_EVENTS and type(kwargs) is dict and (record is None or not record.exc_info):
            self._keep_failure(record, ts, levelno, name, msg, kwargs)
            return
        ctx = CURRENT.get()
        captured = LAST_CAPTURE.group if ctx is not None and LAST_CAPTURE.hop is ctx else None
        parsed = parse((record, ts, levelno, name, msg, ctx, LAST_ERROR.get(), captured), self.tracebacks)
        self._keep(parsed, parsed.nbytes)

    def _keep_failure(self, record: logging.LogRecord | None, ts: float, levelno: int, name: str, msg: Any,
                      kwargs: dict[str, Any]) -> None:
        """autogen-core's failure events hold only strings: kept as they came, parsed when read."""
        payload, exception = kwargs.get("payload"), kwargs.get("exception")
        nbytes = _UNPARSED_BYTES + (len(payload) if type(payload) is str else 0) + (
            len(exception) if type(exception) is str else 0)
        if record is not None:
            nbytes += sys.getsizeof(record.__dict__)
        ctx = CURRENT.get()
        captured = LAST_CAPTURE.group if ctx is not None and LAST_CAPTURE.hop is ctx else None
        event, pairs = type(msg).__name__, _flat(kwargs)
        notable = self._notable
        if ctx is None:
            notable.append((record, ts, levelno, name, event, pairs, None, None, None, LAST_ERROR.get(), 0, None, 0,
                            nbytes))
        elif captured is not None:
            if self.failure_sink is not None:
                self.failure_sink(ctx, captured)
            if not captured.last_sampled:  # counted by its group; a kept record stands for it
                return
            notable.append((record, ts, levelno, name, event, pairs, ctx.recipient, ctx.message_id, ctx.trace_id,
                            None, captured.serial, captured.exception_type, captured.count, nbytes))
        else:
            notable.append((record, ts, levelno, name, event, pairs, ctx.recipient, ctx.message_id, ctx.trace_id,
                            LAST_ERROR.get(), 0, None, 0, nbytes))
        self._notable_bytes += nbytes
        if len(notable) > self._max_notable or self._notable_bytes > self._max_notable_bytes:
            self._trim()

    def _keep(self, entry: CollectedRecord | _Unparsed, nbytes: int) -> None:
        self._notable.append(entry)
        self._notable_bytes += nbytes
        self._trim()

    def _trim(self) -> None:
        notable = self._notable
        while len(notable) > self._max_notable or (self._notable_bytes > self._max_notable_bytes and len(notable) > 1):
            old = notable.popleft()
            self._notable_bytes -= old.nbytes if isinstance(old, CollectedRecord) else old[-1]

    def install(self) -> None:
        """Capture ``autogen_core.events`` (INFO+), the bridge's logger (INFO+) and other
        ``autogen_core`` records at WARNING+ (events reach that logger too; they are kept once).

        If the application does not log autogen-core events at INFO, the bridge takes them through a
        cheap hook on that logger's ``info`` (the application's handlers saw none before and see none
        now); otherwise it adds an ordinary handler next to the application's."""
        core_warnings = _CoreWarnings(self)
        events = logging.getLogger(EVENTS_LOGGER)
        loggers: list[tuple[str, int | None, logging.Handler]] = [
            (BRIDGE_LOGGER, logging.INFO, self),
            (CORE_LOGGER, None, core_warnings),
        ]
        if events.isEnabledFor(logging.INFO):
            loggers.append((EVENTS_LOGGER, None, self))
        else:
            events.info = self._hook  # type: ignore[method-assign]
            self._fast_events = events
        for name, level, handler in loggers:
            lg = logging.getLogger(name)
            previous = lg.level
            if level is not None and lg.getEffectiveLevel() > level:
                lg.setLevel(level)
            lg.addHandler(handler)
            self._attached.append((lg, previous, handler))

    @property
    def takes_events(self) -> bool:
        """Whether autogen-core's events reach this collector through its own hook (``install``): each one
        in the task that logs it, whatever the application does with its logging configuration."""
        return self._fast_events is not None

    def uninstall(self) -> None:
        if self._fast_events is not None:
            if vars(self._fast_events).get("info") is self._hook:
                del self._fast_events.info
            self._fast_events = None
        for lg, previous, handler in self._attached:
            lg.removeHandler(handler)
            lg.setLevel(previous)
        self._attached.clear()

    def __len__(self) -> int:
        return len(self._routine) + len(self._notable)

    def records(self) -> list[CollectedRecord]:
        """All kept records, oldest first, each with the count of events it stands for."""
        kept = list(self._routine)
        counts = stands_for([(r[7], r[8]) for r in kept], self._routine_budget.totals())
        routine = [_routine_record(r, n) for r, n in zip(kept, counts, strict=True)]
        notable = [entry if isinstance(entry, CollectedRecord) else _parse_kept(entry) for entry in self._notable]
        self._notable = deque(notable)  # each failure event is parsed once
        totals = {r.serial: g.count for r in notable if r.serial and (g := LIVE_GROUPS.get(r.serial)) is not None}
        for r, n in zip(notable, stands_for([(r.serial, r.ordinal) for r in notable], totals), strict=True):
            r.count = n
        return list(heapq.merge(routine, notable, key=attrgetter("ts")))

    def buffer_bytes(self) -> int:
        """Estimated bytes held by both buffers and the formatted log tracebacks."""
        routine = list(self._routine)
        step = max(1, len(routine) // 32)  # a sample: routine events of one application look alike
        sample = routine[::step]
        per_event = sum(map(_routine_bytes, sample)) / len(sample) if sample else 0.0
        return (sys.getsizeof(self._routine) + int(per_event * len(routine)) + sys.getsizeof(self._notable)
                + self._notable_bytes + self.tracebacks.buffer_bytes())


class _CoreWarnings(logging.Handler):
    """Forwards ``autogen_core`` records at WARNING+ that are not events (those are captured directly)."""

    def __init__(self, target: EventCollector) -> None:
        super().__init__(level=logging.WARNING)
        self._target = target

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(EVENTS_LOGGER):
            self._target.emit(record)


def _finish(hop: Any, exc: BaseException | None) -> None:
    """Ends a hop its gate handed straight to the handler. Never raises: this runs inside autogen-core's
    delivery, between the handler and its answer to the sender, which an exception here would lose."""
    try:
        hop.gate.finish(hop, exc)
    except Exception as failure:  # noqa: BLE001 - counted wrong once is better than an answer never sent
        _finish_failed(hop, failure)


def _finish_failed(hop: Any, failure: BaseException) -> None:
    """Logs a hop that could not be settled (from ``_finish`` or its C twin), with what went wrong."""
    logging.getLogger(BRIDGE_LOGGER).error("could not settle the end of message %s", hop.message_id,
                                           exc_info=failure)


def parse(raw: _Raw, tracebacks: ErrorCapture | None = None) -> CollectedRecord:
    """``tracebacks``: where a log record's exception is formatted (once per signature); without it, the
    exception is formatted for this record."""
    record, ts, levelno, logger_name, msg, ctx, last_error, captured = raw
    event_name: str | None = getattr(record, "event", None)
    agent_type: str | None = getattr(record, "agent_type", None)
    agent_key: str | None = getattr(record, "agent_key", None)
    message_id: str | None = getattr(record, "message_id", None)
    trace_id: str | None = getattr(record, "trace_id", None)
    exception_type: str | None = getattr(record, "exception_type", None)
    traceback_text: ErrorGroup | str | None = None
    related: set[str] = set()
    kwargs = getattr(msg, "kwargs", None)
    if isinstance(kwargs, dict):
        event_name = msg.name if type(msg) is _KeptEvent else type(msg).__name__
        try:
            text = str(msg)
        except Exception:  # noqa: BLE001 - a broken event must not break the log endpoint
            text = repr(kwargs)
        if event_name in _ERROR_EVENTS:
            levelno = max(levelno, logging.ERROR)
            who = kwargs.get("handling_agent") or kwargs.get("agent_id")
            agent_type, agent_key = _split(who)
            if ctx is not None and agent_type == ctx.agent_type and agent_key == ctx.agent_key:
                message_id, trace_id = ctx.message_id, ctx.trace_id
                if isinstance(captured, ErrorGroup):
                    exception_type, traceback_text = captured.exception_type, captured
                elif captured is not None:  # the group is gone: "<exception type>: <note>"
                    exception_type, traceback_text = captured.partition(": ")[0], captured.partition(": ")[2]
                elif last_error is not None:
                    exception_type, traceback_text = last_error
        elif event_name in _WARNING_EVENTS:
            levelno = max(levelno, logging.WARNING)
        if event_name not in _ERROR_EVENTS:
            sender, receiver = kwargs.get("sender"), kwargs.get("receiver")
            stage = str(kwargs.get("delivery_stage", ""))
            primary = receiver if "DELIVER" in str(stage) or sender is None else sender
            agent_type, agent_key = _split(primary)
            for who in (sender, receiver):
                t, _ = _split(who)
                if t:
                    related.add(t)
            if ctx is not None:
                trace_id = ctx.trace_id
    elif record is None:
        text = str(msg)
    else:
        text = record.getMessage()
        if ctx is not None:
            agent_type = agent_type or ctx.agent_type
            agent_key = agent_key or ctx.agent_key
            message_id = message_id or ctx.message_id
            trace_id = trace_id or ctx.trace_id
        if record is not None and record.exc_info and record.exc_info[0] is not None:
            exception_type = exception_type or record.exc_info[0].__name__
            exc = record.exc_info[1]
            if tracebacks is not None and exc is not None:
                traceback_text = tracebacks.capture(exc, ts, "log")
            else:
                traceback_text = clip(logging.Formatter().formatException(record.exc_info), MAX_TRACEBACK_CHARS)
    if agent_type:
        related.add(agent_type)
    if len(text) > MAX_MESSAGE_CHARS:
        text = clip(text, MAX_MESSAGE_CHARS)
    nbytes = _RECORD_BYTES + sys.getsizeof(text)
    if isinstance(traceback_text, str):
        nbytes += sys.getsizeof(traceback_text)
    return CollectedRecord(
        ts=ts,
        level=logging.getLevelName(levelno),
        levelno=levelno,
        logger=logger_name,
        event=event_name,
        message=text,
        agent_type=agent_type,
        agent_key=agent_key,
        message_id=message_id,
        trace_id=trace_id,
        exception_type=exception_type,
        tb=traceback_text,
        related_types=frozenset(related),
        nbytes=nbytes,
    )


def _routine_record(r: _Routine, count: int) -> CollectedRecord:
    ts, trace_id, sender, receiver, kind, stage, payload, _, _ = r
    primary = receiver if "DELIVER" in str(stage) or sender is None else sender
    agent_type, agent_key = _split(primary)
    related = {t for t in (_split(sender)[0], _split(receiver)[0]) if t}
    text = json.dumps({"payload": payload, "sender": sender, "receiver": receiver, "kind": kind,
                       "delivery_stage": stage, "type": "Message"})
    return CollectedRecord(
        ts=ts, level="INFO", levelno=logging.INFO, logger=EVENTS_LOGGER, event="MessageEvent", message=text,
        agent_type=agent_type, agent_key=agent_key, message_id=None, trace_id=trace_id, exception_type=None,
        tb=None, related_types=frozenset(related), count=count,
    )


class _KeptEvent:
    """A failure event rebuilt from its kept kwargs (``str()`` as autogen-core's events render)."""

    __slots__ = ("name", "kwargs")

    def __init__(self, name: str, kwargs: dict[str, Any]) -> None:
        self.name = name
        self.kwargs = kwargs

    def __str__(self) -> str:
        return json.dumps(self.kwargs)


def _flat(kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """An event's kwargs as one tuple: its keys, then its values (``_parse_kept`` pairs them again)."""
    return (*kwargs, *kwargs.values())


def _parse_kept(entry: _Unparsed) -> CollectedRecord:
    (record, ts, levelno, logger_name, event_name, kwargs, recipient, message_id, trace_id, last_error, serial,
     exception_type, ordinal, nbytes) = entry
    hop = _HopIds(recipient, message_id, trace_id) if recipient is not None and message_id is not None else None
    captured: ErrorGroup | str | None = None
    if serial:
        captured = LIVE_GROUPS.get(serial) or f"{exception_type}: {EVICTED_TRACEBACK}"
    half = len(kwargs) // 2
    event = _KeptEvent(event_name, dict(zip(kwargs[:half], kwargs[half:], strict=True)))
    parsed = parse((record, ts, levelno, logger_name, event, hop, last_error, captured))
    parsed.nbytes = nbytes  # the estimate it was kept with (the buffer's running total holds it)
    parsed.serial, parsed.ordinal = serial, ordinal
    return parsed


def _routine_bytes(r: _Routine) -> int:
    """Bytes of one routine event's tuple and of the strings it alone holds (ids, payload)."""
    return sys.getsizeof(r) + 24 + sum(sys.getsizeof(x) for x in (r[2], r[3], r[6]) if isinstance(x, str))


def _split(agent: Any) -> tuple[str | None, str | None]:
    """``"type/key"`` (or a TopicId string ``"type/source"``) into its parts."""
    if not isinstance(agent, str) or "/" not in agent:
        return None, None
    t, _, k = agent.partition("/")
    return t, k


_RECORD_BYTES = object.__sizeof__(CollectedRecord.__new__(CollectedRecord)) + sys.getsizeof(frozenset(("a", "b")))
"""A notable record without its message: the record and its ``related_types`` set."""
_UNPARSED_BYTES = (sys.getsizeof((0,) * 14) + 2 * 24 + sys.getsizeof({"a": 1, "b": 2, "c": 3, "d": 4})
                   + 4 * sys.getsizeof("") + 3 * sys.getsizeof("x" * 40))
"""A kept failure event without its payload's and exception text's characters: the tuple, its numbers, the
kwargs dict and its string objects, and the hop's ids (which outlive the hop in the message log)."""
_INFO = logging.INFO
EVICTED_TRACEBACK = "(traceback dropped: its error group is no longer kept)\n"


def dumps_safe(value: Any) -> str:
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


if speedups is not None:
    speedups.configure_events(AgentGate.finish, _finish_failed, MessageEvent, _FAILURE_EVENTS, _DELIVER, _RESPOND,
                              LAST_CAPTURE, time.time, FLUSH_AT, ENDED_RECORD.size)
