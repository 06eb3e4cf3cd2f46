"""The bridge gate: shadows each agent's ``on_message`` so isolation, degrade, backpressure, metrics,
latency, error capture and message tracing happen around the handler, in the handler's own task.

An RPC to an agent under no control is counted and handed straight to the handler; its end is taken
from the event autogen-core logs in the same task (``AgentGate.finish``), so the bridge adds no frame to
the handler's call or to its failures' tracebacks. Everything else runs in a coroutine around the
handler (``AgentGate._handle``). ``tests/test_gate_paths.py`` checks both give the same counts.

Nothing here drops messages at the runtime's queue (autogen-core 0.7 skips ``task_done`` for a drop):
a refused message raises to its sender from inside the handler call, so the queue stays balanced and
``stop_when_idle`` keeps working.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from autogen_core import Agent, AgentId, AgentInstantiationContext, MessageContext, Subscription

from . import runtime_internals as internals
from ._accel import speedups
from .agentchat import is_error_echo
from .error_capture import LAST_CAPTURE, ErrorCapture, Handoff
from .error_capture import ErrorRecord as ErrorRecord  # re-exported: the API layer reads records from here
from .errors import AgentDegradedError, AgentIsolatedError
from .limiter import InflightLimiter
from .message_log import CURRENT, LAST_ERROR, MessageLog, MessageRecord
from .sampling import ReceiverBudget
from .stats import AgentStats

if TYPE_CHECKING:
    from .agentchat_control import StandIn

MAX_RECENT_ERRORS = 50
"""Error records served as ``recent_errors``: sampled per signature (see ``error_capture``)."""

logger = logging.getLogger("autogen_ops_bridge")

WALL_OFFSET = time.time() - time.perf_counter()
"""``time.time() - time.perf_counter()`` at import: wall-clock stamps of the hot path are derived from
one monotonic read (a wall-clock step while the process runs shifts them by at most that step; durations
are unaffected)."""


@dataclass(slots=True)
class ReportedError:
    """The first failure a running handler reported without raising, and how many followed it."""

    exception_type: str
    message: str
    detail: str
    more: int = 0


@dataclass
class Isolation:
    mode: str
    hold_timeout_s: float
    since: float
    reason: str | None
    released: asyncio.Event = field(default_factory=asyncio.Event)
    saved_state: dict[str, Any] = field(default_factory=dict)
    removed_subscriptions: list[Subscription] = field(default_factory=list)


class RuntimeShared:
    """What every gate of one runtime shares: the runtime-wide in-flight bound, and how a hop ends.

    The bound applies to messages entering from outside any agent (sender ``None``): nested RPCs made
    while handling an admitted message are not counted again, so a chain of agents can never deadlock on
    the runtime-wide limit."""

    __slots__ = ("limiter", "events_finish")  # (slots: read from C, see _speedups.c)

    def __init__(self) -> None:
        self.limiter = InflightLimiter()
        self.events_finish = False
        """Whether the bridge takes autogen-core's events itself, in the handler's task, from a runtime
        known to report each RPC handler's end by one (see ``AgentGate._enter``); set on attach."""


class AgentGate:
    """Control state and statistics of one agent type."""

    __slots__ = ("agent_type", "stats", "isolation", "degraded", "capacity", "backpressure", "backpressure_wait_s",
                 "limiter", "errors", "_log", "_shared", "_holding", "_soft_errors", "stand_in")
    # (slots: the C accelerator reads the hot ones at their offsets, see _speedups.c)

    def __init__(self, agent_type: str, log: MessageLog, shared: RuntimeShared) -> None:
        self.agent_type = agent_type
        self.stats = AgentStats()
        self.isolation: Isolation | None = None
        self.degraded = False
        self.capacity: int | None = None
        self.backpressure: int | None = None
        self.backpressure_wait_s: float = 30.0
        self.limiter = InflightLimiter()
        self.errors = ErrorCapture(agent_type)
        self._log = log
        self._shared = shared
        self._holding = 0
        self._soft_errors: dict[int, ReportedError] = {}
        self.stand_in: StandIn | None = None
        """Set on an AgentChat team member once an action acted on it: decides what isolation, degrade and
        run limits mean for each message (see ``agentchat_control``)."""

    # --- control -----------------------------------------------------------------------------
    def set_capacity(self, capacity: int | None) -> None:
        """The application's own concurrency for this type (messages beyond it wait, unbounded)."""
        self.capacity = capacity
        self._apply_limit()

    def set_backpressure(self, max_inflight: int | None, max_wait_s: float) -> None:
        self.backpressure = max_inflight
        self.backpressure_wait_s = max_wait_s
        self.stats.peak_inflight = self.stats.inflight  # the peak is measured from the new limit on
        self._apply_limit()

    def _apply_limit(self) -> None:
        limits = [x for x in (self.capacity, self.backpressure) if x is not None]
        limit = min(limits) if limits else None
        self.limiter.set_limit(limit, self.backpressure_wait_s if self.backpressure is not None else None)

    @property
    def recent_errors(self) -> list[ErrorRecord]:
        """Newest first, at most ``MAX_RECENT_ERRORS``: each signature's sampled records and its latest
        error, so one storm cannot push the other signatures out."""
        return self.errors.recent(MAX_RECENT_ERRORS)

    @property
    def waiting(self) -> int:
        return self.limiter.waiting + self._holding

    # --- the wrapper -------------------------------------------------------------------------
    def wrap(self, agent: Agent) -> None:
        # A partial of a plain function: for an RPC to an agent under no control, no coroutine of the
        # bridge's own runs in between (see ``_enter``).
        # The hop's recipient string is formatted once per agent instance, not once per message.
        recipient = f"{self.agent_type}/{agent.id.key}"
        internals.set_on_message(
            agent, functools.partial(ENTER, self, agent.id, recipient, internals.original_on_message(agent))
        )

    def _enter(
        self,
        agent_id: AgentId,
        recipient: str,
        original: Callable[[Any, MessageContext], Awaitable[Any]],
        message: Any,
        ctx: MessageContext,
    ) -> Awaitable[Any]:
        """The agent's ``on_message``. An RPC to an agent that no control holds back (the usual case,
        and every message of an error storm) is counted here and handed to the handler's own coroutine:
        autogen-core then reports its end in the same task — the response event after it returned, the
        exception event (inside its ``except``) after it raised — and ``finish`` settles the hop from
        there (``RuntimeShared.events_finish``: only where the bridge takes those events itself). So no frame of
        the bridge's waits on the handler, or sits in every failure's traceback. Anything else (a publish,
        isolation, degrade, a limit or waiters, an AgentChat stand-in, events not taken, a call that does not
        come from the runtime's ``_process_send``, which alone reports the end) runs ``_handle``, a
        coroutine around the handler."""
        limiter = self.limiter
        if (not ctx.is_rpc or not self._shared.events_finish or self.stand_in is not None or self.degraded
                or self.isolation is not None or limiter.limit is not None or limiter.waiters
                or (ctx.sender is None and self._shared.limiter.limit is not None)
                or sys._getframe(1).f_code is not internals.PROCESS_SEND_CODE):  # called by the runtime, not directly
            return self._handle(agent_id, recipient, original, message, ctx)
        started = time.perf_counter()
        message_type = type(message).__name__
        message_id = ctx.message_id
        if message_id in self._log.linked_ids:
            hop = self._log.delivery(message_id, ctx.sender, recipient, message, True)
            hop.gate = self
            hop.perf_started = started
            hop.handler_started_at = started + WALL_OFFSET
        else:  # log.delivery()'s record of an unlinked message, made whole at once: every message of a storm
            wall = started + WALL_OFFSET
            hop = MessageRecord(message_id, None, recipient, message_type, "send", wall, None, None, None, wall,
                                None, "pending", None, self, started, False)
        CURRENT.set(hop)
        limiter.inflight += 1
        stats = self.stats  # _started(), inlined
        stats.inflight += 1
        if stats.inflight > stats.peak_inflight:
            stats.peak_inflight = stats.inflight
        stats.message_types.add(message_type)
        return original(message, ctx)

    def _started(self, hop: MessageRecord, message: Any) -> None:
        """Counts the handler in flight and stamps its start on ``hop`` (one monotonic clock read at each end;
        wall-clock times are derived from it, ``WALL_OFFSET``)."""
        stats = self.stats
        stats.inflight += 1
        if stats.inflight > stats.peak_inflight:
            stats.peak_inflight = stats.inflight
        stats.message_types.add(type(message).__name__)
        hop.perf_started = started = time.perf_counter()
        hop.handler_started_at = started + WALL_OFFSET

    def finish(self, hop: MessageRecord, exc: BaseException | None) -> None:
        """The end of a hop, however it was handed to the handler: ``exc`` is what the handler raised (None:
        it returned). Counts it and finishes it, with a failure the handler reported without raising when
        it raised nothing. An AgentChat error echo is not this agent's failure: the hop is refused. The
        traceback's outermost frame is not the handler's (autogen-core's ``_process_send``, or the gate's):
        the signature leaves it out. Called from the bridge's hook on autogen-core's events for a hop
        ``_enter`` handed straight to the handler, else from ``_handle``; in the handler's task."""
        now = time.perf_counter()
        hop.gate = None
        stats = self.stats
        stats.inflight -= 1
        limiter = self.limiter
        if limiter.waiters:  # a limit was set while this ran (or is in force): wake the next waiter
            limiter.release()
        else:
            limiter.inflight -= 1
        ended = now + WALL_OFFSET
        error_type = None
        if exc is not None:
            message_type = hop.message_type
            if type(exc) is ValueError and is_error_echo(message_type, exc):  # (type test first: no call in a storm)
                hop.finished_at = ended
                hop.outcome = "refused"
                hop.error = f"{type(exc).__name__}: {exc}"
                if self._soft_errors:
                    error_type = self._settle_soft_error(hop, ended)
            else:
                # Counted exactly; the traceback is formatted only for a signature not seen before.
                # (positional: keyword arguments cost a name match per call)
                group = self.errors.capture(exc, ended, "handler", hop.agent_key, hop.message_id, message_type,
                                            True, hop.linked)
                LAST_CAPTURE.hop = hop
                LAST_CAPTURE.group = group
                hop.finished_at = ended  # hop.finish("error", ...), inlined: an error storm runs this
                hop.outcome = "error"
                hop.error = f"{group.exception_type}: {group.message}"
                error_type = group.exception_type
                if self._soft_errors:  # it raised: its exception is the outcome, a report is dropped
                    self._soft_errors.pop(id(hop), None)
        elif hop.error is not None:  # it returned, having reported a failure (report_soft_error)
            error_type = self._settle_soft_error(hop, ended)
        stats.end(ended, now - hop.perf_started, error_type)  # (the aggregates take them in batches)
        if error_type is None and hop.outcome != "refused":  # (refused: an error echo, already finished)
            hop.finished_at = ended  # hop.finish("ok"), inlined: this runs for every delivery
            hop.outcome = "ok"

    async def _handle(
        self,
        agent_id: AgentId,
        recipient: str,
        original: Callable[[Any, MessageContext], Awaitable[Any]],
        message: Any,
        ctx: MessageContext,
    ) -> Any:
        hop = self._log.delivery(ctx.message_id, ctx.sender, recipient, message, ctx.is_rpc)
        CURRENT.set(hop)
        if self.stand_in is not None:
            answered = await self.stand_in.before(self, agent_id, message, ctx, hop)
            if answered is not None:  # the stand-in answered the turn for the agent: nothing else runs
                self.stats.refused(answered)
                hop.finish("refused", f"answered by AutoGen Ops: {self.agent_type} is {answered}")
                return None
        else:
            if self.degraded:
                self._refuse(hop, "degraded", AgentDegradedError(
                    f"agent type '{self.agent_type}' is switched off by degrade (optional agent shed); "
                    "the sender should continue without it"
                ))
            if self.isolation is not None:
                await self._isolation_gate(hop)
        limiter = self.limiter
        limiter_needed = limiter.limit is not None or bool(limiter.waiters)
        if limiter_needed:
            self.stats.waiting += 1
            try:
                await limiter.acquire(f"message to {self.agent_type}")
            except BaseException as exc:
                self._refuse(hop, "backpressure", exc)
            finally:
                self.stats.waiting -= 1
        else:
            limiter.inflight += 1
        runtime_slot = ctx.sender is None and self._shared.limiter.limit is not None
        if runtime_slot:
            try:
                await self._shared.limiter.acquire("message entering the runtime")
            except BaseException as exc:
                limiter.release()
                self._refuse(hop, "backpressure", exc)
        self._started(hop, message)
        if hop.outcome == "held":
            hop.outcome = "pending"
        failure: BaseException | None = None
        try:
            return await original(message, ctx)
        except BaseException as exc:
            if self.stand_in is not None:
                self.stand_in.control.start_failed(self.agent_type, message)
            failure = exc
            raise
        finally:
            if runtime_slot:
                self._shared.limiter.release()
            try:
                self.finish(hop, failure)
            except Exception:  # noqa: BLE001 - the handler's own answer or exception goes to the sender as it is
                logger.exception("could not settle the end of message %s", hop.message_id)
            # This frame outlives the call in the failure's traceback, which a reference cycle keeps until
            # the next young collection or two: with its locals cleared, each of those visits a dozen fewer
            # references per failed delivery.
            del agent_id, recipient, original, message, ctx, hop, limiter, failure

    # --- failures a handler reports instead of raising (AgentChat tool results, GroupChatError) -----
    def report_soft_error(self, hop: MessageRecord, exception_type: str, message: str, detail: str) -> None:
        """A failure ``hop``'s handler reported without raising: once the handler returns, it counts as
        the handler's error (errors, error rate, recent errors, the log, the hop). If the handler raises,
        its exception is the outcome and the report is dropped (the same failure, counted once)."""
        if hop.finished_at is None:
            pending = self._soft_errors.get(id(hop))
            if pending is None:
                self._soft_errors[id(hop)] = ReportedError(exception_type, message, detail)
                hop.error = f"{exception_type}: {message}"  # marks the hop for the gate's finally
            else:
                pending.more += 1
            return
        # Reported after the handler ended (from a task it left behind): kept, its sample already taken.
        self._record_soft_error(hop, hop.agent_key, exception_type, message, detail, None, time.time())

    def _settle_soft_error(self, hop: MessageRecord, ended: float) -> str | None:
        pending = self._soft_errors.pop(id(hop), None)
        if pending is None:
            return None
        text = pending.message
        if pending.more:
            text += f" (and {pending.more} more reported failure{'s' if pending.more > 1 else ''} in this handler)"
        self._record_soft_error(hop, hop.agent_key, pending.exception_type, text, pending.detail, hop.message_type,
                                ended)
        hop.finish("error", f"{pending.exception_type}: {text}", at=ended)
        return pending.exception_type

    def _record_soft_error(self, hop: MessageRecord, key: str | None, exception_type: str, text: str,
                           detail: str, message_type: str | None, ts: float) -> None:
        self.errors.capture_reported(exception_type, text, detail, ts, "handler", key, hop.message_id, message_type)
        logger.error("%s failed: %s: %s", self.agent_type, exception_type, text, extra={
            "event": "HandlerReportedError", "agent_type": self.agent_type, "agent_key": key,
            "message_id": hop.message_id, "trace_id": hop.trace_id, "exception_type": exception_type,
        })

    async def _isolation_gate(self, hop: Any) -> None:
        isolation = self.isolation
        assert isolation is not None
        if isolation.mode == "hold":
            hop.outcome = "held"
            self._holding += 1
            try:
                await asyncio.wait_for(isolation.released.wait(), isolation.hold_timeout_s)
            except asyncio.TimeoutError:
                pass
            finally:
                self._holding -= 1
            if self.isolation is None:
                return
            self._refuse(hop, "isolated", AgentIsolatedError(
                f"agent type '{self.agent_type}' is isolated; message held {isolation.hold_timeout_s}s "
                "and not released (timeout); retry after release"
            ))
        self._refuse(hop, "isolated", AgentIsolatedError(
            f"agent type '{self.agent_type}' is isolated by the operator and refuses messages; "
            "retry after release"
        ))

    def refuse(self, hop: Any, reason: str, exc: BaseException) -> None:
        """Refuse the message ``hop`` delivers: counted, and ``exc`` raised to its sender."""
        self._refuse(hop, reason, exc)

    def _refuse(self, hop: Any, reason: str, exc: BaseException) -> None:
        self.stats.refused(reason)
        LAST_ERROR.set((type(exc).__name__, f"{type(exc).__name__}: {exc}\n"))
        hop.finish("refused", f"{type(exc).__name__}: {exc}")
        raise exc

    # --- construction ------------------------------------------------------------------------
    def wrap_factory(self, runtime: Any, factory: internals.AgentFactory) -> internals.AgentFactory:
        two_args = len(inspect.signature(factory).parameters) == 2

        async def bridged_factory() -> Agent:
            agent_id = AgentInstantiationContext.current_agent_id()
            try:
                made = factory(runtime, agent_id) if two_args else factory()
                agent: Agent = await made if inspect.isawaitable(made) else made
            except BaseException as exc:
                self.construction_failed(agent_id.key, exc)
                raise
            self.wrap(agent)
            return agent

        bridged_factory.__ops_bridge_wrapped__ = True  # type: ignore[attr-defined]
        return bridged_factory

    def construction_failed(self, key: str | None, exc: BaseException) -> None:
        now = time.time()
        self.stats.construction_errors += 1
        self.stats.construction_error_times.append(now)
        current = CURRENT.get()
        self.errors.capture(exc, now, "construction", key, current.message_id if current else None, None,
                            skip_first_frame=True)  # bridged_factory's frame


ENTER: Callable[..., Awaitable[Any]] = AgentGate._enter
"""What each agent's ``on_message`` calls (as ``ENTER(gate, agent_id, recipient, original, message, ctx)``):
``AgentGate._enter``, or its C twin (``_accel``), which takes the usual case of an error storm itself — an
uncontrolled RPC from the runtime whose message the log does not link — and hands every other to
``_enter``."""
if speedups is not None:
    speedups.configure_fields({cls.__name__: cls for cls in (AgentGate, InflightLimiter, RuntimeShared, AgentStats,
                                                              MessageRecord, Handoff, ReceiverBudget)})
    speedups.configure_gate(AgentGate._enter, MessageRecord,
                            tuple(vars(MessageRecord)[f.name] for f in fields(MessageRecord)),  # its slots
                            CURRENT, internals.PROCESS_SEND_CODE, time.perf_counter, WALL_OFFSET)
    ENTER = speedups.gate_enter
