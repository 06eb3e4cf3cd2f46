"""Messages exchanged by the demo agents."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ChatRequest:
    text: str
    user: str = "demo-user"


@dataclass
class ChatReply:
    text: str
    steps: list[str] = field(default_factory=list)


@dataclass
class PlanRequest:
    goal: str


@dataclass
class Plan:
    steps: list[str]
    context: list[str]


@dataclass
class RetrieveRequest:
    query: str


@dataclass
class RetrieveResult:
    documents: list[str]
    cached: bool = False


@dataclass
class ToolRequest:
    tool: str
    argument: str


@dataclass
class ToolResult:
    output: str


@dataclass
class ConversationEvent:
    user: str
    text: str


@dataclass
class FloodMessage:
    seq: int
