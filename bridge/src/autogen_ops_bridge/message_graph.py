"""What the message graph proves about one agent type: which of its failures were caused by a message it
sent failing (a cascade, however the error was re-raised, wrapped or reworded), who called it, whom it
called. Pure over the message log; read at request time, never on the message path."""

from __future__ import annotations

from dataclasses import dataclass, field

from .message_log import MessageLog, MessageRecord

FAILED = ("error", "refused")
MAX_DEPTH = 16
"""Hops followed down one chain; a deeper chain (or a cycle) stops there."""


@dataclass
class Cascade:
    path: tuple[str, ...]
    outcome: str
    origin_error: str | None
    count: int
    first_at: float
    last_at: float


@dataclass
class PeerCounts:
    count: int = 0
    errors: int = 0
    refused: int = 0
    last_at: float = 0.0

    def add(self, hop: MessageRecord) -> None:
        self.count += 1
        if hop.outcome == "error":
            self.errors += 1
        elif hop.outcome == "refused":
            self.refused += 1
        self.last_at = max(self.last_at, hop.started_at)


@dataclass
class AgentGraph:
    cascades: list[Cascade]
    callers: dict[str, PeerCounts] = field(default_factory=dict)
    callees: dict[str, PeerCounts] = field(default_factory=dict)
    hops_considered: int = 0
    since: float | None = None
    failures: int = 0
    """The agent type's failed hops among those considered (the denominator of its cascades)."""


def _type_of(agent: str | None) -> str | None:
    return None if agent is None else agent.partition("/")[0]


class _FailedChildren:
    """The first failed message each hop's handler sent itself (an RPC whose callee failed or refused), looked
    up once per hop in one pass over the log: a chain's lower hops are on the path of every hop above them."""

    def __init__(self, log: MessageLog) -> None:
        self._log = log
        self._found: dict[int, MessageRecord | None] = {}  # by id(): every hop outlives the pass

    def of(self, hop: MessageRecord) -> MessageRecord | None:
        key = id(hop)
        if key in self._found:
            return self._found[key]
        first: MessageRecord | None = None
        for c in self._log.children_of(hop.message_id):
            if (c.kind == "send" and c.sender == hop.recipient and c.outcome in FAILED
                    and (first is None or c.started_at < first.started_at)):
                first = c
        self._found[key] = first
        return first


def origin_path(children: _FailedChildren, hop: MessageRecord) -> tuple[list[str], MessageRecord] | None:
    """From a failed hop down the failed calls it made to the deepest failing one; ``None`` when the hop
    failed on its own (no failed call beneath it)."""
    path = [hop.agent_type]
    deepest = hop
    seen = {id(hop)}
    for _ in range(MAX_DEPTH):
        child = children.of(deepest)
        if child is None or id(child) in seen:
            break
        seen.add(id(child))
        path.append(child.agent_type)
        deepest = child
    return (path, deepest) if deepest is not hop else None


def analyse(log: MessageLog, agent_type: str, since: float) -> AgentGraph:
    hops = log.hops_since(since)
    graph = AgentGraph(cascades=[], hops_considered=len(hops), since=hops[0].started_at if hops else None)
    cascades: dict[tuple[str, ...], Cascade] = {}
    children = _FailedChildren(log)
    for hop in hops:
        sender_type = _type_of(hop.sender)
        if hop.agent_type == agent_type:
            if sender_type is not None and sender_type != agent_type:
                graph.callers.setdefault(sender_type, PeerCounts()).add(hop)
            if hop.outcome == "error":
                graph.failures += 1
                found = origin_path(children, hop)
                if found is not None:
                    path, origin = found
                    key = tuple(path)
                    c = cascades.get(key)
                    if c is None:
                        cascades[key] = Cascade(key, origin.outcome, origin.error, 1, hop.started_at, hop.started_at)
                    else:
                        c.count += 1
                        c.first_at = min(c.first_at, hop.started_at)
                        if hop.started_at >= c.last_at:
                            c.last_at = hop.started_at
                            c.outcome, c.origin_error = origin.outcome, origin.error
        elif sender_type == agent_type and hop.kind == "send":
            graph.callees.setdefault(hop.agent_type, PeerCounts()).add(hop)
    graph.cascades = sorted(cascades.values(), key=lambda c: (-c.count, c.first_at))
    return graph


def origins_by_agent(log: MessageLog, since: float) -> dict[str, list[str]]:
    """For every agent type with cascaded failures since ``since``: the origins that explain them, most
    frequent first. One pass over the log, for the runtime-wide views (``/v1/agents``)."""
    counts: dict[str, dict[str, int]] = {}
    children = _FailedChildren(log)
    for hop in log.hops_since(since):
        if hop.outcome != "error":
            continue
        found = origin_path(children, hop)
        if found is not None:
            per = counts.setdefault(hop.agent_type, {})
            origin = found[1].agent_type
            per[origin] = per.get(origin, 0) + 1
    return {t: sorted(per, key=lambda o: -per[o]) for t, per in counts.items()}
