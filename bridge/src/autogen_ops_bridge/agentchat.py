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
MAX_MARKS = 1_024
"""Handlers whose last step is remembered (to time their next model call); forgotten all at once beyond."""
MAX_HANDOFF_TARGETS = 50
MODEL_CALL_FRAMES = ("model_client.create", "/autogen_ext/models/")
"""Traceback text of a failure raised by a model call: AgentChat's agents and selector call
``model_client.create(...)`` / ``create_stream(...)``; autogen-ext's clients live under ``autogen_ext/models``."""
MAX_TURNS_PREFIX = "Maximum number of turns"
"""How a group-chat manager words a run stopped by ``max_turns`` (``Maximum number of turns 3 reached.``)."""


def is_error_echo(message_type: str, exc: BaseException) -> bool:
    """AgentChat 0.7 publishes a participant's ``GroupChatError`` to the whole team, and every other
    participant's container raises ``ValueError`` for a message type it does not handle: an echo of another
    agent's failure (counted where it happened), not a failure of the agent that raises it."""
    return type(exc) is ValueError and message_type == "GroupChatError"


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
    """Runs of one team, counted by its group-chat manager: started, and ended normally (a termination
    condition, or ``max_turns`` exhausted) or by an error."""

    started: int = 0
    stopped: int = 0
    failed: int = 0
    max_turns: int = 0
    """Runs stopped because ``max_turns`` was reached (counted in ``stopped`` too)."""
    last_stop_reason: str | None = None
    last_error: str | None = None
    last_ended_by: str | None = None
    """How the last ended run ended: ``termination``, ``max_turns`` or ``error``."""
    last_ended_at: float | None = None
    _start_hop: int = 0


@dataclass
class ModelCalls:
    """Model calls an agent type made: answers from autogen-core's ``LLMCallEvent`` / ``LLMStreamEndEvent``
    (which autogen-ext's clients log), failures from the ``GroupChatError`` whose traceback runs through a
    model client call. Latency runs from the handler's previous step (its start, its last published message
    or its last model call) to the answer or the failure: an upper bound of the call itself."""

    calls: int = 0
    errors: int = 0
    errors_by_type: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    durations: deque[float] = field(default_factory=lambda: deque(maxlen=1000))
    seconds_total: float = 0.0

    def timed(self, duration: float | None) -> None:
        if duration is not None:
            self.durations.append(duration)
            self.seconds_total += duration


def is_model_failure(traceback_text: str | None) -> bool:
    """Whether a failure's traceback runs through a model client's call."""
    return bool(traceback_text) and any(frame in traceback_text for frame in MODEL_CALL_FRAMES)  # type: ignore[operator]


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

    def __init__(self, gate_of: Callable[[str], AgentGate],
                 on_install: Callable[[AgentChatObserver], None] | None = None) -> None:
        self.watchers: dict[type, Watcher] = {}
        self.tools: dict[str, dict[str, ToolStats]] = {}
        self.team_runs: dict[str, TeamRuns] = {}
        self.model_calls: dict[str, ModelCalls] = {}
        self.handoffs: dict[str, dict[str, int]] = {}
        """Handoffs (Swarm's ``HandoffMessage``) per agent type that handed off, by target name."""
        self._marks: dict[int, float] = {}
        self._on_install = on_install
        self._model_failed_hops: dict[int, object] = {}
        self._run_failed_hops: dict[int, object] = {}
        self._model_groups: dict[int, bool] = {}
        """Error group serial → whether its traceback runs through a model call (read once per signature)."""
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
            from autogen_agentchat.messages import HandoffMessage, ToolCallExecutionEvent, ToolCallRequestEvent
            from autogen_agentchat.teams._group_chat._events import (
                GroupChatError,
                GroupChatMessage,
                GroupChatStart,
                GroupChatTermination,
            )
        except ImportError as exc:
            logger.warning("AgentChat is imported but its group-chat events are not where this bridge expects "
                           "them (%s): tool and model failures of teams will not be counted", exc)
            return
        self._inner[ToolCallRequestEvent] = self._tool_requested
        self._inner[ToolCallExecutionEvent] = self._tool_results
        self._inner[HandoffMessage] = self._handoff
        self.watchers[GroupChatStart] = self._guarded(self._start)
        self.watchers[GroupChatMessage] = self._guarded(self._group_chat_message)
        self.watchers[GroupChatError] = self._guarded(self._group_chat_error)
        self.watchers[GroupChatTermination] = self._guarded(self._termination)
        if self._on_install is not None:
            self._on_install(self)

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
        hop = CURRENT.get()
        if hop is None:
            return
        marks = self._marks
        marks[id(hop)] = time.time()  # a step of this handler: its next model call starts after it
        if len(marks) > MAX_MARKS:
            marks.clear()
        read = self._inner.get(type(message.message))
        if read is not None and self._first_sighting(message.message):
            read(message.message, hop)

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

    def _handoff(self, event: Any, hop: MessageRecord) -> None:
        targets = self.handoffs.get(hop.agent_type)
        if targets is None:
            targets = self.handoffs[hop.agent_type] = {}
        target = str(event.target)
        if target not in targets and len(targets) >= MAX_HANDOFF_TARGETS:
            target = OTHER_TOOLS
        targets[target] = targets.get(target, 0) + 1

    def _group_chat_error(self, message: Any) -> None:
        hop = CURRENT.get()
        if hop is None:
            return
        error = message.error
        self._first_sighting(error)  # the manager relays it in its termination: not the manager's own failure
        exception_type = str(error.error_type or "GroupChatError")
        text = clip(str(error.error_message), MAX_TEXT)
        detail = error.traceback or f"{exception_type}: {error.error_message}"
        if is_model_failure(error.traceback):
            self._model_failed(hop, exception_type, text)
        self._gate_of(hop.agent_type).report_soft_error(hop, exception_type, text, clip(detail, MAX_DETAIL * 4))

    # --- model calls -------------------------------------------------------------------------------
    def _model(self, agent_type: str) -> ModelCalls:
        calls = self.model_calls.get(agent_type)
        if calls is None:
            calls = self.model_calls[agent_type] = ModelCalls()
        return calls

    def _since_last_step(self, hop: MessageRecord | None, now: float) -> float | None:
        if hop is None:
            return None
        started = self._marks.get(id(hop))
        if started is None and hop.handler_started_at is not None:
            started = hop.handler_started_at
        self._marks[id(hop)] = now
        return now - started if started is not None else None

    @staticmethod
    def _once(seen: dict[int, object], hop: MessageRecord) -> bool:
        """The first time ``hop`` is counted in ``seen`` (a handler that reports a failure and raises it)."""
        if id(hop) in seen and seen[id(hop)] is hop:
            return False
        if len(seen) >= MAX_MARKS:
            seen.clear()
        seen[id(hop)] = hop
        return True

    def handler_failed(self, hop: MessageRecord, group: Any) -> None:
        """A handler raised (the gate captured it): a model call's failure that no AgentChat event reported
        (a selector failing in a manager's ``handle_start``) is counted here; a manager's raise ends its run."""
        try:
            verdict = self._model_groups.get(group.serial)
            if verdict is None:
                if len(self._model_groups) >= MAX_MARKS:
                    self._model_groups.clear()
                verdict = self._model_groups[group.serial] = is_model_failure(group.text)
            if verdict:
                self._model_failed(hop, group.exception_type, clip(group.message, MAX_TEXT))
            runs = self.team_runs.get(hop.agent_type)
            running = runs is not None and runs.started > runs.stopped + runs.failed
            if runs is not None and running and self._once(self._run_failed_hops, hop):
                runs.failed += 1
                runs.last_ended_by = "error"
                runs.last_ended_at = time.time()
                runs.last_error = clip(f"{group.exception_type}: {group.message}", MAX_TEXT)
        except Exception:  # noqa: BLE001 - never break the runtime's error path
            logger.warning("could not read a handler failure of %s", hop.agent_type, exc_info=True)

    def _model_failed(self, hop: MessageRecord, exception_type: str, text: str) -> None:
        if not self._once(self._model_failed_hops, hop):
            return
        calls = self._model(hop.agent_type)
        calls.calls += 1
        calls.errors += 1
        calls.errors_by_type[exception_type] = calls.errors_by_type.get(exception_type, 0) + 1
        calls.last_error = f"{exception_type}: {text}"
        calls.timed(self._since_last_step(hop, time.time()))

    def llm_event(self, event: Any) -> None:
        """An ``LLMCallEvent``, ``LLMStreamStartEvent`` or ``LLMStreamEndEvent`` (from the collector, in the
        model client's task: the calling handler's)."""
        try:
            hop = CURRENT.get()
            now = time.time()  # the clock of the hop's handler_started_at
            kwargs = event.kwargs
            if kwargs.get("type") == "LLMStreamStart":
                if hop is not None:
                    self._marks[id(hop)] = now
                return
            agent_type = hop.agent_type if hop is not None else str(kwargs.get("agent_id") or "?").partition("/")[0]
            calls = self._model(agent_type)
            calls.calls += 1
            calls.prompt_tokens += int(kwargs.get("prompt_tokens") or 0)
            calls.completion_tokens += int(kwargs.get("completion_tokens") or 0)
            calls.timed(self._since_last_step(hop, now))
        except Exception:  # noqa: BLE001 - a model client's log call must never fail because of the bridge
            logger.warning("could not read model call event %s", type(event).__name__, exc_info=True)

    # --- team runs ---------------------------------------------------------------------------------
    def _runs(self, agent_type: str) -> TeamRuns:
        runs = self.team_runs.get(agent_type)
        if runs is None:
            runs = self.team_runs[agent_type] = TeamRuns()
        return runs

    def _start(self, message: Any) -> None:
        # A manager relays the task it was sent (GroupChatStart) to its output and its participants: a run
        # starts once per manager handler. The caller's own send happens outside any handler.
        hop = CURRENT.get()
        if hop is None:
            return
        runs = self._runs(hop.agent_type)
        if runs._start_hop != id(hop):
            runs._start_hop = id(hop)
            runs.started += 1

    def _termination(self, message: Any) -> None:
        hop = CURRENT.get()
        agent_type = hop.agent_type if hop is not None else "?"
        runs = self._runs(agent_type)
        reason = clip(str(message.message.content), MAX_TEXT)
        runs.last_stop_reason = reason
        runs.last_ended_at = time.time()
        extra = {"event": "TeamRunStopped", "agent_type": agent_type,
                 "agent_key": hop.agent_key if hop is not None else None,
                 "message_id": hop.message_id if hop is not None else None,
                 "trace_id": hop.trace_id if hop is not None else None}
        if message.error is None:
            runs.stopped += 1
            runs.last_ended_by = "termination"
            if reason.startswith(MAX_TURNS_PREFIX):
                runs.max_turns += 1
                runs.last_ended_by = "max_turns"
            logger.info("team run stopped: %s", reason, extra=extra)
            return
        if hop is not None and not self._once(self._run_failed_hops, hop):
            return
        runs.failed += 1
        runs.last_ended_by = "error"
        error = message.error
        if hop is not None and self._first_sighting(error) and is_model_failure(error.traceback):
            # The manager's own model call failed (a selector's), not a participant's relayed failure.
            self._model_failed(hop, str(error.error_type or "Exception"), clip(str(error.error_message), MAX_TEXT))
        runs.last_error = clip(f"{message.error.error_type}: {message.error.error_message}", MAX_TEXT)
        logger.warning("team run ended by an error: %s", runs.last_error,
                       extra={**extra, "exception_type": message.error.error_type})

    # --- read side ---------------------------------------------------------------------------------
    def model_stats(self, agent_type: str) -> ModelCalls | None:
        return self.model_calls.get(agent_type)

    def tool_stats(self, agent_type: str) -> list[ToolStats]:
        return sorted(self.tools.get(agent_type, {}).values(), key=lambda s: (-s.count, s.tool))
