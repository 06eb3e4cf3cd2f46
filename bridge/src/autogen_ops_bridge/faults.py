"""The seam between the bridge's ``/v1/faults`` endpoints and an application's fault injector
(the demo fleet provides one; production applications normally provide none)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from .models import FaultInfo


class FaultController(Protocol):
    @property
    def known_faults(self) -> Sequence[str]: ...

    def active(self) -> list[FaultInfo]: ...

    async def inject(self, fault: str, agent_type: str, params: dict[str, Any]) -> FaultInfo:
        """Start a fault. Raise ``BridgeError`` for bad input."""
        ...

    async def clear(self, fault: str | None) -> list[FaultInfo]:
        """Stop one fault kind (``None``: all) and return what was stopped."""
        ...
