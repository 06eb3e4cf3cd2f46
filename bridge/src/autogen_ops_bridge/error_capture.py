"""Error capture that stays light under an error storm.

Every error is counted exactly, but its traceback is formatted once per *signature*: the exception's
type and the code locations of its traceback's frames, for the exception and for what it chains to (its
cause, else its context). Recognising a known signature walks the frames and formats no string. Full
per-error records are sampled per signature (a few per second; the rest only counted, the latest
message, time and message id kept on the group), so one storm can neither fill memory nor push the other
signatures out of ``recent()``.

All traceback text lives on the groups (sampled records share their group's string), and the groups are
bounded by count and by bytes: an evicted group loses its samples and its text. The log collector's
records name a group by its serial (``LIVE_GROUPS``, weak), so they hold no traceback text of their own.
"""

from __future__ import annotations

import builtins
import hashlib
import itertools
import sys
import traceback
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from ._accel import speedups

MAX_GROUPS = 64
"""Signatures remembered per capture (per agent type); the least recently seen is forgotten first."""
MAX_TEXT_BYTES = 1024 * 1024
"""Formatted traceback text kept per capture, all groups together."""
MAX_TRACEBACK_CHARS = 32 * 1024
"""A longer formatted traceback keeps its head (the first cause) and its tail (the error raised last)."""
MAX_MESSAGE_CHARS = 4 * 1024
"""An exception message kept on a group or record is cut beyond this."""
SAMPLES_PER_GROUP = 5
"""Full records kept per signature (the newest sampled ones); a signature's first errors are all sampled."""
SAMPLES_PER_S = 2.0
"""Full records taken per signature and second after its first ``SAMPLES_PER_GROUP``."""
FORMATS_PER_S = 20.0
"""New signatures formatted in full per second (source lines read); beyond, a frames-only outline is kept
until the signature is seen again with budget left. Bounds the cost of a storm of distinct errors."""
MAX_CHAIN = 16
"""Exceptions of one chain (cause or context, in turn) that count in its signature."""
MAX_FRAMES = 256
"""Frames per exception rendered or pinned when a new signature is recorded."""

SIGNATURE_ATTRIBUTE = "_autogen_ops_bridge_signature"
"""Where the bridge notes the signature key on an exception it captured: when a caller wraps that error
(``raise ... from exc``), its cause is not walked again, and an exception raised again is recognised at
once (a copy carries the note, and the signature of the failure it copies). The only change the bridge
makes to an application's exception."""
EVICTED_NOTE = "(traceback dropped: more than {n} distinct errors of this agent type seen since)\n"

_EXCEPTION_GROUP: type[BaseException] | None = getattr(builtins, "BaseExceptionGroup", None)
_CHAIN_SLOTS = range(MAX_CHAIN)
_GROUP_TYPES: tuple[type[BaseException], ...] = () if _EXCEPTION_GROUP is None else (_EXCEPTION_GROUP,)
_FRAME_SLOTS = range(MAX_FRAMES)
_REPORTED = "reported"
"""First item of the key of failures reported without an exception (exception keys hold only ints)."""


@dataclass(slots=True, eq=False)
class ErrorRecord:
    """One error kept in full (a sample of its signature's errors). ``traceback`` is the signature's
    text, shared with its group (formatted once), or a failure's own detail when it was reported without
    an exception."""

    ts: float
    agent_type: str
    agent_key: str | None
    exception_type: str
    message: str
    traceback: str
    message_id: str | None
    message_type: str | None
    phase: str


_SERIALS = itertools.count(1)


@dataclass(eq=False)
class ErrorGroup:
    """Every error of one signature in one capture: exact count, first/last time, the latest error.
    (Not slotted: ``LIVE_GROUPS`` refers to groups weakly.)"""

    signature: str
    """A digest of the signature (type names, files, functions, offsets): stable across processes."""
    exception_type: str
    agent_type: str
    phase: str
    text: str
    text_bytes: int
    outline_only: bool
    pins: tuple[object, ...]
    """The types and code objects the key names by ``id``: kept alive so that no other object can take
    one of those ids while the key is in use."""
    first_at: float
    count: int = 0
    last_at: float = 0.0
    message: str = ""
    agent_key: str | None = None
    message_id: str | None = None
    message_type: str | None = None
    first_left: int = SAMPLES_PER_GROUP
    """How many of the next errors are still sampled whatever the time (the signature's first ones)."""
    next_sample_at: float = 0.0
    samples: deque[ErrorRecord] = field(default_factory=lambda: deque(maxlen=SAMPLES_PER_GROUP))
    serial: int = field(default_factory=lambda: next(_SERIALS))
    """This group's number in ``LIVE_GROUPS``."""
    last_sampled: bool = False
    """Whether the newest error was sampled (kept as a record)."""

    @property
    def latest_sampled(self) -> bool:
        """Whether the newest error is the newest sample."""
        return self.last_sampled and bool(self.samples)

    def latest(self) -> ErrorRecord:
        """The newest error of this signature as a record (it may not have been sampled)."""
        return ErrorRecord(self.last_at, self.agent_type, self.agent_key, self.exception_type, self.message,
                           self.text, self.message_id, self.message_type, self.phase)


LIVE_GROUPS: weakref.WeakValueDictionary[int, ErrorGroup] = weakref.WeakValueDictionary()
"""Every group still alive, by serial: the log collector's records name a group by its serial, so that
its buffer holds nothing the garbage collector has to walk (and no group outlives its capture for it)."""


class Handoff:
    """The gate's latest capture, for the log collector: autogen-core logs a handler's failure event right
    after the handler raised, in the same task and without yielding to the event loop, so when the hop being
    handled (``CURRENT``) is this one, the event's traceback is this group's. (Plain attributes: cheaper
    than a context variable, which allocates a new context mapping on every set.)"""

    __slots__ = ("hop", "group")

    def __init__(self) -> None:
        self.hop: object = None
        self.group: ErrorGroup | None = None
        """Its ``last_sampled`` says whether the failure was kept as a record (the collector keeps its event
        then, and only then)."""


LAST_CAPTURE = Handoff()


def signature_key_py(exc: BaseException, skip_first_frame: bool = False) -> int:
    """The signature as a hash, built without a string: per exception of the chain, its type, each
    frame's instruction offset (the offset fixes the line; reading it skips the line-table
    lookup) and ``id`` of the innermost frame's code object (where it was raised); for an exception group,
    its members' types. An exception captured before (by this or another gate) gives the key noted on it
    then. ``skip_first_frame``: leave out the outermost frame (the caller's own, the same for every error).

    The walk is not bounded by a frame count (a counter would cost more than the walk): a traceback is as
    deep as the recursion limit allows, and an exception object raised again and again (whose traceback
    grows each time) is recognised by its note."""
    memo = getattr(exc, SIGNATURE_ATTRIBUTE, None)
    if type(memo) is int:
        return memo
    parts: list[object] = []  # (types as they are: a type's hash is its id)
    append = parts.append
    current = exc
    tb = exc.__traceback__
    if skip_first_frame and tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if isinstance(exc, _GROUP_TYPES):
        parts.extend(type(member) for member in exc.exceptions[:MAX_CHAIN])  # type: ignore[attr-defined]
    for _ in _CHAIN_SLOTS:
        append(type(current))
        if tb is not None:
            while (below := tb.tb_next) is not None:
                append(tb.tb_lasti)
                tb = below
            append(tb.tb_lasti)
            append(id(tb.tb_frame.f_code))
        chained = current.__cause__
        if chained is None and not current.__suppress_context__:
            chained = current.__context__
        if chained is None:
            break
        memo = getattr(chained, SIGNATURE_ATTRIBUTE, None)
        if type(memo) is int:
            append(memo)
            break
        current = chained
        tb = chained.__traceback__
    key = hash(tuple(parts))
    try:  # an int, not a container: the exception's __dict__ stays out of the garbage collector's way
        setattr(exc, SIGNATURE_ATTRIBUTE, key)
    except Exception:  # noqa: BLE001 - no __dict__ (slots, frozen): its callers walk it again
        pass
    return key


if speedups is not None:
    speedups.configure(SIGNATURE_ATTRIBUTE, _GROUP_TYPES, MAX_CHAIN)
signature_key = signature_key_py if speedups is None else speedups.signature_key
"""The signature key of an exception (see ``signature_key_py``): the C walk where it is built (``_accel``),
equal key for key (``tests/test_speedups.py``); it costs an error storm a few dozen bytecodes instead of
hundreds."""


def _chain(exc: BaseException) -> list[BaseException]:
    """The exceptions a signature covers, outermost first (exception-group members included)."""
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(out) < MAX_CHAIN:
        out.append(current)
        if _EXCEPTION_GROUP is not None and isinstance(current, _EXCEPTION_GROUP):
            out.extend(current.exceptions[:MAX_CHAIN])  # type: ignore[attr-defined]
        chained = current.__cause__
        if chained is None and not current.__suppress_context__:
            chained = current.__context__
        current = chained
    return out


def _pins_and_digest(exc: BaseException) -> tuple[tuple[object, ...], str]:
    """Every type and code object of the chain's frames (a superset of what the key names), and a short
    digest of the signature that is stable across processes."""
    pins: list[object] = []
    digest = hashlib.blake2b(digest_size=8)
    for current in _chain(exc):
        kind = type(current)
        pins.append(kind)
        digest.update(f"{kind.__module__}.{kind.__qualname__}|".encode())
        tb = current.__traceback__
        for _ in _FRAME_SLOTS:
            if tb is None:
                break
            code = tb.tb_frame.f_code
            pins.append(code)
            digest.update(f"{code.co_filename}:{code.co_name}:{tb.tb_lasti}|".encode())
            tb = tb.tb_next
    return tuple(pins), digest.hexdigest()


def clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping a quarter from its head and the rest from its
    tail (a traceback's first cause is at the head, the error raised last at the tail)."""
    if len(text) <= limit:
        return text
    head = limit // 4
    tail = limit - head
    return f"{text[:head]}\n… ({len(text) - limit} characters left out) …\n{text[-tail:]}"


def exception_text(exc: BaseException) -> str:
    """``str(exc)``, cut to ``MAX_MESSAGE_CHARS``; never raises."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not replace the application's error
        return f"<{type(exc).__name__}: str() failed>"
    return text if len(text) <= MAX_MESSAGE_CHARS else clip(text, MAX_MESSAGE_CHARS)


def format_full(exc: BaseException) -> str:
    """The traceback as Python prints it (chained causes included), clipped."""
    try:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:  # noqa: BLE001 - fall back to the outline rather than lose the error
        return format_outline(exc)
    return clip(text, MAX_TRACEBACK_CHARS)


def format_outline(exc: BaseException) -> str:
    """Frames and exception types without source lines (no file is read): what is kept while the
    formatting budget is spent."""
    blocks: list[str] = []
    for current in reversed(_chain(exc)):
        lines = ["Traceback (most recent call last; source lines not read):\n"]
        tb = current.__traceback__
        for _ in _FRAME_SLOTS:
            if tb is None:
                break
            code = tb.tb_frame.f_code
            lines.append(f'  File "{code.co_filename}", line {tb.tb_lineno}, in {code.co_name}\n')
            tb = tb.tb_next
        lines.append(f"{type(current).__qualname__}: {exception_text(current)}\n")
        blocks.append("".join(lines))
    return clip("\n(chained)\n\n".join(blocks), MAX_TRACEBACK_CHARS)


class ErrorCapture:
    """The error groups of one agent type (or of the log collector), bounded by count and text bytes.
    Mutated only from the runtime's event loop."""

    def __init__(self, agent_type: str, *, max_groups: int = MAX_GROUPS, max_text_bytes: int = MAX_TEXT_BYTES,
                 formats_per_s: float = FORMATS_PER_S, samples_per_s: float = SAMPLES_PER_S) -> None:
        self.agent_type = agent_type
        self.groups: OrderedDict[int | tuple[str, str], ErrorGroup] = OrderedDict()
        """By signature key (a reported failure's: ``("reported", exception type)``)."""
        self.text_bytes = 0
        self.formatted = 0
        """Tracebacks formatted in full so far (a known signature formats none)."""
        self.evicted = 0
        self._newest: ErrorGroup | None = None
        """The most recently seen group (the last in ``groups``)."""
        self._max_groups = max_groups
        self._max_text_bytes = max_text_bytes
        self._formats_per_s = formats_per_s
        self._format_tokens = formats_per_s
        self._format_refilled_at = 0.0
        self._sample_interval_s = 1.0 / samples_per_s if samples_per_s > 0 else float("inf")

    def capture(self, exc: BaseException, now: float, phase: str, agent_key: str | None = None,
                message_id: str | None = None, message_type: str | None = None,
                skip_first_frame: bool = False, linked: bool = True) -> ErrorGroup:
        """Count one error and return its group (``group.message`` is this error's message). The hot path
        of an error storm: a known signature costs a frame walk and a few stores. ``skip_first_frame``: see
        :func:`signature_key`. ``linked``: whether the message log links the failed message (see
        ``message_log``); past a signature's first errors, only a linked one is sampled, so that a sampled
        error's message can be traced."""
        key = signature_key(exc, skip_first_frame)
        group = self.groups.get(key)
        if group is None:
            full = self._may_format(now)
            group = self._add(key, now, phase, type(exc).__name__, format_full(exc) if full else format_outline(exc),
                              outline_only=not full, pins_and_digest=_pins_and_digest(exc))
        else:
            if group is not self._newest:  # least-recently-seen order; a storm repeats the newest
                self.groups.move_to_end(key)
                self._newest = group
            if group.outline_only and self._may_format(now):
                self._set_text(group, format_full(exc))
        try:
            text = str(exc)
        except Exception:  # noqa: BLE001 - a broken __str__ must not replace the application's error
            text = f"<{type(exc).__name__}: str() failed>"
        if len(text) > MAX_MESSAGE_CHARS:
            text = clip(text, MAX_MESSAGE_CHARS)
        # _count(), inlined: this runs for every error of a storm
        group.count += 1
        group.last_at = now
        group.message = text
        group.agent_key = agent_key
        group.message_id = message_id
        group.message_type = message_type
        if group.first_left or (linked and now >= group.next_sample_at):
            if group.first_left:
                group.first_left -= 1
            group.next_sample_at = now + self._sample_interval_s
            group.samples.append(ErrorRecord(now, self.agent_type, agent_key, group.exception_type, text, group.text,
                                             message_id, message_type, group.phase))
            group.last_sampled = True
        else:
            group.last_sampled = False
        return group

    def capture_reported(self, exception_type: str, text: str, detail: str, now: float, phase: str = "handler",
                         agent_key: str | None = None, message_id: str | None = None,
                         message_type: str | None = None) -> ErrorGroup:
        """Count one failure a handler reported without raising (no exception object, so no frames): its
        signature is its ``exception_type``; each sampled record keeps its own ``detail``."""
        key = (_REPORTED, exception_type)
        detail = clip(detail, MAX_TRACEBACK_CHARS)
        group = self.groups.get(key)
        if group is None:
            digest = hashlib.blake2b(f"reported|{exception_type}".encode(), digest_size=8).hexdigest()
            group = self._add(key, now, phase, exception_type, detail, outline_only=False, pins_and_digest=((), digest))
        elif group is not self._newest:
            self.groups.move_to_end(key)
            self._newest = group
        self._count(group, now, clip(text, MAX_MESSAGE_CHARS), detail, agent_key, message_id, message_type)
        return group

    def _count(self, group: ErrorGroup, now: float, text: str, detail: str, agent_key: str | None,
               message_id: str | None, message_type: str | None) -> None:
        group.count += 1
        group.last_at = now
        group.message = text
        group.agent_key = agent_key
        group.message_id = message_id
        group.message_type = message_type
        # the signature's first errors, then at most samples_per_s (capture() inlines this)
        if now >= group.next_sample_at or group.first_left:
            if group.first_left:
                group.first_left -= 1
            group.next_sample_at = now + self._sample_interval_s
            group.samples.append(ErrorRecord(now, self.agent_type, agent_key, group.exception_type, text, detail,
                                             message_id, message_type, group.phase))
            group.last_sampled = True
        else:
            group.last_sampled = False

    def _may_format(self, now: float) -> bool:
        tokens = self._format_tokens + (now - self._format_refilled_at) * self._formats_per_s
        self._format_refilled_at = now
        tokens = min(tokens, self._formats_per_s)
        if tokens >= 1.0:
            self._format_tokens = tokens - 1.0
            return True
        self._format_tokens = tokens
        return False

    def _add(self, key: int | tuple[str, str], now: float, phase: str, exception_type: str, text: str, *,
             outline_only: bool, pins_and_digest: tuple[tuple[object, ...], str]) -> ErrorGroup:
        if not outline_only:
            self.formatted += 1
        pins, digest = pins_and_digest
        group = ErrorGroup(signature=digest, exception_type=exception_type, agent_type=self.agent_type,
                           phase=phase, text=text, text_bytes=sys.getsizeof(text), outline_only=outline_only,
                           pins=pins, first_at=now)
        self.groups[key] = group
        LIVE_GROUPS[group.serial] = group
        self._newest = group
        self.text_bytes += group.text_bytes
        while len(self.groups) > self._max_groups or (self.text_bytes > self._max_text_bytes and len(self.groups) > 1):
            _, old = self.groups.popitem(last=False)
            self._forget(old)
        return group

    def _set_text(self, group: ErrorGroup, text: str) -> None:
        self.formatted += 1
        self.text_bytes -= group.text_bytes
        group.text, group.text_bytes, group.outline_only = text, sys.getsizeof(text), False
        self.text_bytes += group.text_bytes

    def _forget(self, group: ErrorGroup) -> None:
        self.evicted += 1
        self.text_bytes -= group.text_bytes
        group.text = EVICTED_NOTE.format(n=self._max_groups)
        group.text_bytes = 0
        group.samples.clear()
        group.pins = ()

    # --- reads -------------------------------------------------------------------------------
    def recent(self, limit: int) -> list[ErrorRecord]:
        """Newest first: every remembered signature's sampled records and its latest error."""
        out: list[ErrorRecord] = []
        for group in list(self.groups.values()):
            if group.count and not group.latest_sampled:
                out.append(group.latest())
            out.extend(reversed(group.samples))  # newest first, so that equal times keep that order
        out.sort(key=_ts, reverse=True)  # stable: equal times stay in the order given
        return out[:limit]

    def latest(self) -> ErrorRecord | None:
        """The newest error of any signature."""
        if not self.groups:
            return None
        group = next(reversed(self.groups.values()))  # the most recently seen signature
        return group.samples[-1] if group.latest_sampled else group.latest()

    def by_count(self) -> list[ErrorGroup]:
        """Remembered groups, most errors first (then the most recently seen first)."""
        return sorted(self.groups.values(), key=lambda g: (-g.count, -g.last_at))

    def buffer_bytes(self) -> int:
        """Estimated bytes held: texts, groups, keys, sampled records and their messages."""
        total = self.text_bytes + sys.getsizeof(self.groups)
        for key, group in list(self.groups.items()):
            total += _GROUP_BYTES + sys.getsizeof(key) + sys.getsizeof(group.message)
            for record in group.samples:
                total += _RECORD_BYTES + sys.getsizeof(record.message)
                if record.traceback is not group.text:  # a reported failure's own detail
                    total += sys.getsizeof(record.traceback)
        return total


def _ts(record: ErrorRecord) -> float:
    return record.ts


_RECORD_BYTES = sys.getsizeof(ErrorRecord(0.0, "", None, "", "", "", None, None, ""))
_GROUP_BYTES = (sys.getsizeof(_example := ErrorGroup("", "", "", "", "", 0, False, (), 0.0))
                + sys.getsizeof(vars(_example)) + sys.getsizeof(deque(maxlen=SAMPLES_PER_GROUP)))
