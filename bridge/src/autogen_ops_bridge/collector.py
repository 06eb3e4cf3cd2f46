"""Event collector: a ``logging.Handler`` on ``autogen_core.events`` (and the bridge's own logger)
keeping recent records in two bounded ring buffers: routine message events (4 per message, kept as flat
tuples of strings, which the garbage collector can ignore) and notable records (errors, warnings,
bridge actions), so a burst of traffic cannot push the errors out."""

from __future__ import annotations

import heapq
import json
import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any

from autogen_core.logging import DeliveryStage, MessageEvent, MessageKind

from .message_log import CURRENT, LAST_ERROR, MessageRecord

EVENTS_LOGGER = "autogen_core.events"
CORE_LOGGER = "autogen_core"
BRIDGE_LOGGER = "autogen_ops_bridge"
MAX_ROUTINE = 5_000
"""Routine message events kept (oldest dropped first)."""
MAX_NOTABLE = 5_000
"""Errors, warnings and bridge records kept (oldest dropped first)."""

_DELIVER = str(DeliveryStage.DELIVER)
_RESPOND = str(MessageKind.RESPOND)
_ERROR_EVENTS = {"MessageHandlerExceptionEvent", "AgentConstructionExceptionEvent"}
_WARNING_EVENTS = {"MessageDroppedEvent"}


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
    traceback: str | None
    related_types: frozenset[str]

    def iso_ts(self) -> str:
        return datetime.fromtimestamp(self.ts, tz=timezone.utc).isoformat()


_Raw = tuple[
    logging.LogRecord | None, float, int, str, Any, MessageRecord | None, tuple[str, str] | None
]
"""``(record or None, ts, levelno, logger name, msg, hop being handled, last handler error)``."""

_Routine = tuple[float, str | None, Any, Any, Any, Any, Any]
"""A delivered ``MessageEvent``: ``(ts, trace_id, sender, receiver, kind, delivery_stage, payload)``."""


class EventCollector(logging.Handler):
    """Bounded, append-only capture of log records; safe to attach to several loggers."""

    def __init__(self, max_routine: int = MAX_ROUTINE, max_notable: int = MAX_NOTABLE) -> None:
        super().__init__(level=logging.DEBUG)
        self._routine: deque[_Routine] = deque(maxlen=max_routine)
        self._notable: deque[CollectedRecord] = deque(maxlen=max_notable)
        self._attached: list[tuple[logging.Logger, int, logging.Handler]] = []
        self._fast_events: logging.Logger | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self._capture(record, record.created, record.levelno, record.name, record.msg)

    def _capture_event(self, msg: object, *args: object, **kwargs: object) -> None:
        """Stands in for ``autogen_core.events``'s ``info`` when nobody else listens at INFO: keeps the
        event without building a ``LogRecord`` (autogen-core logs ~4 events per message, so the routine
        case is inlined here)."""
        if type(msg) is MessageEvent:
            kw = msg.kwargs
            if kw.get("delivery_stage") != _DELIVER or kw.get("kind") == _RESPOND:
                return
            ctx = CURRENT.get()
            self._routine.append((time.time(), ctx.trace_id if ctx is not None else None, kw.get("sender"),
                                  kw.get("receiver"), kw.get("kind"), _DELIVER, kw.get("payload")))
            return
        self._capture(None, time.time(), logging.INFO, EVENTS_LOGGER, msg)

    def _capture(self, record: logging.LogRecord | None, ts: float, levelno: int, name: str, msg: Any) -> None:
        if type(msg).__name__ == "MessageEvent" and levelno <= logging.INFO:
            kw = msg.kwargs
            stage = kw.get("delivery_stage")
            # Keep one event per delivery (the runtime also logs the send and both legs of a response;
            # the bridge's message log has those, with ids and timings).
            if stage != _DELIVER or kw.get("kind") == _RESPOND:
                return
            ctx = CURRENT.get()
            self._routine.append((ts, ctx.trace_id if ctx is not None else None, kw.get("sender"),
                                  kw.get("receiver"), kw.get("kind"), stage, kw.get("payload")))
            return
        self._notable.append(parse((record, ts, levelno, name, msg, CURRENT.get(), LAST_ERROR.get())))

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
            events.info = self._capture_event  # type: ignore[method-assign]
            self._fast_events = events
        for name, level, handler in loggers:
            lg = logging.getLogger(name)
            previous = lg.level
            if level is not None and lg.getEffectiveLevel() > level:
                lg.setLevel(level)
            lg.addHandler(handler)
            self._attached.append((lg, previous, handler))

    def uninstall(self) -> None:
        if self._fast_events is not None:
            if vars(self._fast_events).get("info") == self._capture_event:
                del self._fast_events.info
            self._fast_events = None
        for lg, previous, handler in self._attached:
            lg.removeHandler(handler)
            lg.setLevel(previous)
        self._attached.clear()

    def __len__(self) -> int:
        return len(self._routine) + len(self._notable)

    def records(self) -> list[CollectedRecord]:
        """All kept records, oldest first."""
        routine = [_routine_record(r) for r in list(self._routine)]
        return list(heapq.merge(routine, list(self._notable), key=attrgetter("ts")))


class _CoreWarnings(logging.Handler):
    """Forwards ``autogen_core`` records at WARNING+ that are not events (those are captured directly)."""

    def __init__(self, target: EventCollector) -> None:
        super().__init__(level=logging.WARNING)
        self._target = target

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(EVENTS_LOGGER):
            self._target.emit(record)


def parse(raw: _Raw) -> CollectedRecord:
    record, ts, levelno, logger_name, msg, ctx, last_error = raw
    event_name: str | None = getattr(record, "event", None)
    agent_type: str | None = getattr(record, "agent_type", None)
    agent_key: str | None = getattr(record, "agent_key", None)
    message_id: str | None = getattr(record, "message_id", None)
    trace_id: str | None = getattr(record, "trace_id", None)
    exception_type: str | None = getattr(record, "exception_type", None)
    traceback_text: str | None = None
    related: set[str] = set()
    kwargs = getattr(msg, "kwargs", None)
    if isinstance(kwargs, dict):
        event_name = type(msg).__name__
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
                if last_error is not None:
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
            traceback_text = logging.Formatter().formatException(record.exc_info)
    if agent_type:
        related.add(agent_type)
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
        traceback=traceback_text,
        related_types=frozenset(related),
    )


def _routine_record(r: _Routine) -> CollectedRecord:
    ts, trace_id, sender, receiver, kind, stage, payload = r
    primary = receiver if "DELIVER" in str(stage) or sender is None else sender
    agent_type, agent_key = _split(primary)
    related = {t for t in (_split(sender)[0], _split(receiver)[0]) if t}
    text = json.dumps({"payload": payload, "sender": sender, "receiver": receiver, "kind": kind,
                       "delivery_stage": stage, "type": "Message"})
    return CollectedRecord(
        ts=ts, level="INFO", levelno=logging.INFO, logger=EVENTS_LOGGER, event="MessageEvent", message=text,
        agent_type=agent_type, agent_key=agent_key, message_id=None, trace_id=trace_id, exception_type=None,
        traceback=None, related_types=frozenset(related),
    )


def _split(agent: Any) -> tuple[str | None, str | None]:
    """``"type/key"`` (or a TopicId string ``"type/source"``) into its parts."""
    if not isinstance(agent, str) or "/" not in agent:
        return None, None
    t, _, k = agent.partition("/")
    return t, k


def dumps_safe(value: Any) -> str:
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)
