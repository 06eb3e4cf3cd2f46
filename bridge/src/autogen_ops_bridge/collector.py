"""Event collector: a ``logging.Handler`` on ``autogen_core.events`` (and the bridge's own logger)
keeping recent records in a bounded ring buffer. ``emit`` only appends; parsing happens on read."""

from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .message_log import CURRENT, LAST_ERROR, HandlingContext

EVENTS_LOGGER = "autogen_core.events"
CORE_LOGGER = "autogen_core"
BRIDGE_LOGGER = "autogen_ops_bridge"
MAX_RECORDS = 20_000
"""Ring buffer size: older records are dropped first."""

_ERROR_EVENTS = {"MessageHandlerExceptionEvent", "AgentConstructionExceptionEvent"}
_WARNING_EVENTS = {"MessageDroppedEvent"}


@dataclass
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


_Raw = tuple[logging.LogRecord, HandlingContext | None, tuple[str, str] | None]


class EventCollector(logging.Handler):
    """Bounded, append-only capture of log records; safe to attach to several loggers."""

    def __init__(self, max_records: int = MAX_RECORDS) -> None:
        super().__init__(level=logging.DEBUG)
        self._buffer: deque[_Raw] = deque(maxlen=max_records)
        self._attached: list[tuple[logging.Logger, int, logging.Handler]] = []
        self._restore_propagate: logging.Logger | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self._buffer.append((record, CURRENT.get(), LAST_ERROR.get()))

    def install(self) -> None:
        """Capture ``autogen_core.events`` (INFO+), the bridge's logger (INFO+) and other
        ``autogen_core`` records at WARNING+ (events reach that logger too; they are kept once)."""
        core_warnings = _CoreWarnings(self)
        events = logging.getLogger(EVENTS_LOGGER)
        if events.getEffectiveLevel() > logging.INFO and events.propagate:
            # The application did not log events: keep it that way for its own handlers.
            events.propagate = False
            self._restore_propagate = events
        for name, level, handler in (
            (EVENTS_LOGGER, logging.INFO, self),
            (BRIDGE_LOGGER, logging.INFO, self),
            (CORE_LOGGER, None, core_warnings),
        ):
            lg = logging.getLogger(name)
            previous = lg.level
            if level is not None and lg.getEffectiveLevel() > level:
                lg.setLevel(level)
            lg.addHandler(handler)
            self._attached.append((lg, previous, handler))

    def uninstall(self) -> None:
        if self._restore_propagate is not None:
            self._restore_propagate.propagate = True
            self._restore_propagate = None
        for lg, previous, handler in self._attached:
            lg.removeHandler(handler)
            lg.setLevel(previous)
        self._attached.clear()

    def __len__(self) -> int:
        return len(self._buffer)

    def records(self) -> list[CollectedRecord]:
        return [parse(raw) for raw in list(self._buffer)]


class _CoreWarnings(logging.Handler):
    """Forwards ``autogen_core`` records at WARNING+ that are not events (those are captured directly)."""

    def __init__(self, target: EventCollector) -> None:
        super().__init__(level=logging.WARNING)
        self._target = target

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(EVENTS_LOGGER):
            self._target.emit(record)


def parse(raw: _Raw) -> CollectedRecord:
    record, ctx, last_error = raw
    msg: Any = record.msg
    event_name: str | None = getattr(record, "event", None)
    agent_type: str | None = getattr(record, "agent_type", None)
    agent_key: str | None = getattr(record, "agent_key", None)
    message_id: str | None = getattr(record, "message_id", None)
    trace_id: str | None = getattr(record, "trace_id", None)
    exception_type: str | None = getattr(record, "exception_type", None)
    traceback_text: str | None = None
    related: set[str] = set()
    kwargs = getattr(msg, "kwargs", None)
    levelno = record.levelno
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
            primary = receiver if "DELIVER" in stage or sender is None else sender
            agent_type, agent_key = _split(primary)
            for who in (sender, receiver):
                t, _ = _split(who)
                if t:
                    related.add(t)
            if ctx is not None:
                trace_id = ctx.trace_id
    else:
        text = record.getMessage()
        if ctx is not None:
            agent_type = agent_type or ctx.agent_type
            agent_key = agent_key or ctx.agent_key
            message_id = message_id or ctx.message_id
            trace_id = trace_id or ctx.trace_id
        if record.exc_info and record.exc_info[0] is not None:
            exception_type = exception_type or record.exc_info[0].__name__
            traceback_text = logging.Formatter().formatException(record.exc_info)
    if agent_type:
        related.add(agent_type)
    return CollectedRecord(
        ts=record.created,
        level=logging.getLevelName(levelno),
        levelno=levelno,
        logger=record.name,
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
