"""Errors the bridge raises to HTTP clients and to senders of messages."""

from __future__ import annotations

from typing import Any


class BridgeError(Exception):
    """An error with a stable code, an HTTP status and details; rendered as ``{"error": {...}}``."""

    def __init__(self, code: str, status: int, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.details = details or {}


def agent_not_found(agent_type: str) -> BridgeError:
    return BridgeError(
        "AGENT_NOT_FOUND",
        404,
        f"agent type '{agent_type}' is not registered in this runtime; list types with GET /v1/agents",
        {"agent_type": agent_type},
    )


class AgentIsolatedError(RuntimeError):
    """Raised to the sender of a message addressed to an isolated agent type."""


class AgentDegradedError(RuntimeError):
    """Raised to the sender of a message addressed to an agent type switched off by degrade."""


class BackpressureTimeoutError(TimeoutError):
    """Raised to the sender when a message waited longer than ``max_wait_s`` for an in-flight slot."""
