"""AgentChat failures that never reach a handler as an exception, read from what a participant publishes.

An AgentChat ``AssistantAgent`` turns a tool's exception into a tool result with ``is_error=True``, and a
participant container reports a failed turn as a ``GroupChatError``: the handler the gate wraps may return
normally while the run failed. The participant container publishes both (a ``GroupChatMessage`` carrying a
``ToolCallExecutionEvent``; a ``GroupChatError``) from inside its handler, so the bridge's publish wrapper
sees them in the handler's own task and reports them to that agent type's gate as the handler's outcome.

Nothing here imports ``autogen_agentchat`` until the application has imported it: the bridge works without
it. Its group-chat events live in a private module; this is the one place the bridge touches it, and the
AgentChat tests fail loudly if a new version moves it.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .message_log import CURRENT, MessageRecord

if TYPE_CHECKING:
    from .gate import AgentGate

logger = logging.getLogger("autogen_ops_bridge")

AGENTCHAT_MODULE = "autogen_agentchat"
TOOL_ERROR = "ToolError"
"""``exception_type`` of a failed tool call (the tool's own exception class is not in its result)."""
MAX_TEXT = 500
"""Characters of a tool's error text kept in an error record's message (the detail keeps more)."""
MAX_DETAIL = 4_000
MAX_TOOLS_PER_AGENT = 50
"""Distinct tool names counted per agent type; a model inventing names cannot grow metrics without bound."""
OTHER_TOOLS = "(other)"
MAX_PENDING_CALLS = 1_024
"""Tool-call requests awaiting their result (for latency); the oldest are forgotten first."""
MAX_SEEN_EVENTS = 256


def is_error_echo(message: object, exc: BaseException) -> bool:
    """AgentChat 0.7 publishes a participant's ``GroupChatError`` to the whole team, and every other
    participant's container raises ``ValueError`` for a message type it does not handle: an echo of another
    agent's failure (counted where it happened), not a failure of the agent that raises it."""
    return type(exc) is ValueError and type(message).__name__ == "GroupChatError"


@dataclass
class ToolStats:
    """Calls an agent type made to one tool, counted from the tool results its participant published."""

    tool: str
    count: int = 0
    errors: int = 0
    last_error: str | None = None
    durations: deque[float] = field(default_factory=lambda: deque(maxlen=1000))


@dataclass
class TeamRuns:
    """Runs a group-chat manager ended: normally (a termination condition, max turns) or with an error."""

    stopped: int = 0
    failed: int = 0
    last_stop_reason: str | None = None
    last_error: str | None = None


_ERRNO = re.compile(r"\[Errno (\d+)\]")


def os_error_class(text: str) -> str | None:
    """The ``OSError`` subclass Python raises for the errno a tool's error text starts with (a tool result
    keeps only ``str(exc)``, e.g. ``[Errno 111] Connect call failed``): ``ConnectionRefusedError``."""
    match = _ERRNO.match(text)
    if match is None:
        return None
    cls = type(OSError(int(match.group(1)), ""))
    return None if cls is OSError else cls.__name__


def clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


Watcher = Callable[[Any], None]


class AgentChatObserver:
    """Reads the AgentChat messages a participant publishes while its handler runs. ``watchers`` maps a
    message type to its reader; the bridge's send/publish wrappers look each message's type up there (one
    dict lookup per message; empty until AgentChat is imported)."""

    def __init__(self, gate_of: Callable[[str], AgentGate]) -> None:
        self.watchers: dict[type, Watcher] = {}
        self.tools: dict[str, dict[str, ToolStats]] = {}
        self.team_runs: dict[str, TeamRuns] = {}
        self.installed = False
        self._gate_of = gate_of
        self._inner: dict[type, Callable[[Any, MessageRecord], None]] = {}
        self._requested: OrderedDict[tuple[int, str], float] = OrderedDict()
        # Events already counted, held so their ids stay unique: a nested team on the same runtime has its
        # events published by its own participants and relayed again by the outer container.
        self._seen: OrderedDict[int, object] = OrderedDict()

    def install_if_imported(self) -> None:
        """Start watching once the application has imported AgentChat (checked when agents appear)."""
        if self.installed or AGENTCHAT_MODULE not in sys.modules:
            return
        self.installed = True
        try:
            from autogen_agentchat.messages import ToolCallExecutionEvent, ToolCallRequestEvent
            from autogen_agentchat.teams._group_chat._events import (
                GroupChatError,
                GroupChatMessage,
                GroupChatTermination,
            )
        except ImportError as exc:
            logger.warning("AgentChat is imported but its group-chat events are not where this bridge expects "
                           "them (%s): tool and model failures of teams will not be counted", exc)
            return
        self._inner[ToolCallRequestEvent] = self._tool_requested
        self._inner[ToolCallExecutionEvent] = self._tool_results
        self.watchers[GroupChatMessage] = self._guarded(self._group_chat_message)
        self.watchers[GroupChatError] = self._guarded(self._group_chat_error)
        self.watchers[GroupChatTermination] = self._guarded(self._termination)

    @staticmethod
    def _guarded(read: Watcher) -> Watcher:
        # Observing must never break the application's publish (nor leave a team's run waiting).
        def guarded(message: Any) -> None:
            try:
                read(message)
            except Exception:  # noqa: BLE001 - a reader bug is logged, the message goes on
                logger.warning("could not read AgentChat message %s", type(message).__name__, exc_info=True)

        return guarded

    # --- readers (called in the publishing handler's task) ---------------------------------------------
    def _group_chat_message(self, message: Any) -> None:
        inner = message.message
        read = self._inner.get(type(inner))
        if read is None:
            return
        hop = CURRENT.get()
        if hop is not None and self._first_sighting(inner):
            read(inner, hop)

    def _first_sighting(self, event: object) -> bool:
        if id(event) in self._seen:
            return False
        self._seen[id(event)] = event
        if len(self._seen) > MAX_SEEN_EVENTS:
            self._seen.popitem(last=False)
        return True

    def _tool_requested(self, event: Any, hop: MessageRecord) -> None:
        now = time.monotonic()
        for call in event.content:
            self._requested[(id(hop), call.id)] = now
        while len(self._requested) > MAX_PENDING_CALLS:
            self._requested.popitem(last=False)

    def _tool_results(self, event: Any, hop: MessageRecord) -> None:
        now = time.monotonic()
        agent_type = hop.agent_type
        for result in event.content:
            stats = self._tool(agent_type, result.name or "?")
            stats.count += 1
            started = self._requested.pop((id(hop), result.call_id), None)
            if started is not None:
                stats.durations.append(now - started)
            if result.is_error:
                stats.errors += 1
                text = clip(str(result.content), MAX_TEXT)
                cls = os_error_class(text)
                if cls is not None:
                    text = f"{cls}: {text}"
                stats.last_error = text
                detail = (f"tool {result.name!r} (call id {result.call_id!r}) returned an error result "
                          f"(FunctionExecutionResult is_error=True):\n{clip(str(result.content), MAX_DETAIL)}")
                self._gate_of(agent_type).report_soft_error(hop, TOOL_ERROR, f"tool {result.name} failed: {text}",
                                                            detail)

    def _tool(self, agent_type: str, name: str) -> ToolStats:
        tools = self.tools.get(agent_type)
        if tools is None:
            tools = self.tools[agent_type] = {}
        stats = tools.get(name)
        if stats is None:
            if len(tools) >= MAX_TOOLS_PER_AGENT:
                name = OTHER_TOOLS
                stats = tools.get(name)
            if stats is None:
                stats = tools[name] = ToolStats(name)
        return stats

    def _group_chat_error(self, message: Any) -> None:
        hop = CURRENT.get()
        if hop is None:
            return
        error = message.error
        exception_type = str(error.error_type or "GroupChatError")
        text = clip(str(error.error_message), MAX_TEXT)
        detail = error.traceback or f"{exception_type}: {error.error_message}"
        self._gate_of(hop.agent_type).report_soft_error(hop, exception_type, text, clip(detail, MAX_DETAIL * 4))

    def _termination(self, message: Any) -> None:
        hop = CURRENT.get()
        agent_type = hop.agent_type if hop is not None else "?"
        runs = self.team_runs.get(agent_type)
        if runs is None:
            runs = self.team_runs[agent_type] = TeamRuns()
        reason = clip(str(message.message.content), MAX_TEXT)
        runs.last_stop_reason = reason
        extra = {"event": "TeamRunStopped", "agent_type": agent_type,
                 "agent_key": hop.agent_key if hop is not None else None,
                 "message_id": hop.message_id if hop is not None else None,
                 "trace_id": hop.trace_id if hop is not None else None}
        if message.error is None:
            runs.stopped += 1
            logger.info("team run stopped: %s", reason, extra=extra)
            return
        runs.failed += 1
        runs.last_error = clip(f"{message.error.error_type}: {message.error.error_message}", MAX_TEXT)
        logger.warning("team run ended by an error: %s", runs.last_error,
                       extra={**extra, "exception_type": message.error.error_type})

    # --- read side ---------------------------------------------------------------------------------
    def tool_stats(self, agent_type: str) -> list[ToolStats]:
        return sorted(self.tools.get(agent_type, {}).values(), key=lambda s: (-s.count, s.tool))
